package hostcheck

import (
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/vscode"
	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

// Each case is one user settings file; the sockets that exist are
// /run/user/1000/docker.sock and /run/docker.sock.
func TestSettingsChecks(t *testing.T) {
	const home = "/home/me"
	const path = home + "/.config/Code/User/settings.json"
	tests := []struct {
		name   string
		in     string
		hosts  []DockerHost
		checks []Check
	}{
		{
			// One value, one host to ping and one check, naming both places.
			name: "rootless, both keys, one devfix's",
			in: `{
  "containers.environment": {"DOCKER_HOST": "unix:///run/user/1000/docker.sock"},
  "docker.environment": {"DOCKER_HOST": /* added by devfix shellenv --install */ "unix:///run/user/1000/docker.sock"}
}`,
			hosts: []DockerHost{{
				Place: vscode.Place{Path: "s.json", Line: 2, Col: 45, Setting: "containers.environment"}, Value: "unix:///run/user/1000/docker.sock",
				Also: []vscode.Place{{Path: "s.json", Line: 3, Col: 82, Setting: "docker.environment"}},
			}},
			checks: []Check{
				{Name: "VS Code settings", Status: OK, Detail: `s.json:2:45: "containers.environment" and s.json:3:82: "docker.environment" set DOCKER_HOST="unix:///run/user/1000/docker.sock"`},
			},
		},
		{
			name: "rootful, both keys",
			in:   `{"containers.environment": {"DOCKER_HOST": "unix:///var/run/docker.sock"}, "docker.environment": {"DOCKER_HOST": "unix:///var/run/docker.sock"}}`,
			hosts: []DockerHost{{
				Place: vscode.Place{Path: "s.json", Line: 1, Col: 44, Setting: "containers.environment"}, Value: "unix:///var/run/docker.sock",
				Also: []vscode.Place{{Path: "s.json", Line: 1, Col: 114, Setting: "docker.environment"}},
			}},
			checks: []Check{{Name: "VS Code settings", Status: Warn,
				Detail: `s.json:1:44: "containers.environment" and s.json:1:114: "docker.environment" set DOCKER_HOST="unix:///var/run/docker.sock", the socket of the rootful daemon: whoever can use it is root on this host`,
				Fix:    `point the DOCKER_HOST of "containers.environment" and "docker.environment" in s.json at your rootless daemon (unix:///run/user/<your uid>/docker.sock), or remove them`}},
		},
		{
			name: "rootful",
			in:   `{"containers.environment": {"DOCKER_HOST": "unix:///var/run/docker.sock"}, "docker.environment": {"DOCKER_HOST": "unix:///run//docker.sock"}}`,
			hosts: []DockerHost{
				{Place: vscode.Place{Path: "s.json", Line: 1, Col: 44, Setting: "containers.environment"}, Value: "unix:///var/run/docker.sock"},
				{Place: vscode.Place{Path: "s.json", Line: 1, Col: 114, Setting: "docker.environment"}, Value: "unix:///run//docker.sock"},
			},
			checks: []Check{
				{Name: "VS Code settings", Status: Warn,
					Detail: `s.json:1:44: "containers.environment" sets DOCKER_HOST="unix:///var/run/docker.sock", the socket of the rootful daemon: whoever can use it is root on this host`,
					Fix:    `in s.json, point "containers.environment"'s DOCKER_HOST at your rootless daemon (unix:///run/user/<your uid>/docker.sock), or remove it`},
				{Name: "VS Code settings", Status: Warn,
					Detail: `s.json:1:114: "docker.environment" sets DOCKER_HOST="unix:///run//docker.sock", the socket of the rootful daemon: whoever can use it is root on this host`,
					Fix:    `in s.json, point "docker.environment"'s DOCKER_HOST at your rootless daemon (unix:///run/user/<your uid>/docker.sock), or remove it`},
			},
		},
		{
			name:  "no such socket",
			in:    `{"docker.environment": {"DOCKER_HOST": "unix:///home/me/.docker/run/docker.sock"}}`,
			hosts: []DockerHost{{Place: vscode.Place{Path: "s.json", Line: 1, Col: 40, Setting: "docker.environment"}, Value: "unix:///home/me/.docker/run/docker.sock"}},
			checks: []Check{{Name: "VS Code settings", Status: Warn,
				Detail: `s.json:1:40: "docker.environment" sets DOCKER_HOST="unix:///home/me/.docker/run/docker.sock", but there is no /home/me/.docker/run/docker.sock`,
				Fix:    "start your rootless daemon (systemctl --user start docker), or correct the path in s.json"}},
		},
		{
			name:   "tcp is not checked here",
			in:     `{"docker.environment": {"DOCKER_HOST": "tcp://build:2375"}}`,
			hosts:  []DockerHost{{Place: vscode.Place{Path: "s.json", Line: 1, Col: 40, Setting: "docker.environment"}, Value: "tcp://build:2375"}},
			checks: []Check{{Name: "VS Code settings", Status: OK, Detail: `s.json:1:40: "docker.environment" sets DOCKER_HOST="tcp://build:2375"`}},
		},
		{
			name: "not a string; empty; not an object; none",
			in:   `{"containers.environment": {"DOCKER_HOST": 1}, "docker.environment": {"DOCKER_HOST": ""}, "x": {"DOCKER_HOST": "unix:///x"}}`,
			checks: []Check{{Name: "VS Code settings", Status: Warn,
				Detail: `s.json:1:44: "containers.environment" sets DOCKER_HOST to 1, not a string`,
				Fix:    `in s.json, write the DOCKER_HOST of "containers.environment" as a string, or remove it`}},
		},
		{name: "no settings", in: `{"containers.environment": "x"}`},
		{name: "empty file", in: "\n"},
		{
			name: "does not parse",
			in:   "{\n  \"a\": 1,,\n}",
			checks: []Check{{Name: "VS Code settings", Status: Warn,
				Detail: `s.json:2:10: invalid character ',' at start of value`,
				Fix:    "correct the file (VS Code shows the problem when you open it), then run devfix doctor again"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := afero.NewMemMapFs()
			afero.WriteFile(fsys, path, []byte(tt.in), 0o644)
			afero.WriteFile(fsys, "/run/user/1000/docker.sock", nil, 0o600)
			afero.WriteFile(fsys, "/run/docker.sock", nil, 0o600)
			hosts, checks := CheckSettings(fsys, home)
			for i := range tt.hosts {
				tt.hosts[i].Path = path
				for j := range tt.hosts[i].Also {
					tt.hosts[i].Also[j].Path = path
				}
			}
			for i := range tt.checks {
				tt.checks[i].Detail = strings.ReplaceAll(tt.checks[i].Detail, "s.json", path)
				tt.checks[i].Fix = strings.ReplaceAll(tt.checks[i].Fix, "s.json", path)
			}
			if diff := cmp.Diff(tt.hosts, hosts); diff != "" {
				t.Errorf("hosts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.checks, checks); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckSettings(t *testing.T) {
	fsys := afero.NewMemMapFs()
	home := "/home/me"
	machine := home + "/.vscode-server/data/Machine/settings.json"
	user := home + "/.config/Code/User/settings.json"
	afero.WriteFile(fsys, machine, []byte(`{"containers.environment": {"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}}`), 0o644)
	afero.WriteFile(fsys, user, []byte(`{"docker.environment": {"DOCKER_HOST": "unix:///var/run/docker.sock"}}`), 0o644)
	afero.WriteFile(fsys, "/run/user/1000/docker.sock", nil, 0o600)
	hosts, checks := CheckSettings(fsys, home)
	wantHosts := []DockerHost{
		{Place: vscode.Place{Path: machine, Line: 1, Col: 44, Setting: "containers.environment"}, Value: "unix:///run/user/1000/docker.sock"},
		{Place: vscode.Place{Path: user, Line: 1, Col: 40, Setting: "docker.environment"}, Value: "unix:///var/run/docker.sock"},
	}
	if diff := cmp.Diff(wantHosts, hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
	var statuses []Status
	for _, c := range checks {
		statuses = append(statuses, c.Status)
	}
	if diff := cmp.Diff([]Status{OK, Warn}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s\n%+v", diff, checks)
	}
}

// shellenv --install writes one DOCKER_HOST under both keys; with machine
// and user settings that is four places: one host for the CLI to ping, and
// one warning.
func TestCheckSettingsGroupsOneValue(t *testing.T) {
	fsys := afero.NewMemMapFs()
	home := "/home/me"
	machine := home + "/.vscode-server/data/Machine/settings.json"
	user := home + "/.config/Code/User/settings.json"
	for _, p := range []string{machine, user} {
		data, _, err := vscode.Install(p, []byte("{}\n"), vscode.Want{DockerHost: "unix:///run/user/1000/docker.sock"})
		if err != nil {
			t.Fatal(err)
		}
		afero.WriteFile(fsys, p, data, 0o644)
	}
	hosts, checks := CheckSettings(fsys, home)
	if len(hosts) != 1 || hosts[0].Value != "unix:///run/user/1000/docker.sock" {
		t.Fatalf("hosts: %+v", hosts)
	}
	var where []string
	for _, p := range hosts[0].Places() {
		where = append(where, p.Path+" "+p.Setting)
	}
	wantWhere := []string{machine + " containers.environment", machine + " docker.environment", user + " containers.environment", user + " docker.environment"}
	if diff := cmp.Diff(wantWhere, where); diff != "" {
		t.Errorf("places (-want +got):\n%s", diff)
	}
	if len(checks) != 1 || checks[0].Status != Warn ||
		!strings.HasSuffix(checks[0].Detail, ` set DOCKER_HOST="unix:///run/user/1000/docker.sock", but there is no /run/user/1000/docker.sock`) ||
		strings.Count(checks[0].Detail, "settings.json:") != 4 ||
		checks[0].Fix != "start your rootless daemon (systemctl --user start docker), or correct the path in "+machine+" and "+user {
		t.Errorf("checks: %+v", checks)
	}
}
