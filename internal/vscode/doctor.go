package vscode

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/spf13/afero"
)

// Check statuses.
const (
	StatusOK   = "ok"
	StatusWarn = "warn"
	StatusFail = "fail"
)

// Check is one line of the doctor's report.
type Check struct {
	Name   string // what was checked: "VS Code settings", "VS Code server"
	Status string // StatusOK, StatusWarn or StatusFail
	Detail string // what was found
	Fix    string // what to do, when something is to be done
}

// DockerHost is a DOCKER_HOST a settings file gives VS Code's container
// extensions, for the CLI to ping.
type DockerHost struct {
	Path      string // the settings file
	Line, Col int    // where the value is
	Setting   string // "containers.environment" or "docker.environment"
	Value     string
	Devfix    bool // devfix shellenv --install wrote it
}

// CheckSettings reads the settings files of the user's VS Code installs
// (Targets) and returns the DOCKER_HOSTs they set, and a check of each: one
// at the rootful daemon's socket is a warning (whoever can use it is root on
// the host), one at a unix socket that does not exist is a warning; a file
// that cannot be read or parsed is one too. The CLI pings the hosts.
func CheckSettings(fsys afero.Fs, home string) ([]DockerHost, []Check) {
	exists := func(p string) bool { _, err := fsys.Stat(p); return err == nil }
	var hosts []DockerHost
	var checks []Check
	for _, p := range Targets(fsys, home) {
		data, err := afero.ReadFile(fsys, p)
		if err != nil {
			checks = append(checks, Check{Name: "VS Code settings", Status: StatusWarn, Detail: fmt.Sprintf("%s: %v", p, unwrapPathError(err))})
			continue
		}
		h, c := settingsChecks(p, data, exists)
		hosts, checks = append(hosts, h...), append(checks, c...)
	}
	return hosts, checks
}

// settingsChecks is CheckSettings for one file; exists says whether a
// socket path exists.
func settingsChecks(path string, data []byte, exists func(string) bool) ([]DockerHost, []Check) {
	d, err := jsonc.Parse(path, data)
	if err != nil {
		if isTrivia(data) {
			return nil, nil
		}
		return nil, []Check{{Name: "VS Code settings", Status: StatusWarn,
			Detail: err.Error(),
			Fix:    "correct the file (VS Code shows the problem when you open it), then run devfix doctor again"}}
	}
	m := newMarks(d)
	var hosts []DockerHost
	var checks []Check
	for _, key := range envKeys() {
		v := d.Root().Get(key).Get(varDockerHost)
		if !v.Exists() {
			continue
		}
		line, col := d.Position(v.Start())
		switch {
		case v.Kind() != jsonc.String:
			checks = append(checks, Check{Name: "VS Code settings", Status: StatusWarn,
				Detail: fmt.Sprintf("%s:%d:%d: %q sets DOCKER_HOST to %s, not a string", path, line, col, key, v.Raw()),
				Fix:    fmt.Sprintf("in %s, write the DOCKER_HOST of %q as a string, or remove it", path, key)})
			continue
		case v.Str() == "":
			continue // empty is unset: the docker CLI uses its context
		}
		h := DockerHost{Path: path, Line: line, Col: col, Setting: key, Value: v.Str(), Devfix: m.owns(v)}
		hosts = append(hosts, h)
		checks = append(checks, checkDockerHost(h, exists))
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

func checkDockerHost(h DockerHost, exists func(string) bool) Check {
	c := Check{Name: "VS Code settings", Status: StatusOK}
	where := fmt.Sprintf("%s:%d:%d: %q sets DOCKER_HOST=%q", h.Path, h.Line, h.Col, h.Setting, h.Value)
	sock, isUnix := strings.CutPrefix(h.Value, "unix://")
	switch {
	case !isUnix:
		c.Detail = where
	case isRootfulSocket(sock):
		c.Status = StatusWarn
		c.Detail = where + ", the socket of the rootful daemon: whoever can use it is root on this host"
		c.Fix = fmt.Sprintf("in %s, point %q's DOCKER_HOST at your rootless daemon (unix:///run/user/<your uid>/docker.sock), or remove it", h.Path, h.Setting)
	case !exists(sock):
		c.Status = StatusWarn
		c.Detail = where + ", but there is no " + sock
		c.Fix = fmt.Sprintf("start your rootless daemon (systemctl --user start docker), or correct the path in %s", h.Path)
	default:
		c.Detail = where
	}
	return c
}

// CheckServers checks that each running VS Code server gives its extension
// hosts the DOCKER_HOST of want (see Server for why theirs is the
// environment that counts). A server whose extension hosts lack DOCKER_HOST
// is a warning, one with a different DOCKER_HOST a failure: either way it
// must be restarted, and the fix says how. A Podman user
// (want.DockerPath "podman") needs nothing in the environment: Dev
// Containers runs podman, which DOCKER_HOST does not steer.
func CheckServers(servers []Server, want Want) []Check {
	var out []Check
	for _, s := range servers {
		out = append(out, checkServer(s, want))
	}
	return out
}

func checkServer(s Server, want Want) Check {
	c := Check{Name: "VS Code server", Status: StatusOK}
	id := s.describe()
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
		v, has := s.Env[varDockerHost]
		switch {
		case s.EnvErr != nil:
			c.Status, c.Detail = StatusWarn, fmt.Sprintf("%s: %v", id, s.EnvErr)
			c.Fix = "run devfix doctor as the user who runs VS Code; to be sure, " + restart
		case has && v == want.DockerHost:
			c.Detail = fmt.Sprintf("%s has DOCKER_HOST=%s", id, v)
		case has:
			c.Status, c.Detail, c.Fix = StatusFail, fmt.Sprintf("%s has DOCKER_HOST=%q, not %q: it must be restarted", id, v, want.DockerHost), restart
		default:
			c.Status = StatusWarn
			c.Detail = id + " has no DOCKER_HOST and no window connected, so devfix cannot see the environment its extensions get: the server took it from your login shell when a window first connected, and keeps it until it stops; restart it if it started before DOCKER_HOST was set up"
			c.Fix = "if it started before DOCKER_HOST was set up, " + restart
		}
		return c
	}
	var missing, unreadable, ok []string
	for _, h := range s.ExtensionHosts {
		pid := strconv.Itoa(h.PID)
		v, has := h.Env[varDockerHost]
		switch {
		case h.EnvErr != nil:
			unreadable = append(unreadable, pid)
		case has && v != want.DockerHost:
			c.Status = StatusFail
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
		c.Status = StatusWarn
		c.Detail = fmt.Sprintf("%s: its extension host %s has no DOCKER_HOST: the server resolved your login shell's environment before DOCKER_HOST was there, and keeps what it found; it must be restarted", id, strings.Join(missing, ", "))
		c.Fix = restart
	case len(ok) == 0:
		c.Status = StatusWarn
		c.Detail = fmt.Sprintf("%s: cannot read the environment of its extension host %s", id, strings.Join(unreadable, ", "))
		c.Fix = "run devfix doctor as the user who runs VS Code"
	default:
		c.Detail = fmt.Sprintf("%s: its extension host %s has DOCKER_HOST=%s", id, strings.Join(ok, ", "), want.DockerHost)
	}
	return c
}

// describe names a server for a person: "VS Code server 4242 (1a2b3c4,
// started 2025-11-20 09:15)".
func (s Server) describe() string {
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

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
