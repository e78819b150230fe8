package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSettingsFile(t *testing.T) {
	env := memEnv(t, map[string]string{
		"/repo/.git/HEAD":                       "ref: refs/heads/main\n",
		"/repo/.devfix.jsonc":                   "{\n  // team policy\n  \"strategy\": \"env\",\n  \"rules\": { \"update-remote-user-uid\": \"off\", \"duplicate-key\": \"error\" }\n}\n",
		"/repo/.devcontainer/devcontainer.json": seed,
	})
	env.Engine = engines(fakeImages{"devfix-e2e/vscode:1": {}})
	r := devfix(t, env, "lint", "--format", "json", "/repo")
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err, r.stdout)
	}
	if rep.Files[0].Strategy != "env" {
		t.Errorf("strategy from .devfix.jsonc not used: %q", rep.Files[0].Strategy)
	}
	// --strategy wins over the file.
	r = devfix(t, env, "lint", "--strategy", "root", "--format", "json", "/repo")
	rep = jsonReport{}
	json.Unmarshal([]byte(r.stdout), &rep)
	for _, d := range rep.Files[0].Diagnostics {
		if d.Rule == "update-remote-user-uid" {
			t.Error("a rule turned off in .devfix.jsonc still reported")
		}
	}
	if rep.Files[0].Strategy != "root" {
		t.Errorf("--strategy did not win: %q", rep.Files[0].Strategy)
	}

	bad := memEnv(t, map[string]string{
		"/repo/.devfix.jsonc":      "{\n  \"rules\": {\n    \"no-such-rule\": \"off\"\n  }\n}\n",
		"/repo/.devcontainer.json": seed,
	})
	r = devfix(t, bad, "lint", "/repo")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, `/repo/.devfix.jsonc:3:5: unknown rule "no-such-rule"`) {
		t.Errorf("unknown rule: exit %d %q", r.code, r.stderr)
	}
}

func TestInitWritesEveryRule(t *testing.T) {
	env := memEnv(t, map[string]string{"/r/x": ""})
	if r := devfix(t, env, "init", "/r"); r.code != ExitOK {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	got := read(t, env, "/r/.devfix.jsonc")
	for _, id := range []string{"rootless-remote-user", "docker-socket-mount", "unused-ignore"} {
		if !strings.Contains(got, `"`+id+`"`) {
			t.Errorf("init lacks %s", id)
		}
	}
	if r := devfix(t, env, "init", "/r"); r.code != ExitBadInput || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("second init: %d %q", r.code, r.stderr)
	}
	// What init writes is valid settings: lint accepts it.
	env2 := memEnv(t, map[string]string{"/r/.devfix.jsonc": got, "/r/.devcontainer.json": `{"image": "x", "remoteUser": "root", "updateRemoteUserUID": false}`})
	if r := devfix(t, env2, "lint", "/r"); r.code == ExitBadInput {
		t.Errorf("init's file rejected: %s", r.stderr)
	}
}

func TestInlineIgnoresAndPolicy(t *testing.T) {
	cfg := "{\n  \"image\": \"debian:12\",\n  \"updateRemoteUserUID\": false,\n  // devfix-ignore-next-line rootless-remote-user -- ACLs by hand\n  \"remoteUser\": \"vscode\"\n}\n"
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": cfg})
	env.Engine = engines(fakeImages{"debian:12": {}})
	if r := devfix(t, env, "lint", "/r"); r.code != ExitOK {
		t.Errorf("ignored finding still reported: %d\n%s", r.code, r.stdout)
	}
	if r := devfix(t, env, "lint", "--no-inline-ignores", "/r"); r.code != ExitFindings || !strings.Contains(r.stdout, "[rootless-remote-user]") {
		t.Errorf("--no-inline-ignores: %d\n%s", r.code, r.stdout)
	}
	// apply leaves an ignored setting alone.
	if r := devfix(t, env, "apply", "/r"); r.code != ExitOK || read(t, env, "/r/.devcontainer.json") != cfg {
		t.Errorf("apply touched an ignored setting: %d\n%s", r.code, read(t, env, "/r/.devcontainer.json"))
	}
}

func TestFormats(t *testing.T) {
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": seed})
	r := devfix(t, env, "lint", "--format", "github", "/r")
	if !strings.Contains(r.stdout, "::error file=/r/.devcontainer.json,line=4,col=16,title=devfix rootless-remote-user::the remote user") {
		t.Errorf("github:\n%s", r.stdout)
	}
	env.LookupEnv = func(k string) (string, bool) {
		if k == "GITHUB_ACTIONS" {
			return "true", true
		}
		return "", false
	}
	if r := devfix(t, env, "lint", "/r"); !strings.HasPrefix(r.stdout, "::") {
		t.Errorf("GITHUB_ACTIONS did not pick the github format:\n%s", r.stdout)
	}
	r = devfix(t, env, "lint", "--format", "sarif", "/r")
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
						Help    struct{ Text string }
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Properties map[string]string `json:"properties"`
			Results    []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						Region struct {
							StartLine, StartColumn, ByteOffset, ByteLength int
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatalf("sarif: %v\n%s", err, r.stdout)
	}
	run0 := log.Runs[0]
	if log.Version != "2.1.0" || run0.Properties["columnUnit"] != "bytes" || len(run0.Tool.Driver.Rules) < 10 {
		t.Errorf("sarif header: %+v", log)
	}
	if !strings.HasSuffix(run0.Tool.Driver.Rules[0].HelpURI, "docs/rules.md#"+run0.Tool.Driver.Rules[0].ID) || run0.Tool.Driver.Rules[0].Help.Text == "" {
		t.Errorf("rule help: %+v", run0.Tool.Driver.Rules[0])
	}
	var found bool
	for _, res := range run0.Results {
		reg := res.Locations[0].PhysicalLocation.Region
		if res.RuleID == "rootless-remote-user" && res.Level == "error" && reg.StartLine == 4 && reg.StartColumn == 16 && seed[reg.ByteOffset:reg.ByteOffset+reg.ByteLength] == `"vscode"` {
			found = true
		}
	}
	if !found {
		t.Errorf("sarif results: %+v", run0.Results)
	}
	r = devfix(t, env, "lint", "--format", "text", "--color", "always", "/r")
	if !strings.Contains(r.stdout, "\x1b[") || !strings.Contains(r.stdout, `	"remoteUser": "vscode" // from the template`) || !strings.Contains(r.stdout, "\t              ^~~~~~~~") {
		t.Errorf("color text:\n%q", r.stdout)
	}
	env.LookupEnv = func(k string) (string, bool) { return "", false }
	if r := devfix(t, env, "lint", "/r"); strings.Contains(r.stdout, "\x1b[") {
		t.Error("color in a pipe")
	}
}

func TestCompletionAndVersion(t *testing.T) {
	env := memEnv(t, nil)
	r := devfix(t, env, "completion", "bash")
	if r.code != ExitOK || !strings.Contains(r.stdout, "complete -o filenames -F _devfix devfix") || !strings.Contains(r.stdout, "--no-inline-ignores") {
		t.Errorf("bash completion:\n%s", r.stdout)
	}
	if r := devfix(t, env, "completion", "tcsh"); r.code != ExitBadInput {
		t.Errorf("tcsh: %d", r.code)
	}
	if r := devfix(t, env, "version"); r.code != ExitOK || !strings.HasPrefix(r.stdout, "devfix ") {
		t.Errorf("version: %q", r.stdout)
	}
}

// Every command and subcommand answers --help with its usage and examples,
// exit 0.
func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands() {
		if c.name == "version" {
			continue
		}
		check := func(args ...string) {
			r := devfix(t, memEnv(t, nil), append(args, "--help")...)
			if r.code != ExitOK || !strings.Contains(r.stdout, "Usage: devfix "+strings.Join(args, " ")) || !strings.Contains(r.stdout, "Examples:") {
				t.Errorf("%s --help: exit %d\n%s", strings.Join(args, " "), r.code, r.stdout)
			}
		}
		check(c.name)
		for _, s := range c.sub {
			check(c.name, s.name)
		}
	}
}
