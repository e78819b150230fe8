package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devfix/devfix/internal/subid"
	"github.com/spf13/afero"
)

// BenchmarkHostGrantPAM is one login through `host grant --pam` on a host
// with 10,000 ranges in each file (FreeIPA's window): the first read, the
// NSS lookup (a fake getent: NSS's own time is not devfix's), the locks
// (real fcntl and link locks), the read under them, the allocation and
// the two appends with their fsyncs, on the OS filesystem. Each op is a new
// user. The baseline, in the same run, is parsing the two files alone. The
// target is ≤ 50 ms an op.
func BenchmarkHostGrantPAM(b *testing.B) {
	root := b.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	var sb strings.Builder
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&sb, "user%d:%d:65536\n", i, int64(1<<31)+int64(i)*65536)
	}
	seed := sb.String()
	for name, data := range map[string]string{
		"subuid": seed, "subgid": seed,
		"login.defs": "UID_MIN 1000\nSUB_UID_MIN 2147483648\nSUB_UID_MAX 4294967294\nSUB_GID_MIN 2147483648\nSUB_GID_MAX 4294967294\n",
		"passwd":     "root:x:0:0:root:/root:/bin/bash\n",
	} {
		if err := os.WriteFile(filepath.Join(root, "etc", name), []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	getent := func(ctx context.Context, argv []string) ([]byte, error) {
		n := strings.TrimPrefix(argv[len(argv)-1], "dev")
		return []byte(fmt.Sprintf("dev%s:*:%d:1551000513::/home/dev%s:/bin/bash\n", n, 1551001108+len(n), n)), nil
	}
	var grant, parse, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		user := fmt.Sprintf("dev%d", i)
		env := &Env{Stdout: io.Discard, Stderr: io.Discard, Fs: afero.NewOsFs(), HostRoot: root, Run: getent,
			LookupEnv: func(k string) (string, bool) {
				switch k {
				case "PAM_TYPE":
					return "open_session", true
				case "PAM_USER":
					return user, true
				}
				return "", false
			}}
		c0, t0 := cpuTime(), time.Now()
		if code := Run(context.Background(), []string{"host", "grant", "--pam"}, env); code != ExitOK {
			b.Fatalf("exit %d", code)
		}
		c1, t1 := cpuTime(), time.Now()
		cpu += c1 - c0
		for _, f := range []string{"subuid", "subgid"} {
			p := filepath.Join(root, "etc", f)
			data, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := subid.Parse(p, data); err != nil {
				b.Fatal(err)
			}
		}
		grant += t1.Sub(t0)
		parse += time.Since(t1)
	}
	b.ReportMetric(float64(grant.Nanoseconds())/float64(b.N), "grant-ns/op")
	b.ReportMetric(float64(parse.Nanoseconds())/float64(b.N), "parse-ns/op")
	b.ReportMetric(float64(grant)/float64(parse), "grant/parse")
	// The machine may be shared: the CPU devfix itself spent, without the
	// waits for the disk (fsync) and for other processes.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "grant-cpu-ns/op")
	data, _ := os.ReadFile(filepath.Join(root, "etc", "subuid"))
	f, _ := subid.Parse("subuid", data)
	if len(f.Entries) != 10000+b.N || len(subid.Overlaps(f.Entries)) != 0 {
		b.Errorf("%d entries for %d logins, or overlaps", len(f.Entries), b.N)
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
