package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/engine"
	"github.com/devfix/devfix/mounts"
	"github.com/devfix/devfix/shellenv"
	"github.com/spf13/afero"
	"github.com/spf13/pflag"
)

// Check statuses.
const (
	statusOK   = "ok"
	statusWarn = "warn"
	statusFail = "fail"
)

// check is one line of the doctor's report.
type check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

func doctorCommand() command {
	return command{
		name: "doctor", summary: "check the host for rootless Dev Containers; print the fixes",
		about: `Checks the whole chain rootless Dev Containers need, and prints the exact fix
for what is missing: the engine (rootless Docker or rootless Podman, and why devfix
thinks so), /etc/subuid and /etc/subgid, newuidmap, the kernel settings, cgroups,
the rootful socket, Podman's version, socket and the high-UID case, your login shell
and DOCKER_HOST, VS Code's settings and running servers, and the configs under the
current folder (checked exactly as lint checks them). It needs no root and changes
nothing.`,
		examples: []string{"devfix doctor", `devfix doctor --format json | jq '.checks[] | select(.status != "ok")'`},
		setup: func(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
			var format, eng string
			fs.StringVar(&format, "format", "text", "output format: text or json")
			engineFlag(fs, &eng)
			return func(ctx context.Context, env *Env, args []string) int {
				return runDoctor(ctx, env, format, eng, args)
			}
		},
	}
}

func runDoctor(ctx context.Context, env *Env, format, eng string, args []string) int {
	if format != "text" && format != "json" {
		fmt.Fprintf(env.Stderr, "devfix doctor: --format: unknown format %q (want text or json)\n", format)
		return ExitBadInput
	}
	if len(args) > 0 {
		fmt.Fprintf(env.Stderr, "devfix doctor: unexpected argument %q\n", args[0])
		return ExitBadInput
	}
	s := newSession(env, lintFlags{engine: eng})
	if err := s.flags.validate(); err != nil {
		fmt.Fprintf(env.Stderr, "devfix doctor: %v\n", err)
		return ExitBadInput
	}
	d := doctor{env: env, ctx: ctx, s: s}
	checks := d.run()
	code := ExitOK
	for _, c := range checks {
		if c.Status == statusFail {
			code = ExitFindings
		}
	}
	if format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		enc.Encode(struct {
			Checks []check `json:"checks"`
		}{checks})
		return code
	}
	for _, c := range checks {
		fmt.Fprintf(env.Stdout, "%-4s %s: %s\n", strings.ToUpper(c.Status), c.Name, c.Detail)
		if c.Fix != "" {
			for _, line := range strings.Split(c.Fix, "\n") {
				fmt.Fprintf(env.Stdout, "     fix: %s\n", line)
			}
		}
	}
	return code
}

type doctor struct {
	env  *Env
	ctx  context.Context
	s    *session
	kind devcontainer.Engine
}

func (d doctor) run() []check {
	var cs []check
	if d.env.UID == 0 {
		cs = append(cs, check{Name: "user", Status: statusWarn, Detail: "running as root: rootless engines are per user, so these checks are about root", Fix: "run devfix doctor as the user who runs the dev containers"})
	}
	st, bad := d.settings()
	cs = append(cs, bad...)
	kind, why := d.s.engineFor(d.ctx, st)
	d.kind = kind
	cs = append(cs, check{Name: "engine", Status: statusOK, Detail: fmt.Sprintf("%s: %s", kind, why)})
	if kind == devcontainer.EnginePodman {
		cs = append(cs, d.podman()...)
	} else {
		cs = append(cs, d.daemon())
	}
	cs = append(cs, d.subids()...)
	cs = append(cs, d.newuidmap())
	cs = append(cs, d.sysctls()...)
	cs = append(cs, d.cgroups(), d.ports(), d.rootfulSocket())
	cs = append(cs, d.shell()...)
	cs = append(cs, d.ide()...)
	cs = append(cs, d.configs())
	return cs
}

// settings reads the .devfix.jsonc of the current folder; one that does not
// parse is a failed check with lint's own line.
func (d doctor) settings() (*devcontainer.Settings, []check) {
	st, err := d.s.settingsHere()
	if err != nil {
		return nil, []check{{Name: "settings", Status: statusFail, Detail: err.Error(), Fix: "correct .devfix.jsonc where the message says"}}
	}
	return st, nil
}

func (d doctor) readInt(path string) (int, bool) {
	b, err := afero.ReadFile(d.env.Fs, path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return n, err == nil
}

// engineDaemon is the connection lint uses too: one ping in all.
func (d doctor) engineDaemon(kind devcontainer.Engine) (*engine.Daemon, error) {
	if d.env.Engine == nil {
		return nil, errors.New("no engine connection")
	}
	conn, ok := d.env.Engine(kind).(interface {
		Daemon(context.Context) (*engine.Daemon, error)
	})
	if !ok {
		return nil, errors.New("no engine connection")
	}
	return conn.Daemon(d.ctx)
}

func (d doctor) daemon() check {
	c := check{Name: "daemon"}
	dm, err := d.engineDaemon(devcontainer.EngineDocker)
	if err != nil {
		c.Status, c.Detail = statusFail, fmt.Sprintf("no Docker daemon answers: %v", err)
		c.Fix = "start your rootless daemon: dockerd-rootless-setuptool.sh install (with systemd), or PATH=/usr/share/docker.io/contrib:$PATH dockerd-rootless.sh &"
		return c
	}
	if !dm.Rootless {
		c.Status = statusWarn
		c.Detail = fmt.Sprintf("%s (%s) is a rootful daemon (%s): containers' root is root on the host", dm.Host, dm.Source, dm.RootlessFrom)
		c.Fix = "point DOCKER_HOST at your rootless daemon: devfix shellenv --install"
		return c
	}
	c.Status = statusOK
	c.Detail = fmt.Sprintf("rootless %s %s at %s (%s)", dm.Kind, dm.Version, dm.Host, dm.Source)
	if info, err := dm.Info(d.ctx); err == nil && info.DockerRootDir != "" {
		c.Detail += "; its data is in " + info.DockerRootDir
	}
	return c
}

// podman checks what rootless Podman needs: its version (keep-id:uid= came
// in 4.3), its API socket, the high-UID case, VS Code's dockerPath, SELinux,
// the home folder's mode, and the compose provider.
func (d doctor) podman() []check {
	var out []check
	ver := check{Name: "podman"}
	var version string
	if dm, err := d.engineDaemon(devcontainer.EnginePodman); err == nil {
		version = dm.Version
	} else if d.env.Run != nil {
		version, _ = engine.PodmanCLI{Run: d.env.Run}.Version(d.ctx)
	}
	switch {
	case version == "":
		ver.Status, ver.Detail = statusFail, "podman does not answer"
		ver.Fix = "sudo apt-get install podman   # Fedora/RHEL: sudo dnf install podman"
	case versionLess(version, "4.3"):
		ver.Status, ver.Detail = statusWarn, fmt.Sprintf("podman %s: --userns=keep-id:uid=,gid= (what devfix writes for a high UID) needs 4.3 or later", version)
		ver.Fix = "upgrade podman to 4.3 or later"
	default:
		ver.Status, ver.Detail = statusOK, fmt.Sprintf("podman %s (keep-id:uid=,gid= needs 4.3)", version)
	}
	out = append(out, ver)

	sock := check{Name: "podman socket", Status: statusOK}
	if d.env.PodmanSocket != "" {
		sock.Detail = d.env.PodmanSocket + ": containers that bind a Docker socket get this one"
	} else {
		sock.Status = statusWarn
		sock.Detail = "Podman's API socket is not running: devfix reads images with the podman CLI (slower), and a config's docker.sock mount has nothing to bind"
		sock.Fix = "systemctl --user enable --now podman.socket   # without systemd: podman system service --time=0 unix://$XDG_RUNTIME_DIR/podman/podman.sock &"
	}
	out = append(out, sock)

	uid := check{Name: "UID update", Status: statusOK}
	if d.env.Host != nil {
		if m, src, err := d.env.Host.IDMap(); err != nil {
			uid.Status, uid.Detail = statusWarn, fmt.Sprintf("cannot tell: %v", err)
		} else if devcontainer.UIDUpdateFits(d.env.UID, m) {
			uid.Detail = fmt.Sprintf("your UID %d fits your subordinate range (%s): the CLI's keep-id and UID update keep the image's user working", d.env.UID, src)
		} else {
			uid.Status = statusWarn
			uid.Detail = fmt.Sprintf("your UID %d is higher than your subordinate range holds (%s): the CLI's UID update build fails for a non-root remote user (devcontainers/cli#1284)", d.env.UID, src)
			uid.Fix = "devfix apply   # strategy keepid maps your UID onto the image user: --userns=keep-id:uid=<uid>,gid=<gid>, updateRemoteUserUID false"
		}
	}
	out = append(out, uid)

	vs := check{Name: "VS Code dockerPath", Status: statusOK}
	if p, from := d.env.vscodeDockerPath(); strings.Contains(p, "podman") {
		vs.Detail = fmt.Sprintf("dev.containers.dockerPath is %q (%s)", p, from)
	} else if p != "" {
		vs.Status, vs.Detail = statusWarn, fmt.Sprintf("dev.containers.dockerPath is %q (%s), not podman", p, from)
		vs.Fix = "devfix shellenv --install   # sets \"dev.containers.dockerPath\": \"podman\" in your VS Code settings"
	} else {
		vs.Status, vs.Detail = statusWarn, "no VS Code settings file sets dev.containers.dockerPath: Dev Containers runs docker"
		vs.Fix = "devfix shellenv --install   # or set \"dev.containers.dockerPath\": \"podman\" in VS Code's settings"
	}
	out = append(out, vs)

	if d.env.Run != nil {
		if b, err := d.env.Run(d.ctx, []string{"getenforce"}); err == nil {
			mode := strings.TrimSpace(string(b))
			se := check{Name: "SELinux", Status: statusOK, Detail: mode}
			if mode == "Enforcing" {
				se.Detail += ": the CLI adds --security-opt label=disable for image configs; compose services and extra binds may need :z"
			}
			out = append(out, se)
		}
	}

	home := check{Name: "home folder", Status: statusOK}
	if fi, err := d.env.Fs.Stat(d.env.home()); err == nil {
		if fi.Mode().Perm()&0o011 == 0 && d.podmanDriver() == "overlay" {
			home.Status = statusWarn
			home.Detail = fmt.Sprintf("%s is mode %o: with --userns=keep-id crun fails (\"make … private: Permission denied\", podman#25189)", d.env.home(), fi.Mode().Perm())
			home.Fix = "chmod 701 ~"
		} else {
			home.Detail = fmt.Sprintf("%s is mode %o", d.env.home(), fi.Mode().Perm())
		}
		out = append(out, home)
	}

	out = append(out, d.composeProvider())
	return out
}

// podmanDriver is Podman's storage driver ("overlay", "vfs"; "" unknown):
// podman#25189 bites only overlay, whose merged folder crun makes private.
func (d doctor) podmanDriver() string {
	if d.env.Run == nil {
		return ""
	}
	out, err := d.env.Run(d.ctx, []string{"podman", "info", "--format", "{{.Store.GraphDriverName}}"})
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// composeProvider says which compose the CLI will run.
func (d doctor) composeProvider() check {
	c := check{Name: "compose", Status: statusOK}
	if d.env.LookPath == nil {
		c.Detail = "not looked for"
		return c
	}
	var found []string
	for _, p := range []string{"podman-compose", "docker-compose"} {
		if path, err := d.env.LookPath(p); err == nil {
			found = append(found, path)
		}
	}
	if len(found) == 0 {
		c.Detail = "no podman-compose or docker-compose on PATH: compose configs cannot start (set dev.containers.dockerComposePath)"
		return c
	}
	c.Detail = "on PATH: " + strings.Join(found, ", ")
	if len(found) == 1 && filepath.Base(found[0]) == "docker-compose" && d.composeIsV1(found[0]) {
		c.Status = statusWarn
		c.Detail += " (Python docker-compose v1 against Podman's socket rejects userns_mode: keep-id; compose configs get no keep-id from the CLI either: use --strategy root for them)"
	}
	return c
}

// composeIsV1 tells Python docker-compose v1 from compose v2, which also
// ships as a docker-compose program: a Python script is v1, else its
// `version --short` says (by argv). Not knowing is not v1.
func (d doctor) composeIsV1(path string) bool {
	if f, err := d.env.Fs.Open(path); err == nil {
		head := make([]byte, 128)
		n, _ := io.ReadFull(f, head)
		f.Close()
		if line, _, _ := bytes.Cut(head[:n], []byte("\n")); bytes.HasPrefix(line, []byte("#!")) && bytes.Contains(line, []byte("python")) {
			return true
		}
	}
	if d.env.Run == nil {
		return false
	}
	out, err := d.env.Run(d.ctx, []string{path, "version", "--short"})
	return err == nil && strings.HasPrefix(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), "1.")
}

// versionLess compares dotted versions numerically ("4.3.1" < "4.10").
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(strings.TrimLeft(pa[i], "v"))
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func (d doctor) subids() []check {
	var out []check
	files := map[string][]mounts.SubIDEntry{}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		if r, err := d.env.Fs.Open(f); err == nil {
			es, err := mounts.ParseSubIDFile(r)
			r.Close()
			if err != nil {
				out = append(out, check{Name: f, Status: statusFail, Detail: fmt.Sprintf("%s:%v", f, err)})
				continue
			}
			files[f] = es
		}
	}
	free := mounts.NextFree(files["/etc/subuid"], files["/etc/subgid"], 65536)
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		c := check{Name: f}
		ranges := mounts.RangesFor(files[f], d.env.userName(), d.env.UID)
		var total int64
		for _, r := range ranges {
			total += r.Count
		}
		switch {
		case len(ranges) == 0:
			c.Status = statusFail
			c.Detail = fmt.Sprintf("no range for %s (uid %d): the rootless engine cannot start (domain users get none from useradd", d.env.userName(), d.env.UID)
			if d.kind == devcontainer.EnginePodman {
				c.Detail += "; Podman reads only these files, not SSSD's subid"
			}
			c.Detail += ")"
			c.Fix = fmt.Sprintf("echo '%s:%d:65536' | sudo tee -a %s   # the next free range in /etc/subuid and /etc/subgid", d.env.userName(), free, f)
		case total < 65536:
			c.Status = statusWarn
			c.Detail = fmt.Sprintf("%s has %d subordinate IDs; images expect 65536 (UIDs above that fail to map)", d.env.userName(), total)
			c.Fix = fmt.Sprintf("echo '%s:%d:65536' | sudo tee -a %s", d.env.userName(), free, f)
		default:
			c.Status = statusOK
			c.Detail = fmt.Sprintf("%s has %d subordinate IDs from %d", d.env.userName(), total, ranges[0].Start)
		}
		for _, o := range mounts.Overlaps(files[f]) {
			mine := func(e mounts.SubIDEntry) bool {
				return e.Owner == d.env.userName() || e.Owner == strconv.FormatInt(d.env.UID, 10)
			}
			if mine(o.A) != mine(o.B) {
				c.Status = statusWarn
				other := o.B
				if mine(o.B) {
					other = o.A
				}
				c.Detail += fmt.Sprintf("; it overlaps %s's range (line %d): that user's containers can touch your files", other.Owner, other.Line)
			}
		}
		out = append(out, c)
	}
	return out
}

func (d doctor) newuidmap() check {
	c := check{Name: "newuidmap", Status: statusOK}
	var problems []string
	for _, bin := range []string{"newuidmap", "newgidmap"} {
		p, err := d.env.lookPath(bin)
		if err != nil {
			for _, dir := range []string{"/usr/bin", "/usr/sbin", "/bin"} {
				if _, serr := d.env.Fs.Stat(dir + "/" + bin); serr == nil {
					p, err = dir+"/"+bin, nil
					break
				}
			}
		}
		if err != nil {
			problems = append(problems, bin+" is not installed")
			continue
		}
		fi, err := d.env.Fs.Stat(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		if fi.Mode()&fs.ModeSetuid == 0 && !d.hasFileCaps(p) {
			problems = append(problems, p+" is neither setuid nor has file capabilities")
		}
	}
	if len(problems) > 0 {
		c.Status, c.Detail = statusFail, strings.Join(problems, "; ")
		c.Fix = "sudo apt-get install uidmap   # Fedora/RHEL: sudo dnf install shadow-utils; Photon: tdnf install shadow"
		return c
	}
	c.Detail = "newuidmap and newgidmap are installed with the privileges they need"
	return c
}

// hasFileCaps asks getcap (by argv) whether a binary has file capabilities.
func (d doctor) hasFileCaps(p string) bool {
	if d.env.Run == nil {
		return false
	}
	out, err := d.env.Run(d.ctx, []string{"getcap", p})
	return err == nil && strings.Contains(string(out), "cap_set")
}

func (d doctor) sysctls() []check {
	var out []check
	proc := d.env.procRoot()
	if n, ok := d.readInt(proc + "/sys/kernel/unprivileged_userns_clone"); ok {
		c := check{Name: "kernel.unprivileged_userns_clone", Status: statusOK, Detail: "1: unprivileged user namespaces are allowed"}
		if n != 1 {
			c.Status, c.Detail = statusFail, fmt.Sprintf("%d: unprivileged user namespaces are off", n)
			c.Fix = "echo kernel.unprivileged_userns_clone=1 | sudo tee /etc/sysctl.d/50-rootless.conf && sudo sysctl --system"
		}
		out = append(out, c)
	}
	if n, ok := d.readInt(proc + "/sys/user/max_user_namespaces"); ok {
		c := check{Name: "user.max_user_namespaces", Status: statusOK, Detail: strconv.Itoa(n)}
		switch {
		case n == 0:
			c.Status, c.Detail = statusFail, "0: no user namespaces can be made"
			c.Fix = "echo user.max_user_namespaces=28633 | sudo tee /etc/sysctl.d/51-rootless.conf && sudo sysctl --system"
		case n < 1024:
			c.Status, c.Detail = statusWarn, fmt.Sprintf("%d: may be too low for many containers", n)
			c.Fix = "echo user.max_user_namespaces=28633 | sudo tee /etc/sysctl.d/51-rootless.conf && sudo sysctl --system"
		}
		out = append(out, c)
	}
	if n, ok := d.readInt(proc + "/sys/kernel/apparmor_restrict_unprivileged_userns"); ok {
		c := check{Name: "kernel.apparmor_restrict_unprivileged_userns", Status: statusOK, Detail: strconv.Itoa(n)}
		if n == 1 {
			c.Status = statusFail
			c.Detail = "1 (Ubuntu 23.10+): AppArmor stops rootlesskit from making user namespaces"
			c.Fix = "give rootlesskit an AppArmor profile with \"userns,\" (see rootlesskit's hint when it fails), or: echo kernel.apparmor_restrict_unprivileged_userns=0 | sudo tee /etc/sysctl.d/60-rootless.conf && sudo sysctl --system"
		}
		out = append(out, c)
	}
	return out
}

func (d doctor) cgroups() check {
	c := check{Name: "cgroups"}
	if _, err := d.env.Fs.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		c.Status, c.Detail = statusWarn, "cgroup v1: a rootless engine applies no --memory, --cpus or --pids-limit"
		c.Fix = "boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1)"
		return c
	}
	p := fmt.Sprintf("/sys/fs/cgroup/user.slice/user-%d.slice/user@%d.service/cgroup.controllers", d.env.UID, d.env.UID)
	b, err := afero.ReadFile(d.env.Fs, p)
	ctrls := strings.Fields(string(b))
	has := func(n string) bool {
		for _, x := range ctrls {
			if x == n {
				return true
			}
		}
		return false
	}
	if err != nil || !has("memory") || !has("pids") {
		c.Status = statusWarn
		c.Detail = "cgroup v2, but no systemd delegation to your user: resource limits are ignored"
		c.Fix = "sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload"
		return c
	}
	c.Status, c.Detail = statusOK, "cgroup v2, delegated to you: "+strings.Join(ctrls, " ")
	return c
}

func (d doctor) ports() check {
	c := check{Name: "net.ipv4.ip_unprivileged_port_start", Status: statusOK}
	n, ok := d.env.portStart()
	if !ok {
		c.Detail = "unknown"
		return c
	}
	c.Detail = fmt.Sprintf("%d: host ports below it cannot be published by a rootless engine", n)
	if n > 0 {
		c.Detail += " (publish 8080, or use forwardPorts)"
	}
	return c
}

func (d doctor) rootfulSocket() check {
	c := check{Name: "rootful socket", Status: statusOK}
	const sock = "/var/run/docker.sock"
	if _, err := d.env.Fs.Stat(sock); err != nil {
		c.Detail = sock + " does not exist: no rootful daemon to fall into"
		return c
	}
	if err := d.env.access(sock); err != nil {
		c.Detail = sock + " exists but you cannot write it"
		return c
	}
	c.Status = statusFail
	c.Detail = sock + " (the rootful daemon) is writable by you: that is root on the host, and tools that default to it bypass your rootless engine"
	c.Fix = "sudo systemctl disable --now docker.service docker.socket   # or take yourself out of the docker group"
	return c
}

func (d doctor) shell() []check {
	login := shellenv.DetectLoginShell(d.ctx, d.env.Fs, d.env.Run, d.env.LookupEnv, d.env.userName())
	pw := check{Name: "/etc/passwd", Status: statusOK, Detail: fmt.Sprintf("%s: %s", d.env.userName(), login.Passwd)}
	if !login.PasswdFound {
		pw.Status = statusFail
		pw.Detail = fmt.Sprintf("no line for %s (a domain/SSSD user): VS Code may start sh, which never reads ~/.bashrc, so DOCKER_HOST never reaches it", d.env.userName())
		pw.Fix = fmt.Sprintf("getent passwd %s | sudo tee -a /etc/passwd", d.env.userName())
	}
	sh := check{Name: "login shell", Status: statusOK}
	sh.Detail = fmt.Sprintf("VS Code starts %s (getent: %s, /etc/passwd: %s, $SHELL: %s)", login.Effective, orNone(login.Getent), orNone(login.Passwd), orNone(login.Env))
	if dis := login.Disagreements(); len(dis) > 0 {
		sh.Status = statusWarn
		sh.Detail += "; " + strings.Join(dis, "; ")
	}
	if d.kind == devcontainer.EnginePodman {
		return []check{pw, sh} // Podman needs no DOCKER_HOST: VS Code runs podman itself
	}
	reach := check{Name: "DOCKER_HOST in VS Code's shell"}
	want := d.wantDockerHost()
	clean := []string{"HOME=" + d.env.home(), "USER=" + d.env.userName(), "LOGNAME=" + d.env.userName(), "PATH=/usr/local/bin:/usr/bin:/bin", "TERM=dumb"}
	res := shellenv.Probe(d.ctx, login.Effective, clean, "DOCKER_HOST", 5*time.Second)
	switch {
	case res.Err != nil && res.Value == "":
		reach.Status, reach.Detail = statusWarn, fmt.Sprintf("%s -i -l -c failed: %v", login.Effective, res.Err)
	case want == "":
		reach.Status, reach.Detail = statusWarn, fmt.Sprintf("%s -i -l -c sees DOCKER_HOST=%q; no rootless socket found to compare with", login.Effective, res.Value)
	case res.Value == want:
		reach.Status, reach.Detail = statusOK, fmt.Sprintf("%s -i -l -c sees DOCKER_HOST=%s", login.Effective, res.Value)
	default:
		reach.Status = statusFail
		reach.Detail = fmt.Sprintf("%s -i -l -c sees DOCKER_HOST=%q, not your rootless daemon (%s)", login.Effective, res.Value, want)
		reach.Fix = "devfix shellenv --install"
	}
	return []check{pw, sh, reach}
}

// wantDockerHost is the DOCKER_HOST the user's tools should have ("" when no
// rootless socket was found).
func (d doctor) wantDockerHost() string {
	if d.env.RootlessSocket == "" {
		return ""
	}
	return "unix://" + d.env.RootlessSocket
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// configs lints the configs under the current folder exactly as lint does:
// the same session builds their options (flags, .devfix.jsonc, strategy).
func (d doctor) configs() check {
	c := check{Name: "configs", Status: statusOK}
	var files, findings int
	var bad []string // bad input, as lint says it
	for _, l := range loadConfigs(d.ctx, d.env, []string{"."}) {
		if errors.Is(l.err, devcontainer.ErrNoConfig) {
			c.Detail = "no devcontainer.json under the current folder"
			return c
		}
		files++
		if l.err != nil {
			bad = append(bad, l.err.Error())
			continue
		}
		co, err := d.s.options(d.ctx, l.config)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		for _, diag := range devcontainer.Lint(d.ctx, l.config, co.Options).Diagnostics {
			if countsFailure(diag, co.strict) {
				findings++
			}
		}
	}
	c.Detail = fmt.Sprintf("%d config(s), %d finding(s)", files, findings)
	switch {
	case len(bad) > 0:
		c.Detail += fmt.Sprintf("; %d cannot be read: %s", len(bad), strings.Join(bad, "; "))
		c.Status, c.Fix = statusFail, "correct each file where the message says (devfix lint says the same)"
	case findings > 0:
		c.Status, c.Fix = statusWarn, "devfix lint; devfix apply"
	}
	return c
}
