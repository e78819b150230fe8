package hostcheck

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/devfix/devfix/internal/vscode"
	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

const commit = "0f0d87fa9e96c856c5212fc86db137ac0d783365"

var (
	dockerWant  = vscode.Want{DockerHost: "unix:///run/user/1000/docker.sock"}
	podmanWant  = vscode.Want{DockerPath: "podman"}
	errSentinel = errors.New("some error")
)

func TestCheckServers(t *testing.T) {
	host := "unix:///run/user/1000/docker.sock"
	started := time.Date(2025, 11, 20, 9, 15, 0, 0, time.Local)
	srv := func(env map[string]string, hosts ...vscode.Process) vscode.Server {
		return vscode.Server{Process: vscode.Process{PID: 4242, Started: started, Env: env}, Commit: commit, ExtensionHosts: hosts}
	}
	eh := func(pid int, env map[string]string) vscode.Process { return vscode.Process{PID: pid, Env: env} }
	const id = "server 4242 (0f0d87f, started 2025-11-20 09:15)"
	const restart = "in VS Code, run \"Remote-SSH: Kill VS Code Server on Host...\" from the command palette, or here: kill 4242; it starts again, with your environment as it is now, on the next connection"
	tests := []struct {
		name   string
		server vscode.Server
		want   vscode.Want
		check  Check
	}{
		{
			name:   "extension host has it",
			server: srv(map[string]string{}, eh(7, map[string]string{"DOCKER_HOST": host})),
			want:   dockerWant,
			check:  Check{Name: "VS Code server", Status: OK, Detail: id + ": its extension host 7 has DOCKER_HOST=" + host},
		},
		{
			name:   "extension host lacks it",
			server: srv(map[string]string{}, eh(7, map[string]string{"DOCKER_HOST": host}), eh(8, map[string]string{}), eh(9, map[string]string{})),
			want:   dockerWant,
			check: Check{Name: "VS Code server", Status: Warn,
				Detail: id + ": its extension host 8, 9 has no DOCKER_HOST: the server resolved your login shell's environment before DOCKER_HOST was there, and keeps what it found; it must be restarted",
				Fix:    restart},
		},
		{
			name:   "extension host has another",
			server: srv(map[string]string{"DOCKER_HOST": host}, eh(7, map[string]string{"DOCKER_HOST": "unix:///var/run/docker.sock"})),
			want:   dockerWant,
			check: Check{Name: "VS Code server", Status: Fail,
				Detail: id + `: its extension host 7 has DOCKER_HOST="unix:///var/run/docker.sock", not "unix:///run/user/1000/docker.sock": the server must be restarted`,
				Fix:    restart},
		},
		{
			name:   "extension host unreadable",
			server: srv(map[string]string{}, vscode.Process{PID: 7, EnvErr: errSentinel}),
			want:   dockerWant,
			check: Check{Name: "VS Code server", Status: Warn,
				Detail: id + ": cannot read the environment of its extension host 7",
				Fix:    "run devfix doctor as the user who runs VS Code"},
		},
		{
			name:   "no window, server has it",
			server: srv(map[string]string{"DOCKER_HOST": host}),
			want:   dockerWant,
			check:  Check{Name: "VS Code server", Status: OK, Detail: id + " has DOCKER_HOST=" + host},
		},
		{
			name:   "no window, server has another",
			server: srv(map[string]string{"DOCKER_HOST": "tcp://elsewhere:2375"}),
			want:   dockerWant,
			check: Check{Name: "VS Code server", Status: Fail,
				Detail: id + ` has DOCKER_HOST="tcp://elsewhere:2375", not "unix:///run/user/1000/docker.sock": it must be restarted`,
				Fix:    restart},
		},
		{
			name:   "no window, nothing to see",
			server: srv(map[string]string{}),
			want:   dockerWant,
			check: Check{Name: "VS Code server", Status: Warn,
				Detail: id + " has no DOCKER_HOST and no window connected, so devfix cannot see the environment its extensions get: the server took it from your login shell when a window first connected, and keeps it until it stops; restart it if it started before DOCKER_HOST was set up",
				Fix:    "if it started before DOCKER_HOST was set up, " + restart},
		},
		{
			name:   "no window, unreadable",
			server: vscode.Server{Process: vscode.Process{PID: 4242, Started: started, EnvErr: fmt.Errorf("cannot read the environment of process 4242: permission denied")}, Commit: commit},
			want:   dockerWant,
			check: Check{Name: "VS Code server", Status: Warn,
				Detail: id + ": cannot read the environment of process 4242: permission denied",
				Fix:    "run devfix doctor as the user who runs VS Code; to be sure, " + restart},
		},
		{
			name:   "podman needs nothing",
			server: srv(map[string]string{}, eh(7, map[string]string{})),
			want:   podmanWant,
			check:  Check{Name: "VS Code server", Status: OK, Detail: id + ": dev.containers.dockerPath runs podman, which needs no DOCKER_HOST"},
		},
		{
			name:   "podman by path, with a DOCKER_HOST too",
			server: srv(map[string]string{}, eh(7, map[string]string{})),
			want:   vscode.Want{DockerHost: host, DockerPath: "/usr/bin/podman"},
			check:  Check{Name: "VS Code server", Status: OK, Detail: id + ": dev.containers.dockerPath runs podman, which needs no DOCKER_HOST"},
		},
		{
			name:   "nothing wanted",
			server: vscode.Server{Process: vscode.Process{PID: 4242}, Commit: "abc", Insiders: true},
			want:   vscode.Want{},
			check:  Check{Name: "VS Code server", Status: OK, Detail: "server 4242 (Insiders abc)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckServers([]vscode.Server{tt.server}, tt.want)
			if diff := cmp.Diff([]Check{tt.check}, got); diff != "" {
				t.Errorf("CheckServers (-want +got):\n%s", diff)
			}
		})
	}
	if got := CheckServers(nil, dockerWant); got != nil {
		t.Errorf("no servers: %v", got)
	}
}

// TestServersThenCheck runs the two together on a fake /proc, as the doctor
// does.
func TestServersThenCheck(t *testing.T) {
	bin := "/home/me/.vscode-server/bin/" + commit
	fsys := afero.NewMemMapFs()
	for path, text := range map[string]string{
		"/proc/100/cmdline": bin + "/node\x00" + bin + "/out/server-main.js\x00",
		"/proc/100/status":  "Name:\tnode\nUid:\t1000\t1000\t1000\t1000\nPPid:\t1\n",
		"/proc/100/environ": "HOME=/home/me\x00",
		"/proc/101/cmdline": bin + "/node\x00--type=extensionHost\x00",
		"/proc/101/status":  "Name:\tnode\nUid:\t1000\t1000\t1000\t1000\nPPid:\t100\n",
		"/proc/101/stat":    "101 (node) S 100 101 101 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0",
		"/proc/101/environ": "HOME=/home/me\x00",
	} {
		afero.WriteFile(fsys, path, []byte(text), 0o444)
	}
	checks := CheckServers(vscode.Servers(fsys, "/proc", 1000, "/home/me"), dockerWant)
	if len(checks) != 1 || checks[0].Status != Warn || !strings.Contains(checks[0].Fix, "kill 100") {
		t.Errorf("checks = %+v", checks)
	}
}
