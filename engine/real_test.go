package engine

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// The real engines, when the environment names them: run as the user whose
// daemons they are, with an image that has /etc/passwd with vscode:1000 and
// a symbolic link /etc/group-link → /etc/group (LAB.md's busybox image):
//
//	DEVFIX_REAL_DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock
//	DEVFIX_REAL_PODMAN_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock
//	DEVFIX_REAL_PODMAN_CLI=podman
//	DEVFIX_REAL_IMAGE=engbox:1
//
// and a rootful daemon whose socket was handed to that user (chown), which
// is still rootful:
//
//	DEVFIX_REAL_ROOTFUL_HOST=unix:///tmp/rootful.sock
func realEnv(t *testing.T, key string) (value, image string) {
	value, image = os.Getenv(key), os.Getenv("DEVFIX_REAL_IMAGE")
	if value == "" || image == "" {
		t.Skipf("%s and DEVFIX_REAL_IMAGE are not set: no real engine to test", key)
	}
	return value, image
}

func TestRealDaemons(t *testing.T) {
	for key, kind := range map[string]Kind{"DEVFIX_REAL_DOCKER_HOST": Docker, "DEVFIX_REAL_PODMAN_HOST": Podman} {
		t.Run(string(kind), func(t *testing.T) {
			host, image := realEnv(t, key)
			ctx := context.Background()
			logPingHeaders(t, host)
			start := time.Now()
			d, err := Connect(ctx, []Endpoint{{Host: host, Source: key}}, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			connected := time.Since(start)
			img, err := d.InspectImage(ctx, image)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("Connect %v, Connect+InspectImage %v", connected, time.Since(start))
			t.Logf("kind %s, version %s, API %s (client uses %s), rootless %v (%s), peer uid %d",
				d.Kind, d.Version, d.APIVersion, d.client.ClientVersion(), d.Rootless, d.RootlessFrom, d.peerUID)
			t.Logf("image %+v", img)
			if d.Kind != kind || d.Version == "" {
				t.Errorf("kind %q version %q, want %q", d.Kind, d.Version, kind)
			}
			if d.peerUID != os.Geteuid() || d.Rootless != (os.Geteuid() != 0) {
				t.Errorf("peer uid %d rootless %v; this test runs as %d, the daemon's user", d.peerUID, d.Rootless, os.Geteuid())
			}
			if !img.Found || img.User != "vscode" || !strings.HasPrefix(img.ID, "sha256:") {
				t.Errorf("image %+v", img)
			}
			if missing, err := d.InspectImage(ctx, "devfix-no-such-image:1"); err != nil || missing.Found {
				t.Errorf("missing image: %+v, %v", missing, err)
			}

			info, err := d.Info(ctx)
			t.Logf("info %+v, %v", info, err)
			if err != nil || info.DockerRootDir == "" {
				t.Errorf("info %+v, %v", info, err)
			}

			start = time.Now()
			passwd, err := d.ReadImageFile(ctx, image, "/etc/passwd")
			t.Logf("ReadImageFile /etc/passwd %v: %q", time.Since(start), passwd)
			if err != nil || !strings.Contains(string(passwd), "vscode:x:1000:1000:") {
				t.Errorf("/etc/passwd: %q, %v", passwd, err)
			}
			group, err := d.ReadImageFile(ctx, image, "/etc/group-link")
			if err != nil || !strings.Contains(string(group), "vscode:x:1000:") {
				t.Errorf("/etc/group-link: %q, %v", group, err)
			}
			acct, found := LookupUser(passwd, group, img.User)
			if !found || acct.UID != 1000 || acct.GID != 1000 || acct.Home != "/home/vscode" {
				t.Errorf("LookupUser(%q) = %+v, %v", img.User, acct, found)
			}
			if _, err := d.ReadImageFile(ctx, image, "/etc/devfix-nope"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("missing file: %v", err)
			}
			if _, err := d.ReadImageFile(ctx, "devfix-no-such-image:1", "/etc/passwd"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("missing image: %v", err)
			}
			left, err := d.client.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", readFileLabel)})
			if err != nil || len(left.Items) != 0 {
				t.Errorf("containers left: %+v, %v", left.Items, err)
			}
		})
	}
}

func TestRealRootfulSocketHandedToTheUser(t *testing.T) {
	host := os.Getenv("DEVFIX_REAL_ROOTFUL_HOST")
	if host == "" {
		t.Skip("DEVFIX_REAL_ROOTFUL_HOST is not set: no real rootful daemon to test")
	}
	d, err := Connect(context.Background(), []Endpoint{{Host: host}}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	t.Logf("kind %s, version %s, rootless %v (%s), peer uid %d, this test's uid %d", d.Kind, d.Version, d.Rootless, d.RootlessFrom, d.peerUID, os.Geteuid())
	if d.Rootless || d.peerUID != 0 {
		t.Errorf("a rootful daemon taken for rootless: %s", d.RootlessFrom)
	}
}

func TestRealPodmanCLI(t *testing.T) {
	prog, image := realEnv(t, "DEVFIX_REAL_PODMAN_CLI")
	ctx := context.Background()
	p := PodmanCLI{Path: prog}
	v, err := p.Version(ctx)
	t.Logf("podman --version: %s", v)
	if err != nil || v == "" {
		t.Errorf("version %q, %v", v, err)
	}
	start := time.Now()
	img, err := p.InspectImage(ctx, image)
	t.Logf("InspectImage %v: %+v", time.Since(start), img)
	if err != nil || !img.Found || img.User != "vscode" || !strings.HasPrefix(img.ID, "sha256:") {
		t.Errorf("image %+v, %v", img, err)
	}
	if missing, err := p.InspectImage(ctx, "devfix-no-such-image:1"); err != nil || missing.Found {
		t.Errorf("missing image: %+v, %v", missing, err)
	}
	start = time.Now()
	passwd, err := p.ReadImageFile(ctx, image, "/etc/passwd")
	t.Logf("ReadImageFile /etc/passwd %v: %q", time.Since(start), passwd)
	if err != nil || !strings.Contains(string(passwd), "vscode:x:1000:1000:") {
		t.Errorf("/etc/passwd: %q, %v", passwd, err)
	}
	group, err := p.ReadImageFile(ctx, image, "/etc/group-link")
	if err != nil || !strings.Contains(string(group), "vscode:x:1000:") {
		t.Errorf("/etc/group-link: %q, %v", group, err)
	}
	if _, err := p.ReadImageFile(ctx, image, "/etc/devfix-nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := p.ReadImageFile(ctx, "devfix-no-such-image:1", "/etc/passwd"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing image: %v", err)
	}
	out, err := p.run(ctx, "ps", "-a", "-q", "--filter", "label="+readFileLabel)
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("containers left: %q, %v", out, err)
	}
}

// logPingHeaders logs what the daemon's /_ping answers, for people.
func logPingHeaders(t *testing.T, host string) {
	path, ok := strings.CutPrefix(host, "unix://")
	if !ok {
		return
	}
	hc := http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}}
	resp, err := hc.Head("http://d/_ping")
	if err != nil {
		t.Logf("HEAD /_ping: %v", err)
		return
	}
	resp.Body.Close()
	for k, v := range resp.Header {
		if k != "Date" {
			t.Logf("HEAD /_ping: %s: %q", k, v)
		}
	}
}
