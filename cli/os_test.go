package cli

import (
	"context"
	"errors"
	"os/user"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

// The static binary's os/user reads /etc/passwd alone: a domain user (SSSD,
// LDAP, extrausers) is named by getent, run by argv, before $USER.
func TestUserName(t *testing.T) {
	notInEtcPasswd := func(id string) (*user.User, error) { return nil, user.UnknownUserIdError(1551001108) }
	inEtcPasswd := func(id string) (*user.User, error) { return &user.User{Uid: id, Username: "dev"}, nil }
	var ran [][]string
	getent := func(_ context.Context, argv []string) ([]byte, error) {
		ran = append(ran, argv)
		if strings.Join(argv, " ") == "getent passwd 1551001108" {
			return []byte("jdoe:*:1551001108:1551000513:John Doe:/home/jdoe:/bin/bash\n"), nil
		}
		return nil, errors.New("exit status 2")
	}
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	user := env(map[string]string{"USER": "from-env"})
	ctx := context.Background()

	if got := userName(ctx, 1000, inEtcPasswd, getent, user); got != "dev" || len(ran) != 0 {
		t.Errorf("in /etc/passwd: %q, ran %q", got, ran)
	}
	if got := userName(ctx, 1551001108, notInEtcPasswd, getent, env(nil)); got != "jdoe" {
		t.Errorf("domain user without USER: %q", got)
	}
	if got := userName(ctx, 1551001108, notInEtcPasswd, getent, user); got != "jdoe" {
		t.Errorf("domain user: %q, want getent's name before $USER", got)
	}
	if diff := cmp.Diff([][]string{{"getent", "passwd", "1551001108"}, {"getent", "passwd", "1551001108"}}, ran); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
	if got := userName(ctx, 4242, notInEtcPasswd, getent, user); got != "from-env" {
		t.Errorf("unknown to getent: %q, want $USER", got)
	}
	if got := userName(ctx, 4242, notInEtcPasswd, nil, env(nil)); got != "" {
		t.Errorf("nothing knows the user: %q", got)
	}
}

// The UID map comes from the live uid_map of a rootless Docker daemon only
// where one may run; for a Podman user it comes from /etc/subuid, and /proc
// is not read.
func TestOSHostIDMap(t *testing.T) {
	newEnv := func(vars map[string]string, rootlessSocket string) (*Env, *[]string) {
		mem := afero.NewMemMapFs()
		afero.WriteFile(mem, "/etc/subuid", []byte("dev:100000:65536\n"), 0o644)
		afero.WriteFile(mem, "/etc/subgid", []byte("dev:100000:65536\n"), 0o644)
		// A rootless dockerd: rootlesskit (pid 10) and its child (pid 11),
		// whose map is not the files' (they changed since it started).
		afero.WriteFile(mem, "/proc/10/status", []byte("Name:\trootlesskit\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\n"), 0o644)
		afero.WriteFile(mem, "/proc/11/status", []byte("Name:\texe\nPPid:\t10\nUid:\t1000\t1000\t1000\t1000\n"), 0o644)
		afero.WriteFile(mem, "/proc/11/uid_map", []byte("0 1000 1\n1 300000 65536\n"), 0o644)
		afero.WriteFile(mem, "/proc/11/gid_map", []byte("0 1000 1\n1 300000 65536\n"), 0o644)
		var opened []string
		env := testEnv(&openRecorder{Fs: mem, opened: &opened})
		env.UID, env.GID, env.UserName, env.RootlessSocket = 1000, 1000, "dev", rootlessSocket
		env.LookupEnv = func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
		return env, &opened
	}
	tests := []struct {
		name           string
		vars           map[string]string
		rootlessSocket string
		host           int64 // container UID 1 on the host
		source         string
		readsProc      bool
	}{
		{name: "a rootless Docker socket", rootlessSocket: "/run/user/1000/docker.sock",
			host: 300000, source: "the live uid_map and gid_map of your rootless daemon (pid 11)", readsProc: true},
		{name: "DOCKER_HOST names a daemon", vars: map[string]string{"DOCKER_HOST": "unix:///srv/dev/docker.sock"},
			host: 300000, source: "the live uid_map and gid_map of your rootless daemon (pid 11)", readsProc: true},
		{name: "Podman: no rootless Docker socket", host: 100000, source: "/etc/subuid and /etc/subgid"},
		{name: "Podman: DOCKER_HOST at its socket", vars: map[string]string{"DOCKER_HOST": "unix:///run/user/1000/podman/podman.sock"},
			host: 100000, source: "/etc/subuid and /etc/subgid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, opened := newEnv(tc.vars, tc.rootlessSocket)
			h := &osHost{env: env}
			m, src, err := h.IDMap()
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := m.ToHost(1); got != tc.host || src != tc.source {
				t.Errorf("container UID 1 is host %d (%s), want %d (%s)", got, src, tc.host, tc.source)
			}
			readProc := false
			for _, p := range *opened {
				readProc = readProc || strings.HasPrefix(p, "/proc")
			}
			if readProc != tc.readsProc {
				t.Errorf("read /proc: %v, want %v (opened %q)", readProc, tc.readsProc, *opened)
			}
		})
	}
}

// openRecorder records the paths opened through it.
type openRecorder struct {
	afero.Fs
	opened *[]string
}

func (r *openRecorder) Open(name string) (afero.File, error) {
	*r.opened = append(*r.opened, name)
	return r.Fs.Open(name)
}
