package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/engine"
	"github.com/spf13/afero"
)

const seed = `// The seed config.
{
	"image": "devfix-e2e/vscode:1", // busybox with vscode
	"remoteUser": "vscode" // from the template
}
`

// fakeImages answers image questions from a map; the files of an image come
// from its labels "test./etc/passwd" and so on.
type fakeImages map[string]engine.Image

func (f fakeImages) InspectImage(_ context.Context, ref string) (engine.Image, error) {
	info, ok := f[ref]
	info.Found = ok
	return info, nil
}

func (f fakeImages) ReadImageFile(_ context.Context, ref, path string) ([]byte, error) {
	if data, ok := f[ref].Labels["test."+path]; ok {
		return []byte(data), nil
	}
	return nil, fmt.Errorf("%s: no such file in image %s", path, ref)
}

// engines hands the same fake to every engine kind.
func engines(images devcontainer.Images) func(devcontainer.Engine) devcontainer.Images {
	return func(devcontainer.Engine) devcontainer.Images { return images }
}

type result struct {
	code           int
	stdout, stderr string
}

func devfix(t *testing.T, env *Env, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env.Stdout, env.Stderr = &out, &errb
	if env.LookupEnv == nil {
		env.LookupEnv = func(string) (string, bool) { return "", false }
	}
	code := Run(context.Background(), args, env)
	return result{code, out.String(), errb.String()}
}

// testEnv is the Env every test starts from: the files of fs and nothing
// else. No variables, no engine connection, no helper program, no user
// name, no file owners, no access checks: what a test does not set is
// absent (an Env's nil fields mean absent), never the machine's.
func testEnv(fs afero.Fs) *Env {
	return &Env{Fs: fs, LookupEnv: func(string) (string, bool) { return "", false }}
}

// dial connects to the endpoints it is given: for tests whose engine is a
// fake Engine API they started.
func dial(ctx context.Context, eps []engine.Endpoint) (*engine.Daemon, error) {
	return engine.Connect(ctx, eps, time.Second)
}

// memEnv is testEnv on a memory filesystem holding files.
func memEnv(t *testing.T, files map[string]string) *Env {
	t.Helper()
	fs := afero.NewMemMapFs()
	for p, data := range files {
		if err := afero.WriteFile(fs, p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return testEnv(fs)
}

func read(t *testing.T, env *Env, p string) string {
	t.Helper()
	b, err := afero.ReadFile(env.Fs, p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLintSeedOffline(t *testing.T) {
	env := memEnv(t, map[string]string{"/repo/.devcontainer/devcontainer.json": seed})
	r := devfix(t, env, "lint", "/repo")
	if r.code != ExitFindings {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := `/repo/.devcontainer/devcontainer.json:4:16: the remote user "vscode" ("remoteUser" in devcontainer.json) cannot write the workspace under rootless Docker: set "remoteUser" to "root" (container root is you) [rootless-remote-user]`
	if !strings.Contains(r.stdout, want+"\n") {
		t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
	}
	// Offline the image's user is unknown: said at info severity, which
	// alone does not fail lint.
	if !strings.Contains(r.stdout, `:3:11: info: the container user is unknown (image "devfix-e2e/vscode:1" was not inspected`) {
		t.Errorf("no info finding about the unknown container user:\n%s", r.stdout)
	}
}

func TestLintCleanAndJSON(t *testing.T) {
	clean := `{"image": "debian:12", "remoteUser": "root", "updateRemoteUserUID": false}`
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": clean})
	env.Engine = engines(fakeImages{"debian:12": {}})
	if r := devfix(t, env, "lint", "/r"); r.code != ExitOK || r.stdout != "" {
		t.Fatalf("clean config: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	env = memEnv(t, map[string]string{"/r/.devcontainer/devcontainer.json": seed})
	r := devfix(t, env, "lint", "--format", "json", "/r")
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if rep.Version != 1 || len(rep.Files) != 1 || len(rep.Files[0].Diagnostics) == 0 {
		t.Fatalf("unexpected report: %+v", rep)
	}
	var d jsonDiagnostic
	for _, x := range rep.Files[0].Diagnostics {
		if x.Rule == "rootless-remote-user" {
			d = x
		}
	}
	if d.Rule != "rootless-remote-user" || d.Line != 4 || d.Pointer != "/remoteUser" || d.Fix == "" {
		t.Errorf("diagnostic: %+v", d)
	}
	if rep.Files[0].RemoteUser.Name != "vscode" || rep.Files[0].ContainerUser.Known {
		t.Errorf("users: %+v %+v", rep.Files[0].RemoteUser, rep.Files[0].ContainerUser)
	}
}

func TestFindsEveryLocation(t *testing.T) {
	env := memEnv(t, map[string]string{
		"/r/.devcontainer/devcontainer.json":    seed,
		"/r/.devcontainer.json":                 seed,
		"/r/.devcontainer/go/devcontainer.json": seed,
		"/r/.devcontainer/go/other.json":        "not json",
		"/r/src/.devcontainer.json":             "not looked at",
	})
	r := devfix(t, env, "lint", "/r")
	for _, p := range []string{"/r/.devcontainer/devcontainer.json:", "/r/.devcontainer.json:", "/r/.devcontainer/go/devcontainer.json:"} {
		if !strings.Contains(r.stdout, p) {
			t.Errorf("%s not linted:\n%s", p, r.stdout)
		}
	}
	if r.code != ExitFindings {
		t.Errorf("exit %d", r.code)
	}
}

func TestNoConfig(t *testing.T) {
	env := memEnv(t, map[string]string{"/r/README": "x"})
	r := devfix(t, env, "lint", "/r")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, ".devcontainer/devcontainer.json") || !strings.Contains(r.stderr, ".devcontainer/*/devcontainer.json") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"malformed", "{\n  \"image\": \"x\"\n  \"remoteUser\": \"vscode\"\n}\n", "/r/.devcontainer.json:3:3: invalid character"},
		{"array root", "[1, 2]", "/r/.devcontainer.json:1:1: the top level must be an object"},
		{"number user", "{\n  \"remoteUser\": 5\n}", `/r/.devcontainer.json:2:17: "remoteUser" must be a string, not a number`},
		{"string mounts", `{"mounts": "source=/a,target=/b"}`, `/r/.devcontainer.json:1:12: "mounts" must be a array, not a string`},
		{"number runArg", `{"runArgs": ["-u", 1000]}`, `/r/.devcontainer.json:1:20: "runArgs[1]" must be a string, not a number`},
		{"truncated", `{"image": "x", `, "/r/.devcontainer.json:1:"},
		{"empty", ``, "/r/.devcontainer.json:1:1:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, cmd := range [][]string{{"lint", "/r"}, {"apply", "/r"}} {
				env := memEnv(t, map[string]string{"/r/.devcontainer.json": tc.data})
				r := devfix(t, env, cmd...)
				if r.code != ExitBadInput {
					t.Fatalf("%v: exit %d, want 2\n%s%s", cmd, r.code, r.stdout, r.stderr)
				}
				lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
				if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want) {
					t.Errorf("%v: stderr %q, want one line starting %q", cmd, r.stderr, tc.want)
				}
				if got := read(t, env, "/r/.devcontainer.json"); got != tc.data {
					t.Errorf("%v: file changed", cmd)
				}
			}
		})
	}
}

func TestApplyWritesOnceAndKeepsMode(t *testing.T) {
	env := memEnv(t, map[string]string{"/r/.devcontainer/devcontainer.json": seed})
	p := "/r/.devcontainer/devcontainer.json"
	if err := env.Fs.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	env.Engine = engines(fakeImages{"devfix-e2e/vscode:1": {}})
	r := devfix(t, env, "apply", "/r")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := `// The seed config.
{
	"image": "devfix-e2e/vscode:1", // busybox with vscode
	"remoteUser": "root", // from the template
	"updateRemoteUserUID": false
}
`
	if got := read(t, env, p); got != want {
		t.Fatalf("fixed file:\n%s\nwant:\n%s", got, want)
	}
	if fi, _ := env.Fs.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	if !strings.Contains(r.stdout, `set "remoteUser" to "root"`) {
		t.Errorf("apply did not say what it fixed:\n%s", r.stdout)
	}
	r = devfix(t, env, "apply", "/r")
	if r.code != ExitOK || r.stdout != "" {
		t.Errorf("second apply: exit %d, stdout %q", r.code, r.stdout)
	}
	if got := read(t, env, p); got != want {
		t.Error("second apply changed the file")
	}
	if r := devfix(t, env, "lint", "/r"); r.code != ExitOK {
		t.Errorf("lint after apply: exit %d\n%s", r.code, r.stdout)
	}
	entries, _ := afero.ReadDir(env.Fs, "/r/.devcontainer")
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %d entries", len(entries))
	}
}

func TestApplyDiffAndCheckWriteNothing(t *testing.T) {
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": seed})
	r := devfix(t, env, "apply", "--diff", "/r")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, s := range []string{"--- a/.devcontainer.json\n", "+++ b/.devcontainer.json\n", `-	"remoteUser": "vscode" // from the template`, `+	"remoteUser": "root", // from the template`, `+	"updateRemoteUserUID": false`} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("diff lacks %q:\n%s", s, r.stdout)
		}
	}
	r = devfix(t, env, "apply", "--check", "/r")
	if r.code != ExitFindings || !strings.Contains(r.stdout, "would change") {
		t.Errorf("--check: exit %d, stdout %q", r.code, r.stdout)
	}
	if read(t, env, "/r/.devcontainer.json") != seed {
		t.Error("--diff or --check wrote the file")
	}
}

func TestApplyRefusesReadOnly(t *testing.T) {
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": seed})
	if err := env.Fs.Chmod("/r/.devcontainer.json", 0o444); err != nil {
		t.Fatal(err)
	}
	r := devfix(t, env, "apply", "/r")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "/r/.devcontainer.json: the file is read-only") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if read(t, env, "/r/.devcontainer.json") != seed {
		t.Error("read-only file changed")
	}
}

func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	if err := os.WriteFile(real, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, ".devcontainer.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	env := testEnv(afero.NewOsFs())
	if r := devfix(t, env, "apply", dir); r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the symlink was replaced by a file")
	}
	got, _ := os.ReadFile(real)
	if !strings.Contains(string(got), `"remoteUser": "root"`) {
		t.Errorf("target not fixed:\n%s", got)
	}
	if fi, _ := os.Stat(real); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}

	dangling := t.TempDir()
	os.Symlink("nowhere.json", filepath.Join(dangling, ".devcontainer.json"))
	r := devfix(t, env, "lint", dangling)
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "dangling symbolic link") {
		t.Errorf("dangling: exit %d, %q", r.code, r.stderr)
	}
	loop := t.TempDir()
	os.Symlink(".devcontainer.json", filepath.Join(loop, ".devcontainer.json"))
	r = devfix(t, env, "lint", loop)
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "symbolic link loop") {
		t.Errorf("loop: exit %d, %q", r.code, r.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	env := memEnv(t, nil)
	if r := devfix(t, env, "lintt"); r.code != ExitBadInput || !strings.Contains(r.stderr, `did you mean "lint"?`) {
		t.Errorf("unknown command: %d %q", r.code, r.stderr)
	}
	if r := devfix(t, env, "apply", "--dif"); r.code != ExitBadInput || !strings.Contains(r.stderr, "did you mean --diff?") {
		t.Errorf("unknown flag: %d %q", r.code, r.stderr)
	}
	if r := devfix(t, env, "apply", "--strategy", "rootful"); r.code != ExitBadInput || !strings.Contains(r.stderr, `unknown strategy "rootful"`) {
		t.Errorf("bad strategy: %d %q", r.code, r.stderr)
	}
	if r := devfix(t, env, "lint", "--help"); r.code != ExitOK || !strings.Contains(r.stdout, "Examples:") {
		t.Errorf("--help: %d %q", r.code, r.stdout)
	}
	if r := devfix(t, env); r.code != ExitBadInput {
		t.Errorf("no args: %d", r.code)
	}
}

func TestRules(t *testing.T) {
	r := devfix(t, memEnv(t, nil), "rules")
	if r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	for _, rule := range devcontainer.Rules() {
		if !strings.Contains(r.stdout, rule.ID) || !strings.Contains(r.stdout, rule.Title) {
			t.Errorf("rules output lacks %s", rule.ID)
		}
		if rule.Doc == "" || rule.Bad == "" || rule.Good == "" || rule.Title == "" {
			t.Errorf("%s: missing doc or examples", rule.ID)
		}
	}
}

// deniedFs refuses to open one path, as an unreadable file would (root in CI
// reads everything, so permissions cannot be used for this).
type deniedFs struct {
	afero.Fs
	path string
}

func (d deniedFs) Open(name string) (afero.File, error) {
	if name == d.path {
		return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrPermission}
	}
	return d.Fs.Open(name)
}

func (d deniedFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if name == d.path {
		return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrPermission}
	}
	return d.Fs.OpenFile(name, flag, perm)
}

func TestUnreadableFile(t *testing.T) {
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": seed})
	env.Fs = deniedFs{env.Fs, "/r/.devcontainer.json"}
	r := devfix(t, env, "apply", "/r")
	if r.code != ExitBadInput || strings.TrimSpace(r.stderr) != "/r/.devcontainer.json: permission denied" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestMap(t *testing.T) {
	env := memEnv(t, map[string]string{
		"/etc/subuid": "dev:100000:65536\n", "/etc/subgid": "dev:100000:65536\n",
		"/proc/1/status": "Name:\tinit\nPPid:\t0\nUid:\t0\n",
	})
	env.UID, env.GID, env.UserName = 1000, 1000, "dev"
	r := devfix(t, env, "map", "1000", "0")
	want := "container uid 1000 → host uid 100999\ncontainer uid 0 → host uid 1000\nsource: /etc/subuid and /etc/subgid (no rootless daemon is running)\n"
	if r.code != ExitOK || r.stdout != want {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = devfix(t, env, "map", "--host", "100999", "5")
	if r.code != ExitFindings || !strings.Contains(r.stdout, "host uid 100999 → container uid 1000\n") || !strings.Contains(r.stdout, "host uid 5 → not mapped") {
		t.Errorf("--host: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := devfix(t, env, "map", "x"); r.code != ExitBadInput {
		t.Errorf("bad ID: exit %d", r.code)
	}
}

func TestReclaimRefusesRootAndNoDaemon(t *testing.T) {
	env := memEnv(t, map[string]string{"/etc/subuid": "dev:100000:65536\n", "/etc/subgid": "dev:100000:65536\n", "/ws/f": "x"})
	env.GID, env.UserName = 0, "root"
	if r := devfix(t, env, "reclaim", "/ws"); r.code != ExitBadInput || !strings.Contains(r.stderr, "not as root") {
		t.Errorf("as root: %d %q", r.code, r.stderr)
	}
	env.UID, env.GID, env.UserName = 1000, 1000, "dev"
	env.ProcRoot = "/proc"
	afero.WriteFile(env.Fs, "/proc/1/status", []byte("Name:\tinit\n"), 0o644)
	if r := devfix(t, env, "reclaim", "/ws"); r.code != ExitBadInput || !strings.Contains(r.stderr, "no rootless Docker daemon of yours is running") {
		t.Errorf("no daemon: %d %q", r.code, r.stderr)
	}
}
