package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/engine"
	"github.com/devfix/devfix/internal/vscode"
	"github.com/spf13/afero"
)

// vscodeWant is what the user's VS Code settings should say: the rootless
// DOCKER_HOST for a Docker user, dockerPath podman for a Podman user.
func vscodeWant(kind devcontainer.Engine, dockerHost string) vscode.Want {
	if kind == devcontainer.EnginePodman {
		return vscode.Want{DockerPath: "podman"}
	}
	return vscode.Want{DockerHost: dockerHost}
}

// editSettings runs edit over every VS Code settings file the user has:
// with diff it prints the change, else it writes it (atomically, never
// through a link that leaves the home folder). A file that does not parse,
// or that sets what devfix would write to something else, is reported and
// left alone.
func editSettings(env *Env, diff bool, verb string, edit func(path string, data []byte) ([]byte, bool, error)) int {
	code := ExitOK
	for _, path := range vscode.Targets(env.Fs, env.home()) {
		data, err := afero.ReadFile(env.Fs, path)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n", path, unwrapPathError(err))
			code = max(code, ExitBadInput)
			continue
		}
		out, changed, err := edit(path, data)
		var conflict *vscode.ConflictError
		switch {
		case errors.As(err, &conflict):
			fmt.Fprintln(env.Stderr, err)
			code = max(code, ExitFindings)
			continue
		case err != nil:
			fmt.Fprintf(env.Stderr, "%v (left as it is)\n", err)
			code = max(code, ExitBadInput)
			continue
		case !changed:
			fmt.Fprintf(env.Stdout, "%s: up to date\n", path)
			continue
		}
		if diff {
			fmt.Fprint(env.Stdout, udiff.Unified(path, path, string(data), string(out)))
			continue
		}
		if err := env.writeInHome(path, out); err != nil {
			fmt.Fprintln(env.Stderr, err)
			code = max(code, ExitBadInput)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: %s\n", path, verb)
	}
	return code
}

// ide checks VS Code's side: the daemons its settings point at, the
// servers already running with an old environment, a DOCKER_HOST that
// hides the current docker context, and compose v1 with a context.
func (d doctor) ide() []check {
	var out []check
	conv := func(c vscode.Check) check { return check{Name: c.Name, Status: c.Status, Detail: c.Detail, Fix: c.Fix} }
	hosts, checks := vscode.CheckSettings(d.env.Fs, d.env.home())
	for _, c := range checks {
		out = append(out, conv(c))
	}
	for _, h := range hosts {
		if !strings.HasPrefix(h.Value, "unix://") {
			continue
		}
		if _, err := d.env.Fs.Stat(strings.TrimPrefix(h.Value, "unix://")); err != nil {
			continue // CheckSettings said so
		}
		c := check{Name: "VS Code settings", Status: statusOK}
		also := ""
		if n := len(h.Also); n > 0 {
			also = fmt.Sprintf(" (and %d more place(s) set it)", n)
		}
		if dm, err := d.env.connect(d.ctx, []engine.Endpoint{{Host: h.Value, Source: h.Path}}); err != nil {
			c.Status = statusWarn
			c.Detail = fmt.Sprintf("%s:%d:%d: %s DOCKER_HOST %s%s does not answer: %v", h.Path, h.Line, h.Col, h.Setting, h.Value, also, err)
			c.Fix = "start that daemon, or devfix shellenv --install to point VS Code at your rootless one"
		} else {
			c.Detail = fmt.Sprintf("%s: %s DOCKER_HOST %s%s answers (%s %s, rootless %v)", h.Path, h.Setting, h.Value, also, dm.Kind, dm.Version, dm.Rootless)
			if !dm.Rootless {
				c.Status = statusWarn
				c.Detail += ": a rootful daemon, root on the host"
				c.Fix = "devfix shellenv --install"
			}
			dm.Close()
		}
		out = append(out, c)
	}
	want := vscodeWant(d.kind, d.wantDockerHost())
	for _, c := range vscode.CheckServers(vscode.Servers(d.env.Fs, d.env.procRoot(), d.env.UID, d.env.home()), want) {
		out = append(out, conv(c))
	}
	out = append(out, d.contextCheck()...)
	return out
}

// contextCheck: a DOCKER_HOST that disagrees with the current docker context
// wins over it silently; Python docker-compose v1 ignores contexts.
func (d doctor) contextCheck() []check {
	if d.kind == devcontainer.EnginePodman {
		return nil
	}
	cur, err := d.env.discovery().CurrentContext()
	if err != nil {
		return []check{{Name: "docker context", Status: statusWarn, Detail: err.Error(), Fix: "docker context use default   # or fix the context's endpoint"}}
	}
	host, _ := d.env.lookup("DOCKER_HOST")
	var out []check
	if cur.Host != "" && host != "" && cur.Host != host {
		out = append(out, check{Name: "docker context", Status: statusWarn,
			Detail: fmt.Sprintf("DOCKER_HOST=%s overrides the current context %q (%s, from %s): tools that read DOCKER_HOST and tools that read the context reach different daemons", host, cur.Name, cur.Host, cur.From),
			Fix:    "unset DOCKER_HOST where it is stale, or: docker context use default"})
	}
	if cur.Host != "" && host == "" && d.composeV1() {
		out = append(out, check{Name: "compose", Status: statusWarn,
			Detail: fmt.Sprintf("Python docker-compose v1 is the compose the Dev Containers CLI will use, and it ignores docker contexts: compose configs reach /var/run/docker.sock, not context %q (%s)", cur.Name, cur.Host),
			Fix:    "devfix shellenv --install   # DOCKER_HOST reaches docker-compose v1; or install the compose v2 plugin"})
	}
	return out
}

// composeV1 reports whether the docker-compose on PATH is Python's v1 and
// the compose v2 plugin (docker compose) is not installed.
func (d doctor) composeV1() bool {
	if d.env.LookPath == nil {
		return false
	}
	path, err := d.env.LookPath("docker-compose")
	if err != nil {
		return false
	}
	for _, dir := range []string{filepath.Join(d.env.home(), ".docker", "cli-plugins"), "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins", "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins"} {
		if _, err := d.env.Fs.Stat(filepath.Join(dir, "docker-compose")); err == nil {
			return false
		}
	}
	return d.composeIsV1(path)
}
