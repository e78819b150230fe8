package cli

import (
	"strings"
	"testing"

	"github.com/devfix/devfix/engine/enginetest"
)

// The image's label names the remote user; devfix reads it from a (fake)
// Engine API found through DOCKER_HOST, as it would from the real daemon.
func TestLintReadsImageLabelFromDaemon(t *testing.T) {
	eng := enginetest.Start(t, enginetest.Config{Rootless: true, TCP: true, Images: map[string]enginetest.Image{
		"devfix-e2e/vscode-label:1": {User: "", Labels: map[string]string{"devcontainer.metadata": `[{"remoteUser":"vscode"}]`}},
	}})
	cfg := "{\n  \"image\": \"devfix-e2e/vscode-label:1\"\n}\n"
	env := memEnv(t, map[string]string{"/r/.devcontainer/devcontainer.json": cfg})
	env.LookupEnv = func(k string) (string, bool) {
		if k == "DOCKER_HOST" {
			return eng.Host, true
		}
		return "", false
	}
	env.Connect = dial
	env.connectEngines()
	r := devfix(t, env, "lint", "/r")
	want := `the remote user "vscode" (remoteUser in the devcontainer.metadata label of image "devfix-e2e/vscode-label:1")`
	if r.code != ExitFindings || !strings.Contains(r.stdout, want) {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "unknown") {
		t.Errorf("the daemon answered, yet a user is unknown:\n%s%s", r.stdout, r.stderr)
	}
	r = devfix(t, env, "apply", "/r")
	if r.code != ExitOK {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	got := read(t, env, "/r/.devcontainer/devcontainer.json")
	if !strings.Contains(got, `"remoteUser": "root"`) || !strings.Contains(got, `"updateRemoteUserUID": false`) {
		t.Errorf("fixed file:\n%s", got)
	}
	if n := eng.Requests()["/_ping"]; n != 1 {
		t.Errorf("pings: %d, want one: the connection is made once and reused", n)
	}
}

// Without a daemon, lint still works (pre-commit is offline): it names what
// it skipped and why, and never fails because of it.
func TestLintWithoutDaemon(t *testing.T) {
	cfg := "{\n  \"image\": \"devfix-e2e/vscode-label:1\",\n  \"remoteUser\": \"root\",\n  \"updateRemoteUserUID\": false\n}\n"
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": cfg})
	env.LookupEnv = func(k string) (string, bool) {
		if k == "DOCKER_HOST" {
			return "unix:///nonexistent/docker.sock", true
		}
		return "", false
	}
	env.Connect = dial
	env.connectEngines()
	r := devfix(t, env, "lint", "/r")
	if r.code != ExitOK || !strings.Contains(r.stdout, "info: the container user is unknown") || !strings.Contains(r.stdout, "/nonexistent/docker.sock") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}
