package hostcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/devfix/devfix/internal/fserr"
	"github.com/devfix/devfix/internal/subid"
	"github.com/spf13/afero"
)

// home is a home folder where a rootless engine was set up.
type home struct {
	dir   string
	key   string   // who to ask NSS about: the folder owner's UID, else the folder's name
	data  []string // ~/.local/share/docker, ~/.local/share/containers: the ones there
	units []string // user-level engine units under ~/.config/systemd/user
}

// homesRoot is where home folders are looked for: /home/USER, and
// /home/DOMAIN/USER (SSSD's AD default fallback_homedir is /home/%d/%u).
const homesRoot = "/home"

// engineHomes finds the home folders under /home with a rootless engine's
// data or user-level units, once.
func (r *hostRun) engineHomes() []home {
	if r.homesOK {
		return r.homes
	}
	r.homesOK = true
	root := r.p(homesRoot)
	entries, err := afero.ReadDir(r.Fs, root)
	if err != nil {
		if !isNotExist(err) {
			r.note(fmt.Errorf("%s: %v", homesRoot, fserr.Cause(err)))
		}
		return nil
	}
	var visit func(dir string, depth int)
	visit = func(dir string, depth int) {
		h, isHome := r.engineHome(dir)
		if h != nil {
			fi, err := r.Fs.Stat(dir)
			h.key = path.Base(dir)
			if err == nil {
				if uid, _, ok := r.owner(fi); ok && uid != 0 {
					h.key = strconv.FormatInt(uid, 10)
				}
			}
			r.homes = append(r.homes, *h)
			return
		}
		if isHome || depth > 0 {
			return
		}
		// Not a home: maybe a domain's folder of homes.
		subs, err := afero.ReadDir(r.Fs, dir)
		if err != nil {
			return
		}
		for _, s := range subs {
			if s.IsDir() {
				visit(path.Join(dir, s.Name()), depth+1)
			}
		}
	}
	for _, e := range entries {
		if e.IsDir() {
			visit(path.Join(root, e.Name()), 0)
		}
	}
	if len(r.denied) > 0 {
		r.note(fmt.Errorf("%d home folder(s) (%s)", len(r.denied), andList(r.denied)))
	}
	return r.homes
}

// engineHome reads one folder: the engine it holds (nil when none), and
// whether it looks like a home at all (dot files).
func (r *hostRun) engineHome(dir string) (*home, bool) {
	h := &home{dir: dir}
	looksHome := false
	for _, d := range []string{".local/share/docker", ".local/share/containers"} {
		if fi, err := r.Fs.Stat(path.Join(dir, d)); err == nil && fi.IsDir() {
			h.data = append(h.data, "~/"+d)
		}
	}
	if _, err := r.Fs.Stat(path.Join(dir, ".local")); err == nil {
		looksHome = true
	} else if errors.Is(err, fs.ErrPermission) {
		r.denied = append(r.denied, dir)
		return nil, true
	}
	units := path.Join(dir, ".config/systemd/user")
	if entries, err := afero.ReadDir(r.Fs, units); err == nil {
		looksHome = true
		for _, e := range entries {
			if isEngineUnit(e.Name()) {
				h.units = append(h.units, e.Name())
			}
		}
	}
	if len(h.data) == 0 && len(h.units) == 0 {
		return nil, looksHome || r.exists(path.Join(dir, ".profile")) || r.exists(path.Join(dir, ".bashrc"))
	}
	return h, true
}

func (r *hostRun) exists(p string) bool { _, err := r.Fs.Stat(p); return err == nil }

// isEngineUnit: docker.service, docker.socket, podman.socket, podman.service
// (what dockerd-rootless-setuptool.sh and `systemctl --user enable
// podman.socket` make; the latter as a link in sockets.target.wants, which
// the folder's units also count through their name).
func isEngineUnit(name string) bool {
	base, ext, _ := strings.Cut(name, ".")
	return (base == "docker" || base == "podman" || base == "containerd") && (ext == "service" || ext == "socket")
}

// engineUsers: users who set up a rootless engine in their home but hold no
// subordinate range: the engine cannot start.
func (r *hostRun) engineUsers(ctx context.Context) []Check {
	homes := r.engineHomes()
	if len(homes) == 0 {
		return []Check{{Name: NameEngineRange, Status: OK, Detail: "no home folder under /home holds a rootless engine without ranges"}}
	}
	if c := r.unseen(NameEngineRange); c != nil {
		return c
	}
	if !r.sub.NSS.Files() {
		return []Check{{Name: NameEngineRange, Status: Info, Detail: fmt.Sprintf("%d home folder(s) hold a rootless engine; their ranges come from subid: %s, which devfix does not ask", len(homes), r.sub.NSS.Source)}}
	}
	var keys []string
	for _, h := range homes {
		keys = append(keys, h.key)
	}
	r.lookup(ctx, keys)
	// Owners as written, each file's once: a name, or a UID.
	owners := func(es []subid.Entry) map[string]bool {
		m := make(map[string]bool, len(es))
		for _, e := range es {
			m[e.Owner] = true
		}
		return m
	}
	uidOwners, gidOwners := owners(r.sub.SubUID.Entries), owners(r.sub.SubGID.Entries)
	var out []Check
	for _, h := range homes {
		u := r.users[h.key]
		name, uid := h.key, int64(-1)
		if u.found {
			name, uid = u.name, u.uid
		} else if n, err := strconv.ParseInt(h.key, 10, 64); err == nil {
			uid = n
		}
		has := func(m map[string]bool) bool { return m[name] || uid >= 0 && m[strconv.FormatInt(uid, 10)] }
		hasU, hasG := has(uidOwners), has(gidOwners)
		if hasU && hasG {
			continue
		}
		if u.askFailed {
			out = append(out, Check{Name: NameEngineRange, Status: Info,
				Detail: fmt.Sprintf("%s holds a rootless engine and no range names %s; getent could not be asked who owns it", h.dir, name)})
			continue
		}
		var missing []string
		if !hasU {
			missing = append(missing, r.sub.SubUID.Path)
		}
		if !hasG {
			missing = append(missing, r.sub.SubGID.Path)
		}
		what := append(append([]string{}, h.data...), h.units...)
		out = append(out, Check{Name: NameEngineRange, Status: Fail,
			Detail: fmt.Sprintf("%s (%s) set up a rootless engine (%s) but has no range in %s: it cannot start (newuidmap: uid range … not allowed)", name, h.dir, strings.Join(what, ", "), strings.Join(missing, " or ")),
			Fix:    "sudo devfix host grant " + name})
	}
	if len(out) == 0 {
		out = append(out, Check{Name: NameEngineRange, Status: OK, Detail: fmt.Sprintf("each of the %d home folder(s) with a rootless engine has its ranges", len(homes))})
	}
	return out
}

// linger: a user-level engine unit stops at logout and does not start at
// boot unless the user lingers (loginctl enable-linger).
func (r *hostRun) linger(ctx context.Context) []Check {
	var out []Check
	for _, h := range r.engineHomes() {
		if len(h.units) == 0 {
			continue
		}
		name := h.key
		if u := r.users[h.key]; u.found {
			name = u.name
		}
		if r.exists(r.p("/var/lib/systemd/linger/" + name)) {
			continue
		}
		out = append(out, Check{Name: NameLinger, Status: Warn,
			Detail: fmt.Sprintf("%s has user-level engine units (%s) but does not linger: the engine stops when the last session ends and does not start at boot", name, strings.Join(h.units, ", ")),
			Fix:    "sudo loginctl enable-linger " + name})
	}
	if len(out) == 0 {
		out = append(out, Check{Name: NameLinger, Status: OK, Detail: "every user with user-level engine units lingers (or there are none)"})
	}
	return out
}

// passwdCopies: an /etc/passwd line for a name another NSS source (sss,
// ldap, winbind, extrausers…) also answers for is a copied directory user:
// with "passwd: files …" the copy wins and hides the directory's later
// shell, home and UID changes.
func (r *hostRun) passwdCopies(ctx context.Context) []Check {
	sources := r.otherSources("passwd")
	if len(sources) == 0 {
		return []Check{{Name: NamePasswdCopy, Status: OK, Detail: "nsswitch.conf's passwd: names no source besides the files"}}
	}
	var names []string
	lines := map[string]int{}
	for _, u := range r.sub.Users {
		if u.ID >= r.sub.Defs.UIDMin && u.ID != 65534 {
			if _, dup := lines[u.Name]; !dup {
				names = append(names, u.Name)
				lines[u.Name] = u.Line
			}
		}
	}
	if len(names) == 0 {
		return []Check{{Name: NamePasswdCopy, Status: OK, Detail: "/etc/passwd has no user at or above UID_MIN"}}
	}
	getent := r.getent()
	if r.Run == nil || getent == "" {
		return []Check{{Name: NamePasswdCopy, Status: Info, Detail: "could not ask getent which users " + strings.Join(sources, ", ") + " also knows"}}
	}
	var out []Check
	for _, src := range sources {
		o, err := r.Run(ctx, append([]string{getent, "-s", src, "passwd", "--"}, names...))
		if err != nil && len(o) == 0 && !isExit2(err) {
			out = append(out, Check{Name: NamePasswdCopy, Status: Info, Detail: fmt.Sprintf("getent -s %s passwd: %v", src, err)})
			continue
		}
		found := map[string]string{}
		for _, line := range strings.Split(string(o), "\n") {
			if n, _, ok := strings.Cut(line, ":"); ok {
				found[n] = line
			}
		}
		for _, n := range names {
			if _, ok := found[n]; !ok {
				continue
			}
			out = append(out, Check{Name: NamePasswdCopy, Status: Warn,
				Detail: fmt.Sprintf("%s:%d: %s is also answered by NSS source %s: this copy wins and hides the directory's later shell, home and UID changes (and local tools take the user for a local one)", r.sub.Paths.Passwd(), lines[n], n, src),
				Fix:    fmt.Sprintf("set default_shell = /bin/bash (or override_shell) and, if needed, override_homedir in sssd.conf's [nss] or [domain/…] section, restart sssd, then remove line %d of /etc/passwd (sudo vipw)", lines[n])})
		}
	}
	if len(out) == 0 {
		out = append(out, Check{Name: NamePasswdCopy, Status: OK, Detail: fmt.Sprintf("no /etc/passwd user is also answered by %s", strings.Join(sources, ", "))})
	}
	return out
}

// otherSources are the NSS sources of nsswitch.conf's line for db
// ("passwd", "group") other than the local files.
func (r *hostRun) otherSources(db string) []string {
	data, err := afero.ReadFile(r.Fs, r.sub.Paths.NSSwitch())
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), db+":")
		if !ok {
			continue
		}
		var out []string
		for _, w := range strings.Fields(rest) {
			if strings.HasPrefix(w, "[") || strings.HasSuffix(w, "]") || strings.Contains(w, "=") {
				continue // an action: [NOTFOUND=return]
			}
			switch w {
			case "files", "compat", "systemd", "cache":
				continue
			}
			out = append(out, w)
		}
		return out
	}
	return nil
}
