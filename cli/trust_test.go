package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

// osRepo makes a repository on the OS filesystem (symbolic links are real
// there): files by path relative to the returned root, which holds .git.
func osRepo(t *testing.T, files map[string]string) (*Env, string) {
	t.Helper()
	root := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(root, ".git"), 0o755))
	for p, data := range files {
		full := filepath.Join(root, p)
		must(t, os.MkdirAll(filepath.Dir(full), 0o755))
		must(t, os.WriteFile(full, []byte(data), 0o644))
	}
	return testEnv(afero.NewOsFs()), root
}

// A link that leaves the repository is refused: exit 2, one line naming the
// config and where it points, nothing written anywhere.
func TestApplyRefusesLinkOutOfRepository(t *testing.T) {
	env, root := osRepo(t, map[string]string{"repo/README": "x"})
	outside := filepath.Join(root, "editor", "settings.json")
	must(t, os.MkdirAll(filepath.Dir(outside), 0o755))
	must(t, os.WriteFile(outside, []byte(seed), 0o644))
	repo := filepath.Join(root, "repo")
	must(t, os.MkdirAll(filepath.Join(repo, ".git"), 0o755))
	must(t, os.MkdirAll(filepath.Join(repo, ".devcontainer"), 0o755))
	link := filepath.Join(repo, ".devcontainer", "devcontainer.json")
	must(t, os.Symlink("../../editor/settings.json", link))

	r := devfix(t, env, "apply", repo)
	if r.code != ExitBadInput {
		t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	want := link + ": a symbolic link to " + outside + ", outside the repository " + repo + ": not written\n"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if got, _ := os.ReadFile(outside); string(got) != seed {
		t.Errorf("the file outside the repository was written:\n%s", got)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(outside))
	if len(entries) != 1 {
		t.Errorf("something was written beside the target: %d entries", len(entries))
	}
	// --diff and --check refuse it the same way: nothing they show could be written.
	if r := devfix(t, env, "apply", "--diff", repo); r.code != ExitBadInput || r.stdout != "" {
		t.Errorf("--diff: exit %d, stdout %q", r.code, r.stdout)
	}
}

// A link to a file inside the repository is followed: the link kept, the
// target written.
func TestApplyFollowsLinkInsideRepository(t *testing.T) {
	env, root := osRepo(t, map[string]string{"configs/dc.json": seed})
	link := filepath.Join(root, ".devcontainer", "devcontainer.json")
	must(t, os.MkdirAll(filepath.Dir(link), 0o755))
	must(t, os.Symlink("../configs/dc.json", link))
	if r := devfix(t, env, "apply", root); r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(root, "configs", "dc.json"))
	if !strings.Contains(string(got), `"remoteUser": "root"`) {
		t.Errorf("target not fixed:\n%s", got)
	}
}

var oneLineError = regexp.MustCompile(`^[^\n]+:\d+:\d+: [^\n]+\n$`)

// Bad input is one line, path:line:col: message (control characters in the
// input escaped), exit 2, and the file is never written.
func TestBadInputIsOneLine(t *testing.T) {
	cases := []struct {
		name, data, want string
	}{
		{"raw newline in a string", "{\n  \"image\": \"lab\nbox\"\n}\n", `/r/.devcontainer.json:2:16: a string holds a raw control character "\n": write it escaped`},
		{"raw tab in a string", "{\"remoteUser\": \"a\tb\"}", `/r/.devcontainer.json:1:18: a string holds a raw control character "\t": write it escaped`},
		{"invalid UTF-8", "{\n  \"remoteUser\": \"vs\xffcode\"\n}\n", "/r/.devcontainer.json:2:20: invalid UTF-8"},
		{"invalid UTF-8 in a comment", "// caf\xe9\n{}\n", "/r/.devcontainer.json:1:7: invalid UTF-8"},
		{"a bad literal", "{\"updateRemoteUserUID\": tru}", `/r/.devcontainer.json:1:25: invalid value "tru"`},
		{"missing comma", "{\"image\": \"x\"\n\"remoteUser\": \"y\"}", `/r/.devcontainer.json:2:1: invalid character '"' after object value (expecting ',' or '}')`},
		{"unterminated comment", "{} /* open", "/r/.devcontainer.json:1:4: unterminated comment"},
		{"wrong type", "{\"runArgs\": \"-u root\"}", `/r/.devcontainer.json:1:13: "runArgs" must be a array, not a string`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := memEnv(t, map[string]string{"/r/.devcontainer.json": tc.data})
			for _, cmd := range []string{"lint", "apply"} {
				r := devfix(t, env, cmd, "/r")
				if r.code != ExitBadInput {
					t.Errorf("%s: exit %d, want 2", cmd, r.code)
				}
				if !oneLineError.MatchString(r.stderr) || r.stderr != tc.want+"\n" {
					t.Errorf("%s: stderr %q, want the one line %q", cmd, r.stderr, tc.want)
				}
			}
			if got := read(t, env, "/r/.devcontainer.json"); got != tc.data {
				t.Errorf("the file was written")
			}
		})
	}
}

// An ignore silences the finding about the nodes of its own line, not the
// same rule's finding about a sibling two lines down.
func TestIgnoreOnItsOwnLineOnly(t *testing.T) {
	cfg := `{
  "image": "debian:12",
  "remoteUser": "root",
  "runArgs": [
    "-p", "80:8080", // devfix-ignore-line privileged-port -- the proxy maps it
    "--init",
    "-p", "443:8443"
  ]
}
`
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": cfg})
	env.Engine = engines(fakeImages{"debian:12": {}})
	r := devfix(t, env, "lint", "/r")
	if strings.Contains(r.stdout, ":5:5:") || strings.Contains(r.stdout, "unused-ignore") {
		t.Errorf("the ignored line is reported, or the ignore counted as unused:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, `/r/.devcontainer.json:7:5: -p "443:8443" publishes host port 443`) {
		t.Errorf("the finding two lines below was silenced too:\n%s", r.stdout)
	}
}

// doctor checks the configs exactly as lint does: the strategy a config
// uses and the settings that turn rules off count for both.
func TestDoctorAgreesWithLint(t *testing.T) {
	cfg := `{
  "image": "devfix-e2e/vscode:1",
  "remoteUser": "${localEnv:DEVFIX_REMOTE_USER:vscode}",
  "runArgs": ["--userns=${localEnv:DEVFIX_USERNS}", "-p", "80:80"]
}
`
	env := memEnv(t, map[string]string{
		"/r/.devcontainer/devcontainer.json": cfg,
		"/r/.devfix.jsonc":                   `{"rules": {"privileged-port": "off"}}`,
		"/r/.git/HEAD":                       "ref: refs/heads/main\n",
	})
	env.Engine = engines(fakeImages{"devfix-e2e/vscode:1": {}})
	env.WorkDir = "/r"
	r := devfix(t, env, "lint", "/r")
	if r.code != ExitOK {
		t.Fatalf("lint: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	env.Fs = afero.NewBasePathFs(env.Fs, "/r")
	s := newSession(env, lintFlags{})
	c := configsCheck(context.Background(), env, s)
	if c.Detail != "1 config(s), 0 finding(s)" || c.Status != statusOK {
		t.Errorf("doctor: %+v, lint: clean", c)
	}

	// Bad input is bad input for both: doctor fails with lint's own line.
	env = memEnv(t, map[string]string{
		"/w/.devcontainer.json": `{"image": "debian:12"}`,
		"/w/.devfix.jsonc":      `{"engine": "podmn"}`,
	})
	want := `.devfix.jsonc:1:12: "engine" must be "docker" or "podman"`
	if r := devfix(t, env, "lint", "/w"); r.code != ExitBadInput || !strings.Contains(r.stderr, "/w/"+want) {
		t.Fatalf("lint: exit %d, want 2 and %q\n%s", r.code, want, r.stderr)
	}
	env.Fs = afero.NewBasePathFs(env.Fs, "/w")
	s = newSession(env, lintFlags{})
	_, checks := settingsCheck(s)
	if len(checks) != 1 {
		t.Fatalf("settings checks: %+v", checks)
	}
	settings, configs := checks[0], configsCheck(context.Background(), env, s)
	if settings.Status != statusFail || !strings.Contains(settings.Detail, want) {
		t.Errorf("settings check: %+v", settings)
	}
	if configs.Status != statusFail || !strings.Contains(configs.Detail, want) {
		t.Errorf("configs check: %+v", configs)
	}
}

// A config that is fine lints clean offline: what devfix could not learn is
// info, shown but not failing; --strict (or "strict": true) makes it fail.
func TestOfflineLintAndStrict(t *testing.T) {
	cfg := `{"image": "ghcr.io/acme/dev:1", "remoteUser": "root", "updateRemoteUserUID": false}`
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": cfg})
	r := devfix(t, env, "lint", "/r")
	if r.code != ExitOK || !strings.Contains(r.stdout, "info: the container user is unknown") {
		t.Fatalf("offline: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := devfix(t, env, "lint", "--strict", "/r"); r.code != ExitFindings {
		t.Errorf("--strict: exit %d, want 1", r.code)
	}
	env = memEnv(t, map[string]string{"/r/.devcontainer.json": cfg, "/r/.devfix.jsonc": `{"strict": true}`})
	if r := devfix(t, env, "lint", "/r"); r.code != ExitFindings {
		t.Errorf(`"strict": true: exit %d, want 1`, r.code)
	}
	// apply writes the safe fix all the same, and --check says it would.
	env = memEnv(t, map[string]string{"/r/.devcontainer.json": cfg})
	if r := devfix(t, env, "apply", "--check", "/r"); r.code != ExitFindings {
		t.Errorf("apply --check: exit %d, want 1", r.code)
	}
	if r := devfix(t, env, "apply", "/r"); r.code != ExitOK || !strings.Contains(read(t, env, "/r/.devcontainer.json"), `"containerUser": "root"`) {
		t.Errorf("apply: exit %d\n%s", r.code, read(t, env, "/r/.devcontainer.json"))
	}
}

// An official image's user is known offline, from devfix's table, and the
// finding says so; the engine's answer wins when there is one.
func TestOfficialImagesOffline(t *testing.T) {
	cfg := `{"image": "mcr.microsoft.com/devcontainers/typescript-node:20"}`
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": cfg})
	r := devfix(t, env, "lint", "/r")
	if r.code != ExitFindings || !strings.Contains(r.stdout, `the remote user "node" (remoteUser in the devcontainer.metadata label devfix knows for official image "mcr.microsoft.com/devcontainers/typescript-node:20", since no engine answered)`) {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	env.Engine = engines(fakeImages{"mcr.microsoft.com/devcontainers/typescript-node:20": {Labels: map[string]string{"devcontainer.metadata": `[{"remoteUser":"root"}]`}}})
	if r := devfix(t, env, "lint", "/r"); strings.Contains(r.stdout, "rootless-remote-user") {
		t.Errorf("the engine's answer did not win:\n%s", r.stdout)
	}
}

// A killed apply leaves its temp file; the next apply removes it.
func TestApplyRemovesStaleTempFiles(t *testing.T) {
	env := memEnv(t, map[string]string{
		"/r/.devcontainer/devcontainer.json":              seed,
		"/r/.devcontainer/.devcontainer.json.devfix-1234": "half",
		"/r/.devcontainer/.devcontainer.json.other":       "not ours",
	})
	if r := devfix(t, env, "apply", "/r"); r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, err := env.Fs.Stat("/r/.devcontainer/.devcontainer.json.devfix-1234"); err == nil {
		t.Error("the stale temp file is still there")
	}
	if _, err := env.Fs.Stat("/r/.devcontainer/.devcontainer.json.other"); err != nil {
		t.Error("a file not of devfix's pattern was removed")
	}
}

// apply --diff writes only the patch to stdout, and git apply takes it, also
// when PATH is absolute.
func TestDiffIsAPatchGitApplies(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("git is needed for this test (CI has it)")
	}
	env, root := osRepo(t, map[string]string{".devcontainer/devcontainer.json": seed})
	must(t, os.RemoveAll(filepath.Join(root, ".git")))
	if out, err := exec.Command(git, "-C", root, "init", "-q").CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	env.WorkDir = root
	r := devfix(t, env, "apply", "--diff", root)
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "--- a/.devcontainer/devcontainer.json\n+++ b/.devcontainer/devcontainer.json\n") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	patch := filepath.Join(t.TempDir(), "fix.patch")
	must(t, os.WriteFile(patch, []byte(r.stdout), 0o644))
	cmd := exec.Command(git, "apply", patch)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git apply: %v\n%s\n%s", err, out, r.stdout)
	}
	if r := devfix(t, env, "apply", "--check", root); r.code != ExitOK {
		t.Errorf("after git apply, apply --check wants more: exit %d\n%s", r.code, r.stdout)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Two configs sharing a compose file: each is fixed on top of what the one
// before it wrote, so neither undoes the other; --diff shows the file once
// (git apply takes the patch), --check agrees with apply, and a second
// apply changes nothing. The same config named twice is fixed once.
func TestApplyConfigsSharingComposeFile(t *testing.T) {
	compose := "services:\n  a:\n    image: x\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n" +
		"  b:\n    image: x\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n"
	config := func(svc string) string {
		return `{"dockerComposeFile": "../../docker-compose.yml", "service": "` + svc + `", "runServices": ["` + svc + `"], "remoteUser": "root", "updateRemoteUserUID": false}`
	}
	env, root := osRepo(t, map[string]string{
		"docker-compose.yml":                compose,
		".devcontainer/a/devcontainer.json": config("a"),
		".devcontainer/b/devcontainer.json": config("b"),
	})
	env.WorkDir = root
	yml := filepath.Join(root, "docker-compose.yml")
	args := []string{"--strategy", "env", "--engine", "docker", root, filepath.Join(root, ".devcontainer/a/devcontainer.json")}

	r := devfix(t, env, append([]string{"apply", "--diff"}, args...)...)
	if r.code != ExitOK {
		t.Fatalf("--diff: exit %d\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "+++ b/docker-compose.yml"); n != 1 {
		t.Errorf("--diff shows the compose file %d times, want once:\n%s", n, r.stdout)
	}
	if n := strings.Count(r.stdout, `+      - "${DEVFIX_DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock"`); n != 2 {
		t.Errorf("--diff fixes %d socket volumes, want both:\n%s", n, r.stdout)
	}
	if _, err := exec.LookPath("git"); err == nil {
		cmd := exec.Command("git", "apply", "--check", "-")
		cmd.Dir, cmd.Stdin = root, strings.NewReader(r.stdout)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("git apply --check: %v\n%s", err, out)
		}
	}
	if got, _ := os.ReadFile(yml); string(got) != compose {
		t.Fatal("--diff wrote the compose file")
	}
	if r := devfix(t, env, append([]string{"apply", "--check"}, args...)...); r.code != ExitFindings || strings.Count(r.stdout, "would change") != 3 || strings.Count(r.stdout, "docker-compose.yml: would change") != 1 {
		t.Errorf("--check: exit %d, want 1, three files, the compose file once\n%s%s", r.code, r.stdout, r.stderr)
	}

	if r := devfix(t, env, append([]string{"apply"}, args...)...); r.code != ExitOK {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	got, _ := os.ReadFile(yml)
	if n := strings.Count(string(got), "${DEVFIX_DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock"); n != 2 {
		t.Errorf("after apply %d socket volumes fixed, want 2:\n%s", n, got)
	}
	if r := devfix(t, env, append([]string{"apply", "--check"}, args...)...); r.code != ExitOK {
		t.Errorf("--check after apply: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A finding in a compose file two configs share is listed once; apply
// marks what remains at info severity as lint does.
func TestSharedFindingsOnceAndInfoInApply(t *testing.T) {
	compose := "services:\n  a:\n    image: x\n    privileged: true\n"
	config := func(svc string) string {
		return `{"dockerComposeFile": "../../docker-compose.yml", "service": "` + svc + `", "remoteUser": "root", "updateRemoteUserUID": false}`
	}
	env := memEnv(t, map[string]string{
		"/r/docker-compose.yml":                  compose,
		"/r/.devcontainer/one/devcontainer.json": config("a"),
		"/r/.devcontainer/two/devcontainer.json": config("a"),
		"/r/.devfix.jsonc":                       `{"rules": {"privileged-container": "info"}}`,
	})
	r := devfix(t, env, "lint", "--engine", "docker", "/r")
	if n := strings.Count(r.stdout, "[privileged-container]"); n != 1 {
		t.Errorf("the shared finding is listed %d times, want once:\n%s", n, r.stdout)
	}
	r = devfix(t, env, "apply", "--engine", "docker", "/r")
	if !strings.Contains(r.stderr, ": info: ") || !strings.Contains(r.stderr, "[privileged-container]") {
		t.Errorf("apply does not mark the info finding:\n%s", r.stderr)
	}
}

// Without .git, a config file named as PATH fences writes into the folder
// it belongs to (the parent of .devcontainer/), where its compose file
// usually lives — not into .devcontainer/ alone.
func TestApplyConfigFileWithoutGit(t *testing.T) {
	env := memEnv(t, map[string]string{
		"/p/docker-compose.yml":              "services:\n  app:\n    image: x\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n",
		"/p/.devcontainer/devcontainer.json": `{"dockerComposeFile": "../docker-compose.yml", "service": "app", "remoteUser": "root", "updateRemoteUserUID": false}`,
	})
	r := devfix(t, env, "apply", "--check", "--strategy", "env", "--engine", "docker", "/p/.devcontainer/devcontainer.json")
	if r.code != ExitFindings || !strings.Contains(r.stdout, "docker-compose.yml: would change") {
		t.Errorf("exit %d, want 1 with the compose file changed\n%s%s", r.code, r.stdout, r.stderr)
	}
}
