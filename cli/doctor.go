package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/devfix/devfix/devcontainer"
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

func doctorUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintln(w, "Usage: devfix doctor [--format text|json]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Checks the whole chain rootless Dev Containers need, and prints the exact fix")
	fmt.Fprintln(w, "for what is missing: the daemon, /etc/subuid and /etc/subgid, newuidmap, the")
	fmt.Fprintln(w, "kernel settings, cgroups, the rootful socket, your login shell and DOCKER_HOST,")
	fmt.Fprintln(w, "and the configs under the current folder. It needs no root and changes nothing.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags:")
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	fmt.Fprintln(w, "  devfix doctor")
	fmt.Fprintln(w, "  devfix doctor --format json | jq '.checks[] | select(.status != \"ok\")'")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 when no check fails, 1 otherwise, 2 usage.")
}

func runDoctor(ctx context.Context, env *Env, args []string) int {
	format := "text"
	fs := newFlagSet("doctor", env.Stderr, doctorUsage)
	fs.StringVar(&format, "format", "text", "output format: text or json")
	if code, done := parseFlags(fs, args, env, doctorUsage); done {
		return code
	}
	if format != "text" && format != "json" {
		fmt.Fprintf(env.Stderr, "devfix doctor: --format: unknown format %q (want text or json)\n", format)
		return ExitBadInput
	}
	d := doctor{env: env, ctx: ctx}
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
	env *Env
	ctx context.Context
}

func (d doctor) run() []check {
	var cs []check
	if d.env.UID == 0 {
		cs = append(cs, check{Name: "user", Status: statusWarn, Detail: "running as root: rootless Docker is per user, so these checks are about root", Fix: "run devfix doctor as the user who runs the dev containers"})
	}
	cs = append(cs, d.daemon())
	cs = append(cs, d.subids()...)
	cs = append(cs, d.newuidmap())
	cs = append(cs, d.sysctls()...)
	cs = append(cs, d.cgroups(), d.ports(), d.rootfulSocket())
	cs = append(cs, d.shell()...)
	cs = append(cs, d.configs())
	return cs
}

func (d doctor) readInt(path string) (int, bool) {
	b, err := afero.ReadFile(d.env.Fs, path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return n, err == nil
}

func (d doctor) daemon() check {
	c := check{Name: "daemon"}
	var dm *shellenv.Daemon
	var err error
	if ld, ok := d.env.Images.(*lazyDaemon); ok {
		// The connection the config checks use too: one ping in all.
		dm, err = ld.Daemon(d.ctx)
	} else {
		disc := shellenv.Discovery{Fs: d.env.Fs, LookupEnv: d.env.LookupEnv, UID: int(d.env.UID), Home: d.env.home()}
		var eps []shellenv.Endpoint
		eps, err = disc.Endpoints()
		if err == nil && len(eps) == 0 {
			err = errors.New("no daemon socket found")
		}
		if err == nil {
			dm, err = shellenv.Connect(d.ctx, eps, time.Second)
			if err == nil {
				defer dm.Close()
			}
		}
	}
	if err != nil {
		c.Status, c.Detail = statusFail, fmt.Sprintf("no Docker daemon answers: %v", err)
		c.Fix = "start your rootless daemon: dockerd-rootless-setuptool.sh install (with systemd), or PATH=/usr/share/docker.io/contrib:$PATH dockerd-rootless.sh &"
		return c
	}
	if !dm.Rootless {
		c.Status = statusWarn
		c.Detail = fmt.Sprintf("%s (%s) is a rootful daemon: containers' root is root on the host", dm.Host, dm.Source)
		c.Fix = "point DOCKER_HOST at your rootless daemon: devfix shellenv --install"
		return c
	}
	c.Status = statusOK
	c.Detail = fmt.Sprintf("rootless daemon at %s (%s); its data is in %s", dm.Host, dm.Source, dm.Info.DockerRootDir)
	return c
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
		ranges := mounts.RangesFor(files[f], d.env.UserName, d.env.UID)
		var total int64
		for _, r := range ranges {
			total += r.Count
		}
		switch {
		case len(ranges) == 0:
			c.Status = statusFail
			c.Detail = fmt.Sprintf("no range for %s (uid %d): the rootless daemon cannot start (domain users get none from useradd)", d.env.UserName, d.env.UID)
			c.Fix = fmt.Sprintf("echo '%s:%d:65536' | sudo tee -a %s   # the next free range in /etc/subuid and /etc/subgid", d.env.UserName, free, f)
		case total < 65536:
			c.Status = statusWarn
			c.Detail = fmt.Sprintf("%s has %d subordinate IDs; images expect 65536 (UIDs above that fail to map)", d.env.UserName, total)
			c.Fix = fmt.Sprintf("echo '%s:%d:65536' | sudo tee -a %s", d.env.UserName, free, f)
		default:
			c.Status = statusOK
			c.Detail = fmt.Sprintf("%s has %d subordinate IDs from %d", d.env.UserName, total, ranges[0].Start)
		}
		for _, o := range mounts.Overlaps(files[f]) {
			mine := func(e mounts.SubIDEntry) bool {
				return e.Owner == d.env.UserName || e.Owner == strconv.FormatInt(d.env.UID, 10)
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
		p, err := exec.LookPath(bin)
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
		c.Status, c.Detail = statusWarn, "cgroup v1: a rootless daemon applies no --memory, --cpus or --pids-limit"
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
	n, ok := d.readInt(d.env.procRoot() + "/sys/net/ipv4/ip_unprivileged_port_start")
	if !ok {
		c.Detail = "unknown"
		return c
	}
	c.Detail = fmt.Sprintf("%d: host ports below it cannot be published by a rootless daemon", n)
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
	access := d.env.Access
	if access == nil {
		access = func(p string) error { return syscall.Access(p, 2) }
	}
	if err := access(sock); err != nil {
		c.Detail = sock + " exists but you cannot write it"
		return c
	}
	c.Status = statusFail
	c.Detail = sock + " (the rootful daemon) is writable by you: that is root on the host, and tools that default to it bypass your rootless daemon"
	c.Fix = "sudo systemctl disable --now docker.service docker.socket   # or take yourself out of the docker group"
	return c
}

func (d doctor) shell() []check {
	login := shellenv.DetectLoginShell(d.ctx, d.env.Fs, shellenv.Runner(d.env.Run), d.env.LookupEnv, d.env.UserName)
	pw := check{Name: "/etc/passwd", Status: statusOK, Detail: fmt.Sprintf("%s: %s", d.env.UserName, login.Passwd)}
	if !login.PasswdFound {
		pw.Status = statusFail
		pw.Detail = fmt.Sprintf("no line for %s (a domain/SSSD user): VS Code may start sh, which never reads ~/.bashrc, so DOCKER_HOST never reaches it", d.env.UserName)
		pw.Fix = fmt.Sprintf("getent passwd %s | sudo tee -a /etc/passwd", d.env.UserName)
	}
	sh := check{Name: "login shell", Status: statusOK}
	sh.Detail = fmt.Sprintf("VS Code starts %s (getent: %s, /etc/passwd: %s, $SHELL: %s)", login.Effective, orNone(login.Getent), orNone(login.Passwd), orNone(login.Env))
	if dis := login.Disagreements(); len(dis) > 0 {
		sh.Status = statusWarn
		sh.Detail += "; " + strings.Join(dis, "; ")
	}
	reach := check{Name: "DOCKER_HOST in VS Code's shell"}
	want := ""
	if d.env.RootlessSocket != "" {
		want = "unix://" + d.env.RootlessSocket
	}
	clean := []string{"HOME=" + d.env.home(), "USER=" + d.env.UserName, "LOGNAME=" + d.env.UserName, "PATH=/usr/local/bin:/usr/bin:/bin", "TERM=dumb"}
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

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (d doctor) configs() check {
	c := check{Name: "configs", Status: statusOK}
	var files, findings int
	for _, l := range loadConfigs(d.env, []string{"."}) {
		if errors.Is(l.err, devcontainer.ErrNoConfig) {
			c.Detail = "no devcontainer.json under the current folder"
			return c
		}
		files++
		if l.err != nil {
			findings++
			continue
		}
		res := devcontainer.Lint(d.ctx, l.config, &devcontainer.Options{Images: d.env.Images, Fs: d.env.Fs,
			LookupEnv: d.env.LookupEnv, RootlessSocket: d.env.RootlessSocket, PortStart: d.env.PortStart})
		findings += len(res.Diagnostics)
	}
	c.Detail = fmt.Sprintf("%d config(s), %d finding(s)", files, findings)
	if findings > 0 {
		c.Status, c.Fix = statusWarn, "devfix lint; devfix apply"
	}
	return c
}
