package vscode

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/devfix/devfix/internal/fserr"
	"github.com/devfix/devfix/internal/proc"
	"github.com/spf13/afero"
)

// Process is one process of a VS Code server, as /proc shows it.
type Process struct {
	PID     int
	Started time.Time         // zero when /proc does not say
	Env     map[string]string // from /proc/<pid>/environ; nil when EnvErr is set
	EnvErr  error             // why the environment could not be read
}

// Server is a VS Code server (Remote-SSH's, or the code CLI's) running for
// the user, with its extension hosts.
//
// Which environment counts: Remote-SSH starts the server from a bare,
// non-login shell, so the server's own environment rarely has DOCKER_HOST
// even when all is well. Each extension host (where Dev Containers and
// Container Tools run) gets the server's environment overlaid with the
// user's login-shell environment, which the server resolves once and keeps
// until it exits (vscode src/vs/server/node/extensionHostConnection.ts,
// buildUserEnvironment). So the extension hosts' environment is the one to
// check, and a fix to the login shell needs the server restarted.
type Server struct {
	Process
	Commit         string    // the VS Code build
	Insiders       bool      // a VS Code Insiders server
	ExtensionHosts []Process // its extension hosts, one per connected window
}

// Servers finds the VS Code servers of the user uid in the /proc tree at
// procRoot ("" is /proc), read through fs: processes of that uid running a
// node under ~/.vscode-server/bin/<commit>/ (or -insiders), or the code
// CLI's ~/.vscode-server/cli/servers/Stable-<commit>/server/, with
// server-main.js in their arguments. The node is found from argv[0] or the
// /proc/<pid>/exe link, under home or under a folder of the same name (a
// symbolic link to the home, such as Fedora Atomic's /home → /var/home,
// shows the real path). Sorted by PID.
func Servers(fs afero.Fs, procRoot string, uid int64, home string) []Server {
	if procRoot == "" {
		procRoot = "/proc"
	}
	pids, err := proc.PIDs(fs, procRoot)
	if err != nil {
		return nil
	}
	boot := bootTime(fs, procRoot)
	var servers []Server
	hosts := map[int][]Process{} // by parent PID
	for _, pid := range pids {
		dir := proc.Dir(procRoot, pid)
		raw, err := afero.ReadFile(fs, filepath.Join(dir, "cmdline"))
		if err != nil || len(raw) == 0 {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		server, exthost := isServerMain(argv), hasArg(argv, "--type=extensionHost")
		if !server && !exthost {
			continue // cheap: most processes stop here, before status
		}
		if st, err := proc.ReadStatus(fs, procRoot, pid); err != nil || st.UID != uid {
			continue
		}
		ppid, started := procStat(fs, dir, boot)
		p := Process{PID: pid, Started: started}
		p.Env, p.EnvErr = procEnv(fs, dir)
		if exthost {
			hosts[ppid] = append(hosts[ppid], p)
			continue
		}
		for _, exe := range exeCandidates(fs, dir, argv[0]) {
			if commit, insiders, ok := serverLayout(exe, home); ok {
				servers = append(servers, Server{Process: p, Commit: commit, Insiders: insiders})
				break
			}
		}
	}
	for i := range servers {
		servers[i].ExtensionHosts = hosts[servers[i].PID]
		sort.Slice(servers[i].ExtensionHosts, func(a, b int) bool {
			return servers[i].ExtensionHosts[a].PID < servers[i].ExtensionHosts[b].PID
		})
	}
	sort.Slice(servers, func(a, b int) bool { return servers[a].PID < servers[b].PID })
	return servers
}

// isServerMain reports whether argv runs VS Code's server-main.js.
func isServerMain(argv []string) bool {
	for _, a := range argv[1:] {
		if a == "server-main.js" || strings.HasSuffix(a, "/server-main.js") {
			return true
		}
	}
	return false
}

func hasArg(argv []string, arg string) bool {
	for _, a := range argv[1:] {
		if a == arg {
			return true
		}
	}
	return false
}

// exeCandidates are the paths of the process's program: argv[0] when it is
// absolute, and the /proc/<pid>/exe link where the filesystem can read it.
func exeCandidates(fs afero.Fs, dir, argv0 string) []string {
	var out []string
	if filepath.IsAbs(argv0) {
		out = append(out, filepath.Clean(argv0))
	}
	if lr, ok := fs.(afero.LinkReader); ok {
		if target, err := lr.ReadlinkIfPossible(filepath.Join(dir, "exe")); err == nil {
			out = append(out, filepath.Clean(strings.TrimSuffix(target, " (deleted)")))
		}
	}
	return out
}

// serverLayout recognises a server's node binary:
//
//	<home>/.vscode-server[-insiders]/bin/<commit>/node
//	<home>/.vscode-server[-insiders]/cli/servers/<Quality>-<commit>/server/node
func serverLayout(exe, home string) (commit string, insiders bool, ok bool) {
	parts := strings.Split(exe, "/")
	at := -1
	for i, p := range parts {
		if p == ".vscode-server" || p == ".vscode-server-insiders" {
			at = i
		}
	}
	if at < 1 || parts[len(parts)-1] != "node" {
		return "", false, false
	}
	base := strings.Join(parts[:at], "/")
	if base == "" {
		base = "/"
	}
	if home = filepath.Clean(home); base != home && filepath.Base(base) != filepath.Base(home) {
		return "", false, false
	}
	insiders = parts[at] == ".vscode-server-insiders"
	rest := parts[at+1:]
	switch {
	case len(rest) == 3 && rest[0] == "bin" && rest[1] != "":
		return rest[1], insiders, true
	case len(rest) == 5 && rest[0] == "cli" && rest[1] == "servers" && rest[3] == "server":
		quality, c, found := strings.Cut(rest[2], "-")
		if !found || c == "" {
			return "", false, false
		}
		return c, insiders || quality == "Insiders", true
	}
	return "", false, false
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on every
// Linux architecture Go runs on.
const clockTicks = 100

// procStat returns a process's parent PID and start time from
// /proc/<pid>/stat (fields 4 and 22, after the command in parentheses,
// which may itself hold spaces and parentheses).
func procStat(fs afero.Fs, dir string, boot time.Time) (int, time.Time) {
	b, err := afero.ReadFile(fs, filepath.Join(dir, "stat"))
	if err != nil {
		return 0, time.Time{}
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, time.Time{}
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3, the state
	if len(f) < 20 {
		return 0, time.Time{}
	}
	ppid, _ := strconv.Atoi(f[1])
	ticks, err := strconv.ParseInt(f[19], 10, 64)
	if err != nil || boot.IsZero() {
		return ppid, time.Time{}
	}
	return ppid, boot.Add(time.Duration(ticks) * time.Second / clockTicks)
}

// bootTime is when the machine booted, from /proc/stat's btime.
func bootTime(fs afero.Fs, procRoot string) time.Time {
	b, err := afero.ReadFile(fs, filepath.Join(procRoot, "stat"))
	if err != nil {
		return time.Time{}
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "btime "); ok {
			if s, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64); err == nil {
				return time.Unix(s, 0)
			}
		}
	}
	return time.Time{}
}

// procEnv reads /proc/<pid>/environ: NUL-separated NAME=value, the first
// of a repeated name winning, as getenv reads it.
func procEnv(fs afero.Fs, dir string) (map[string]string, error) {
	b, err := afero.ReadFile(fs, filepath.Join(dir, "environ"))
	if err != nil {
		return nil, fmt.Errorf("cannot read the environment of process %s: %w", filepath.Base(dir), fserr.Cause(err))
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			continue
		}
		if _, seen := env[name]; !seen {
			env[name] = value
		}
	}
	return env, nil
}
