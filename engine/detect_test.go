package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devfix/devfix/internal/run"
	"github.com/spf13/afero"
)

func TestDetect(t *testing.T) {
	podmanMeta := contextMetaDir("/home/dev/.docker", "podman") + "/meta.json"
	// Programs on PATH and what `-v` prints.
	type prog struct{ path, v string }
	realDocker := prog{"/usr/bin/docker", "Docker version 28.2.2, build e6534b4"}
	shim := prog{"/usr/bin/docker", "podman version 4.3.1"}
	podman := prog{"/usr/bin/podman", "podman version 4.3.1"}
	tests := []struct {
		name     string
		in       DetectInput
		env      map[string]string
		files    map[string]string
		path     []prog
		want     Kind
		reason   string
		wantRuns []string
	}{
		{name: "dockerPath podman",
			in:   DetectInput{DockerPath: "podman", DockerPathFrom: "~/.config/Code/User/settings.json"},
			path: []prog{realDocker, podman}, want: Podman,
			// Its name says it: no process is run for it.
			reason: `dev.containers.dockerPath in ~/.config/Code/User/settings.json is "podman", and podman is podman itself (/usr/bin/podman)`},
		{name: "dockerPath a docker that is podman",
			in:   DetectInput{DockerPath: "/usr/bin/docker"},
			path: []prog{shim}, want: Podman, reason: `and /usr/bin/docker -v says "podman version 4.3.1"`},
		{name: "dockerPath docker, though a rootless podman socket is in DOCKER_HOST",
			in:   DetectInput{DockerPath: "docker"},
			env:  map[string]string{"DOCKER_HOST": "unix:///run/user/1000/podman/podman.sock"},
			path: []prog{realDocker, podman}, want: Docker, reason: `"docker", and docker -v says "Docker version 28.2.2`},
		{name: "dockerPath that does not run is judged by its name",
			in:   DetectInput{DockerPath: "/opt/podman/bin/podman"},
			want: Podman, reason: `is "/opt/podman/bin/podman", and /opt/podman/bin/podman is podman itself`},
		{name: "dockerPath that does not run, not podman",
			in:   DetectInput{DockerPath: "/opt/docker"},
			path: []prog{podman}, want: Docker, reason: `is "/opt/docker" (/opt/docker -v failed: `},
		{name: "docker on PATH is podman's shim",
			path: []prog{shim}, want: Podman, reason: `docker on PATH (/usr/bin/docker) is Podman's: /usr/bin/docker -v says "podman version 4.3.1"`},
		{name: "DOCKER_HOST at podman's socket",
			env:   map[string]string{"DOCKER_HOST": "unix:///run/user/1000/podman/podman.sock", "XDG_RUNTIME_DIR": "/run/user/1000"},
			files: map[string]string{"/run/user/1000/docker.sock": ""},
			path:  []prog{realDocker}, want: Podman, reason: "DOCKER_HOST is unix:///run/user/1000/podman/podman.sock, Podman's socket",
			wantRuns: []string{"/usr/bin/docker -v"}},
		{name: "DOCKER_HOST at rootful podman",
			env:  map[string]string{"DOCKER_HOST": "unix:///run/podman/podman.sock"},
			want: Podman, reason: "DOCKER_HOST is unix:///run/podman/podman.sock, Podman's socket"},
		{name: "DOCKER_HOST at a docker socket, with podman on PATH",
			env:  map[string]string{"DOCKER_HOST": "unix:///var/run/docker.sock"},
			path: []prog{realDocker, podman}, want: Docker, reason: "DOCKER_HOST is unix:///var/run/docker.sock, not Podman's socket"},
		{name: "current context at podman's socket",
			files: map[string]string{
				"/home/dev/.docker/config.json": `{"currentContext": "podman"}`,
				podmanMeta:                      `{"Endpoints":{"docker":{"Host":"unix:///run/user/1000/podman/podman.sock"}}}`},
			path: []prog{realDocker}, want: Podman,
			reason: `docker context "podman" (from /home/dev/.docker/config.json) is unix:///run/user/1000/podman/podman.sock, Podman's socket`},
		{name: "a rootless docker socket",
			env:   map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000"},
			files: map[string]string{"/run/user/1000/docker.sock": "", "/run/user/1000/podman/podman.sock": ""},
			path:  []prog{realDocker, podman}, want: Docker, reason: "a rootless Docker socket is at /run/user/1000/docker.sock"},
		{name: "podman on PATH",
			files: map[string]string{"/var/run/docker.sock": ""},
			path:  []prog{realDocker, podman}, want: Podman, reason: "no rootless Docker socket, and podman is on PATH (/usr/bin/podman)"},
		{name: "nothing",
			path: []prog{realDocker}, want: Docker, reason: "nothing points at Podman"},
		{name: "nothing at all", want: Docker, reason: "nothing points at Podman"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var runs []string
			byName := map[string]prog{}
			for _, p := range tc.path {
				byName[p.path] = p
				byName[p.path[strings.LastIndex(p.path, "/")+1:]] = p
			}
			in := tc.in
			in.Discovery = memDiscovery(tc.env, tc.files)
			in.LookPath = func(name string) (string, error) {
				if p, ok := byName[name]; ok {
					return p.path, nil
				}
				return "", exec.ErrNotFound
			}
			in.Run = func(ctx context.Context, argv []string) ([]byte, error) {
				runs = append(runs, strings.Join(argv, " "))
				if _, ok := ctx.Deadline(); !ok {
					t.Errorf("%q runs without a timeout", argv)
				}
				if p, ok := byName[argv[0]]; ok && len(argv) == 2 && argv[1] == "-v" {
					return []byte(p.v + "\n"), nil
				}
				return nil, errors.New("exec: not found")
			}
			got := Detect(context.Background(), in)
			if got.Kind != tc.want || !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("got %q (%s), want %q (…%s…)", got.Kind, got.Reason, tc.want, tc.reason)
			}
			if tc.wantRuns != nil && strings.Join(runs, "; ") != strings.Join(tc.wantRuns, "; ") {
				t.Errorf("ran %q, want %q", runs, tc.wantRuns)
			}
		})
	}
}

// A docker -v that hangs costs the timeout, not the user's patience.
func TestDetectTimeout(t *testing.T) {
	in := DetectInput{
		Discovery: memDiscovery(nil, nil),
		LookPath:  func(name string) (string, error) { return "/usr/bin/" + name, nil },
		Run: func(ctx context.Context, argv []string) ([]byte, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
		Timeout: 50 * time.Millisecond,
	}
	start := time.Now()
	got := Detect(context.Background(), in)
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %v", took)
	}
	if got.Kind != Podman || !strings.Contains(got.Reason, "podman is on PATH") {
		t.Errorf("got %+v", got)
	}
}

func TestIsPodmanHost(t *testing.T) {
	for host, want := range map[string]bool{
		"unix:///run/user/1000/podman/podman.sock": true,
		"unix:///run/podman/podman.sock":           true,
		"unix:///tmp/x/podman.sock":                true,
		"unix:///run/user/1000/docker.sock":        false,
		"unix:///var/run/docker.sock":              false,
		"tcp://podman.example:2375":                false,
		"ssh://me@podman":                          false,
		"nonsense":                                 false,
	} {
		if got := IsPodmanHost(host); got != want {
			t.Errorf("%s: got %v", host, got)
		}
	}
}

// With the OS's LookPath and runner, Detect finds and runs the programs on
// PATH: here a docker that is Podman's shim (podman-docker's is a script
// that execs podman). With nothing injected it finds and runs nothing.
func TestDetectRealPrograms(t *testing.T) {
	dir := t.TempDir()
	shim := "#!/bin/sh\n[ \"$1\" = -v ] && echo 'podman version 4.3.1' && exit 0\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	got := Detect(context.Background(), DetectInput{Discovery: memDiscovery(nil, nil), LookPath: exec.LookPath, Run: run.Argv})
	want := Detection{Kind: Podman, Reason: fmt.Sprintf(`docker on PATH (%[1]s) is Podman's: %[1]s -v says "podman version 4.3.1"`, filepath.Join(dir, "docker"))}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	got = Detect(context.Background(), DetectInput{Discovery: memDiscovery(nil, nil)})
	if want := (Detection{Kind: Docker, Reason: "nothing points at Podman"}); got != want {
		t.Errorf("with no LookPath and no Run: got %+v, want %+v (the machine's PATH was searched)", got, want)
	}
	got = Detect(context.Background(), DetectInput{Discovery: memDiscovery(nil, nil), LookPath: exec.LookPath})
	if want := (Detection{Kind: Docker, Reason: "nothing points at Podman"}); got != want {
		t.Errorf("with no Run: got %+v, want %+v (a program ran)", got, want)
	}
}

// Where the file tells (podman-docker's shim is a script that execs podman;
// a compiled docker is docker), Detect reads it and runs nothing: lint must
// not pay a process a run.
func TestDetectReadsTheShimWithoutRunningIt(t *testing.T) {
	dir := t.TempDir()
	shim := "#!/bin/sh\n[ -e /etc/containers/nodocker ] || echo 'Emulate Docker CLI using podman.' >&2\nexec /usr/bin/podman \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	ran := false
	disc := memDiscovery(nil, nil)
	disc.Fs = afero.NewOsFs()
	got := Detect(context.Background(), DetectInput{Discovery: disc, LookPath: exec.LookPath,
		Run: func(context.Context, []string) ([]byte, error) { ran = true; return nil, errors.New("not run") }})
	if got.Kind != Podman || ran || !strings.Contains(got.Reason, "is a script that runs podman") {
		t.Errorf("got %+v, ran %v", got, ran)
	}
	elf := append([]byte("\x7fELF"), make([]byte, 100)...)
	if err := os.WriteFile(filepath.Join(dir, "docker"), elf, 0o755); err != nil {
		t.Fatal(err)
	}
	got = Detect(context.Background(), DetectInput{Discovery: disc, LookPath: exec.LookPath,
		Run: func(context.Context, []string) ([]byte, error) { ran = true; return nil, errors.New("not run") }})
	if got.Kind != Docker || ran {
		t.Errorf("a compiled docker: got %+v, ran %v", got, ran)
	}
}
