package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/jsonc"
)

// shellenv --install writes the VS Code settings the user has (local and
// Remote-SSH machine), keeps their comments, changes nothing the second time;
// --diff shows it first; --uninstall gives back the bytes from before.
func TestShellenvInstallWritesVSCodeSettings(t *testing.T) {
	env, home := shellenvEnv(t, true)
	user := filepath.Join(home, ".config", "Code", "User", "settings.json")
	machine := filepath.Join(home, ".vscode-server", "data", "Machine", "settings.json")
	origUser := "// my settings\n{\n\t\"editor.tabSize\": 4, // tabs are four\n\t\"containers.environment\": {\"FOO\": \"bar\"}\n}\n"
	origMachine := "{}\n"
	for p, data := range map[string]string{user: origUser, machine: origMachine} {
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(data), 0o600))
	}
	want := "unix://" + env.RootlessSocket

	r := devfix(t, env, "shellenv", "--install", "--diff")
	if r.code != ExitOK || !strings.Contains(r.stdout, "+\t\"docker.environment\"") {
		t.Fatalf("--diff: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := os.ReadFile(user); string(got) != origUser {
		t.Fatal("--diff wrote the file")
	}
	for i := 0; i < 2; i++ {
		if r := devfix(t, env, "shellenv", "--install", "--shell", "sh"); r.code != ExitOK {
			t.Fatalf("install %d: exit %d\n%s%s", i, r.code, r.stdout, r.stderr)
		} else if i == 1 && (!strings.Contains(r.stdout, user+": up to date") || !strings.Contains(r.stdout, machine+": up to date")) {
			t.Errorf("second install changed something:\n%s", r.stdout)
		}
	}
	for _, p := range []string{user, machine} {
		data, _ := os.ReadFile(p)
		doc, err := jsonc.Parse(p, data)
		if err != nil {
			t.Fatalf("%s does not parse: %v", p, err)
		}
		for _, key := range []string{"containers.environment", "docker.environment"} {
			if got := doc.Root().Get(key).Get("DOCKER_HOST").Str(); got != want {
				t.Errorf("%s: %s.DOCKER_HOST = %q, want %q\n%s", p, key, got, want, data)
			}
		}
	}
	data, _ := os.ReadFile(user)
	if !strings.Contains(string(data), "// tabs are four") || !strings.Contains(string(data), `"FOO": "bar"`) {
		t.Errorf("comments or the user's variables lost:\n%s", data)
	}
	if r := devfix(t, env, "shellenv", "--uninstall"); r.code != ExitOK {
		t.Fatalf("uninstall: exit %d\n%s", r.code, r.stderr)
	}
	for p, orig := range map[string]string{user: origUser, machine: origMachine} {
		if got, _ := os.ReadFile(p); string(got) != orig {
			t.Errorf("%s after --uninstall:\n%s\nwant:\n%s", p, got, orig)
		}
	}
}

// A settings file that does not parse is reported and left alone; the
// others are still written.
func TestShellenvInstallLeavesBrokenSettingsAlone(t *testing.T) {
	env, home := shellenvEnv(t, true)
	broken := filepath.Join(home, ".config", "Code", "User", "settings.json")
	must(t, os.MkdirAll(filepath.Dir(broken), 0o755))
	must(t, os.WriteFile(broken, []byte("{\"a\": }"), 0o600))
	r := devfix(t, env, "shellenv", "--install", "--shell", "sh")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, broken+":1:7: ") {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
	if got, _ := os.ReadFile(broken); string(got) != "{\"a\": }" {
		t.Error("the broken file was written")
	}
}

// doctor names a VS Code server that runs without the DOCKER_HOST it
// should have, and says how to restart it (a fake /proc).
func TestDoctorVSCodeServer(t *testing.T) {
	env := memEnv(t, map[string]string{
		"/etc/passwd":                "dev:x:1000:1000::/home/dev:/bin/bash\n",
		"/proc/4242/cmdline":         "/home/dev/.vscode-server/bin/0123456789abcdef0123456789abcdef01234567/node\x00/home/dev/.vscode-server/bin/0123456789abcdef0123456789abcdef01234567/out/server-main.js\x00--host=127.0.0.1\x00",
		"/proc/4242/environ":         "HOME=/home/dev\x00PATH=/usr/bin\x00",
		"/proc/4242/status":          "Name:\tnode\nUid:\t1000\t1000\t1000\t1000\nPPid:\t1\n",
		"/proc/4242/stat":            "4242 (node) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0",
		"/run/user/1000/docker.sock": "",
	})
	env.UID, env.GID, env.UserName = 1000, 1000, "dev"
	env.RootlessSocket = "/run/user/1000/docker.sock"
	env.LookupEnv = func(k string) (string, bool) {
		if k == "HOME" {
			return "/home/dev", true
		}
		return "", false
	}
	r := devfix(t, env, "doctor", "--engine", "docker", "--format", "json")
	var rep struct{ Checks []check }
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var got *check
	for i, c := range rep.Checks {
		if c.Name == "VS Code server" {
			got = &rep.Checks[i]
		}
	}
	if got == nil || got.Status != statusWarn || !strings.Contains(got.Detail, "4242") || !strings.Contains(got.Fix, "Kill VS Code Server on Host") {
		t.Errorf("VS Code server check: %+v\n%s", got, r.stdout)
	}
}
