package subid

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"
)

// seedHost is a host with n ranges in each file, in FreeIPA's window.
func seedHost(b *testing.B, n int) afero.Fs {
	var sb strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "user%d:%d:65536\n", i, int64(1<<31)+int64(i)*65536)
	}
	fs := afero.NewMemMapFs()
	afero.WriteFile(fs, "/etc/subuid", []byte(sb.String()), 0o644)
	afero.WriteFile(fs, "/etc/subgid", []byte(sb.String()), 0o644)
	afero.WriteFile(fs, "/etc/login.defs", []byte("SUB_UID_MIN 2147483648\nSUB_UID_MAX 4294967294\nSUB_GID_MIN 2147483648\nSUB_GID_MAX 4294967294\n"), 0o644)
	afero.WriteFile(fs, "/etc/sssd/sssd.conf", []byte("[domain/corp]\nid_provider = ad\n"), 0o600)
	return fs
}

// BenchmarkAllocate10k: load a host with 10,000 ranges in each file and
// allocate for a new user, against parsing the two files alone (the
// floor) in the same run.
func BenchmarkAllocate10k(b *testing.B) {
	fs := seedHost(b, 10000)
	uid, _ := afero.ReadFile(fs, "/etc/subuid")
	gid, _ := afero.ReadFile(fs, "/etc/subgid")
	var alloc, floor time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		Parse("/etc/subuid", uid)
		Parse("/etc/subgid", gid)
		t1 := time.Now()
		h, err := Load(fs, Paths{})
		if err != nil {
			b.Fatal(err)
		}
		a, err := Allocate(h, User{"dom.user", 1551001108, 1551000513}, Options{})
		if err != nil || a.SubUID.Add == nil || a.SubUID.Add.Start != 1<<31+10000*65536 {
			b.Fatalf("%+v %v", a, err)
		}
		t2 := time.Now()
		floor += t1.Sub(t0)
		alloc += t2.Sub(t1)
	}
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "parse-ns/op")
	b.ReportMetric(float64(alloc.Nanoseconds())/float64(b.N), "load+allocate-ns/op")
	b.ReportMetric(float64(alloc)/float64(floor), "allocate/parse")
}
