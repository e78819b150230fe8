package shellenv

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/devfix/devfix/shellenv/enginetest"
	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

func TestEndpoints(t *testing.T) {
	rootlessMeta := ContextMetaDir("/home/dev/.docker", "rootless") + "/meta.json"
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
		{name: "DOCKER_CONFIG moves the config",
			env: map[string]string{"DOCKER_CONFIG": "/etc/dockercfg"},
			files: map[string]string{
				"/etc/dockercfg/config.json":                                `{"currentContext": "rootless"}`,
				ContextMetaDir("/etc/dockercfg", "rootless") + "/meta.json": `{"Endpoints":{"docker":{"Host":"tcp://127.0.0.1:2376"}}}`},
			want: []Endpoint{{Host: "tcp://127.0.0.1:2376", Source: `docker context "rootless" (from /etc/dockercfg/config.json)`}}},
		{name: "nothing found", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := afero.NewMemMapFs()
			for p, data := range tc.files {
				afero.WriteFile(fs, p, []byte(data), 0o600)
			}
			d := Discovery{Fs: fs, UID: 1000, Home: "/home/dev",
				LookupEnv: func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }}
			got, err := d.Endpoints()
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

func TestContextMetaDir(t *testing.T) {
	// sha256("rootless") (printf rootless | sha256sum), as the docker CLI names the folder.
	want := "/h/.docker/contexts/meta/12b961af5feb3e9d39f93b2cefb9a1a944f18d02cca0cac2f04f5a982240605f"
	if got := ContextMetaDir("/h/.docker", "rootless"); got != want {
		t.Errorf("got %s", got)
	}
}

func TestConnect(t *testing.T) {
	ctx := context.Background()
	rootless := enginetest.Start(t, enginetest.Config{Rootless: true, Images: map[string]enginetest.Image{
		"devfix-e2e/vscode:1": {User: "vscode", Labels: map[string]string{"devcontainer.metadata": `[{"remoteUser":"vscode"}]`}},
	}})
	dead := Endpoint{Host: "unix:///nonexistent/docker.sock", Source: "test"}
	d, err := Connect(ctx, []Endpoint{dead, {Host: rootless.Host, Source: "fake"}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Rootless || d.Source != "fake" || d.Info.CgroupDriver != "none" {
		t.Errorf("daemon: rootless %v source %q cgroup %q", d.Rootless, d.Source, d.Info.CgroupDriver)
	}
	img, err := d.InspectImage(ctx, "devfix-e2e/vscode:1")
	if err != nil {
		t.Fatal(err)
	}
	if !img.Found || img.User != "vscode" || img.Labels["devcontainer.metadata"] == "" {
		t.Errorf("image: %+v", img)
	}
	missing, err := d.InspectImage(ctx, "nope:latest")
	if err != nil || missing.Found {
		t.Errorf("missing image: %+v, %v", missing, err)
	}
	if n := rootless.Requests()["/images/json"]; n != 2 {
		t.Errorf("image requests: %d", n)
	}

	rootful := enginetest.Start(t, enginetest.Config{})
	d2, err := Connect(ctx, []Endpoint{{Host: rootful.Host}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if d2.Rootless {
		t.Error("rootful daemon taken for rootless")
	}
	if _, err := Connect(ctx, []Endpoint{dead}, 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "/nonexistent/docker.sock") {
		t.Errorf("dead endpoint: %v", err)
	}
}

func TestIsRootless(t *testing.T) {
	if !IsRootless([]string{"name=seccomp,profile=default", "name=rootless"}) {
		t.Error("rootless not seen")
	}
	if IsRootless([]string{"name=seccomp,profile=rootless", "name=apparmor"}) {
		t.Error("profile=rootless is not name=rootless")
	}
}
