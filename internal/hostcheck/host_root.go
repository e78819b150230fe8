package hostcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
)

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// rootful: a rootful Docker enabled (its unit linked into a target's wants,
// as systemctl enable does; read from the links, no systemd is asked) or
// its socket present. Whoever can reach it is root on the host.
func (r *hostRun) rootful(context.Context) []Check {
	var found []string
	wantsRoots := []string{"/etc/systemd/system"}
	for _, dir := range wantsRoots {
		entries, err := afero.ReadDir(r.Fs, r.p(dir))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".wants") {
				continue
			}
			for _, unit := range []string{"docker.service", "docker.socket"} {
				p := path.Join(dir, e.Name(), unit)
				if _, err := mounts.Lstat(r.Fs, r.p(p)); err == nil {
					found = append(found, unit+" is enabled ("+p+")")
				}
			}
		}
	}
	for _, sock := range []string{"/var/run/docker.sock", "/run/docker.sock"} {
		if _, err := r.Fs.Stat(r.p(sock)); err == nil {
			found = append(found, sock+" exists")
			break // /var/run is usually a link to /run
		}
	}
	if len(found) == 0 {
		return []Check{{Name: NameRootful, Status: OK, Detail: "no rootful docker.service or docker.socket is enabled and no rootful socket exists"}}
	}
	return []Check{{Name: NameRootful, Status: Fail,
		Detail: "rootful Docker: " + strings.Join(found, "; ") + ": whoever can use it (the docker group, root) is root on this host, and tools that default to it bypass the users' rootless engines (dockerd-rootless-setuptool.sh aborts while the socket is writable)",
		Fix:    "sudo systemctl disable --now docker.service docker.socket   # when no one needs rootful Docker"}}
}

// dockerGroup: members of the docker group, by the group's member list (as
// NSS answers it, so a directory group named docker counts) and by primary
// GID. The group grants what root has.
func (r *hostRun) dockerGroup(ctx context.Context) []Check {
	var gid int64 = -1
	var members []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			members = append(members, n)
		}
	}
	getent := r.getent()
	asked := false
	if r.Run != nil && getent != "" {
		// NSS answers with the first source that knows the group; a
		// directory's docker group behind /etc/group's is asked by name.
		argvs := [][]string{{getent, "group", "--", "docker"}}
		for _, src := range r.otherSources("group") {
			argvs = append(argvs, []string{getent, "-s", src, "group", "--", "docker"})
		}
		for i, argv := range argvs {
			out, err := r.Run(ctx, argv)
			switch {
			case err == nil:
				line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
				if f := strings.Split(line, ":"); len(f) == 4 {
					if gid < 0 {
						gid, _ = strconv.ParseInt(f[2], 10, 64)
					}
					for _, m := range strings.Split(f[3], ",") {
						add(strings.TrimSpace(m))
					}
				}
				asked = asked || i == 0
			case isExit2(err):
				asked = asked || i == 0
			}
		}
	}
	if !asked {
		for _, g := range r.sub.Groups {
			if g.Name == "docker" {
				gid = g.ID
			}
		}
		if data, err := afero.ReadFile(r.Fs, r.sub.Paths.Group()); err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Split(line, ":"); len(f) == 4 && f[0] == "docker" {
					for _, m := range strings.Split(f[3], ",") {
						add(strings.TrimSpace(m))
					}
				}
			}
		}
	}
	if gid < 0 {
		return []Check{{Name: NameDockerGroup, Status: OK, Detail: "there is no docker group"}}
	}
	for _, u := range r.sub.Users {
		if u.GID == gid {
			add(u.Name + " (primary group)")
		}
	}
	if len(members) == 0 {
		c := Check{Name: NameDockerGroup, Status: OK, Detail: fmt.Sprintf("the docker group (GID %d) has no members", gid)}
		if !asked {
			c.Status, c.Detail = Info, c.Detail+" in /etc/group and /etc/passwd (getent was not asked: directory members unknown)"
		}
		return []Check{c}
	}
	return []Check{{Name: NameDockerGroup, Status: Fail,
		Detail: fmt.Sprintf("the docker group (GID %d) has %s: membership grants what root has on this host (docker run -v /:/host), whatever engine they use themselves", gid, strings.Join(members, ", ")),
		Fix:    "sudo gpasswd -d USER docker   # for each member, once rootless engines serve them; a directory group named docker is removed in the directory"}}
}

// newuidmap: newuidmap and newgidmap are setuid root or have file
// capabilities, and do not sit on a nosuid mount.
func (r *hostRun) newuidmap(ctx context.Context) []Check {
	mt := r.mountinfo()
	var out []Check
	for _, bin := range []string{"newuidmap", "newgidmap"} {
		var p string
		for _, dir := range []string{"/usr/bin", "/usr/sbin", "/bin", "/sbin"} {
			if _, err := r.Fs.Stat(r.p(dir + "/" + bin)); err == nil {
				p = dir + "/" + bin
				break
			}
		}
		c := Check{Name: NameNewUIDMap, Status: OK}
		if p == "" {
			c.Status, c.Detail = Fail, bin+" is not installed: no rootless engine can map IDs"
			c.Fix = "sudo apt-get install uidmap   # Fedora/RHEL: sudo dnf install shadow-utils"
			out = append(out, c)
			continue
		}
		fi, err := r.Fs.Stat(r.p(p))
		if err != nil {
			continue
		}
		uid, _, known := r.owner(fi)
		setuid := fi.Mode()&fs.ModeSetuid != 0 && (!known || uid == 0)
		caps := !setuid && hasSetIDCaps(ctx, r.Run, p)
		switch {
		case !setuid && !caps:
			c.Status = Fail
			c.Detail = fmt.Sprintf("%s is mode %o with no file capabilities: \"write to uid_map failed: Operation not permitted\"", p, fi.Mode().Perm())
			c.Fix = fmt.Sprintf("sudo chown root:root %s && sudo chmod u+s %s   # or: sudo setcap cap_setuid,cap_setgid+ep %s; or reinstall uidmap", p, p, p)
		case mt.nosuid(p):
			c.Status = Fail
			c.Detail = fmt.Sprintf("%s is on %s, mounted nosuid: its privilege is ignored", p, mt.at(p))
			c.Fix = "remount " + mt.at(p) + " without nosuid"
		case setuid:
			c.Detail = p + " is setuid root"
		default:
			c.Detail = p + " has file capabilities"
		}
		out = append(out, c)
	}
	return out
}

// mountTable is /proc/self/mountinfo: mount points and their options.
type mountTable []struct{ point, opts string }

func (r *hostRun) mountinfo() mountTable {
	data, err := afero.ReadFile(r.Fs, path.Join(r.proc(), "self/mountinfo"))
	if err != nil {
		return nil
	}
	var t mountTable
	for _, line := range strings.Split(string(data), "\n") {
		// ID PARENT MAJ:MIN ROOT POINT OPTIONS ... - TYPE SOURCE SUPER
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		t = append(t, struct{ point, opts string }{unescapeMount(f[4]), f[5]})
	}
	return t
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// at is the mount point p is under and its options (the last, longest
// match wins, as mounts stack).
func (t mountTable) lookup(p string) (point, opts string) {
	for _, m := range t {
		if m.point == "/" || p == m.point || strings.HasPrefix(p, strings.TrimSuffix(m.point, "/")+"/") {
			if len(m.point) >= len(point) {
				point, opts = m.point, m.opts
			}
		}
	}
	return point, opts
}

func (t mountTable) at(p string) string { point, _ := t.lookup(p); return point }

func (t mountTable) nosuid(p string) bool {
	_, opts := t.lookup(p)
	for _, o := range strings.Split(opts, ",") {
		if o == "nosuid" {
			return true
		}
	}
	return false
}

// kernel: the doctor's kernel checks; a restricting AppArmor
// (kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu 23.10+) is fine
// when a profile gives rootlesskit "userns,".
func (r *hostRun) kernel(ctx context.Context) []Check {
	d := &Doctor{Fs: r.Fs, Proc: r.proc()}
	cs := d.Sysctls(ctx)
	for i, c := range cs {
		if c.Name != "kernel.apparmor_restrict_unprivileged_userns" || c.Status != Fail {
			continue
		}
		if prof := r.rootlesskitProfile(); prof != "" {
			cs[i].Status = OK
			cs[i].Detail = "1 (Ubuntu 23.10+), and " + prof + " gives rootlesskit \"userns,\""
			cs[i].Fix = ""
		} else {
			cs[i].Fix = "install the apparmor package's /etc/apparmor.d/rootlesskit (profile rootlesskit /usr/bin/rootlesskit flags=(unconfined) { userns, }); for a rootlesskit elsewhere (~/bin), a profile named after its path; then sudo systemctl restart apparmor.service"
		}
	}
	return cs
}

// rootlesskitProfile is an AppArmor profile file that names rootlesskit
// and allows userns ("" when none).
func (r *hostRun) rootlesskitProfile() string {
	dir := "/etc/apparmor.d"
	entries, err := afero.ReadDir(r.Fs, r.p(dir))
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := afero.ReadFile(r.Fs, r.p(path.Join(dir, e.Name())))
		if err != nil {
			continue
		}
		s := string(data)
		if strings.Contains(s, "rootlesskit") && strings.Contains(s, "userns") {
			return path.Join(dir, e.Name())
		}
	}
	return ""
}

// cgroups: cgroup v2, and user@.service delegating the controllers a
// rootless engine's limits need.
func (r *hostRun) cgroups(context.Context) []Check {
	c := Check{Name: NameCgroups}
	if !r.exists(r.p("/sys/fs/cgroup/cgroup.controllers")) {
		c.Status, c.Detail = Warn, "cgroup v1 (no /sys/fs/cgroup/cgroup.controllers): rootless engines apply no --memory, --cpus or --pids-limit"
		c.Fix = "boot with cgroup v2 (systemd.unified_cgroup_hierarchy=1)"
		return []Check{c}
	}
	dir := "/etc/systemd/system/user@.service.d"
	entries, _ := afero.ReadDir(r.Fs, r.p(dir))
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".conf") {
			continue
		}
		data, err := afero.ReadFile(r.Fs, r.p(path.Join(dir, e.Name())))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Delegate="); ok {
				c.Status, c.Detail = OK, fmt.Sprintf("cgroup v2; %s/%s delegates %s to user managers", dir, e.Name(), strings.TrimSpace(v))
				return []Check{c}
			}
		}
	}
	c.Status = Warn
	c.Detail = "cgroup v2, but no user@.service drop-in sets Delegate=: users get memory and pids only, and --cpus, --cpuset-* and --blkio-* fail"
	c.Fix = "sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload"
	return []Check{c}
}
