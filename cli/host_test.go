package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

// fakeGetent answers `getent passwd -- KEY` from lines keyed by name and
// UID; anything else prints nothing (getent's "not found").
func fakeGetent(lines ...string) func(ctx context.Context, argv []string) ([]byte, error) {
	by := map[string]string{}
	for _, l := range lines {
		f := strings.Split(l, ":")
		by[f[0]], by[f[2]] = l, l
	}
	return func(ctx context.Context, argv []string) ([]byte, error) {
		if len(argv) != 4 || filepath.Base(argv[0]) != "getent" || argv[1] != "passwd" || argv[2] != "--" {
			return nil, os.ErrInvalid
		}
		if l, ok := by[argv[3]]; ok {
			return []byte(l + "\n"), nil
		}
		return nil, nil
	}
}

const domUser = "dom.user:*:1551001108:1551000513:Dom User:/home/dom.user:/bin/bash"

func hostEnv(t *testing.T, files map[string]string, getent ...string) *Env {
	env := memEnv(t, files)
	env.Run = fakeGetent(getent...)
	return env
}

// hostOSEnv is a root (by Env.UID) on a temp tree of the OS filesystem:
// the writer's locks are real.
func hostOSEnv(t *testing.T, files map[string]string, getent ...string) *Env {
	t.Helper()
	root := t.TempDir()
	for p, data := range files {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	return &Env{Fs: afero.NewOsFs(), HostRoot: root, Run: fakeGetent(getent...)}
}

func hostRead(t *testing.T, env *Env, p string) string {
	t.Helper()
	b, err := afero.ReadFile(env.Fs, filepath.Join("/", env.HostRoot, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHostGrantWrites(t *testing.T) {
	env := hostOSEnv(t, map[string]string{
		"/etc/subuid":         "# by hand\nlabdev:100000:65536\n",
		"/etc/subgid":         "labdev:100000:65536", // no final newline
		"/etc/sssd/sssd.conf": "[domain/corp]\nid_provider = ad\n",
		"/etc/login.defs":     "SUB_UID_MIN 2147483648\nSUB_UID_MAX 4294967294\nSUB_GID_MIN 2147483648\nSUB_GID_MAX 4294967294\n",
	}, domUser, "bob@corp.example.com:*:1551001109:1551000513::/home/bob:/bin/bash")
	r := devfix(t, env, "host", "grant", "dom.user", "1551001109")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	root := env.HostRoot
	want := root + "/etc/subuid: added dom.user:2147483648:65536\n" + root + "/etc/subgid: added dom.user:2147483648:65536\n" +
		root + "/etc/subuid: added bob@corp.example.com:2147549184:65536\n" + root + "/etc/subgid: added bob@corp.example.com:2147549184:65536\n"
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
	if got := hostRead(t, env, "/etc/subuid"); got != "# by hand\nlabdev:100000:65536\ndom.user:2147483648:65536\nbob@corp.example.com:2147549184:65536\n" {
		t.Errorf("subuid %q", got)
	}
	if got := hostRead(t, env, "/etc/subgid"); got != "labdev:100000:65536\ndom.user:2147483648:65536\nbob@corp.example.com:2147549184:65536\n" {
		t.Errorf("subgid %q", got)
	}
	if got := hostRead(t, env, "/etc/subgid-"); got != "labdev:100000:65536" {
		t.Errorf("backup %q", got)
	}
	// Again, by UID this time: nothing changes, and nothing is locked.
	os.Remove(filepath.Join(root, "etc/.pwd.lock"))
	r = devfix(t, env, "host", "grant", "1551001108")
	if _, err := os.Stat(filepath.Join(root, "etc/.pwd.lock")); err == nil {
		t.Errorf("a grant with nothing to add took the lock")
	}
	if r.code != ExitOK || !strings.Contains(r.stdout, "dom.user already has 65536 IDs (65536 wanted)") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Count(hostRead(t, env, "/etc/subuid"), "dom.user") != 1 {
		t.Errorf("granted twice")
	}
}

func TestHostGrantDiffWritesNothing(t *testing.T) {
	env := hostEnv(t, map[string]string{"/etc/subuid": "labdev:100000:65536\n", "/etc/subgid": "labdev:100000:65536\n"}, domUser)
	env.UID = 1000 // --diff needs no root
	r := devfix(t, env, "host", "grant", "--diff", "dom.user")
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		if !strings.Contains(r.stdout, "--- "+f+"\n+++ "+f+"\n") || !strings.Contains(r.stdout, "+dom.user:165536:65536\n") {
			t.Errorf("diff of %s:\n%s", f, r.stdout)
		}
		if read(t, env, f) != "labdev:100000:65536\n" {
			t.Errorf("%s written", f)
		}
	}
}

func TestHostGrantRefusals(t *testing.T) {
	files := map[string]string{"/etc/subuid": "labdev:100000:65536\n", "/etc/subgid": ""}
	for _, c := range []struct {
		name  string
		files map[string]string
		uid   int64
		args  []string
		code  int
		want  string
	}{
		{"not root", nil, 1000, []string{"dom.user"}, ExitBadInput, "devfix host grant: must run as root: it writes /etc/subuid and /etc/subgid (sudo devfix host grant dom.user)\n"},
		{"unknown user", nil, 0, []string{"nobody.here"}, ExitBadInput, "devfix host grant: no user \"nobody.here\" in the passwd database (getent passwd nobody.here)\n"},
		{"no user", nil, 0, nil, ExitBadInput, "devfix host grant: name at least one user (run 'devfix host grant --help')\n"},
		{"bad count", nil, 0, []string{"--count", "-5", "dom.user"}, ExitBadInput, "devfix host grant: --count -5: give a positive number of IDs\n"},
		{"malformed", map[string]string{"/etc/subuid": "# ok\nlabdev 100000 65536\n"}, 0, []string{"dom.user"}, ExitBadInput,
			"devfix host grant: ROOT/etc/subuid:2: expected owner:start:count, got \"labdev 100000 65536\"\n"},
		{"nss module", map[string]string{"/etc/nsswitch.conf": "passwd: files sss\nsubid: sss\n"}, 0, []string{"dom.user"}, ExitFindings,
			"devfix host grant: ROOT/etc/nsswitch.conf:2: subid is served by \"sss\", not by the files: newuidmap, Podman and useradd read no line of /etc/subuid or /etc/subgid; give the ranges in that source (FreeIPA: ipa subid-generate)\n"},
		{"no room", map[string]string{"/etc/login.defs": "SUB_UID_MAX 150000\n"}, 0, []string{"dom.user"}, ExitFindings,
			"devfix host grant: no free range of 65536 IDs for ROOT/etc/subuid between SUB_UID_MIN 100000 and SUB_UID_MAX 150000 outside the ranges there, local users and groups and SSSD's IDs: widen the window in login.defs, e.g. \"SUB_UID_MIN 2147483648\" and \"SUB_UID_MAX 4294967294\" (FreeIPA's, above SSSD's ID mapping)\n"},
	} {
		fs := map[string]string{}
		for k, v := range files {
			fs[k] = v
		}
		for k, v := range c.files {
			fs[k] = v
		}
		env := hostOSEnv(t, fs, domUser)
		env.UID = c.uid
		r := devfix(t, env, append([]string{"host", "grant"}, c.args...)...)
		want := strings.ReplaceAll(c.want, "ROOT", env.HostRoot)
		if r.code != c.code || r.stderr != want || r.stdout != "" {
			t.Errorf("%s: exit %d\n%s\nwant %d\n%s", c.name, r.code, r.stderr, c.code, want)
		}
		if hostRead(t, env, "/etc/subgid") != "" {
			t.Errorf("%s: written", c.name)
		}
	}
}

// A directory name that would break or hide a line is refused, so that no
// name can add a line for someone else.
func TestHostGrantRefusesHostileNames(t *testing.T) {
	for _, line := range []string{
		"#root:*:1551001110:1:::/bin/sh",    // a comment
		"1000:*:1551001110:1:::/bin/sh",     // UID 1000's line
		" root:*:1551001110:1:::/bin/sh",    // trimmed: root
		"ro\x1bot:*:1551001110:1:::/bin/sh", // control character
	} {
		env := hostOSEnv(t, map[string]string{"/etc/subuid": "", "/etc/subgid": ""}, line)
		r := devfix(t, env, "host", "grant", "1551001110")
		if r.code != ExitBadInput || !strings.HasPrefix(r.stderr, "devfix host grant: user name ") {
			t.Errorf("%q: exit %d\n%s", line, r.code, r.stderr)
		}
		if hostRead(t, env, "/etc/subuid") != "" {
			t.Errorf("%q: written", line)
		}
	}
	// A name with ':' or a newline cannot even come back as one passwd
	// line: refused too.
	env := hostOSEnv(t, map[string]string{"/etc/subuid": "", "/etc/subgid": ""})
	env.Run = func(ctx context.Context, argv []string) ([]byte, error) {
		return []byte("evil:0:4294967295:x:1551001110:1:::/bin/sh\n"), nil
	}
	if r := devfix(t, env, "host", "grant", "evil"); r.code != ExitBadInput || hostRead(t, env, "/etc/subuid") != "" {
		t.Errorf("exit %d\n%s", r.code, r.stderr)
	}
}

func TestHostGrantPAM(t *testing.T) {
	files := map[string]string{"/etc/subuid": "", "/etc/subgid": "", "/etc/login.defs": "UID_MIN 2000\n"}
	pam := func(env *Env, vars map[string]string) result {
		env.LookupEnv = func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
		return devfix(t, env, "host", "grant", "--pam")
	}
	// Not open_session, root, a system user: silently nothing.
	for _, vars := range []map[string]string{
		{"PAM_TYPE": "close_session", "PAM_USER": "dom.user"},
		{"PAM_TYPE": "open_session", "PAM_USER": "root"},
		{"PAM_TYPE": "open_session", "PAM_USER": "daemon"},
		{"PAM_TYPE": "open_session", "PAM_USER": "local"},
	} {
		env := hostOSEnv(t, files, "root:x:0:0::/root:/bin/sh", "daemon:x:1:1::/:/bin/sh", "local:x:1999:1999::/:/bin/sh", domUser)
		if r := pam(env, vars); r.code != ExitOK || r.stdout != "" || r.stderr != "" || hostRead(t, env, "/etc/subuid") != "" {
			t.Errorf("%v: exit %d %q %q", vars, r.code, r.stdout, r.stderr)
		}
	}
	env := hostOSEnv(t, files, domUser)
	r := pam(env, map[string]string{"PAM_TYPE": "open_session", "PAM_USER": "dom.user"})
	if r.code != ExitOK || r.stdout != "" || r.stderr != "" {
		t.Errorf("exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if hostRead(t, env, "/etc/subuid") != "dom.user:100000:65536\n" {
		t.Errorf("subuid %q", hostRead(t, env, "/etc/subuid"))
	}
	// An unknown user: one line, non-zero.
	r = pam(env, map[string]string{"PAM_TYPE": "open_session", "PAM_USER": "no.such.user"})
	if r.code != ExitBadInput || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("exit %d %q", r.code, r.stderr)
	}
	if r := devfix(t, env, "host", "grant", "--pam", "alice"); r.code != ExitBadInput {
		t.Errorf("--pam with a USER: exit %d", r.code)
	}
}

func TestHostHelpAndProfile(t *testing.T) {
	env := memEnv(t, nil)
	r := devfix(t, env, "host")
	if r.code != ExitBadInput || !strings.Contains(r.stderr, "Usage: devfix host <command>") || !strings.Contains(r.stderr, "  grant ") || !strings.Contains(r.stderr, "  pam-profile ") {
		t.Errorf("host alone: %d\n%s", r.code, r.stderr)
	}
	for _, args := range [][]string{{"host", "--help"}, {"help", "host"}} {
		if r := devfix(t, env, args...); r.code != ExitOK || !strings.Contains(r.stdout, "Commands:\n  check ") || !strings.Contains(r.stdout, "\n  grant ") {
			t.Errorf("%v: %d\n%s", args, r.code, r.stdout)
		}
	}
	for _, args := range [][]string{{"host", "grant", "--help"}, {"help", "host", "grant"}} {
		if r := devfix(t, env, args...); r.code != ExitOK || !strings.HasPrefix(r.stdout, "Usage: devfix host grant [flags] USER...\n") || !strings.Contains(r.stdout, "--pam") {
			t.Errorf("%v: %d\n%s", args, r.code, r.stdout)
		}
	}
	if r := devfix(t, env, "host", "grnat"); r.code != ExitBadInput || !strings.Contains(r.stderr, `unknown command "grnat" (did you mean "grant"?)`) {
		t.Errorf("%d %s", r.code, r.stderr)
	}
	if r := devfix(t, env, "host", "grant", "--diff", "--cont", "1"); r.code != ExitBadInput || !strings.Contains(r.stderr, "devfix host grant: unknown flag: --cont (did you mean --count?)") {
		t.Errorf("%d %s", r.code, r.stderr)
	}

	r = devfix(t, env, "host", "pam-profile", "--bin", "/usr/bin/devfix")
	want := "Name: devfix: subordinate UID/GID ranges for rootless containers at first login\nDefault: no\nPriority: 300\nSession-Type: Additional\nSession-Interactive-Only: yes\nSession:\n\toptional\tpam_exec.so type=open_session quiet log=/var/log/devfix-pam.log /usr/bin/devfix host grant --pam\n"
	if r.code != ExitOK || r.stdout != want {
		t.Errorf("%d\n%s", r.code, r.stdout)
	}
	if r := devfix(t, env, "host", "pam-profile", "--bin", "devfix"); r.code != ExitBadInput {
		t.Errorf("relative --bin: %d", r.code)
	}
	// The default is this executable, resolved.
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	if r := devfix(t, env, "host", "pam-profile"); !strings.Contains(r.stdout, " "+exe+" host grant --pam\n") {
		t.Errorf("%s", r.stdout)
	}
	env.HostRoot = "/root-of-test"
	r = devfix(t, env, "host", "pam-profile", "--install", "--bin", "/usr/bin/devfix")
	if r.code != ExitOK || read(t, env, "/root-of-test/usr/share/pam-configs/devfix") != want {
		t.Errorf("%d %s", r.code, r.stderr)
	}
}

func TestCompletionHasSubcommands(t *testing.T) {
	env := memEnv(t, nil)
	bash := devfix(t, env, "completion", "bash").stdout
	if !strings.Contains(bash, `compgen -W "check grant pam-profile"`) || !strings.Contains(bash, "grant) [[ $cur == -* ]] && { COMPREPLY=($(compgen -W \"--count --diff --pam\"") {
		t.Errorf("bash:\n%s", bash)
	}
	zsh := devfix(t, env, "completion", "zsh").stdout
	if !strings.Contains(zsh, "'grant:give users subordinate UID and GID ranges (root)'") || !strings.Contains(zsh, "grant) _arguments '*:arg:' '--count' '--diff' '--pam'") {
		t.Errorf("zsh:\n%s", zsh)
	}
	fish := devfix(t, env, "completion", "fish").stdout
	if !strings.Contains(fish, "__fish_seen_subcommand_from host; and __fish_seen_subcommand_from pam-profile' -l install") {
		t.Errorf("fish:\n%s", fish)
	}
}
