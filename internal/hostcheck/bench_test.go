package hostcheck

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"
)

// benchHost is a shared host of n users: each with a home under /home
// (a third with rootless Docker and its user unit, a third with Podman),
// a passwd line and both ranges.
func benchHost(b *testing.B, n int) (afero.Fs, *fakeNSS) {
	files := cleanHost()
	delete(files, "/home/alice/.local/share/containers/storage/x")
	var passwd, subuid, nss strings.Builder
	passwd.WriteString("root:x:0:0:root:/root:/bin/bash\n")
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("user%04d", i)
		line := fmt.Sprintf("%s:x:%d:%d::/home/%s:/bin/bash", name, 2000+i, 2000+i, name)
		passwd.WriteString(line + "\n")
		nss.WriteString(line + "\n")
		fmt.Fprintf(&subuid, "%s:%d:65536\n", name, 100000+int64(i)*65536)
		home := "/home/" + name
		files[home+"/.profile"] = ""
		switch i % 3 {
		case 0:
			files[home+"/.local/share/docker/overlay2/x"] = ""
			files[home+"/.config/systemd/user/docker.service"] = "[Service]\n"
			files["/var/lib/systemd/linger/"+name] = ""
		case 1:
			files[home+"/.local/share/containers/storage/x"] = ""
		}
	}
	files["/etc/passwd"] = passwd.String()
	files["/etc/subuid"] = subuid.String()
	files["/etc/subgid"] = subuid.String()
	fsys := fixture(b, files, nil)
	return fsys, &fakeNSS{passwd: map[string][]string{"": strings.Split(strings.TrimSpace(nss.String()), "\n")}, groups: map[string]string{}}
}

// BenchmarkHostCheck1000Homes runs host check over 1,000 home folders and
// 1,000 users' ranges on a memory filesystem and, in the same run, the
// floor: reading the files it must read (both subid files, passwd, group)
// and listing each home. It reports check/floor; the target is ≤ 1 s an
// op, which it fails above.
func BenchmarkHostCheck1000Homes(b *testing.B) {
	fsys, nss := benchHost(b, 1000)
	ctx := context.Background()
	var floor, check time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		for _, p := range []string{"/etc/subuid", "/etc/subgid", "/etc/passwd", "/etc/group"} {
			if _, err := afero.ReadFile(fsys, p); err != nil {
				b.Fatal(err)
			}
		}
		homes, _ := afero.ReadDir(fsys, "/home")
		for _, h := range homes {
			afero.ReadDir(fsys, "/home/"+h.Name())
		}
		t1 := time.Now()
		nss.calls = nil
		checks := Run(ctx, (&Host{Fs: fsys, Run: nss.run, Owner: rootOwner}).Steps()...)
		t2 := time.Now()
		if w := Worst(checks); w != OK {
			b.Fatalf("the bench host is clean, got %s:\n%s", w, report(checks))
		}
		floor += t1.Sub(t0)
		check += t2.Sub(t1)
	}
	perOp := check / time.Duration(b.N)
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns/op")
	b.ReportMetric(float64(perOp.Nanoseconds()), "check-ns/op")
	b.ReportMetric(float64(check)/float64(floor), "check/floor")
	if perOp > time.Second {
		b.Errorf("host check over 1,000 homes took %v an op; the target is ≤ 1s", perOp)
	}
}
