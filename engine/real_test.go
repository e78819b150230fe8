package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/devfix/devfix/internal/imagefacts"
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
			t.Logf("Connect %v", time.Since(start))
			t.Logf("kind %s, version %s, client API %s, rootless %v (%s)",
				d.Kind, d.Version, d.client.ClientVersion(), d.Rootless, d.RootlessFrom)
			if d.Kind != kind || d.Version == "" {
				t.Errorf("kind %q version %q, want %q", d.Kind, d.Version, kind)
			}
			// The daemon is this test's user's: its socket is served by
			// that uid.
			wantFrom := fmt.Sprintf("the socket is served by uid %d (", os.Geteuid())
			if os.Geteuid() == 0 {
				wantFrom = "the socket is served by root ("
			}
			if !strings.HasPrefix(d.RootlessFrom, wantFrom) || d.Rootless != (os.Geteuid() != 0) {
				t.Errorf("rootless %v (%s); this test runs as %d, the daemon's user", d.Rootless, d.RootlessFrom, os.Geteuid())
			}
			info, err := d.Info(ctx)
			t.Logf("info %+v, %v", info, err)
			if err != nil || info.DockerRootDir == "" {
				t.Errorf("info %+v, %v", info, err)
			}
			checkImages(t, d, image)
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
	t.Logf("kind %s, version %s, rootless %v (%s), this test's uid %d", d.Kind, d.Version, d.Rootless, d.RootlessFrom, os.Geteuid())
	if d.Rootless || !strings.HasPrefix(d.RootlessFrom, "the socket is served by root (") {
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
	checkImages(t, p, image)
	out, err := p.run(ctx, "ps", "-a", "-q", "--filter", "label="+readFileLabel)
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("containers left: %q, %v", out, err)
	}
}

// checkImages asks a real engine what devfix asks of images: the image's
// user and ID, a missing image, /etc/passwd and /etc/group through a link,
// the user they resolve to, and a missing file.
func checkImages(t *testing.T, imgs Images, image string) {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	img, err := imgs.InspectImage(ctx, image)
	t.Logf("InspectImage %v: %+v", time.Since(start), img)
	if err != nil || !img.Found || img.User != "vscode" || !strings.HasPrefix(img.ID, "sha256:") {
		t.Errorf("image %+v, %v", img, err)
	}
	if missing, err := imgs.InspectImage(ctx, "devfix-no-such-image:1"); err != nil || missing.Found {
		t.Errorf("missing image: %+v, %v", missing, err)
	}
	start = time.Now()
	passwd, err := imgs.ReadImageFile(ctx, image, "/etc/passwd")
	t.Logf("ReadImageFile /etc/passwd %v: %q", time.Since(start), passwd)
	if err != nil || !strings.Contains(string(passwd), "vscode:x:1000:1000:") {
		t.Errorf("/etc/passwd: %q, %v", passwd, err)
	}
	group, err := imgs.ReadImageFile(ctx, image, "/etc/group-link")
	if err != nil || !strings.Contains(string(group), "vscode:x:1000:") {
		t.Errorf("/etc/group-link: %q, %v", group, err)
	}
	if acct, found := imagefacts.LookupUser(passwd, group, img.User); !found || acct != (imagefacts.Account{Name: "vscode", UID: 1000, GID: 1000}) {
		t.Errorf("LookupUser(%q) = %+v, %v", img.User, acct, found)
	}
	if _, err := imgs.ReadImageFile(ctx, image, "/etc/devfix-nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := imgs.ReadImageFile(ctx, "devfix-no-such-image:1", "/etc/passwd"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing image: %v", err)
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
