package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"
)

// hostCheck runs `devfix host check ARGS` through the command table.
func hostCheck(t *testing.T, env *Env, args ...string) result {
	t.Helper()
	return devfix(t, env, append([]string{"host", "check"}, args...)...)
}

func hostFixture(t *testing.T, subuid string) *Env {
	env := memEnv(t, map[string]string{
		"/etc/subuid":                        subuid,
		"/etc/subgid":                        "alice:100000:65536\nbob:165536:65536\n",
		"/etc/passwd":                        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n",
		"/etc/group":                         "root:x:0:\n",
		"/proc/sys/user/max_user_namespaces": "15000\n",
		"/sys/fs/cgroup/cgroup.controllers":  "memory pids\n",
		"/etc/systemd/system/user@.service.d/delegate.conf": "[Service]\nDelegate=memory pids cpu\n",
		"/usr/bin/newuidmap": "", "/usr/bin/newgidmap": "",
	})
	for _, p := range []string{"/usr/bin/newuidmap", "/usr/bin/newgidmap"} {
		env.Fs.Chmod(p, fs.ModeSetuid|0o755)
	}
	env.Run = func(_ context.Context, argv []string) ([]byte, error) {
		if strings.Join(argv, " ") == "getent passwd -- alice bob" {
			return []byte("alice:x:1000:1000::/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/bash\n"), nil
		}
		return nil, errors.New("exit status 1")
	}
	return env
}

// Exit 0 on a clean host, 1 on findings, 2 on bad input; JSON in doctor's
// shape.
func TestHostCheckCommand(t *testing.T) {
	clean := "alice:100000:65536\nbob:165536:65536\n"
	if r := hostCheck(t, hostFixture(t, clean)); r.code != ExitOK || !strings.Contains(r.stdout, "OK   subid-overlap: no two owners' ranges overlap") {
		t.Errorf("clean: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := hostCheck(t, hostFixture(t, "alice:100000:65536\nbob:100000:65536\n"), "--format", "json")
	if r.code != ExitFindings {
		t.Errorf("overlap: exit %d\n%s", r.code, r.stdout)
	}
	var rep struct {
		Checks []struct{ Name, Status, Detail, Fix string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	found := false
	for _, c := range rep.Checks {
		if c.Name == "subid-overlap" && c.Status == "fail" && strings.Contains(c.Detail, "alice's range 100000-165535 (line 1) overlaps bob's") && c.Fix != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("no failed subid-overlap in:\n%s", r.stdout)
	}
	// A warning is a finding, as lint counts warnings.
	if r := hostCheck(t, hostFixture(t, "alice:100000:1000\nbob:165536:65536\n")); r.code != ExitFindings || !strings.Contains(r.stdout, "WARN subid-range: alice holds 1000 IDs") {
		t.Errorf("small range: exit %d\n%s", r.code, r.stdout)
	}
	for _, args := range [][]string{{"--format", "yaml"}, {"extra"}} {
		if r := hostCheck(t, hostFixture(t, clean), args...); r.code != ExitBadInput || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}
