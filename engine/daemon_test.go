package engine

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/devfix/devfix/engine/enginetest"
	"github.com/google/go-cmp/cmp"
)

var vscodeImage = map[string]enginetest.Image{
	"devfix-e2e/vscode:1": {ID: "sha256:1111", User: "vscode", Labels: map[string]string{"devcontainer.metadata": `[{"remoteUser":"vscode"}]`}},
}

// A lint of one config costs one ping and one image inspect, whatever the
// engine; rootlessness comes from the socket's peer (this test process:
// rootful when the tests run as root, rootless otherwise) or, over TCP, from
// the daemon's own word.
func TestConnect(t *testing.T) {
	ctx := context.Background()
	asRoot := os.Geteuid() == 0
	tests := []struct {
		name         string
		cfg          enginetest.Config
		kind         Kind
		version      string
		rootless     bool
		rootlessFrom string
		requests     map[string]int
	}{
		{name: "docker on a unix socket", cfg: enginetest.Config{Rootless: true},
			kind: Docker, version: "20.10.24+dfsg1", rootless: !asRoot, rootlessFrom: "the socket is served by",
			requests: map[string]int{"/_ping": 1, "/images/json": 1}},
		{name: "podman on a unix socket", cfg: enginetest.Config{Podman: true},
			kind: Podman, version: "4.3.1", rootless: !asRoot, rootlessFrom: "the socket is served by",
			requests: map[string]int{"/_ping": 1, "/images/json": 1}},
		{name: "rootless docker over tcp", cfg: enginetest.Config{TCP: true, Rootless: true},
			kind: Docker, version: "20.10.24+dfsg1", rootless: true, rootlessFrom: "/info security options include name=rootless",
			requests: map[string]int{"/_ping": 1, "/info": 1, "/images/json": 1}},
		{name: "rootful docker over tcp", cfg: enginetest.Config{TCP: true},
			kind: Docker, version: "20.10.24+dfsg1", rootless: false, rootlessFrom: "/info security options lack name=rootless",
			requests: map[string]int{"/_ping": 1, "/info": 1, "/images/json": 1}},
		{name: "rootless podman over tcp asks /libpod/info", cfg: enginetest.Config{TCP: true, Podman: true, Rootless: true, Version: "5.2.0"},
			kind: Podman, version: "5.2.0", rootless: true, rootlessFrom: "/libpod/info says rootless: true",
			requests: map[string]int{"/_ping": 1, "/libpod/info": 1, "/images/json": 1}},
		{name: "rootful podman over tcp", cfg: enginetest.Config{TCP: true, Podman: true},
			kind: Podman, version: "4.3.1", rootless: false, rootlessFrom: "/libpod/info says rootless: false",
			requests: map[string]int{"/_ping": 1, "/libpod/info": 1, "/images/json": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.cfg.TCP {
				skipIfRootInUserNamespace(t)
			}
			tc.cfg.Images = vscodeImage
			srv := enginetest.Start(t, tc.cfg)
			d, err := Connect(ctx, []Endpoint{{Host: srv.Host, Source: "fake"}}, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			img, err := d.InspectImage(ctx, "devfix-e2e/vscode:1")
			if err != nil {
				t.Fatal(err)
			}
			want := Image{Found: true, ID: "sha256:1111", User: "vscode", Labels: map[string]string{"devcontainer.metadata": `[{"remoteUser":"vscode"}]`}}
			if diff := cmp.Diff(want, img); diff != "" {
				t.Errorf("image (-want +got):\n%s", diff)
			}
			if d.Kind != tc.kind || d.Version != tc.version || d.Source != "fake" {
				t.Errorf("daemon: kind %q version %q source %q", d.Kind, d.Version, d.Source)
			}
			// The API version the daemon offers is the one spoken (and
			// Podman's own to /libpod).
			for v := range srv.Versions() {
				if v != "1.41" && (tc.kind != Podman || v != tc.version) {
					t.Errorf("a request for API %s, want 1.41", v)
				}
			}
			if d.Rootless != tc.rootless || !strings.HasPrefix(d.RootlessFrom, tc.rootlessFrom) {
				t.Errorf("rootless %v (%s), want %v (%s…)", d.Rootless, d.RootlessFrom, tc.rootless, tc.rootlessFrom)
			}
			if diff := cmp.Diff(tc.requests, srv.Requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// The peer of a unix socket is the process that listens on it: here this
// test, as root or not.
func TestPeerCredentials(t *testing.T) {
	skipIfRootInUserNamespace(t)
	srv := enginetest.Start(t, enginetest.Config{})
	d, err := Connect(context.Background(), []Endpoint{{Host: srv.Host}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if d.Rootless != (os.Geteuid() != 0) {
		t.Errorf("rootless %v as uid %d", d.Rootless, os.Geteuid())
	}
	wantFrom := fmt.Sprintf("the socket is served by uid %d (pid %d), not root", os.Geteuid(), os.Getpid())
	if os.Geteuid() == 0 {
		wantFrom = fmt.Sprintf("the socket is served by root (pid %d)", os.Getpid())
	}
	if d.RootlessFrom != wantFrom {
		t.Errorf("RootlessFrom %q, want %q", d.RootlessFrom, wantFrom)
	}
}

// skipIfRootInUserNamespace skips a test that expects the fake's socket,
// served by this test as root, to be taken for a rootful daemon's: inside a
// user namespace, uid 0 does not tell (TestConnectInUserNamespace).
func skipIfRootInUserNamespace(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 && inUserNamespace(readSelfUIDMap) {
		t.Skip("root in a user namespace: the daemon is asked, not the peer's uid")
	}
}

// Seen from inside a user namespace (devfix in a container of a rootless
// daemon, its socket mounted), a peer of uid 0 may be the user: the daemon
// says. Outside one, and for any other uid, the peer tells.
func TestRootlessFromPeer(t *testing.T) {
	inUserNS := func() ([]byte, error) {
		return []byte("         0       1000          1\n         1     100000      65536\n"), nil
	}
	initialNS := func() ([]byte, error) { return []byte("         0          0 4294967295\n"), nil }
	noProc := func() ([]byte, error) { return nil, os.ErrNotExist }
	tests := []struct {
		name     string
		uid      int
		uidMap   func() ([]byte, error)
		rootless bool
		from     string
		ok       bool
	}{
		{name: "root, initial namespace", uid: 0, uidMap: initialNS, from: "the socket is served by root (pid 42)", ok: true},
		{name: "root, no uid_map", uid: 0, uidMap: noProc, from: "the socket is served by root (pid 42)", ok: true},
		{name: "root, in a user namespace", uid: 0, uidMap: inUserNS, ok: false},
		{name: "a user, in a user namespace", uid: 1000, uidMap: inUserNS, rootless: true, from: "the socket is served by uid 1000 (pid 42), not root", ok: true},
		{name: "a user, initial namespace", uid: 1000, uidMap: initialNS, rootless: true, from: "the socket is served by uid 1000 (pid 42), not root", ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rootless, from, ok := rootlessFromPeer(tc.uid, 42, tc.uidMap)
			if rootless != tc.rootless || from != tc.from || ok != tc.ok {
				t.Errorf("got %v %q %v, want %v %q %v", rootless, from, ok, tc.rootless, tc.from, tc.ok)
			}
		})
	}
}

// Connected from inside a user namespace to a socket served by uid 0, devfix
// asks the daemon: /info for Docker, /libpod/info for Podman.
func TestConnectInUserNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the fake's socket is served by this test's uid; the case needs uid 0 (run as root; TestRootlessFromPeer covers the rule)")
	}
	inUserNS := func() ([]byte, error) { return []byte("0 1000 1\n1 100000 65536\n"), nil }
	tests := []struct {
		name     string
		cfg      enginetest.Config
		rootless bool
		from     string
		requests map[string]int
	}{
		{name: "rootless docker", cfg: enginetest.Config{Rootless: true}, rootless: true,
			from: "/info security options include name=rootless", requests: map[string]int{"/_ping": 1, "/info": 1}},
		{name: "rootful docker", cfg: enginetest.Config{}, rootless: false,
			from: "/info security options lack name=rootless", requests: map[string]int{"/_ping": 1, "/info": 1}},
		{name: "rootless podman", cfg: enginetest.Config{Podman: true, Rootless: true}, rootless: true,
			from: "/libpod/info says rootless: true", requests: map[string]int{"/_ping": 1, "/libpod/info": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := enginetest.Start(t, tc.cfg)
			d, err := connect(context.Background(), Endpoint{Host: srv.Host}, time.Second, inUserNS)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.Rootless != tc.rootless || d.RootlessFrom != tc.from {
				t.Errorf("rootless %v (%s), want %v (%s)", d.Rootless, d.RootlessFrom, tc.rootless, tc.from)
			}
			if diff := cmp.Diff(tc.requests, srv.Requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
	// Outside a user namespace, uid 0 is root: no question asked.
	srv := enginetest.Start(t, enginetest.Config{Rootless: true})
	d, err := connect(context.Background(), Endpoint{Host: srv.Host}, time.Second, readSelfUIDMap)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !inUserNamespace(readSelfUIDMap) && (d.Rootless || srv.Requests()["/info"] != 0) {
		t.Errorf("rootless %v (%s), /info asked %d times", d.Rootless, d.RootlessFrom, srv.Requests()["/info"])
	}
}

func TestConnectErrors(t *testing.T) {
	ctx := context.Background()
	live := enginetest.Start(t, enginetest.Config{})
	dead := Endpoint{Host: "unix:///nonexistent/docker.sock", Source: "test"}
	d, err := Connect(ctx, []Endpoint{dead, {Host: live.Host, Source: "live"}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if d.Source != "live" {
		t.Errorf("connected to %q, want the live one after the dead one", d.Source)
	}
	if _, err := Connect(ctx, []Endpoint{dead}, 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "/nonexistent/docker.sock (test)") {
		t.Errorf("dead endpoint: %v", err)
	}
	if _, err := Connect(ctx, nil, 0); err == nil || !strings.Contains(err.Error(), "no daemon socket found") {
		t.Errorf("no endpoints: %v", err)
	}
	if _, err := Connect(ctx, []Endpoint{{Host: "ssh://me@build-host"}}, time.Second); err == nil || !strings.Contains(err.Error(), "ssh:// endpoints are not supported") {
		t.Errorf("ssh: %v", err)
	}
	tooOld := enginetest.Start(t, enginetest.Config{APIVersion: "1.39"})
	if _, err := Connect(ctx, []Endpoint{{Host: tooOld.Host}}, time.Second); err == nil || !strings.Contains(err.Error(), "1.39") {
		t.Errorf("API 1.39: %v", err)
	}
}

// The client speaks the daemon's API version: 1.41 to Docker 20.10 and
// Podman 4.3, 1.52 to Docker 29, which refuses anything below 1.44.
func TestAPIVersionNegotiation(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		cfg  enginetest.Config
		want string
	}{
		{name: "docker 20.10", cfg: enginetest.Config{}, want: "1.41"},
		{name: "podman 4.3", cfg: enginetest.Config{Podman: true}, want: "1.41"},
		{name: "docker 29", cfg: enginetest.Config{APIVersion: "1.52", MinAPIVersion: "1.44", Version: "29.0.0"}, want: "1.52"},
		{name: "a daemon newer than the client", cfg: enginetest.Config{APIVersion: "1.99", MinAPIVersion: "1.44"}, want: "1.56"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Images = vscodeImage
			srv := enginetest.Start(t, tc.cfg)
			d, err := Connect(ctx, []Endpoint{{Host: srv.Host}}, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if img, err := d.InspectImage(ctx, "devfix-e2e/vscode:1"); err != nil || !img.Found {
				t.Fatalf("inspect: %+v, %v", img, err)
			}
			if _, err := d.Info(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(map[string]int{tc.want: 2}, srv.Versions()); diff != "" {
				t.Errorf("API versions asked for (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInfoIsCached(t *testing.T) {
	ctx := context.Background()
	srv := enginetest.Start(t, enginetest.Config{TCP: true, Rootless: true, DockerRootDir: "/home/dev/.local/share/docker", CgroupVersion: "1"})
	d, err := Connect(ctx, []Endpoint{{Host: srv.Host}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for range 3 {
		info, err := d.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := Info{CgroupDriver: "none", CgroupVersion: "1", DockerRootDir: "/home/dev/.local/share/docker",
			SecurityOptions: []string{"name=seccomp,profile=default", "name=rootless"}}
		if diff := cmp.Diff(want, info); diff != "" {
			t.Fatalf("info (-want +got):\n%s", diff)
		}
		info.SecurityOptions[0] = "changed by the caller"
	}
	if n := srv.Requests()["/info"]; n != 1 {
		t.Errorf("/info asked %d times, want once (it was asked on connect)", n)
	}
}

// The ping headers as the real daemons sent them (LAB machine, 2026-11).
func TestKindFromPing(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		kind    Kind
		version string
	}{
		{name: "docker 20.10", headers: map[string]string{"Api-Version": "1.41", "Docker-Experimental": "false", "Ostype": "linux", "Server": "Docker/20.10.24+dfsg1 (linux)"},
			kind: Docker, version: "20.10.24+dfsg1"},
		{name: "podman 4.3.1", headers: map[string]string{"Api-Version": "1.41", "Docker-Experimental": "true", "Libpod-Api-Version": "4.3.1", "Libpod-Buildah-Version": "1.28.2", "Server": "Libpod/4.3.1 (linux)"},
			kind: Podman, version: "4.3.1"},
		{name: "podman without a Server header", headers: map[string]string{"Libpod-Api-Version": "5.2.0"}, kind: Podman, version: "5.2.0"},
		{name: "libpod server without the API header", headers: map[string]string{"Server": "Libpod/4.9.3 (linux)"}, kind: Podman, version: "4.9.3"},
		{name: "nothing said", headers: map[string]string{}, kind: Docker, version: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			kind, version := kindFromPing(h)
			if kind != tc.kind || version != tc.version {
				t.Errorf("got %q %q, want %q %q", kind, version, tc.kind, tc.version)
			}
		})
	}
}

func TestHasRootlessOption(t *testing.T) {
	tests := []struct {
		opts []string
		want bool
	}{
		{[]string{"name=seccomp,profile=default", "name=rootless"}, true},
		{[]string{"name=seccomp,profile=rootless", "name=apparmor"}, false},
		{[]string{"name=seccomp,profile=default"}, false},
		{nil, false},
	}
	for _, tc := range tests {
		if got := hasRootlessOption(tc.opts); got != tc.want {
			t.Errorf("%q: got %v", tc.opts, got)
		}
	}
}

func TestParseKind(t *testing.T) {
	for in, want := range map[string]Kind{"docker": Docker, "Podman": Podman, " podman ": Podman} {
		if got, err := ParseKind(in); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseKind("nerdctl"); err == nil || !strings.Contains(err.Error(), `"nerdctl"`) {
		t.Errorf("nerdctl: %v", err)
	}
}
