package cli

import (
	"context"
	"errors"
	iofs "io/fs"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

// A domain user: known to NSS (getent) but not to /etc/passwd, no
// subordinate ranges, on a host with a rootful socket it can write.
func TestDoctorDomainUser(t *testing.T) {
	env := memEnv(t, map[string]string{
		"/etc/passwd":                        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n",
		"/etc/subuid":                        "alice:100000:65536\nbob:165536:65536\n",
		"/etc/subgid":                        "alice:100000:65536\ncarol:231072:65536\n",
		"/proc/sys/user/max_user_namespaces": "0\n",
		"/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1\n",
		"/var/run/docker.sock":     "",
		"/home/jdoe/.bash_profile": "",
	})
	env.UID, env.GID, env.UserName = 1551001108, 1551000513, "jdoe"
	env.Access = func(string) error { return nil }
	env.Run = func(context.Context, []string) ([]byte, error) { return nil, errors.New("not found") }
	env.LookupEnv = func(k string) (string, bool) {
		if k == "HOME" {
			return "/home/jdoe", true
		}
		return "", false
	}
	r := devfix(t, env, "doctor")
	if r.code != ExitFindings {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	for _, want := range []string{
		"FAIL /etc/subuid: no range for jdoe (uid 1551001108)",
		"fix: sudo devfix host grant jdoe   # adds jdoe:296608:65536 to /etc/subuid",
		"fix: sudo devfix host grant jdoe   # adds jdoe:296608:65536 to /etc/subgid",
		"FAIL user.max_user_namespaces: 0",
		"FAIL kernel.apparmor_restrict_unprivileged_userns: 1",
		"FAIL rootful socket: /var/run/docker.sock (the rootful daemon) is writable by you",
		"FAIL /etc/passwd: no line for jdoe",
		"fix: an admin sets default_shell = /bin/bash in /etc/sssd/sssd.conf",
		"FAIL daemon: no Docker daemon answers",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	r = devfix(t, env, "doctor", "--format", "json")
	if !strings.Contains(r.stdout, `"name": "/etc/subuid"`) || !strings.Contains(r.stdout, `"status": "fail"`) {
		t.Errorf("json:\n%s", r.stdout)
	}
}

// The range doctor suggests comes from host grant's allocator: on a host
// joined to AD (SSSD's ID mapping, 200000-2000200000) it lies above SSSD's
// IDs, where the files' next free block (296608) would be a directory
// user's UID.
func TestDoctorGrantAvoidsSSSD(t *testing.T) {
	env := memEnv(t, map[string]string{
		"/etc/passwd":         "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n",
		"/etc/subuid":         "alice:100000:65536\nbob:165536:65536\n",
		"/etc/subgid":         "alice:100000:65536\ncarol:231072:65536\n",
		"/etc/login.defs":     "SUB_UID_MIN 100000\nSUB_UID_MAX 4294000000\nSUB_GID_MIN 100000\nSUB_GID_MAX 4294000000\n",
		"/etc/sssd/sssd.conf": "[sssd]\ndomains = corp\n[domain/corp]\nid_provider = ad\n",
	})
	env.UID, env.GID, env.UserName = 1551001108, 1551000513, "jdoe"
	r := devfix(t, env, "doctor", "--engine", "docker")
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		if want := "fix: sudo devfix host grant jdoe   # adds jdoe:2000200000:65536 to " + f; !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
}

// As a user who cannot read sssd.conf (root's, mode 600), doctor says its
// range was computed without it.
func TestDoctorGrantSaysWhatItCouldNotRead(t *testing.T) {
	env := memEnv(t, map[string]string{
		"/etc/subuid": "alice:100000:65536\n", "/etc/subgid": "alice:100000:65536\n",
	})
	env.Fs = denyOpen{env.Fs, "/etc/sssd/sssd.conf"}
	afero.WriteFile(env.Fs.(denyOpen).Fs, "/etc/sssd/sssd.conf", []byte("[sssd]\n"), 0o600)
	env.UID, env.GID, env.UserName = 1551001108, 1551000513, "jdoe"
	r := devfix(t, env, "doctor", "--engine", "docker")
	if !strings.Contains(r.stdout, "fix: sudo devfix host grant jdoe   # adds jdoe:165536:65536 to /etc/subuid") ||
		!strings.Contains(r.stdout, "sssd.conf: permission denied: as root, host grant reads it and may choose another start)") {
		t.Errorf("report:\n%s", r.stdout)
	}
}

// denyOpen refuses to open one path, as a normal user is refused a file of
// root's mode 600.
type denyOpen struct {
	afero.Fs
	path string
}

func (d denyOpen) Open(name string) (afero.File, error) {
	if name == d.path {
		return nil, &iofs.PathError{Op: "open", Path: name, Err: iofs.ErrPermission}
	}
	return d.Fs.Open(name)
}
