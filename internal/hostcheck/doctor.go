package hostcheck

import (
	"bytes"
	"context"
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
	"github.com/devfix/devfix/internal/proc"
	"github.com/devfix/devfix/internal/run"
	"github.com/devfix/devfix/internal/subid"
	"github.com/devfix/devfix/internal/vscode"
	"github.com/devfix/devfix/shellenv"
	"github.com/spf13/afero"
)

// Doctor is one user's side of the machine: what `devfix doctor` checks
// for the user who runs it. Nil funcs mean absent: no helper programs, no
// programs on PATH, no engine connection.
type Doctor struct {
	Fs       afero.Fs                     // the machine's files
	Proc     string                       // the /proc root ("" is /proc)
	Run      run.Runner                   // helper programs by argv
	LookPath func(string) (string, error) // programs on PATH
	// LookupEnv reads the user's environment (HOME, DOCKER_HOST).
	LookupEnv func(string) (string, bool)
	// Access checks write access to a path as the user (nil: none can be
	// checked).
	Access func(path string) error
	// PortStart is net.ipv4.ip_unprivileged_port_start, read once a run
	// (nil or false: unknown).
	PortStart func() (int, bool)
	// DockerPath is VS Code's dev.containers.dockerPath and the settings
	// file that sets it, read once a run (nil: none).
	DockerPath func() (value, from string)

	UID, GID int64
	UserName string
	Home     string
	// Engine is the engine the user's configs are checked for.
	Engine devcontainer.Engine
	// RootlessSocket is the user's rootless Docker socket, PodmanSocket
	// its Podman API socket ("" if none).
	RootlessSocket, PodmanSocket string
	// Maps answers the user's UID map (nil skips the check).
	Maps devcontainer.Host
	// Connection is the engine connection lint uses too: one ping in all.
	Connection func(ctx context.Context, kind devcontainer.Engine) (*engine.Daemon, error)
	// Connect pings a daemon that VS Code's settings name.
	Connect func(ctx context.Context, eps []engine.Endpoint) (*engine.Daemon, error)
	// Discovery reads the docker CLI's contexts.
	Discovery engine.Discovery
}

// Steps are the doctor's checks of the machine after User, in the order it
// prints them: the engine, subordinate IDs, newuidmap, the kernel, cgroups,
// ports, the rootful socket, the shell, VS Code.
func (d *Doctor) Steps() []Step {
	engineStep := One(d.Daemon)
	if d.Engine == devcontainer.EnginePodman {
		engineStep = d.Podman
	}
	return []Step{engineStep, d.SubIDs, One(d.NewUIDMap), d.Sysctls,
		One(d.Cgroups), One(d.Ports), One(d.RootfulSocket), d.Shell, d.IDE}
}

// User warns when the doctor runs as root: rootless engines are per user.
func (d *Doctor) User(context.Context) []Check {
	if d.UID != 0 {
		return nil
	}
	return []Check{{Name: "user", Status: Warn, Detail: "running as root: rootless engines are per user, so these checks are about root", Fix: "run devfix doctor as the user who runs the dev containers"}}
}

func (d *Doctor) daemonOf(ctx context.Context, kind devcontainer.Engine) (*engine.Daemon, error) {
	if d.Connection == nil {
		return nil, errors.New("no engine connection")
	}
	return d.Connection(ctx, kind)
}

func (d *Doctor) connect(ctx context.Context, eps []engine.Endpoint) (*engine.Daemon, error) {
	if d.Connect == nil {
		return nil, errors.New("no engine connection")
	}
	return d.Connect(ctx, eps)
}

func (d *Doctor) dockerPath() (string, string) {
	if d.DockerPath == nil {
		return "", ""
	}
	return d.DockerPath()
}

func (d *Doctor) lookup(k string) (string, bool) {
	if d.LookupEnv == nil {
		return "", false
	}
	return d.LookupEnv(k)
}

func (d *Doctor) lookPath(name string) (string, error) {
	if d.LookPath == nil {
		return "", fs.ErrNotExist
	}
	return d.LookPath(name)
}

// VSCodeWant is what the user's VS Code settings should say: the rootless
// DOCKER_HOST for a Docker user, dockerPath podman for a Podman user.
func VSCodeWant(kind devcontainer.Engine, dockerHost string) vscode.Want {
	if kind == devcontainer.EnginePodman {
		return vscode.Want{DockerPath: "podman"}
	}
	return vscode.Want{DockerHost: dockerHost}
}

func (d *Doctor) readInt(path string) (int, bool) {
	b, err := afero.ReadFile(d.Fs, path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return n, err == nil
}

// Daemon checks the Docker daemon the engine connection reaches.
func (d *Doctor) Daemon(ctx context.Context) Check {
	c := Check{Name: "daemon"}
	dm, err := d.daemonOf(ctx, devcontainer.EngineDocker)
	if err != nil {
		c.Status, c.Detail = Fail, fmt.Sprintf("no Docker daemon answers: %v", err)
		c.Fix = "start your rootless daemon: dockerd-rootless-setuptool.sh install (with systemd), or PATH=/usr/share/docker.io/contrib:$PATH dockerd-rootless.sh &"
		return c
	}
	if !dm.Rootless {
		c.Status = Warn
		c.Detail = fmt.Sprintf("%s (%s) is a rootful daemon (%s): containers' root is root on the host", dm.Host, dm.Source, dm.RootlessFrom)
		c.Fix = "point DOCKER_HOST at your rootless daemon: devfix shellenv --install"
		return c
	}
	c.Status = OK
	c.Detail = fmt.Sprintf("rootless %s %s at %s (%s)", dm.Kind, dm.Version, dm.Host, dm.Source)
	if info, err := dm.Info(ctx); err == nil && info.DockerRootDir != "" {
		c.Detail += "; its data is in " + info.DockerRootDir
	}
	return c
}

// podman checks what rootless Podman needs: its version (keep-id:uid= came
// in 4.3), its API socket, the high-UID case, VS Code's dockerPath, SELinux,
// the home folder's mode, and the compose provider.
func (d *Doctor) Podman(ctx context.Context) []Check {
	var out []Check
	ver := Check{Name: "podman"}
	var version string
	if dm, err := d.daemonOf(ctx, devcontainer.EnginePodman); err == nil {
		version = dm.Version
	} else if d.Run != nil {
		version, _ = engine.PodmanCLI{Run: d.Run}.Version(ctx)
	}
	switch {
	case version == "":
		ver.Status, ver.Detail = Fail, "podman does not answer"
		ver.Fix = "sudo apt-get install podman   # Fedora/RHEL: sudo dnf install podman"
	case versionLess(version, "4.3"):
		ver.Status, ver.Detail = Warn, fmt.Sprintf("podman %s: --userns=keep-id:uid=,gid= (what devfix writes for a high UID) needs 4.3 or later", version)
		ver.Fix = "upgrade podman to 4.3 or later"
	default:
		ver.Status, ver.Detail = OK, fmt.Sprintf("podman %s (keep-id:uid=,gid= needs 4.3)", version)
	}
	out = append(out, ver)

	sock := Check{Name: "podman socket", Status: OK}
	if d.PodmanSocket != "" {
		sock.Detail = d.PodmanSocket + ": containers that bind a Docker socket get this one"
	} else {
		sock.Status = Warn
		sock.Detail = "Podman's API socket is not running: devfix reads images with the podman CLI (slower), and a config's docker.sock mount has nothing to bind"
		sock.Fix = "systemctl --user enable --now podman.socket   # without systemd: podman system service --time=0 unix://$XDG_RUNTIME_DIR/podman/podman.sock &"
	}
	out = append(out, sock)

	uid := Check{Name: "UID update", Status: OK}
	if d.Maps != nil {
		if m, src, err := d.Maps.IDMap(); err != nil {
			uid.Status, uid.Detail = Warn, fmt.Sprintf("cannot tell: %v", err)
		} else if devcontainer.UIDUpdateFits(d.UID, m) {
			uid.Detail = fmt.Sprintf("your UID %d fits your subordinate range (%s): the CLI's keep-id and UID update keep the image's user working", d.UID, src)
		} else {
			uid.Status = Warn
			uid.Detail = fmt.Sprintf("your UID %d is higher than your subordinate range holds (%s): the CLI's UID update build fails for a non-root remote user (devcontainers/cli#1284)", d.UID, src)
			uid.Fix = "devfix apply   # strategy keepid maps your UID onto the image user: --userns=keep-id:uid=<uid>,gid=<gid>, updateRemoteUserUID false"
		}
	}
	out = append(out, uid)

	vs := Check{Name: "VS Code dockerPath", Status: OK}
	if p, from := d.dockerPath(); strings.Contains(p, "podman") {
		vs.Detail = fmt.Sprintf("dev.containers.dockerPath is %q (%s)", p, from)
	} else if p != "" {
		vs.Status, vs.Detail = Warn, fmt.Sprintf("dev.containers.dockerPath is %q (%s), not podman", p, from)
		vs.Fix = "devfix shellenv --install   # sets \"dev.containers.dockerPath\": \"podman\" in your VS Code settings"
	} else {
		vs.Status, vs.Detail = Warn, "no VS Code settings file sets dev.containers.dockerPath: Dev Containers runs docker"
		vs.Fix = "devfix shellenv --install   # or set \"dev.containers.dockerPath\": \"podman\" in VS Code's settings"
	}
	out = append(out, vs)

	if d.Run != nil {
		if b, err := d.Run(ctx, []string{"getenforce"}); err == nil {
			mode := strings.TrimSpace(string(b))
			se := Check{Name: "SELinux", Status: OK, Detail: mode}
			if mode == "Enforcing" {
				se.Detail += ": the CLI adds --security-opt label=disable for image configs; compose services and extra binds may need :z"
			}
			out = append(out, se)
		}
	}

	home := Check{Name: "home folder", Status: OK}
	if fi, err := d.Fs.Stat(d.Home); err == nil {
		if fi.Mode().Perm()&0o011 == 0 && d.podmanDriver(ctx) == "overlay" {
			home.Status = Warn
			home.Detail = fmt.Sprintf("%s is mode %o: with --userns=keep-id crun fails (\"make … private: Permission denied\", podman#25189)", d.Home, fi.Mode().Perm())
			home.Fix = "chmod 701 ~"
		} else {
			home.Detail = fmt.Sprintf("%s is mode %o", d.Home, fi.Mode().Perm())
		}
		out = append(out, home)
	}

	out = append(out, d.composeProvider(ctx))
	return out
}

// podmanDriver is Podman's storage driver ("overlay", "vfs"; "" unknown):
// podman#25189 bites only overlay, whose merged folder crun makes private.
func (d *Doctor) podmanDriver(ctx context.Context) string {
	if d.Run == nil {
		return ""
	}
	out, err := d.Run(ctx, []string{"podman", "info", "--format", "{{.Store.GraphDriverName}}"})
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// composeProvider says which compose the CLI will run.
func (d *Doctor) composeProvider(ctx context.Context) Check {
	c := Check{Name: "compose", Status: OK}
	if d.LookPath == nil {
		c.Detail = "not looked for"
		return c
	}
	var found []string
	for _, p := range []string{"podman-compose", "docker-compose"} {
		if path, err := d.LookPath(p); err == nil {
			found = append(found, path)
		}
	}
	if len(found) == 0 {
		c.Detail = "no podman-compose or docker-compose on PATH: compose configs cannot start (set dev.containers.dockerComposePath)"
		return c
	}
	c.Detail = "on PATH: " + strings.Join(found, ", ")
	if len(found) == 1 && filepath.Base(found[0]) == "docker-compose" && d.composeIsV1(ctx, found[0]) {
		c.Status = Warn
		c.Detail += " (Python docker-compose v1 against Podman's socket rejects userns_mode: keep-id; compose configs get no keep-id from the CLI either: use --strategy root for them)"
	}
	return c
}

// composeIsV1 tells Python docker-compose v1 from compose v2, which also
// ships as a docker-compose program: a Python script is v1, else its
// `version --short` says (by argv). Not knowing is not v1.
func (d *Doctor) composeIsV1(ctx context.Context, path string) bool {
	if f, err := d.Fs.Open(path); err == nil {
		head := make([]byte, 128)
		n, _ := io.ReadFull(f, head)
		f.Close()
		if line, _, _ := bytes.Cut(head[:n], []byte("\n")); bytes.HasPrefix(line, []byte("#!")) && bytes.Contains(line, []byte("python")) {
			return true
		}
	}
	if d.Run == nil {
		return false
	}
	out, err := d.Run(ctx, []string{path, "version", "--short"})
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

// SubIDs checks the user's ranges in /etc/subuid and /etc/subgid, and
// gives the line to add from the allocator `devfix host grant` uses.
func (d *Doctor) SubIDs(context.Context) []Check {
	var out []Check
	h, _ := subid.Load(d.Fs, subid.Paths{})
	for _, f := range []*subid.File{h.SubUID, h.SubGID} {
		if len(f.Malformed) > 0 {
			out = append(out, Check{Name: f.Path, Status: Fail, Detail: f.Malformed[0].Error()})
		}
	}
	alloc, allocErr := subid.Allocate(h, subid.User{Name: d.UserName, UID: d.UID, GID: d.GID}, subid.Options{})
	for _, f := range []*subid.File{h.SubUID, h.SubGID} {
		c := Check{Name: f.Path}
		ranges := f.Of(d.UserName, d.UID)
		var total int64
		for _, r := range ranges {
			total += r.Count
		}
		grant := alloc.SubUID
		if f == h.SubGID {
			grant = alloc.SubGID
		}
		switch {
		case len(ranges) == 0:
			c.Status = Fail
			c.Detail = fmt.Sprintf("no range for %s (uid %d): the rootless engine cannot start (domain users get none from useradd", d.UserName, d.UID)
			if d.Engine == devcontainer.EnginePodman {
				c.Detail += "; " + d.podmanSubIDs(h.NSS)
			}
			c.Detail += ")"
			c.Fix = d.grantFix(h, grant, allocErr)
		case total < 65536:
			c.Status = Warn
			c.Detail = fmt.Sprintf("%s has %d subordinate IDs; images expect 65536 (UIDs above that fail to map)", d.UserName, total)
			c.Fix = d.grantFix(h, grant, allocErr)
		default:
			c.Status = OK
			c.Detail = fmt.Sprintf("%s has %d subordinate IDs from %d", d.UserName, total, ranges[0].Start)
		}
		for _, o := range subid.Overlaps(f.Entries) {
			mine := func(e subid.Entry) bool {
				return e.Owner == d.UserName || e.Owner == strconv.FormatInt(d.UID, 10)
			}
			if mine(o.A) != mine(o.B) {
				c.Status = Warn
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

// grantFix is what an admin runs to give the user a range: `devfix host
// grant`, and the line it adds, from the same allocator (outside both
// files, local users and groups, and SSSD's IDs).
func (d *Doctor) grantFix(h *subid.Host, g subid.FileGrant, err error) string {
	cmd := "sudo devfix host grant " + d.UserName
	switch {
	case !h.NSS.Files():
		return fmt.Sprintf("nsswitch.conf's subid: is %s, which no file edit reaches: ask your admin for a range in %s's directory", h.NSS.Source, h.NSS.Source)
	case err != nil:
		return cmd + "   # " + err.Error()
	case g.Add == nil:
		return cmd
	}
	fix := fmt.Sprintf("%s   # adds %s:%d:%d to %s: the lowest range outside every range, local user and group and SSSD domain", cmd, d.UserName, g.Add.Start, g.Add.Count, g.Path)
	if len(h.Unread) > 0 {
		var what []string
		for _, err := range h.Unread {
			what = append(what, err.Error())
		}
		fix += " (devfix could not read " + strings.Join(what, "; ") + ": as root, host grant reads it and may choose another start)"
	}
	return fix
}

// NewUIDMap checks that newuidmap and newgidmap are installed, setuid or
// with file capabilities.
func (d *Doctor) NewUIDMap(ctx context.Context) Check {
	c := Check{Name: "newuidmap", Status: OK}
	var problems []string
	for _, bin := range []string{"newuidmap", "newgidmap"} {
		p, err := d.lookPath(bin)
		if err != nil {
			for _, dir := range []string{"/usr/bin", "/usr/sbin", "/bin"} {
				if _, serr := d.Fs.Stat(dir + "/" + bin); serr == nil {
					p, err = dir+"/"+bin, nil
					break
				}
			}
		}
		if err != nil {
			problems = append(problems, bin+" is not installed")
			continue
		}
		fi, err := d.Fs.Stat(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		if fi.Mode()&fs.ModeSetuid == 0 && !hasSetIDCaps(ctx, d.Run, p) {
			problems = append(problems, p+" is neither setuid nor has file capabilities")
		}
	}
	if len(problems) > 0 {
		c.Status, c.Detail = Fail, strings.Join(problems, "; ")
		c.Fix = "sudo apt-get install uidmap   # Fedora/RHEL: sudo dnf install shadow-utils; Photon: tdnf install shadow"
		return c
	}
	c.Detail = "newuidmap and newgidmap are installed with the privileges they need"
	return c
}

// hasSetIDCaps asks getcap (by argv) whether a program has cap_setuid or
// cap_setgid as file capabilities (a --with-fcaps shadow build's newuidmap
// has them instead of the setuid bit).
func hasSetIDCaps(ctx context.Context, run run.Runner, p string) bool {
	if run == nil {
		return false
	}
	out, err := run(ctx, []string{"getcap", p})
	return err == nil && strings.Contains(string(out), "cap_set")
}

// Sysctls checks the kernel settings user namespaces need: unprivileged
// clone, max_user_namespaces, and Ubuntu's AppArmor restriction.
func (d *Doctor) Sysctls(context.Context) []Check {
	var out []Check
	proc := proc.Root(d.Proc)
	if n, ok := d.readInt(proc + "/sys/kernel/unprivileged_userns_clone"); ok {
		c := Check{Name: "kernel.unprivileged_userns_clone", Status: OK, Detail: "1: unprivileged user namespaces are allowed"}
		if n != 1 {
			c.Status, c.Detail = Fail, fmt.Sprintf("%d: unprivileged user namespaces are off", n)
			c.Fix = "echo kernel.unprivileged_userns_clone=1 | sudo tee /etc/sysctl.d/50-rootless.conf && sudo sysctl --system"
		}
		out = append(out, c)
	}
	if n, ok := d.readInt(proc + "/sys/user/max_user_namespaces"); ok {
		c := Check{Name: "user.max_user_namespaces", Status: OK, Detail: strconv.Itoa(n)}
		switch {
		case n == 0:
			c.Status, c.Detail = Fail, "0: no user namespaces can be made"
			c.Fix = "echo user.max_user_namespaces=28633 | sudo tee /etc/sysctl.d/51-rootless.conf && sudo sysctl --system"
		case n < 1024:
			c.Status, c.Detail = Warn, fmt.Sprintf("%d: may be too low for many containers", n)
			c.Fix = "echo user.max_user_namespaces=28633 | sudo tee /etc/sysctl.d/51-rootless.conf && sudo sysctl --system"
		}
		out = append(out, c)
	}
	if n, ok := d.readInt(proc + "/sys/kernel/apparmor_restrict_unprivileged_userns"); ok {
		c := Check{Name: "kernel.apparmor_restrict_unprivileged_userns", Status: OK, Detail: strconv.Itoa(n)}
		if n == 1 {
			c.Status = Fail
			c.Detail = "1 (Ubuntu 23.10+): AppArmor stops rootlesskit from making user namespaces"
			c.Fix = "give rootlesskit an AppArmor profile with \"userns,\" (see rootlesskit's hint when it fails), or: echo kernel.apparmor_restrict_unprivileged_userns=0 | sudo tee /etc/sysctl.d/60-rootless.conf && sudo sysctl --system"
		}
		out = append(out, c)
	}
	return out
}

// Cgroups checks cgroup v2 and the controllers delegated to the user.
func (d *Doctor) Cgroups(context.Context) Check {
	c := Check{Name: "cgroups"}
	if _, err := d.Fs.Stat("/sys/fs/cgroup/cgroup.controllers"); err != nil {
		c.Status, c.Detail = Warn, "cgroup v1: a rootless engine applies no --memory, --cpus or --pids-limit"
		c.Fix = "boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1)"
		return c
	}
	p := fmt.Sprintf("/sys/fs/cgroup/user.slice/user-%d.slice/user@%d.service/cgroup.controllers", d.UID, d.UID)
	b, err := afero.ReadFile(d.Fs, p)
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
		c.Status = Warn
		c.Detail = "cgroup v2, but no systemd delegation to your user: resource limits are ignored"
		c.Fix = "sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload"
		return c
	}
	c.Status, c.Detail = OK, "cgroup v2, delegated to you: "+strings.Join(ctrls, " ")
	return c
}

// Ports says which host ports a rootless engine cannot publish.
func (d *Doctor) Ports(context.Context) Check {
	c := Check{Name: "net.ipv4.ip_unprivileged_port_start", Status: OK}
	var n int
	ok := false
	if d.PortStart != nil {
		n, ok = d.PortStart()
	}
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

// RootfulSocket fails when the user can write the rootful daemon's socket.
func (d *Doctor) RootfulSocket(context.Context) Check {
	c := Check{Name: "rootful socket", Status: OK}
	const sock = "/var/run/docker.sock"
	if _, err := d.Fs.Stat(sock); err != nil {
		c.Detail = sock + " does not exist: no rootful daemon to fall into"
		return c
	}
	access := d.Access
	if access == nil {
		access = func(string) error { return errors.New("write access cannot be checked here") }
	}
	if err := access(sock); err != nil {
		c.Detail = sock + " exists but you cannot write it"
		return c
	}
	c.Status = Fail
	c.Detail = sock + " (the rootful daemon) is writable by you: that is root on the host, and tools that default to it bypass your rootless engine"
	c.Fix = "sudo systemctl disable --now docker.service docker.socket   # or take yourself out of the docker group"
	return c
}

// Shell checks the user's login shell and, for Docker, that DOCKER_HOST
// reaches the shell VS Code starts.
func (d *Doctor) Shell(ctx context.Context) []Check {
	login := shellenv.DetectLoginShell(ctx, d.Fs, d.Run, d.LookupEnv, d.UserName)
	pw := Check{Name: "/etc/passwd", Status: OK, Detail: fmt.Sprintf("%s: %s", d.UserName, login.Passwd)}
	if !login.PasswdFound {
		pw.Status = Fail
		pw.Detail = fmt.Sprintf("no line for %s (a domain/SSSD user): VS Code may start sh, which never reads ~/.bashrc, so DOCKER_HOST never reaches it", d.UserName)
		// Not a copy of the getent line into /etc/passwd: the files line
		// always wins, so it hides the directory's later shell, home and
		// UID changes (host check's passwd-copy warns about such copies).
		pw.Fix = "an admin sets default_shell = /bin/bash in /etc/sssd/sssd.conf ([nss]; override_shell for everyone), not a copy of the getent line in /etc/passwd; devfix shellenv --install reaches sh meanwhile"
	}
	sh := Check{Name: "login shell", Status: OK}
	sh.Detail = fmt.Sprintf("VS Code starts %s (getent: %s, /etc/passwd: %s, $SHELL: %s)", login.Effective, orNone(login.Getent), orNone(login.Passwd), orNone(login.Env))
	if dis := login.Disagreements(); len(dis) > 0 {
		sh.Status = Warn
		sh.Detail += "; " + strings.Join(dis, "; ")
	}
	if d.Engine == devcontainer.EnginePodman {
		return []Check{pw, sh} // Podman needs no DOCKER_HOST: VS Code runs podman itself
	}
	reach := Check{Name: "DOCKER_HOST in VS Code's shell"}
	want := d.wantDockerHost()
	clean := []string{"HOME=" + d.Home, "USER=" + d.UserName, "LOGNAME=" + d.UserName, "PATH=/usr/local/bin:/usr/bin:/bin", "TERM=dumb"}
	res := shellenv.Probe(ctx, login.Effective, clean, "DOCKER_HOST", 5*time.Second)
	switch {
	case res.Err != nil && res.Value == "":
		reach.Status, reach.Detail = Warn, fmt.Sprintf("%s -i -l -c failed: %v", login.Effective, res.Err)
	case want == "":
		reach.Status, reach.Detail = Warn, fmt.Sprintf("%s -i -l -c sees DOCKER_HOST=%q; no rootless socket found to compare with", login.Effective, res.Value)
	case res.Value == want:
		reach.Status, reach.Detail = OK, fmt.Sprintf("%s -i -l -c sees DOCKER_HOST=%s", login.Effective, res.Value)
	default:
		reach.Status = Fail
		reach.Detail = fmt.Sprintf("%s -i -l -c sees DOCKER_HOST=%q, not your rootless daemon (%s)", login.Effective, res.Value, want)
		reach.Fix = "devfix shellenv --install"
	}
	return []Check{pw, sh, reach}
}

// wantDockerHost is the DOCKER_HOST the user's tools should have ("" when no
// rootless socket was found).
func (d *Doctor) wantDockerHost() string {
	if d.RootlessSocket == "" {
		return ""
	}
	return "unix://" + d.RootlessSocket
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// ide checks VS Code's side: the daemons its settings point at, the
// servers already running with an old environment, a DOCKER_HOST that
// hides the current docker context, and compose v1 with a context.
func (d *Doctor) IDE(ctx context.Context) []Check {
	var out []Check
	hosts, checks := CheckSettings(d.Fs, d.Home)
	out = append(out, checks...)
	for _, h := range hosts {
		if !strings.HasPrefix(h.Value, "unix://") {
			continue
		}
		if _, err := d.Fs.Stat(strings.TrimPrefix(h.Value, "unix://")); err != nil {
			continue // CheckSettings said so
		}
		c := Check{Name: "VS Code settings", Status: OK}
		also := ""
		if n := len(h.Also); n > 0 {
			also = fmt.Sprintf(" (and %d more place(s) set it)", n)
		}
		if dm, err := d.connect(ctx, []engine.Endpoint{{Host: h.Value, Source: h.Path}}); err != nil {
			c.Status = Warn
			c.Detail = fmt.Sprintf("%s:%d:%d: %s DOCKER_HOST %s%s does not answer: %v", h.Path, h.Line, h.Col, h.Setting, h.Value, also, err)
			c.Fix = "start that daemon, or devfix shellenv --install to point VS Code at your rootless one"
		} else {
			c.Detail = fmt.Sprintf("%s: %s DOCKER_HOST %s%s answers (%s %s, rootless %v)", h.Path, h.Setting, h.Value, also, dm.Kind, dm.Version, dm.Rootless)
			if !dm.Rootless {
				c.Status = Warn
				c.Detail += ": a rootful daemon, root on the host"
				c.Fix = "devfix shellenv --install"
			}
			dm.Close()
		}
		out = append(out, c)
	}
	want := VSCodeWant(d.Engine, d.wantDockerHost())
	out = append(out, CheckServers(vscode.Servers(d.Fs, proc.Root(d.Proc), d.UID, d.Home), want)...)
	out = append(out, d.DockerContext(ctx)...)
	return out
}

// DockerContext: a DOCKER_HOST that disagrees with the current docker
// context wins over it silently; Python docker-compose v1 ignores contexts.
func (d *Doctor) DockerContext(ctx context.Context) []Check {
	if d.Engine == devcontainer.EnginePodman {
		return nil
	}
	cur, err := d.Discovery.CurrentContext()
	if err != nil {
		return []Check{{Name: "docker context", Status: Warn, Detail: err.Error(), Fix: "docker context use default   # or fix the context's endpoint"}}
	}
	host, _ := d.lookup("DOCKER_HOST")
	var out []Check
	if cur.Host != "" && host != "" && cur.Host != host {
		out = append(out, Check{Name: "docker context", Status: Warn,
			Detail: fmt.Sprintf("DOCKER_HOST=%s overrides the current context %q (%s, from %s): tools that read DOCKER_HOST and tools that read the context reach different daemons", host, cur.Name, cur.Host, cur.From),
			Fix:    "unset DOCKER_HOST where it is stale, or: docker context use default"})
	}
	if cur.Host != "" && host == "" && d.composeV1(ctx) {
		out = append(out, Check{Name: "compose", Status: Warn,
			Detail: fmt.Sprintf("Python docker-compose v1 is the compose the Dev Containers CLI will use, and it ignores docker contexts: compose configs reach /var/run/docker.sock, not context %q (%s)", cur.Name, cur.Host),
			Fix:    "devfix shellenv --install   # DOCKER_HOST reaches docker-compose v1; or install the compose v2 plugin"})
	}
	return out
}

// composeV1 reports whether the docker-compose on PATH is Python's v1 and
// the compose v2 plugin (docker compose) is not installed.
func (d *Doctor) composeV1(ctx context.Context) bool {
	if d.LookPath == nil {
		return false
	}
	path, err := d.LookPath("docker-compose")
	if err != nil {
		return false
	}
	for _, dir := range []string{filepath.Join(d.Home, ".docker", "cli-plugins"), "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins", "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins"} {
		if _, err := d.Fs.Stat(filepath.Join(dir, "docker-compose")); err == nil {
			return false
		}
	}
	return d.composeIsV1(ctx, path)
}
