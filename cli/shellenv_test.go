package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/engine"
	"github.com/devfix/devfix/engine/enginetest"
	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
)

// shellsOnly finds the real shells (to verify with) and nothing else (so
// no podman on this machine sways engine detection).
func shellsOnly(name string) (string, error) {
	switch name {
	case "bash", "zsh", "fish":
		return exec.LookPath(name)
	}
	return "", exec.ErrNotFound
}

func shellenvEnv(t *testing.T, rootless bool) (*Env, string) {
	eng := enginetest.Start(t, enginetest.Config{Rootless: rootless, TCP: true})
	home := t.TempDir()
	fs := afero.NewOsFs()
	env := testEnv(fs)
	env.UID, env.UserName, env.LookPath = int64(os.Getuid()), "dev", shellsOnly
	env.Owner = mounts.StatOwner // the files are real
	env.RootlessSocket = filepath.Join(home, "docker.sock")
	// The fake listens on tcp: there Rootless decides, as /info says (on a
	// unix socket the test's own uid would).
	env.Connect = func(ctx context.Context, _ []engine.Endpoint) (*engine.Daemon, error) {
		return engine.Connect(ctx, []engine.Endpoint{{Host: eng.Host, Source: "fake"}}, time.Second)
	}
	env.LookupEnv = func(k string) (string, bool) {
		switch k {
		case "HOME":
			return home, true
		case "SHELL":
			return "/bin/bash", true
		}
		return "", false
	}
	return env, home
}

func TestShellenvPrints(t *testing.T) {
	env, _ := shellenvEnv(t, true)
	r := devfix(t, env, "shellenv", "--shell", "sh")
	want := "export DOCKER_HOST='unix://" + env.RootlessSocket + "';\nexport DEVFIX_DOCKER_SOCKET='" + env.RootlessSocket + "';\nexport DEVFIX_REMOTE_USER='root';\nexport DEVFIX_CONTAINER_USER='root';\n"
	if r.code != ExitOK || r.stdout != want {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = devfix(t, env, "shellenv", "--shell", "fish")
	if !strings.Contains(r.stdout, "set -gx DOCKER_HOST 'unix://"+env.RootlessSocket+"';") {
		t.Errorf("fish:\n%s", r.stdout)
	}
	rootful, _ := shellenvEnv(t, false)
	if r := devfix(t, rootful, "shellenv"); r.code != ExitFindings || !strings.Contains(r.stderr, "is not rootless") {
		t.Errorf("rootful: exit %d %q", r.code, r.stderr)
	}
	rootful.RootlessSocket = ""
	if r := devfix(t, rootful, "shellenv"); r.code != ExitFindings || !strings.Contains(r.stderr, "no rootless Docker socket found") {
		t.Errorf("no socket: exit %d %q", r.code, r.stderr)
	}
}

// --install writes the block where bash -i -l really looks, verifies it
// with a real bash, is idempotent, and --uninstall takes it out again.
func TestShellenvInstall(t *testing.T) {
	env, home := shellenvEnv(t, true)
	profile := filepath.Join(home, ".bash_profile")
	orig := "# mine\nexport EDITOR=vi\n"
	os.WriteFile(profile, []byte(orig), 0o600)
	r := devfix(t, env, "shellenv", "--install")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, profile+": wrote the devfix block") || !strings.Contains(r.stdout, "-i -l -c sees DOCKER_HOST=unix://"+env.RootlessSocket) {
		t.Errorf("output:\n%s", r.stdout)
	}
	// A user with no /etc/passwd line may get sh from VS Code: ~/.profile too.
	if _, err := os.Stat(filepath.Join(home, ".profile")); err != nil {
		t.Errorf("~/.profile not written for the sh fallback: %v", err)
	}
	got, _ := os.ReadFile(profile)
	if !strings.HasPrefix(string(got), orig) {
		t.Errorf("existing content changed:\n%s", got)
	}
	if fi, _ := os.Stat(profile); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	r = devfix(t, env, "shellenv", "--install")
	if r.code != ExitOK || !strings.Contains(r.stdout, profile+": up to date") {
		t.Errorf("second install: exit %d\n%s", r.code, r.stdout)
	}
	r = devfix(t, env, "shellenv", "--uninstall")
	if got, _ := os.ReadFile(profile); r.code != ExitOK || string(got) != orig {
		t.Errorf("uninstall: exit %d, file %q", r.code, got)
	}
}

func TestShellenvContext(t *testing.T) {
	env, _ := shellenvEnv(t, true)
	var calls []string
	env.Run = func(_ context.Context, argv []string) ([]byte, error) {
		calls = append(calls, strings.Join(argv, " "))
		if argv[2] == "inspect" {
			return []byte("context \"rootless\" does not exist"), errors.New("exit status 1")
		}
		return nil, nil
	}
	r := devfix(t, env, "shellenv", "--context")
	want := []string{
		"docker context inspect rootless",
		"docker context create rootless --docker host=unix://" + env.RootlessSocket + " --description Rootless mode",
		"docker context use rootless",
	}
	if r.code != ExitOK || strings.Join(calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("exit %d, calls:\n%s", r.code, strings.Join(calls, "\n"))
	}
}

// A startup file someone else owns is not touched.
func TestShellenvInstallRefusesForeignFile(t *testing.T) {
	env, home := shellenvEnv(t, true)
	profile := filepath.Join(home, ".bash_profile")
	os.WriteFile(profile, []byte("# theirs\n"), 0o644)
	env.Owner = func(fi os.FileInfo) (int64, int64, bool) { return 4242, 4242, true }
	r := devfix(t, env, "shellenv", "--install")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "owned by uid 4242, not by you") {
		t.Errorf("exit %d, %q", r.code, r.stderr)
	}
	if got, _ := os.ReadFile(profile); string(got) != "# theirs\n" {
		t.Errorf("changed: %q", got)
	}
}

// idmapHost is a Host with a UID map, for shellenv under Podman.
type idmapHost struct {
	devcontainer.Host
	m string
}

func (h idmapHost) IDMap() (mounts.IDMap, string, error) {
	m, err := mounts.ParseIDMap(h.m)
	return m, "test", err
}

// Under Podman, shellenv exports what the env strategy's runArg needs only
// for a UID the CLI's UID update cannot give the image user (a domain user):
// the keep-id mapping onto 1000:1000 and that user, numeric.
func TestShellenvPodman(t *testing.T) {
	env := memEnv(t, nil)
	env.UID, env.UserName = 1551001108, "jdoe"
	env.Host = idmapHost{m: "0 1551001108 1\n1 296608 65536"}
	r := devfix(t, env, "shellenv", "--engine", "podman", "--shell", "sh")
	want := "export DEVFIX_USERNS='--userns=keep-id:uid=1000,gid=1000';\nexport DEVFIX_REMOTE_USER='1000';\n"
	if r.code != ExitOK || r.stdout != want {
		t.Errorf("domain user: exit %d\n%q\nwant %q\n%s", r.code, r.stdout, want, r.stderr)
	}
	env.UID, env.UserName = 1001, "dev"
	env.Host = idmapHost{m: "0 1001 1\n1 165536 65536"}
	env.PodmanSocket = "/run/user/1001/podman/podman.sock"
	r = devfix(t, env, "shellenv", "--engine", "podman", "--shell", "sh")
	if r.code != ExitOK || r.stdout != "export DEVFIX_DOCKER_SOCKET='/run/user/1001/podman/podman.sock';\n" {
		t.Errorf("regular user: exit %d\n%q\n%s", r.code, r.stdout, r.stderr)
	}
}

// A startup file whose folder a link places outside the home is refused
// before anything is created there.
func TestShellenvInstallCreatesNothingOutsideHome(t *testing.T) {
	env, home := shellenvEnv(t, true)
	elsewhere := t.TempDir()
	must(t, os.Symlink(elsewhere, filepath.Join(home, ".config")))
	r := devfix(t, env, "shellenv", "--install", "--shell", "fish")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "outside your home") {
		t.Fatalf("exit %d, want 2 and a refusal\n%s%s", r.code, r.stdout, r.stderr)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("created %s outside the home", filepath.Join(elsewhere, entries[0].Name()))
	}
}

// TestShellenvEngineFromSettings: in a folder whose .devfix.jsonc names the
// engine, shellenv decides as lint does (it once ignored the settings and
// detected: here that finds no engine and means Docker), and --engine wins
// over both the same way.
func TestShellenvEngineFromSettings(t *testing.T) {
	env := memEnv(t, map[string]string{
		"/w/.devfix.jsonc":                   `{"engine": "podman"}`,
		"/w/.devcontainer/devcontainer.json": `{"image": "alpine", "remoteUser": "root"}`,
	})
	env.WorkDir = "/w"
	r := devfix(t, env, "lint", "--format", "json", "/w")
	if !strings.Contains(r.stdout, `"engine": "podman"`) || !strings.Contains(r.stdout, `"engineWhy": "/w/.devfix.jsonc"`) {
		t.Fatalf("lint did not take the settings' engine:\n%s%s", r.stdout, r.stderr)
	}
	r = devfix(t, env, "shellenv", "--shell", "sh")
	if r.code != ExitOK || !strings.Contains(r.stdout, "export "+devcontainer.EnvUserns+"=") {
		t.Errorf("shellenv did not take the settings' engine (podman): exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = devfix(t, env, "shellenv", "--shell", "sh", "--engine", "docker")
	if r.code != ExitFindings || !strings.Contains(r.stderr, "no rootless Docker socket found") {
		t.Errorf("--engine docker did not win over the settings: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	env.Fs.Remove("/w/.devfix.jsonc")
	afero.WriteFile(env.Fs, "/w/.devfix.jsonc", []byte(`{"engine": "podmn"}`), 0o644)
	r = devfix(t, env, "shellenv", "--shell", "sh")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, `.devfix.jsonc:1:12: "engine" must be "docker" or "podman"`) {
		t.Errorf("a bad .devfix.jsonc: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestEngineFlagOneHelp: every command that takes --engine describes it
// the same way.
func TestEngineFlagOneHelp(t *testing.T) {
	var want string
	for _, name := range []string{"lint", "apply", "doctor", "shellenv"} {
		r := devfix(t, memEnv(t, nil), "help", name)
		i := strings.Index(r.stdout, "--engine")
		if i < 0 {
			t.Fatalf("%s has no --engine:\n%s", name, r.stdout)
		}
		line := strings.Join(strings.Fields(r.stdout[i:i+strings.Index(r.stdout[i:], "\n")]), " ")
		if want == "" {
			want = line
		} else if line != want {
			t.Errorf("%s: %q, lint: %q", name, line, want)
		}
	}
}
