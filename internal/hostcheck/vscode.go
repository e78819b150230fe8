package hostcheck

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/devfix/devfix/internal/fserr"
	"github.com/devfix/devfix/internal/vscode"
	"github.com/spf13/afero"
)

// DockerHost is a DOCKER_HOST the settings files give VS Code's container
// extensions, for the CLI to ping once however many places set it
// (shellenv --install writes both keys, in the machine and the user
// settings): the first place, and the others.
type DockerHost struct {
	vscode.Place
	Value string
	Also  []vscode.Place // the other places that set the same value, in order
}

// Places are every place that sets the value, the first one first.
func (h DockerHost) Places() []vscode.Place { return append([]vscode.Place{h.Place}, h.Also...) }

// CheckSettings reads the settings files of the user's VS Code installs
// (Targets) and returns the DOCKER_HOSTs they set, each value once with the
// places that set it, and a check of each: one at the rootful daemon's
// socket is a warning (whoever can use it is root on the host), one at a
// unix socket that does not exist is a warning; a file that cannot be read
// or parsed is one too. The CLI pings the hosts.
func CheckSettings(fsys afero.Fs, home string) ([]DockerHost, []Check) {
	exists := func(p string) bool { _, err := fsys.Stat(p); return err == nil }
	var found []setting
	for _, p := range vscode.Targets(fsys, home) {
		data, err := afero.ReadFile(fsys, p)
		if err != nil {
			found = append(found, setting{problem: &Check{Name: "VS Code settings", Status: Warn, Detail: fmt.Sprintf("%s: %v", p, fserr.Cause(err))}})
			continue
		}
		found = append(found, readSettings(p, data)...)
	}
	return checkSettings(found, exists)
}

// setting is a DOCKER_HOST a settings file sets, or a problem with the
// file.
type setting struct {
	at      vscode.Place
	value   string
	problem *Check
}

// readSettings reads the DOCKER_HOSTs a settings file sets, in key order,
// and what is wrong with it.
func readSettings(path string, data []byte) []setting {
	read, err := vscode.ReadDockerHosts(path, data)
	if err != nil {
		return []setting{{problem: &Check{Name: "VS Code settings", Status: Warn,
			Detail: err.Error(),
			Fix:    "correct the file (VS Code shows the problem when you open it), then run devfix doctor again"}}}
	}
	var out []setting
	for _, h := range read {
		if h.NotString != "" {
			out = append(out, setting{problem: &Check{Name: "VS Code settings", Status: Warn,
				Detail: fmt.Sprintf("%s:%d:%d: %q sets DOCKER_HOST to %s, not a string", path, h.Line, h.Col, h.Setting, h.NotString),
				Fix:    fmt.Sprintf("in %s, write the DOCKER_HOST of %q as a string, or remove it", path, h.Setting)}})
			continue
		}
		out = append(out, setting{at: h.Place, value: h.Value})
	}
	return out
}

// checkSettings groups the settings by value, in the order they were found,
// and checks each value once; a problem stays where it was found.
func checkSettings(found []setting, exists func(string) bool) ([]DockerHost, []Check) {
	var hosts []DockerHost
	byValue := map[string]int{}
	var order []int // per check: an index into hosts, or -1-i for found[i]'s problem
	for i, f := range found {
		if f.problem != nil {
			order = append(order, -1-i)
			continue
		}
		if h, ok := byValue[f.value]; ok {
			hosts[h].Also = append(hosts[h].Also, f.at)
			continue
		}
		byValue[f.value] = len(hosts)
		order = append(order, len(hosts))
		hosts = append(hosts, DockerHost{Place: f.at, Value: f.value})
	}
	var checks []Check
	for _, o := range order {
		if o < 0 {
			checks = append(checks, *found[-1-o].problem)
		} else {
			checks = append(checks, checkDockerHost(hosts[o], exists))
		}
	}
	return hosts, checks
}

// isRootfulSocket reports whether p is the socket of the system's (root's)
// Docker or Podman daemon.
func isRootfulSocket(p string) bool {
	switch filepath.Clean(p) {
	case "/var/run/docker.sock", "/run/docker.sock", "/var/run/podman/podman.sock", "/run/podman/podman.sock":
		return true
	}
	return false
}

// checkDockerHost checks one DOCKER_HOST value, naming every place that
// sets it.
func checkDockerHost(h DockerHost, exists func(string) bool) Check {
	c := Check{Name: "VS Code settings", Status: OK}
	places := h.Places()
	var at, files []string
	settings := map[string][]string{} // by file
	for _, p := range places {
		at = append(at, fmt.Sprintf("%s:%d:%d: %q", p.Path, p.Line, p.Col, p.Setting))
		if !slices.Contains(files, p.Path) {
			files = append(files, p.Path)
		}
		settings[p.Path] = append(settings[p.Path], strconv.Quote(p.Setting))
	}
	verb := "sets"
	if len(places) > 1 {
		verb = "set"
	}
	where := fmt.Sprintf("%s %s DOCKER_HOST=%q", andList(at), verb, h.Value)
	sock, isUnix := strings.CutPrefix(h.Value, "unix://")
	switch {
	case !isUnix:
		c.Detail = where
	case isRootfulSocket(sock):
		c.Status = Warn
		c.Detail = where + ", the socket of the rootful daemon: whoever can use it is root on this host"
		if len(places) == 1 {
			c.Fix = fmt.Sprintf("in %s, point %q's DOCKER_HOST at your rootless daemon (unix:///run/user/<your uid>/docker.sock), or remove it", h.Path, h.Setting)
		} else {
			var each []string
			for _, f := range files {
				each = append(each, andList(settings[f])+" in "+f)
			}
			c.Fix = fmt.Sprintf("point the DOCKER_HOST of %s at your rootless daemon (unix:///run/user/<your uid>/docker.sock), or remove them", andList(each))
		}
	case !exists(sock):
		c.Status = Warn
		c.Detail = where + ", but there is no " + sock
		c.Fix = fmt.Sprintf("start your rootless daemon (systemctl --user start docker), or correct the path in %s", andList(files))
	default:
		c.Detail = where
	}
	return c
}

// andList joins "a", "a and b", "a, b and c".
func andList(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// CheckServers checks that each running VS Code server gives its extension
// hosts the DOCKER_HOST of want (see Server for why theirs is the
// environment that counts). A server whose extension hosts lack DOCKER_HOST
// is a warning, one with a different DOCKER_HOST a failure: either way it
// must be restarted, and the fix says how. A Podman user
// (want.DockerPath "podman") needs nothing in the environment: Dev
// Containers runs podman, which DOCKER_HOST does not steer.
func CheckServers(servers []vscode.Server, want vscode.Want) []Check {
	var out []Check
	for _, s := range servers {
		out = append(out, checkServer(s, want))
	}
	return out
}

func checkServer(s vscode.Server, want vscode.Want) Check {
	c := Check{Name: "VS Code server", Status: OK}
	id := describeServer(s)
	restart := fmt.Sprintf("in VS Code, run \"Remote-SSH: Kill VS Code Server on Host...\" from the command palette, or here: kill %d; it starts again, with your environment as it is now, on the next connection", s.PID)
	switch {
	case filepath.Base(want.DockerPath) == "podman":
		c.Detail = id + ": dev.containers.dockerPath runs podman, which needs no DOCKER_HOST"
		return c
	case want.DockerHost == "":
		c.Detail = id
		return c
	}
	if len(s.ExtensionHosts) == 0 {
		// The server's own environment is all there is to see.
		v, has := s.Env["DOCKER_HOST"]
		switch {
		case s.EnvErr != nil:
			c.Status, c.Detail = Warn, fmt.Sprintf("%s: %v", id, s.EnvErr)
			c.Fix = "run devfix doctor as the user who runs VS Code; to be sure, " + restart
		case has && v == want.DockerHost:
			c.Detail = fmt.Sprintf("%s has DOCKER_HOST=%s", id, v)
		case has:
			c.Status, c.Detail, c.Fix = Fail, fmt.Sprintf("%s has DOCKER_HOST=%q, not %q: it must be restarted", id, v, want.DockerHost), restart
		default:
			c.Status = Warn
			c.Detail = id + " has no DOCKER_HOST and no window connected, so devfix cannot see the environment its extensions get: the server took it from your login shell when a window first connected, and keeps it until it stops; restart it if it started before DOCKER_HOST was set up"
			c.Fix = "if it started before DOCKER_HOST was set up, " + restart
		}
		return c
	}
	var missing, unreadable, ok []string
	for _, h := range s.ExtensionHosts {
		pid := strconv.Itoa(h.PID)
		v, has := h.Env["DOCKER_HOST"]
		switch {
		case h.EnvErr != nil:
			unreadable = append(unreadable, pid)
		case has && v != want.DockerHost:
			c.Status = Fail
			c.Detail = fmt.Sprintf("%s: its extension host %s has DOCKER_HOST=%q, not %q: the server must be restarted", id, pid, v, want.DockerHost)
			c.Fix = restart
			return c
		case !has:
			missing = append(missing, pid)
		default:
			ok = append(ok, pid)
		}
	}
	switch {
	case len(missing) > 0:
		c.Status = Warn
		c.Detail = fmt.Sprintf("%s: its extension host %s has no DOCKER_HOST: the server resolved your login shell's environment before DOCKER_HOST was there, and keeps what it found; it must be restarted", id, strings.Join(missing, ", "))
		c.Fix = restart
	case len(ok) == 0:
		c.Status = Warn
		c.Detail = fmt.Sprintf("%s: cannot read the environment of its extension host %s", id, strings.Join(unreadable, ", "))
		c.Fix = "run devfix doctor as the user who runs VS Code"
	default:
		c.Detail = fmt.Sprintf("%s: its extension host %s has DOCKER_HOST=%s", id, strings.Join(ok, ", "), want.DockerHost)
	}
	return c
}

// describeServer names a server for a person: "VS Code server 4242 (1a2b3c4,
// started 2025-11-20 09:15)".
func describeServer(s vscode.Server) string {
	var about []string
	commit := s.Commit
	if len(commit) > 7 {
		commit = commit[:7]
	}
	if s.Insiders {
		commit = "Insiders " + commit
	}
	about = append(about, commit)
	if !s.Started.IsZero() {
		about = append(about, "started "+s.Started.Local().Format("2006-01-02 15:04"))
	}
	return fmt.Sprintf("server %d (%s)", s.PID, strings.Join(about, ", "))
}
