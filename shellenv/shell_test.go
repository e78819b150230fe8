package shellenv

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

func TestDetectLoginShell(t *testing.T) {
	fs := afero.NewMemMapFs()
	afero.WriteFile(fs, "/etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\ndev:x:1000:1000::/home/dev:/bin/zsh\n"), 0o644)
	getent := func(_ context.Context, argv []string) ([]byte, error) {
		switch argv[2] {
		case "dev":
			return []byte("dev:x:1000:1000::/home/dev:/bin/zsh\n"), nil
		case "jdoe":
			return []byte("jdoe:*:1551001108:1551000513:John Doe:/home/jdoe:/bin/bash\n"), nil
		}
		return nil, errors.New("exit status 2")
	}
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	dev := DetectLoginShell(context.Background(), fs, getent, env(nil), "dev")
	if dev.Effective != "/bin/zsh" || !dev.PasswdFound || dev.FallsBackToSh() || len(dev.Disagreements()) != 0 {
		t.Errorf("dev: %+v", dev)
	}
	jdoe := DetectLoginShell(context.Background(), fs, getent, env(map[string]string{"SHELL": "/bin/sh"}), "jdoe")
	if jdoe.PasswdFound || !jdoe.FallsBackToSh() || jdoe.Getent != "/bin/bash" || jdoe.Effective != "/bin/sh" {
		t.Errorf("jdoe: %+v", jdoe)
	}
	if d := jdoe.Disagreements(); len(d) != 1 || !strings.Contains(d[0], "$SHELL is /bin/sh") {
		t.Errorf("disagreements: %q", d)
	}
	nobody := DetectLoginShell(context.Background(), fs, getent, env(nil), "ghost")
	if nobody.Effective != "/bin/sh" {
		t.Errorf("ghost: %+v", nobody)
	}
}

// Of two /etc/passwd lines for one name, the first counts, as for glibc's
// getpwnam.
func TestDetectLoginShellFirstPasswdLine(t *testing.T) {
	fs := afero.NewMemMapFs()
	afero.WriteFile(fs, "/etc/passwd", []byte("dev:x:1000:1000::/home/dev:/bin/zsh\ndev:x:1000:1000::/home/dev:/usr/bin/fish\n"), 0o644)
	ls := DetectLoginShell(context.Background(), fs, nil, nil, "dev")
	if !ls.PasswdFound || ls.Passwd != "/bin/zsh" || ls.Effective != "/bin/zsh" {
		t.Errorf("got %+v, want /etc/passwd's first line (/bin/zsh)", ls)
	}
}

func TestGetent(t *testing.T) {
	var argvs [][]string
	run := func(_ context.Context, argv []string) ([]byte, error) {
		argvs = append(argvs, argv)
		switch argv[2] {
		case "1551001108", "jdoe":
			return []byte("jdoe:*:1551001108:1551000513:John Doe:/home/jdoe:/bin/bash\n"), nil
		case "garbled":
			return []byte("not a passwd line\n"), nil
		}
		return nil, errors.New("exit status 2")
	}
	want := PasswdEntry{Name: "jdoe", UID: "1551001108", Home: "/home/jdoe", Shell: "/bin/bash"}
	for _, key := range []string{"1551001108", "jdoe"} {
		if e, ok := Getent(context.Background(), run, key); !ok || e != want {
			t.Errorf("Getent(%q) = %+v, %v", key, e, ok)
		}
	}
	for _, key := range []string{"4242", "garbled", ""} {
		if e, ok := Getent(context.Background(), run, key); ok {
			t.Errorf("Getent(%q) = %+v, found", key, e)
		}
	}
	if _, ok := Getent(context.Background(), nil, "jdoe"); ok {
		t.Error("found without a runner")
	}
	if diff := cmp.Diff([]string{"getent", "passwd", "1551001108"}, argvs[0]); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
	if len(argvs) != 4 {
		t.Errorf("ran %d times, want 4 (an empty key runs nothing): %q", len(argvs), argvs)
	}
}

func TestBlock(t *testing.T) {
	vars := []Var{{Name: "DOCKER_HOST", Value: `"unix:///run/user/$(id -u)/docker.sock"`, FishValue: `"unix:///run/user/"(id -u)"/docker.sock"`}}
	b := Block("bash", vars)
	orig := "# my profile\nexport EDITOR=vim\n"
	once := SetBlock(orig, b)
	if !strings.HasPrefix(once, orig+"\n"+BlockBegin) || !strings.Contains(once, "export DOCKER_HOST=\"unix:///run/user/$(id -u)/docker.sock\"\n") {
		t.Errorf("install:\n%s", once)
	}
	if twice := SetBlock(once, b); twice != once {
		t.Errorf("second install changed the file:\n%s", twice)
	}
	changed := SetBlock(once+"alias ll='ls -l'\n", Block("bash", []Var{{Name: "DOCKER_HOST", Value: "'unix:///x'"}}))
	if strings.Count(changed, BlockBegin) != 1 || !strings.Contains(changed, "unix:///x") || !strings.HasSuffix(changed, "alias ll='ls -l'\n") {
		t.Errorf("update in place:\n%s", changed)
	}
	if got := RemoveBlock(once); got != orig {
		t.Errorf("uninstall: %q, want %q", got, orig)
	}
	if !strings.Contains(Block("fish", vars), `set -gx DOCKER_HOST "unix:///run/user/"(id -u)"/docker.sock"`) {
		t.Errorf("fish block:\n%s", Block("fish", vars))
	}
}

func TestStartupFiles(t *testing.T) {
	fs := afero.NewMemMapFs()
	if got := StartupFiles(fs, "/h", "bash"); got[0] != "/h/.profile" {
		t.Errorf("bash with no files: %v", got)
	}
	afero.WriteFile(fs, "/h/.profile", nil, 0o644)
	afero.WriteFile(fs, "/h/.bash_login", nil, 0o644)
	if got := StartupFiles(fs, "/h", "bash"); got[0] != "/h/.bash_login" {
		t.Errorf("bash reads the first of .bash_profile, .bash_login, .profile: %v", got)
	}
	want := map[string]string{"zsh": "/h/.zshenv", "sh": "/h/.profile", "fish": "/h/.config/fish/conf.d/devfix.fish"}
	for kind, w := range want {
		if got := StartupFiles(fs, "/h", kind); !cmp.Equal(got, []string{w}) {
			t.Errorf("%s: %v", kind, got)
		}
	}
}

// The real shells, started as VS Code starts them, with a temporary HOME.
func TestProbeRealShells(t *testing.T) {
	home := t.TempDir()
	fs := afero.NewOsFs()
	vars := []Var{{Name: "DOCKER_HOST", Value: "'unix:///tmp/x y/docker.sock'"}}
	for _, f := range []string{".bash_profile", ".profile"} {
		if err := afero.WriteFile(fs, filepath.Join(home, f), []byte(SetBlock("echo noise from "+f+"\n", Block("sh", vars))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"HOME=" + home, "PATH=/usr/bin:/bin", "TERM=dumb"}
	shells := []string{"/bin/sh"}
	if p, err := exec.LookPath("bash"); err == nil {
		shells = append(shells, p)
	}
	for _, sh := range shells {
		res := Probe(context.Background(), sh, env, "DOCKER_HOST", 10*time.Second)
		if res.Value != "unix:///tmp/x y/docker.sock" {
			t.Errorf("%s: got %q (%v)", sh, res.Value, res.Err)
		}
	}
	os.Remove(filepath.Join(home, ".profile"))
	if res := Probe(context.Background(), "/bin/sh", env, "DOCKER_HOST", 10*time.Second); res.Value != "" {
		t.Errorf("sh without ~/.profile still sees %q", res.Value)
	}
}

func TestQuote(t *testing.T) {
	if got := Quote("sh", "it's"); got != `'it'\''s'` {
		t.Errorf("sh: %s", got)
	}
	if got := Quote("fish", `a'b\c`); got != `'a\'b\\c'` {
		t.Errorf("fish: %s", got)
	}
}

// zsh and fish, when installed (.ci/run installs both, so CI runs this).
func TestProbeZshFish(t *testing.T) {
	for _, kind := range []string{"zsh", "fish"} {
		t.Run(kind, func(t *testing.T) {
			path, err := exec.LookPath(kind)
			if err != nil {
				t.Skipf("SKIPPED: %s is not installed here (.ci/run installs it)", kind)
			}
			home := t.TempDir()
			fs := afero.NewOsFs()
			file := StartupFiles(fs, home, kind)[0]
			vars := []Var{{Name: "DOCKER_HOST", Value: "'unix:///tmp/z/docker.sock'", FishValue: "'unix:///tmp/z/docker.sock'"}}
			fs.MkdirAll(filepath.Dir(file), 0o755)
			if err := afero.WriteFile(fs, file, []byte(Block(kind, vars)), 0o644); err != nil {
				t.Fatal(err)
			}
			res := Probe(context.Background(), path, []string{"HOME=" + home, "PATH=/usr/bin:/bin", "TERM=dumb"}, "DOCKER_HOST", 10*time.Second)
			if res.Value != "unix:///tmp/z/docker.sock" {
				t.Errorf("%s -i -l -c sees %q (%v)", kind, res.Value, res.Err)
			}
		})
	}
}
