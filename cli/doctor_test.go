package cli

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
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
		"fix: echo 'jdoe:296608:65536' | sudo tee -a /etc/subuid",
		"fix: echo 'jdoe:296608:65536' | sudo tee -a /etc/subgid",
		"FAIL user.max_user_namespaces: 0",
		"FAIL kernel.apparmor_restrict_unprivileged_userns: 1",
		"FAIL rootful socket: /var/run/docker.sock (the rootful daemon) is writable by you",
		"FAIL /etc/passwd: no line for jdoe",
		"fix: getent passwd jdoe | sudo tee -a /etc/passwd",
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

// Only Python's docker-compose v1 is warned about: compose v2 also ships as
// a docker-compose program.
func TestDoctorComposeV1(t *testing.T) {
	for _, tc := range []struct {
		name, file, version string
		v1                  bool
	}{
		{"python script", "#!/usr/bin/python3\n# -*- coding: utf-8 -*-\nimport re\n", "", true},
		{"v1 binary", "\x7fELF\x02\x01\x01", "1.29.2\n", true},
		{"v2 binary", "\x7fELF\x02\x01\x01", "2.24.5\n", false},
		{"v2 binary, v prefix", "\x7fELF\x02\x01\x01", "v2.29.1\n", false},
		{"cannot tell", "\x7fELF\x02\x01\x01", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := memEnv(t, map[string]string{"/usr/bin/docker-compose": tc.file})
			env.LookPath = func(p string) (string, error) {
				if p == "docker-compose" {
					return "/usr/bin/docker-compose", nil
				}
				return "", exec.ErrNotFound
			}
			ran := false
			env.Run = func(_ context.Context, argv []string) ([]byte, error) {
				ran = true
				if tc.version == "" || strings.Join(argv, " ") != "/usr/bin/docker-compose version --short" {
					return nil, errors.New("exit status 1")
				}
				return []byte(tc.version), nil
			}
			d := doctor{env: env, ctx: context.Background(), s: newSession(env, lintFlags{})}
			if got := d.composeIsV1("/usr/bin/docker-compose"); got != tc.v1 {
				t.Errorf("composeIsV1 = %v, want %v", got, tc.v1)
			}
			if strings.HasPrefix(tc.file, "#!") && ran {
				t.Error("ran a Python script to learn what the file says")
			}
			if c := d.composeProvider(); (c.Status == statusWarn) != tc.v1 {
				t.Errorf("composeProvider: %+v", c)
			}
		})
	}
}
