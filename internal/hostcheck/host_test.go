package hostcheck

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

// fakeNSS answers getent by argv as NSS would on the fixture host:
// passwd by name or UID over every source, `-s SRC passwd` from one source,
// group by name. Unknown keys are left out and the exit is 2, as getent's.
type fakeNSS struct {
	passwd  map[string][]string // source → passwd lines ("" is every source)
	groups  map[string]string   // name → group line
	calls   [][]string
	failAll bool // getent cannot run
	byKey   map[string]map[string]string
}

func (n *fakeNSS) run(_ context.Context, argv []string) ([]byte, error) {
	n.calls = append(n.calls, argv)
	if n.failAll {
		return nil, exec.ErrNotFound
	}
	if filepath.Base(argv[0]) == "getcap" {
		return nil, fmt.Errorf("exit status 1")
	}
	if filepath.Base(argv[0]) != "getent" {
		return nil, fmt.Errorf("unexpected program %q", argv)
	}
	args := argv[1:]
	src := ""
	if len(args) > 1 && args[0] == "-s" {
		src, args = args[1], args[2:]
	}
	db, keys := args[0], args[1:]
	if len(keys) > 0 && keys[0] == "--" {
		keys = keys[1:]
	}
	var out strings.Builder
	missing := false
	for _, k := range keys {
		var hit string
		switch db {
		case "passwd":
			hit = n.index(src)[k]
		case "group":
			hit = n.groups[src+"/"+k]
			if src == "" {
				hit = n.groups[k]
			}
		}
		if hit == "" {
			missing = true
			continue
		}
		out.WriteString(hit + "\n")
	}
	if missing {
		return []byte(out.String()), exit2{}
	}
	return []byte(out.String()), nil
}

// index maps a source's names and UIDs to their lines, the first winning.
func (n *fakeNSS) index(src string) map[string]string {
	if n.byKey == nil {
		n.byKey = map[string]map[string]string{}
	}
	if m, ok := n.byKey[src]; ok {
		return m
	}
	m := map[string]string{}
	for _, line := range n.passwd[src] {
		f := strings.Split(line, ":")
		for _, k := range []string{f[0], f[2]} {
			if _, dup := m[k]; !dup {
				m[k] = line
			}
		}
	}
	n.byKey[src] = m
	return m
}

type exit2 struct{}

func (exit2) Error() string { return "exit status 2" }
func (exit2) ExitCode() int { return 2 }

// cleanHost is a host with nothing to report: two local users with their
// ranges, one with a rootless Podman, newuidmap setuid, cgroup v2 delegated.
func cleanHost() map[string]string {
	return map[string]string{
		"/etc/subuid":        "alice:100000:65536\nbob:165536:65536\n",
		"/etc/subgid":        "alice:100000:65536\nbob:165536:65536\n",
		"/etc/passwd":        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n",
		"/etc/group":         "root:x:0:\nalice:x:1000:\nbob:x:1001:\n",
		"/etc/nsswitch.conf": "passwd: files\ngroup: files\n",
		"/usr/bin/newuidmap": "", "/usr/bin/newgidmap": "",
		"/proc/sys/user/max_user_namespaces":                "15000\n",
		"/proc/sys/kernel/unprivileged_userns_clone":        "1\n",
		"/proc/self/mountinfo":                              "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n",
		"/sys/fs/cgroup/cgroup.controllers":                 "cpu memory pids\n",
		"/etc/systemd/system/user@.service.d/delegate.conf": "[Service]\nDelegate=cpu cpuset io memory pids\n",
		"/home/alice/.local/share/containers/storage/x":     "",
		"/home/bob/.profile":                                "",
	}
}

func cleanNSS() *fakeNSS {
	return &fakeNSS{passwd: map[string][]string{"": {
		"root:x:0:0:root:/root:/bin/bash",
		"alice:x:1000:1000::/home/alice:/bin/bash",
		"bob:x:1001:1001::/home/bob:/bin/bash",
	}}, groups: map[string]string{}}
}

// fixture makes the memory filesystem of a host: files, with changes
// applied ("" deletes a file), newuidmap setuid.
func fixture(t testing.TB, files map[string]string, change map[string]string) afero.Fs {
	fsys := afero.NewMemMapFs()
	for p, text := range change {
		files[p] = text
	}
	for p, text := range files {
		if strings.HasSuffix(p, "/") {
			fsys.MkdirAll(p, 0o755)
			continue
		}
		if text == "\x00delete" {
			continue
		}
		if err := afero.WriteFile(fsys, p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/usr/bin/newuidmap", "/usr/bin/newgidmap"} {
		if _, err := fsys.Stat(p); err == nil {
			fsys.Chmod(p, fs.ModeSetuid|0o755)
		}
	}
	return fsys
}

func rootOwner(fs.FileInfo) (int64, int64, bool) { return 0, 0, true }

func runHost(h *Host) []Check { return Run(context.Background(), h.Steps()...) }

// want is a check that must be in the report: its name, status and a part
// of its detail.
type want struct {
	name   string
	status Status
	detail string
}

func TestHostCheckClean(t *testing.T) {
	h := &Host{Fs: fixture(t, cleanHost(), nil), Run: cleanNSS().run, Owner: rootOwner}
	checks := runHost(h)
	for _, c := range checks {
		if c.Status != OK {
			t.Errorf("clean host: %+v", c)
		}
	}
	names := map[string]bool{}
	for _, c := range checks {
		names[c.Name] = true
	}
	for _, n := range []string{NameSubIDFile, NameSubIDSource, NameSubIDRange, NameSubIDOverlap, NameSubIDRealIDs, NameSSSDBound,
		NameSubIDOwner, NameEngineRange, NameLinger, NamePasswdCopy, NameRootful, NameDockerGroup, NameNewUIDMap, NameCgroups,
		"kernel.unprivileged_userns_clone", "user.max_user_namespaces"} {
		if !names[n] {
			t.Errorf("clean host: no %q check (each check says it found nothing)", n)
		}
	}
}

// Each case seeds one problem on the clean host; the report names it with
// the status and words given, and nothing else turns bad.
func TestHostCheckFindings(t *testing.T) {
	const sssdAD = "[sssd]\ndomains = corp\n[domain/corp]\nid_provider = ad\n"
	tests := []struct {
		name   string
		change map[string]string
		nss    func(*fakeNSS)
		wants  []want
	}{
		{
			name:   "malformed lines, with their numbers",
			change: map[string]string{"/etc/subuid": "alice:100000:65536\n# a comment\n\nbob:165536\ncarol:x:1\n"},
			wants: []want{
				{NameSubIDFile, Fail, "/etc/subuid:4: "},
				{NameSubIDFile, Fail, "/etc/subuid:5: "},
				{NameSubIDRange, Fail, "bob has a range in /etc/subgid (line 2) but none in /etc/subuid"},
			},
		},
		{
			name:   "a user without a subgid range, another with too few IDs",
			change: map[string]string{"/etc/subgid": "alice:100000:1000\n"},
			wants: []want{
				{NameSubIDRange, Fail, "bob has a range in /etc/subuid (line 2) but none in /etc/subgid"},
				{NameSubIDRange, Warn, "alice holds 1000 IDs in one run in /etc/subgid (line 1), fewer than the 65536"},
			},
		},
		{
			name:   "overlapping users",
			change: map[string]string{"/etc/subuid": "alice:100000:65536\nbob:165536:65536\ncarol:100000:65536\n", "/etc/subgid": "alice:100000:65536\nbob:165536:65536\ncarol:300000:65536\n"},
			nss: func(n *fakeNSS) {
				n.passwd[""] = append(n.passwd[""], "carol:x:1551001108:1551001108::/home/carol:/bin/bash")
			},
			wants: []want{{NameSubIDOverlap, Fail, "/etc/subuid: alice's range 100000-165535 (line 1) overlaps carol's range 100000-165535 (line 3)"}},
		},
		{
			name:   "one user by name and by UID is not an overlap",
			change: map[string]string{"/etc/subuid": "alice:100000:65536\nbob:165536:65536\n1000:120000:1000\n", "/etc/subgid": "alice:100000:65536\nbob:165536:65536\n1000:120000:1000\n"},
			wants:  []want{{NameSubIDOverlap, OK, "no two owners' ranges overlap"}},
		},
		{
			name:   "a range over a local user and over SSSD's ID mapping",
			change: map[string]string{"/etc/passwd": cleanHost()["/etc/passwd"] + "svc:x:170000:170000::/srv:/usr/sbin/nologin\n", "/etc/sssd/sssd.conf": sssdAD},
			wants: []want{
				{NameSubIDRealIDs, Fail, "/etc/subuid:2: bob's range 165536-231071 overlaps the UID of local user svc (/etc/passwd:4)"},
				{NameSubIDRealIDs, Fail, "IDs of SSSD domain corp"},
				{NameSubIDRealIDs, Fail, CVE},
			},
		},
		{
			name:   "a POSIX domain without max_id",
			change: map[string]string{"/etc/sssd/sssd.conf": "[sssd]\ndomains = ldap1\n[domain/ldap1]\nid_provider = ldap\nmin_id = 10000\n"},
			wants:  []want{{NameSSSDBound, Warn, "SSSD domain ldap1"}},
		},
		{
			name:   "an owner NSS does not know",
			change: map[string]string{"/etc/subuid": cleanHost()["/etc/subuid"] + "ghost:300000:65536\n", "/etc/subgid": cleanHost()["/etc/subgid"] + "ghost:300000:65536\n"},
			wants:  []want{{NameSubIDOwner, Warn, "ghost (/etc/subuid:3, /etc/subgid:3) is not a user NSS knows"}},
		},
		{
			name: "a domain user with rootless Docker and no range, not lingering",
			change: map[string]string{
				"/home/corp/jdoe/.local/share/docker/x":               "",
				"/home/corp/jdoe/.config/systemd/user/docker.service": "[Service]\n",
			},
			nss: func(n *fakeNSS) {
				n.passwd[""] = append(n.passwd[""], "jdoe:x:1551001108:1551000513::/home/corp/jdoe:/bin/bash")
			},
			wants: []want{
				{NameEngineRange, Fail, "jdoe (/home/corp/jdoe) set up a rootless engine (~/.local/share/docker, docker.service) but has no range in /etc/subuid or /etc/subgid"},
				{NameLinger, Warn, "jdoe has user-level engine units (docker.service) but does not linger"},
			},
		},
		{
			name:   "which source serves subid: sss, with lines in the files",
			change: map[string]string{"/etc/nsswitch.conf": "passwd: files\nsubid: sss\n"},
			wants: []want{{NameSubIDSource, Warn, "/etc/nsswitch.conf:2: subid: sss"},
				{NameEngineRange, Info, "their ranges come from subid: sss"}},
		},
		{
			name:   "no files, and NSS serves subid",
			change: map[string]string{"/etc/subuid": "\x00delete", "/etc/subgid": "\x00delete", "/etc/nsswitch.conf": "subid: sss\n"},
			wants: []want{{NameSubIDFile, Info, "/etc/subuid does not exist; nothing reads it (subid: sss)"},
				{NameSubIDSource, Info, "subid: sss"}, {NameEngineRange, Info, "subid: sss"}},
		},
		{
			name:   "no files",
			change: map[string]string{"/etc/subuid": "\x00delete", "/etc/subgid": "\x00delete"},
			wants: []want{{NameSubIDFile, Warn, "/etc/subuid does not exist: no user has a range in it"},
				{NameEngineRange, Fail, "alice (/home/alice) set up a rootless engine (~/.local/share/containers) but has no range in /etc/subuid or /etc/subgid"}},
		},
		{
			name:   "a copied directory user",
			change: map[string]string{"/etc/nsswitch.conf": "passwd: files sss [NOTFOUND=return] extrausers\n", "/etc/passwd": cleanHost()["/etc/passwd"] + "dom.user:x:1551001108:1551001108::/home/dom.user:/bin/bash\n"},
			nss: func(n *fakeNSS) {
				n.passwd["extrausers"] = []string{"dom.user:x:1551001108:1551001108::/srv/home/dom.user:/usr/bin/zsh"}
			},
			wants: []want{{NamePasswdCopy, Warn, "/etc/passwd:4: dom.user is also answered by NSS source extrausers"}},
		},
		{
			name: "rootful docker enabled",
			change: map[string]string{
				"/etc/systemd/system/multi-user.target.wants/docker.service": "",
				"/etc/systemd/system/sockets.target.wants/docker.socket":     "",
			},
			wants: []want{{NameRootful, Fail, "docker.service is enabled (/etc/systemd/system/multi-user.target.wants/docker.service); docker.socket is enabled"}},
		},
		{
			name:   "a rootful socket",
			change: map[string]string{"/run/docker.sock": ""},
			wants:  []want{{NameRootful, Fail, "/run/docker.sock exists"}},
		},
		{
			name:   "docker group members, a directory one and by primary group",
			change: map[string]string{"/etc/passwd": cleanHost()["/etc/passwd"] + "ci:x:1002:105::/home/ci:/bin/bash\n"},
			nss:    func(n *fakeNSS) { n.groups["docker"] = "docker:x:105:dom.user" },
			wants:  []want{{NameDockerGroup, Fail, "the docker group (GID 105) has dom.user, ci (primary group)"}},
		},
		{
			name: "a directory's docker group behind /etc/group's",
			change: map[string]string{"/etc/group": cleanHost()["/etc/group"] + "docker:x:105:\n",
				"/etc/nsswitch.conf": "passwd: files\ngroup: files [SUCCESS=merge] extrausers\n"},
			nss: func(n *fakeNSS) {
				n.groups["docker"] = "docker:x:105:"
				n.groups["extrausers/docker"] = "docker:x:105:dom.h6d"
			},
			wants: []want{{NameDockerGroup, Fail, "the docker group (GID 105) has dom.h6d"}},
		},
		{
			name:   "newuidmap on a nosuid mount",
			change: map[string]string{"/proc/self/mountinfo": "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n30 22 8:2 / /usr rw,nosuid,relatime - ext4 /dev/sda2 rw\n"},
			wants:  []want{{NameNewUIDMap, Fail, "/usr/bin/newuidmap is on /usr, mounted nosuid"}},
		},
		{
			name:   "user namespaces off",
			change: map[string]string{"/proc/sys/kernel/unprivileged_userns_clone": "0\n"},
			wants:  []want{{"kernel.unprivileged_userns_clone", Fail, "0: unprivileged user namespaces are off"}},
		},
		{
			name:   "AppArmor restricts user namespaces, no rootlesskit profile",
			change: map[string]string{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1\n"},
			wants:  []want{{"kernel.apparmor_restrict_unprivileged_userns", Fail, "AppArmor stops rootlesskit"}},
		},
		{
			name: "AppArmor restricts user namespaces, rootlesskit has a profile",
			change: map[string]string{"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1\n",
				"/etc/apparmor.d/rootlesskit": "abi <abi/4.0>,\nprofile rootlesskit /usr/bin/rootlesskit flags=(unconfined) {\n  userns,\n}\n"},
			wants: []want{{"kernel.apparmor_restrict_unprivileged_userns", OK, "/etc/apparmor.d/rootlesskit gives rootlesskit \"userns,\""}},
		},
		{
			name:   "newuidmap on a nosuid mount whose path has a space",
			change: map[string]string{"/proc/self/mountinfo": "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n30 22 8:2 / /usr\\040x rw - ext4 /dev/sda2 rw\n31 22 8:3 / /usr/bin rw,nosuid - ext4 /dev/sda3 rw\n"},
			wants:  []want{{NameNewUIDMap, Fail, "/usr/bin/newuidmap is on /usr/bin, mounted nosuid"}},
		},
		{
			name:   "a malformed login.defs",
			change: map[string]string{"/etc/login.defs": "SUB_UID_MIN lots\n"},
			wants:  []want{{NameLoginDefs, Fail, "/etc/login.defs:1: "}},
		},
		{
			name:   "no Delegate drop-in",
			change: map[string]string{"/etc/systemd/system/user@.service.d/delegate.conf": "\x00delete"},
			wants:  []want{{NameCgroups, Warn, "no user@.service drop-in sets Delegate="}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nss := cleanNSS()
			if tt.nss != nil {
				tt.nss(nss)
			}
			h := &Host{Fs: fixture(t, cleanHost(), tt.change), Run: nss.run, Owner: rootOwner}
			checks := runHost(h)
			for _, c := range checks {
				// Each file is named once per part: never "PATH PATH:LINE".
				for _, p := range []string{"/etc/subuid", "/etc/subgid", "/etc/login.defs"} {
					if strings.Contains(c.Detail, p+" "+p) {
						t.Errorf("%s names %s twice: %q", c.Name, p, c.Detail)
					}
				}
			}
			for _, w := range tt.wants {
				found := false
				for _, c := range checks {
					if c.Name == w.name && c.Status == w.status && strings.Contains(c.Detail, w.detail) {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s %s check with %q in:\n%s", w.status, w.name, w.detail, report(checks))
				}
			}
			// Nothing else turns bad: every other check that is not OK is
			// one of the named ones.
			named := map[string]bool{}
			for _, w := range tt.wants {
				named[w.name] = true
			}
			for _, c := range checks {
				if c.Status != OK && !named[c.Name] {
					t.Errorf("unexpected %s %s: %s", c.Status, c.Name, c.Detail)
				}
			}
		})
	}
}

func report(checks []Check) string {
	var b strings.Builder
	for _, c := range checks {
		fmt.Fprintf(&b, "  %s %s: %s\n", c.Status, c.Name, c.Detail)
	}
	return b.String()
}

func TestHostCheckFileOwnerAndMode(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mode   fs.FileMode
		uid    int64
		status Status
		detail string
	}{
		{"root 644", 0o644, 0, OK, "/etc/subuid: a file of root's, mode 644"},
		{"world-writable", 0o666, 0, Fail, "/etc/subuid is mode 666: others can write it"},
		{"root 600", 0o600, 0, Warn, "/etc/subuid is mode 600, not 644"},
		{"a user's", 0o644, 1000, Fail, "/etc/subuid is owned by 1000:0, not root"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fixture(t, cleanHost(), nil)
			fsys.Chmod("/etc/subuid", tt.mode)
			owner := func(fi fs.FileInfo) (int64, int64, bool) {
				if fi.Name() == "subuid" {
					return tt.uid, 0, true
				}
				return 0, 0, true
			}
			checks := runHost(&Host{Fs: fsys, Run: cleanNSS().run, Owner: owner})
			if c := checks[0]; c.Name != NameSubIDFile || c.Status != tt.status || !strings.Contains(c.Detail, tt.detail) {
				t.Errorf("got %+v, want %s %q", c, tt.status, tt.detail)
			}
		})
	}
}

// A symbolic link, on the real filesystem under a temporary root.
func TestHostCheckSymlink(t *testing.T) {
	root := t.TempDir()
	fsys := afero.NewOsFs()
	for p, text := range cleanHost() {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(text), 0o644)
	}
	os.Rename(filepath.Join(root, "etc/subgid"), filepath.Join(root, "etc/subgid.real"))
	if err := os.Symlink("subgid.real", filepath.Join(root, "etc/subgid")); err != nil {
		t.Fatal(err)
	}
	checks := runHost(&Host{Fs: fsys, Root: root, Run: cleanNSS().run, Owner: rootOwner})
	var got *Check
	for i, c := range checks {
		if c.Name == NameSubIDFile && strings.Contains(c.Detail, "/etc/subgid") {
			got = &checks[i]
		}
	}
	if got == nil || got.Status != Fail || !strings.Contains(got.Detail, "is a symbolic link") {
		t.Errorf("symlink: %+v\n%s", got, report(checks))
	}
}

// Without getent (a normal user's PATH, a broken NSS), what NSS would have
// said is info, never a failure; a file that cannot be read is named.
func TestHostCheckWithoutGetent(t *testing.T) {
	nss := cleanNSS()
	nss.failAll = true
	fsys := denyFs{fixture(t, cleanHost(), map[string]string{"/etc/sssd/sssd.conf": "[sssd]\n"}), []string{"/etc/sssd/sssd.conf", "/home/alice/"}}
	checks := runHost(&Host{Fs: fsys, Run: nss.run, Owner: rootOwner, UID: 1000})
	if w := Worst(checks); w != Info {
		t.Errorf("worst = %s, want info\n%s", w, report(checks))
	}
	last := checks[len(checks)-1]
	if last.Name != NameUnread || !strings.Contains(last.Detail, "sssd.conf") || !strings.Contains(last.Detail, "uid 1000") ||
		!strings.Contains(last.Detail, "1 home folder(s) (/home/alice)") {
		t.Errorf("unread: %+v", last)
	}
}

// denyFs refuses paths (a path, or a folder's contents when it ends in
// "/"), as a file of root's mode 600 or a home of mode 700 is to a normal
// user.
type denyFs struct {
	afero.Fs
	deny []string
}

func (d denyFs) denied(name string) bool {
	for _, p := range d.deny {
		if name == p || strings.HasSuffix(p, "/") && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (d denyFs) Open(name string) (afero.File, error) {
	if d.denied(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.Fs.Open(name)
}

func (d denyFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if d.denied(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.Fs.OpenFile(name, flag, perm)
}

func (d denyFs) Stat(name string) (os.FileInfo, error) {
	if d.denied(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrPermission}
	}
	return d.Fs.Stat(name)
}

// NSS is asked once for all owners, not once per owner.
func TestHostCheckAsksGetentOnce(t *testing.T) {
	nss := cleanNSS()
	runHost(&Host{Fs: fixture(t, cleanHost(), nil), Run: nss.run, Owner: rootOwner})
	n := 0
	for _, c := range nss.calls {
		if len(c) > 2 && c[1] == "passwd" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d getent passwd runs, want 1: %v", n, nss.calls)
	}
}

func TestWorstAndAtLeast(t *testing.T) {
	cs := []Check{{Status: OK}, {Status: Info}, {Status: Warn}}
	if w := Worst(cs); w != Warn {
		t.Errorf("Worst = %s", w)
	}
	if Worst(nil) != OK || !AtLeast(Warn, Warn) || AtLeast(Info, Warn) || !AtLeast(Fail, Warn) {
		t.Error("AtLeast")
	}
}

// A normal user who cannot read /etc/subuid gets info for every check that
// needs it, and the file named as unread; no check fails or passes on what
// it could not see.
func TestHostCheckUnreadableSubUID(t *testing.T) {
	fsys := denyFs{fixture(t, cleanHost(), nil), []string{"/etc/subuid"}}
	checks := runHost(&Host{Fs: fsys, Run: cleanNSS().run, Owner: rootOwner, UID: 1000})
	if w := Worst(checks); w != Info {
		t.Errorf("worst = %s\n%s", w, report(checks))
	}
	for _, name := range []string{NameSubIDRange, NameSubIDOverlap, NameSubIDRealIDs, NameSubIDOwner, NameEngineRange} {
		n := 0
		for _, c := range checks {
			if c.Name == name {
				n++
				if c.Status != Info || !strings.Contains(c.Detail, "/etc/subuid cannot be read") {
					t.Errorf("%s: %+v", name, c)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d %s checks", n, name)
		}
	}
}
