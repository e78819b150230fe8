package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/engine/enginetest"
	"github.com/spf13/afero"
)

// An Env's nil fields mean absent: with a fake Engine API named by
// DOCKER_HOST but no Connect, no connection is made (the machine's dialer
// is never the default), and what needed the engine is reported unknown;
// owners and write access a test did not give are unknown too.
func TestEnvNilIsAbsent(t *testing.T) {
	eng := enginetest.Start(t, enginetest.Config{Rootless: true, TCP: true, Images: map[string]enginetest.Image{
		"devfix-e2e/vscode:1": {User: "vscode"},
	}})
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": seed, "/var/run/docker.sock": ""})
	env.LookupEnv = func(k string) (string, bool) {
		if k == "DOCKER_HOST" {
			return eng.Host, true
		}
		return "", false
	}
	env.connectEngines()
	r := devfix(t, env, "lint", "/r")
	if !strings.Contains(r.stdout, "no engine connection") {
		t.Errorf("lint without Connect:\n%s%s", r.stdout, r.stderr)
	}
	if n := len(eng.Requests()); n != 0 {
		t.Errorf("an Env without Connect reached the engine: %v", eng.Requests())
	}
	if _, _, ok := env.owner(nil); ok {
		t.Error("an Env without Owner knows an owner")
	}
	if err := env.access("/var/run/docker.sock"); !errors.Is(err, errAbsent) {
		t.Errorf("an Env without Access: %v", err)
	}
	if _, err := env.lookPath("sh"); err == nil {
		t.Error("an Env without LookPath found sh")
	}
	// The same Env with the dialer: the fake answers.
	env = memEnv(t, map[string]string{"/r/.devcontainer.json": seed})
	env.LookupEnv = func(k string) (string, bool) {
		if k == "DOCKER_HOST" {
			return eng.Host, true
		}
		return "", false
	}
	env.Connect = dial
	env.connectEngines()
	if r := devfix(t, env, "lint", "/r"); !strings.Contains(r.stdout, `image "devfix-e2e/vscode:1"`) || len(eng.Requests()) == 0 {
		t.Errorf("with Connect:\n%s%s", r.stdout, r.stderr)
	}
}

// OSEnv does no work before a command runs: the user's name (os/user, then
// getent, which may wait on a directory server) is asked for on first use,
// once; devfix version never asks.
func TestUserNameOnFirstUse(t *testing.T) {
	if env := OSEnv(); env.UserName != "" || env.NameUser == nil {
		t.Errorf("OSEnv named the user before any command: %q", env.UserName)
	}
	asked := 0
	env := testEnv(afero.NewMemMapFs())
	env.NameUser = func() string { asked++; return "jdoe" }
	if r := devfix(t, env, "version"); r.code != ExitOK || asked != 0 {
		t.Errorf("version: exit %d, the name asked %d times", r.code, asked)
	}
	if env.userName() != "jdoe" || env.who().Name != "jdoe" || asked != 1 {
		t.Errorf("userName() = %q, asked %d times, want once", env.userName(), asked)
	}
	env.UserName = "set"
	if env.userName() != "set" || asked != 1 {
		t.Errorf("UserName set: %q", env.userName())
	}
}

// chownRecorder records the chowns made through it.
type chownRecorder struct {
	afero.Fs
	chowned []int
}

func (c *chownRecorder) Chown(name string, uid, gid int) error {
	c.chowned = append(c.chowned, uid)
	return nil
}

// writeAtomic gives the new file the old one's owner when devfix runs as
// root by the Env's UID, whatever the process's.
func TestWriteAtomicOwnerByEnvUID(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	if err := os.WriteFile(p, []byte("{}"), 0o640); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		uid   int64
		chown bool
	}{{0, true}, {1000, false}} {
		fs := &chownRecorder{Fs: afero.NewOsFs()}
		if err := writeAtomic(fs, tt.uid, p, p, []byte(`{"a": 1}`)); err != nil {
			t.Fatal(err)
		}
		var st syscall.Stat_t
		syscall.Stat(p, &st)
		if got := len(fs.chowned) == 1 && fs.chowned[0] == int(st.Uid); got != tt.chown {
			t.Errorf("uid %d: chowns %v, want one to %d: %v", tt.uid, fs.chowned, st.Uid, tt.chown)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
			t.Errorf("mode %v", fi.Mode())
		}
	}
}

// The facts several places need are read once a run: the docker context
// (detection, the rootless check, connections, doctor), VS Code's
// dockerPath (detection, doctor) and ip_unprivileged_port_start (lint,
// doctor), that one under ProcRoot.
func TestFactsReadOnce(t *testing.T) {
	meta := "/h/.docker/contexts/meta/12b961af5feb3e9d39f93b2cefb9a1a944f18d02cca0cac2f04f5a982240605f/meta.json"
	settings := "/h/.config/Code/User/settings.json"
	port := "/p/sys/net/ipv4/ip_unprivileged_port_start"
	mem := afero.NewMemMapFs()
	for p, data := range map[string]string{
		"/h/.docker/config.json": `{"currentContext": "rootless"}`,
		meta:                     `{"Endpoints":{"docker":{"Host":"unix:///run/user/1000/docker.sock"}}}`,
		settings:                 `{"dev.containers.dockerPath": "docker"}`,
		port:                     "80\n",
		"/proc/sys/net/ipv4/ip_unprivileged_port_start": "1024\n",
		"/r/.devcontainer.json":                         seed,
	} {
		afero.WriteFile(mem, p, []byte(data), 0o644)
	}
	var opened []string
	env := testEnv(&openRecorder{Fs: mem, opened: &opened})
	env.UID, env.ProcRoot = 1000, "/p"
	env.LookupEnv = func(k string) (string, bool) {
		if k == "HOME" {
			return "/h", true
		}
		return "", false
	}
	ctx := context.Background()
	s := newSession(env, lintFlags{})
	s.engineFor(ctx, nil)
	env.rootlessDockerMayRun()
	if eps, err := env.discovery().Endpoints(); err != nil || len(eps) != 1 {
		t.Fatalf("Endpoints() = %v, %v", eps, err)
	}
	d := doctorOf(env, devcontainer.EngineDocker)
	d.DockerContext(ctx)
	if p, _ := env.vscodeDockerPath(); p != "docker" {
		t.Fatalf("dockerPath %q", p)
	}
	cfg, err := s.load(ctx, "/r/.devcontainer.json")
	if err != nil {
		t.Fatal(err)
	}
	co, err := s.options(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if co.PortStart != 80 {
		t.Errorf("lint's PortStart = %d, want 80 from ProcRoot", co.PortStart)
	}
	if c := d.Ports(ctx); !strings.HasPrefix(c.Detail, "80:") {
		t.Errorf("doctor's ports: %+v", c)
	}
	count := map[string]int{}
	for _, p := range opened {
		count[p]++
	}
	for _, p := range []string{"/h/.docker/config.json", meta, settings, port} {
		if count[p] != 1 {
			t.Errorf("%s read %d times, want once", p, count[p])
		}
	}
	if count["/proc/sys/net/ipv4/ip_unprivileged_port_start"] != 0 {
		t.Error("read /proc, not ProcRoot")
	}
}

// A dry-run apply reads configs and lints them on one filesystem: the
// session's, where the fixes so far are.
func TestSessionOneFilesystem(t *testing.T) {
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": seed})
	s := newSession(env, lintFlags{engine: "docker"})
	s.fs = afero.NewCopyOnWriteFs(afero.NewReadOnlyFs(env.Fs), afero.NewMemMapFs())
	afero.WriteFile(s.fs, "/r/.devcontainer.json", []byte(`{"image": "x", "remoteUser": "root"}`), 0o644)
	cfg, err := s.load(context.Background(), "/r/.devcontainer.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cfg.Files()[0].Body), `"root"`) {
		t.Error("the config was not read from the session's filesystem")
	}
	co, err := s.options(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if co.Fs != s.fs {
		t.Error("the lint options read another filesystem than the config was loaded from")
	}
}
