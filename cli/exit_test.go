package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/source"
)

// An internal error is devfix's fault: exit 3 and a line that says so; any
// other error is the input's: exit 2, the error as it is.
func TestFailedExitStatus(t *testing.T) {
	var b bytes.Buffer
	err := fmt.Errorf("/r/devcontainer.json: %w: fixes did not settle after 16 rounds", source.ErrInternal)
	if code := failed(&b, err); code != ExitInternal || ExitInternal != 3 {
		t.Errorf("internal error: exit %d, want 3", code)
	}
	want := "devfix: /r/devcontainer.json: internal error: fixes did not settle after 16 rounds (this is a bug in devfix, please report it)\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	if code := failed(&b, errors.New("/r/devcontainer.json:1:2: invalid char")); code != ExitBadInput {
		t.Errorf("bad input: exit %d, want 2", code)
	}
	if b.String() != "/r/devcontainer.json:1:2: invalid char\n" {
		t.Errorf("bad input line: %q", b.String())
	}
}

// apply names each fix once: "updateRemoteUserUID" true under a non-root
// user is one cause (the user), fixed by one fix.
func TestApplyAnnouncesOnce(t *testing.T) {
	cfg := "{\n  \"image\": \"debian:12\",\n  \"remoteUser\": \"vscode\",\n  \"updateRemoteUserUID\": true\n}\n"
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": cfg})
	env.Engine = engines(fakeImages{"debian:12": {}})
	r := devfix(t, env, "apply", "/r")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, ": set \"updateRemoteUserUID\" to false\n") {
		t.Errorf("the UID update announced twice:\n%s", r.stdout)
	}
	if n := strings.Count(r.stdout, "\"updateRemoteUserUID\" to false"); n != 1 {
		t.Errorf("%d announcements of the UID update, want 1:\n%s", n, r.stdout)
	}
	if got := read(t, env, "/r/.devcontainer.json"); !strings.Contains(got, `"updateRemoteUserUID": false`) {
		t.Errorf("not fixed:\n%s", got)
	}
}

// An edit of the VS Code settings that devfix got wrong is its fault:
// exit 3, the file left as it was.
func TestEditSettingsInternalError(t *testing.T) {
	const p = "/home/u/.vscode-server/data/Machine/settings.json"
	env := memEnv(t, map[string]string{p: "{}\n"})
	env.LookupEnv = func(k string) (string, bool) { return map[string]string{"HOME": "/home/u"}[k], k == "HOME" }
	var stderr bytes.Buffer
	env.Stderr, env.Stdout = &stderr, &bytes.Buffer{}
	bad := func(path string, _ []byte) ([]byte, bool, error) {
		return nil, false, fmt.Errorf("%s: %w: the edited settings do not parse", path, source.ErrInternal)
	}
	if code := editSettings(env, false, "wrote", bad); code != ExitInternal {
		t.Errorf("exit %d, want %d; stderr %q", code, ExitInternal, stderr.String())
	}
	if !strings.Contains(stderr.String(), "this is a bug in devfix") {
		t.Errorf("stderr does not say it is devfix's fault: %q", stderr.String())
	}
	if got := read(t, env, p); got != "{}\n" {
		t.Errorf("settings changed: %q", got)
	}
}
