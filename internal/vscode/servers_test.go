package vscode

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

// fakeProc is one process of a fake /proc tree.
type fakeProc struct {
	pid, ppid int
	uid       int64
	argv      []string
	env       []string // nil: no environ file (unreadable)
	exe       string   // the /proc/<pid>/exe link, if any
	ticks     int64    // start time, in clock ticks after boot
}

// linkFs is a memory filesystem that can read the exe links of a fake /proc.
type linkFs struct {
	afero.Fs
	links map[string]string
}

func (l linkFs) ReadlinkIfPossible(name string) (string, error) {
	if t, ok := l.links[name]; ok {
		return t, nil
	}
	return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrPermission}
}

const testBoot = 1700000000

func fakeProcFs(t *testing.T, procs ...fakeProc) afero.Fs {
	t.Helper()
	mem := afero.NewMemMapFs()
	l := linkFs{Fs: mem, links: map[string]string{}}
	write := func(p, s string) {
		if err := afero.WriteFile(mem, p, []byte(s), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	write("/proc/stat", "cpu  1 2 3 4\nbtime "+fmt.Sprint(testBoot)+"\nprocesses 99\n")
	write("/proc/self/status", "Uid:\t1000\t1000\t1000\t1000\n") // not a PID: skipped
	for _, p := range procs {
		dir := filepath.Join("/proc", fmt.Sprint(p.pid))
		write(dir+"/cmdline", strings.Join(p.argv, "\x00")+"\x00")
		write(dir+"/status", fmt.Sprintf("Name:\tnode\nUmask:\t0002\nUid:\t%d\t%d\t%d\t%d\nGid:\t100\t100\t100\t100\n", p.uid, p.uid, p.uid, p.uid))
		// comm with a space and a parenthesis, as a process may name itself.
		fields := []string{"S", fmt.Sprint(p.ppid)}
		for i := 5; i <= 21; i++ {
			fields = append(fields, "0")
		}
		fields = append(fields, fmt.Sprint(p.ticks), "0", "0")
		write(dir+"/stat", fmt.Sprintf("%d (node (x) y) %s\n", p.pid, strings.Join(fields, " ")))
		if p.env != nil {
			write(dir+"/environ", strings.Join(p.env, "\x00")+"\x00")
		}
		if p.exe != "" {
			l.links[dir+"/exe"] = p.exe
		}
	}
	return l
}

const commit = "0f0d87fa9e96c856c5212fc86db137ac0d783365"

func serverArgv(dir string) []string {
	return []string{dir + "/node", dir + "/out/server-main.js", "--host=127.0.0.1", "--port=0", "--connection-token=x", "--accept-server-license-terms"}
}

func extHostArgv(dir string) []string {
	return []string{dir + "/node", "--dns-result-order=ipv4first", dir + "/out/bootstrap-fork", "--type=extensionHost", "--transformURIs", "--useHostProxy=false"}
}

func at(ticks int64) time.Time {
	return time.Unix(testBoot, 0).Add(time.Duration(ticks) * 10 * time.Millisecond)
}

func TestServers(t *testing.T) {
	home := "/home/me"
	bin := home + "/.vscode-server/bin/" + commit
	cli := home + "/.vscode-server/cli/servers/Stable-" + commit + "/server"
	ins := home + "/.vscode-server-insiders/bin/abc123"
	fsys := fakeProcFs(t,
		// A Remote-SSH server and its two extension hosts.
		fakeProc{pid: 100, ppid: 1, uid: 1000, argv: serverArgv(bin), env: []string{"HOME=/home/me", "PATH=/usr/bin"}, ticks: 12345},
		fakeProc{pid: 120, ppid: 100, uid: 1000, argv: extHostArgv(bin), env: []string{"DOCKER_HOST=unix:///run/user/1000/docker.sock", "DOCKER_HOST=ignored"}},
		fakeProc{pid: 110, ppid: 100, uid: 1000, argv: extHostArgv(bin), env: []string{"PATH=/usr/bin", "EMPTY=", "NOEQUALS"}},
		// The code CLI's layout.
		fakeProc{pid: 200, ppid: 1, uid: 1000, argv: serverArgv(cli), env: []string{}},
		// Insiders, found by the exe link only (argv[0] is relative); its
		// environment cannot be read.
		fakeProc{pid: 300, ppid: 1, uid: 1000, argv: []string{"node", "out/server-main.js"}, exe: ins + "/node (deleted)"},
		// A symlinked home: the real path shows.
		fakeProc{pid: 400, ppid: 1, uid: 1000, argv: serverArgv("/var/home/me/.vscode-server/bin/" + commit), env: []string{}},
		// Another user's server; another folder's; a node elsewhere; a shell.
		fakeProc{pid: 500, ppid: 1, uid: 1001, argv: serverArgv("/home/you/.vscode-server/bin/" + commit), env: []string{}},
		fakeProc{pid: 501, ppid: 1, uid: 1000, argv: serverArgv("/home/you/.vscode-server/bin/" + commit), env: []string{}},
		fakeProc{pid: 502, ppid: 1, uid: 1000, argv: []string{"/usr/bin/node", "/srv/app/server-main.js"}, env: []string{}},
		fakeProc{pid: 503, ppid: 1, uid: 1000, argv: []string{"-bash"}, env: []string{}},
		// An extension host of another user's server.
		fakeProc{pid: 504, ppid: 500, uid: 1001, argv: extHostArgv("/home/you/.vscode-server/bin/" + commit), env: []string{}},
	)
	got := Servers(fsys, "/proc", 1000, home)
	want := []Server{
		{
			Process: Process{PID: 100, Started: at(12345), Env: map[string]string{"HOME": "/home/me", "PATH": "/usr/bin"}},
			Commit:  commit,
			ExtensionHosts: []Process{
				{PID: 110, Started: at(0), Env: map[string]string{"PATH": "/usr/bin", "EMPTY": ""}},
				{PID: 120, Started: at(0), Env: map[string]string{"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}},
			},
		},
		{Process: Process{PID: 200, Started: at(0), Env: map[string]string{}}, Commit: commit},
		{Process: Process{PID: 300, Started: at(0), EnvErr: errSentinel}, Commit: "abc123", Insiders: true},
		{Process: Process{PID: 400, Started: at(0), Env: map[string]string{}}, Commit: commit},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(sameErrness)); diff != "" {
		t.Errorf("Servers (-want +got):\n%s", diff)
	}
	if got[2].EnvErr != nil && !strings.Contains(got[2].EnvErr.Error(), "cannot read the environment of process 300") {
		t.Errorf("EnvErr = %v", got[2].EnvErr)
	}
	if s := Servers(afero.NewMemMapFs(), "", 1000, home); s != nil {
		t.Errorf("no /proc: %v", s)
	}
}

var errSentinel = fmt.Errorf("some error")

// sameErrness compares errors by whether there is one.
func sameErrness(a, b error) bool { return (a == nil) == (b == nil) }

func TestServerLayout(t *testing.T) {
	tests := []struct {
		exe, home string
		commit    string
		insiders  bool
		ok        bool
	}{
		{"/home/me/.vscode-server/bin/abc/node", "/home/me", "abc", false, true},
		{"/home/me/.vscode-server-insiders/bin/abc/node", "/home/me/", "abc", true, true},
		{"/home/me/.vscode-server/cli/servers/Stable-abc/server/node", "/home/me", "abc", false, true},
		{"/home/me/.vscode-server-insiders/cli/servers/Insiders-abc/server/node", "/home/me", "abc", true, true},
		{"/home/me/.vscode-server/cli/servers/Insiders-abc/server/node", "/home/me", "abc", true, true},
		{"/var/home/me/.vscode-server/bin/abc/node", "/home/me", "abc", false, true},
		{"/root/.vscode-server/bin/abc/node", "/root", "abc", false, true},
		{"/home/me/.vscode-server/bin/abc/bin/node", "/home/me", "", false, false},
		{"/home/me/.vscode-server/bin/abc/nodejs", "/home/me", "", false, false},
		{"/home/me/.vscode-server/cli/servers/abc/server/node", "/home/me", "", false, false},
		{"/home/you/.vscode-server/bin/abc/node", "/home/me", "", false, false},
		{"/.vscode-server/bin/abc/node", "/home/me", "", false, false},
		{"/usr/bin/node", "/home/me", "", false, false},
	}
	for _, tt := range tests {
		c, ins, ok := serverLayout(tt.exe, tt.home)
		if c != tt.commit || ins != tt.insiders || ok != tt.ok {
			t.Errorf("serverLayout(%q, %q) = %q, %v, %v; want %q, %v, %v", tt.exe, tt.home, c, ins, ok, tt.commit, tt.insiders, tt.ok)
		}
	}
}
