package engine

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

func memDiscovery(env, files map[string]string) Discovery {
	fs := afero.NewMemMapFs()
	for p, data := range files {
		afero.WriteFile(fs, p, []byte(data), 0o600)
	}
	return Discovery{Fs: fs, UID: 1000, Home: "/home/dev",
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
}

func TestEndpoints(t *testing.T) {
	rootlessMeta := contextMetaDir("/home/dev/.docker", "rootless") + "/meta.json"
	tests := []struct {
		name    string
		env     map[string]string
		files   map[string]string
		want    []Endpoint
		wantErr string
	}{
		{name: "DOCKER_HOST wins over everything",
			env:   map[string]string{"DOCKER_HOST": "unix:///custom.sock", "DOCKER_CONTEXT": "rootless", "XDG_RUNTIME_DIR": "/run/user/1000"},
			files: map[string]string{"/run/user/1000/docker.sock": ""},
			want:  []Endpoint{{Host: "unix:///custom.sock", Source: "DOCKER_HOST"}}},
		{name: "DOCKER_CONTEXT over currentContext",
			env: map[string]string{"DOCKER_CONTEXT": "rootless"},
			files: map[string]string{
				"/home/dev/.docker/config.json": `{"currentContext": "other"}`,
				rootlessMeta:                    `{"Name":"rootless","Endpoints":{"docker":{"Host":"unix:///run/user/1000/docker.sock"}}}`},
			want: []Endpoint{{Host: "unix:///run/user/1000/docker.sock", Source: `docker context "rootless" (from DOCKER_CONTEXT)`}}},
		{name: "currentContext",
			files: map[string]string{
				"/home/dev/.docker/config.json": `{"auths": {}, "currentContext": "rootless"}`,
				rootlessMeta:                    `{"Name":"rootless","Endpoints":{"docker":{"Host":"unix:///run/user/1000/docker.sock"}}}`},
			want: []Endpoint{{Host: "unix:///run/user/1000/docker.sock", Source: `docker context "rootless" (from /home/dev/.docker/config.json)`}}},
		{name: "missing context metadata is an error",
			env:     map[string]string{"DOCKER_CONTEXT": "gone"},
			wantErr: `docker context "gone" (from DOCKER_CONTEXT) has no metadata`},
		{name: "context without a docker endpoint is an error",
			env:     map[string]string{"DOCKER_CONTEXT": "rootless"},
			files:   map[string]string{rootlessMeta: `{"Endpoints":{}}`},
			wantErr: `has no docker endpoint`},
		{name: "broken config.json is an error",
			files:   map[string]string{"/home/dev/.docker/config.json": `{"currentContext": `},
			wantErr: `/home/dev/.docker/config.json`},
		{name: "default context means no override",
			env:   map[string]string{"DOCKER_CONTEXT": "default"},
			files: map[string]string{"/var/run/docker.sock": ""},
			want:  []Endpoint{{Host: "unix:///var/run/docker.sock", Source: "/var/run/docker.sock"}}},
		{name: "sockets in order, only existing ones",
			env: map[string]string{"XDG_RUNTIME_DIR": "/tmp/xdg"},
			files: map[string]string{"/tmp/xdg/docker.sock": "", "/run/user/1000/docker.sock": "",
				"/home/dev/.docker/run/docker.sock": "", "/var/run/docker.sock": ""},
			want: []Endpoint{
				{Host: "unix:///tmp/xdg/docker.sock", Source: "$XDG_RUNTIME_DIR/docker.sock"},
				{Host: "unix:///run/user/1000/docker.sock", Source: "/run/user/1000/docker.sock"},
				{Host: "unix:///home/dev/.docker/run/docker.sock", Source: "~/.docker/run/docker.sock"},
				{Host: "unix:///var/run/docker.sock", Source: "/var/run/docker.sock"}}},
		{name: "XDG_RUNTIME_DIR that is /run/user/<uid> is listed once",
			env:   map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"},
			files: map[string]string{"/run/user/1000/docker.sock": ""},
			want:  []Endpoint{{Host: "unix:///run/user/1000/docker.sock", Source: "$XDG_RUNTIME_DIR/docker.sock"}}},
		{name: "DOCKER_CONFIG moves the config",
			env: map[string]string{"DOCKER_CONFIG": "/etc/dockercfg"},
			files: map[string]string{
				"/etc/dockercfg/config.json":                                `{"currentContext": "rootless"}`,
				contextMetaDir("/etc/dockercfg", "rootless") + "/meta.json": `{"Endpoints":{"docker":{"Host":"tcp://127.0.0.1:2376"}}}`},
			want: []Endpoint{{Host: "tcp://127.0.0.1:2376", Source: `docker context "rootless" (from /etc/dockercfg/config.json)`}}},
		{name: "nothing found", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := memDiscovery(tc.env, tc.files).Endpoints()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestCurrentContext(t *testing.T) {
	podmanMeta := contextMetaDir("/home/dev/.docker", "podman") + "/meta.json"
	tests := []struct {
		name  string
		env   map[string]string
		files map[string]string
		want  DockerContext
	}{
		{name: "none"},
		{name: "currentContext even when DOCKER_HOST is set",
			env: map[string]string{"DOCKER_HOST": "unix:///run/user/1000/docker.sock"},
			files: map[string]string{
				"/home/dev/.docker/config.json": `{"currentContext": "podman"}`,
				podmanMeta:                      `{"Endpoints":{"docker":{"Host":"unix:///run/user/1000/podman/podman.sock"}}}`},
			want: DockerContext{Name: "podman", From: "/home/dev/.docker/config.json", Host: "unix:///run/user/1000/podman/podman.sock"}},
		{name: "DOCKER_CONTEXT",
			env:   map[string]string{"DOCKER_CONTEXT": "podman"},
			files: map[string]string{podmanMeta: `{"Endpoints":{"docker":{"Host":"unix:///p.sock"}}}`},
			want:  DockerContext{Name: "podman", From: "DOCKER_CONTEXT", Host: "unix:///p.sock"}},
		{name: "default has no endpoint of its own",
			files: map[string]string{"/home/dev/.docker/config.json": `{"currentContext": "default"}`},
			want:  DockerContext{Name: "default", From: "/home/dev/.docker/config.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := memDiscovery(tc.env, tc.files).CurrentContext()
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestSockets(t *testing.T) {
	tests := []struct {
		name                 string
		env                  map[string]string
		files                []string
		wantRootless, wantPM string
	}{
		{name: "none"},
		{name: "XDG_RUNTIME_DIR first",
			env:          map[string]string{"XDG_RUNTIME_DIR": "/tmp/x"},
			files:        []string{"/tmp/x/docker.sock", "/run/user/1000/docker.sock", "/tmp/x/podman/podman.sock", "/run/user/1000/podman/podman.sock"},
			wantRootless: "/tmp/x/docker.sock", wantPM: "/tmp/x/podman/podman.sock"},
		{name: "/run/user/<uid>",
			env:          map[string]string{"XDG_RUNTIME_DIR": "/tmp/x"},
			files:        []string{"/run/user/1000/docker.sock", "/run/user/1000/podman/podman.sock"},
			wantRootless: "/run/user/1000/docker.sock", wantPM: "/run/user/1000/podman/podman.sock"},
		{name: "~/.docker/run (Docker Desktop's place) is rootless Docker's, no Podman",
			files:        []string{"/home/dev/.docker/run/docker.sock"},
			wantRootless: "/home/dev/.docker/run/docker.sock"},
		{name: "the rootful sockets are neither",
			files: []string{"/var/run/docker.sock", "/run/podman/podman.sock"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			for _, f := range tc.files {
				files[f] = ""
			}
			d := memDiscovery(tc.env, files)
			if got := d.RootlessSocket(); got != tc.wantRootless {
				t.Errorf("RootlessSocket() = %q, want %q", got, tc.wantRootless)
			}
			if got := d.PodmanSocket(); got != tc.wantPM {
				t.Errorf("PodmanSocket() = %q, want %q", got, tc.wantPM)
			}
		})
	}
}

// On the OS filesystem a socket is told by its mode: a regular file at the
// socket's path is not one.
func TestSocketModeOnOSFs(t *testing.T) {
	dir, err := os.MkdirTemp("", "eng")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.MkdirAll(filepath.Join(dir, "podman"), 0o700)
	if err := os.WriteFile(filepath.Join(dir, "docker.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, "podman", "podman.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := Discovery{Fs: afero.NewOsFs(), UID: -1, Home: dir, LookupEnv: func(k string) (string, bool) {
		if k == "XDG_RUNTIME_DIR" {
			return dir, true
		}
		return "", false
	}}
	if got := d.RootlessSocket(); got != "" {
		t.Errorf("a regular file taken for a socket: %q", got)
	}
	if got, want := d.PodmanSocket(), filepath.Join(dir, "podman", "podman.sock"); got != want {
		t.Errorf("PodmanSocket() = %q, want %q", got, want)
	}
}

func TestContextMetaDir(t *testing.T) {
	// sha256("rootless") (printf rootless | sha256sum), as the docker CLI names the folder.
	want := "/h/.docker/contexts/meta/12b961af5feb3e9d39f93b2cefb9a1a944f18d02cca0cac2f04f5a982240605f"
	if got := contextMetaDir("/h/.docker", "rootless"); got != want {
		t.Errorf("got %s", got)
	}
}

// TestDiscoveryZeroReadsNothing: a Discovery without Fs and LookupEnv has
// no files and no variables; it never falls back to the machine's.
func TestDiscoveryZeroReadsNothing(t *testing.T) {
	home := t.TempDir()
	meta := contextMetaDir(filepath.Join(home, ".docker"), "mine") + "/meta.json"
	os.MkdirAll(filepath.Dir(meta), 0o755)
	os.WriteFile(meta, []byte(`{"Endpoints":{"docker":{"Host":"unix:///mine.sock"}}}`), 0o600)
	os.WriteFile(filepath.Join(home, ".docker", "config.json"), []byte(`{"currentContext": "mine"}`), 0o600)
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_CONTEXT", "mine")
	if cur, err := (Discovery{}).CurrentContext(); err != nil || cur.Name != "" {
		t.Errorf("CurrentContext() = %+v, %v: read the process's environment or files", cur, err)
	}
	if cur, err := (Discovery{Home: home}).CurrentContext(); err != nil || cur.Name != "" {
		t.Errorf("CurrentContext() with Home = %+v, %v: read the OS filesystem", cur, err)
	}
	t.Setenv("DOCKER_HOST", "unix:///from-the-process.sock")
	if eps, err := (Discovery{}).Endpoints(); err != nil || len(eps) != 0 {
		t.Errorf("Endpoints() = %v, %v", eps, err)
	}
}

// countingFs counts the opens of each path.
type countingFs struct {
	afero.Fs
	opens map[string]int
}

func (c countingFs) Open(name string) (afero.File, error) {
	c.opens[name]++
	return c.Fs.Open(name)
}

func (c countingFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	c.opens[name]++
	return c.Fs.OpenFile(name, flag, perm)
}

// TestReadOnce: the docker context is read once for every copy of a
// ReadOnce Discovery, whoever asks (Endpoints, CurrentContext); a plain
// Discovery reads it on every question.
func TestReadOnce(t *testing.T) {
	rootlessMeta := contextMetaDir("/home/dev/.docker", "rootless") + "/meta.json"
	d := memDiscovery(nil, map[string]string{
		"/home/dev/.docker/config.json": `{"currentContext": "rootless"}`,
		rootlessMeta:                    `{"Endpoints":{"docker":{"Host":"unix:///run/user/1000/docker.sock"}}}`})
	for _, tt := range []struct {
		d    Discovery
		want int
	}{{d, 3}, {d.ReadOnce(), 1}} {
		opens := map[string]int{}
		tt.d.Fs = countingFs{d.Fs, opens}
		eps, err := tt.d.Endpoints()
		if err != nil || len(eps) != 1 || eps[0].Host != "unix:///run/user/1000/docker.sock" {
			t.Fatalf("Endpoints() = %v, %v", eps, err)
		}
		copied := tt.d
		for _, q := range []Discovery{tt.d, copied} {
			if cur, err := q.CurrentContext(); err != nil || cur.Name != "rootless" {
				t.Fatalf("CurrentContext() = %+v, %v", cur, err)
			}
		}
		if n := opens["/home/dev/.docker/config.json"]; n != tt.want {
			t.Errorf("config.json read %d times, want %d", n, tt.want)
		}
		if n := opens[rootlessMeta]; n != tt.want {
			t.Errorf("the context's meta.json read %d times, want %d", n, tt.want)
		}
	}
}
