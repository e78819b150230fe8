package hostcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/devfix/devfix/internal/fserr"
	"github.com/devfix/devfix/internal/run"
	"github.com/devfix/devfix/internal/subid"
	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
)

// Host is the whole machine, what `devfix host check` audits for the admin.
// Nil funcs mean absent: without Run no helper program runs, and what it
// would have told is said to be unknown (info), never a failure.
type Host struct {
	Fs   afero.Fs   // the machine's files
	Root string     // where / is on Fs ("" is /), for tests on a temp folder
	Proc string     // the /proc root ("" is /proc under Root)
	Run  run.Runner // helper programs (getent, getcap) by argv
	// Owner reads a file's owner (nil: unknown, and not checked).
	Owner mounts.Owner
	// UID is who runs the check: as a normal user, files only root may read
	// are reported as unread (info).
	UID int64
	// Getent is getent's path ("": found under /usr/bin or /bin, else PATH).
	Getent string
}

// CVE is the shadow advisory about subordinate ranges over real IDs.
const CVE = "CVE-2024-56433"

// The names of host check's checks: stable, for scripts and the e2e.
const (
	NameSubIDFile    = "subid-file"      // a file's type, owner, mode, and malformed lines
	NameSubIDSource  = "subid-source"    // which NSS source serves subid
	NameSubIDRange   = "subid-range"     // a user without both ranges, or with fewer than 65536
	NameSubIDOverlap = "subid-overlap"   // two users' ranges share IDs
	NameSubIDRealIDs = "subid-real-ids"  // a range over local users/groups or SSSD's IDs
	NameSSSDBound    = "sssd-unbounded"  // an SSSD domain of POSIX IDs without max_id
	NameSubIDOwner   = "subid-owner"     // a range whose owner NSS no longer knows
	NameEngineRange  = "engine-no-range" // a home with a rootless engine and no range
	NameLinger       = "linger"          // user-level engine units without linger
	NamePasswdCopy   = "passwd-copy"     // an /etc/passwd line another NSS source answers for
	NameRootful      = "rootful-docker"  // rootful docker.service/socket enabled, or its socket
	NameDockerGroup  = "docker-group"    // members of the docker group
	NameNewUIDMap    = "newuidmap"       // newuidmap/newgidmap privileges, nosuid mounts
	NameCgroups      = "cgroup-delegation"
	NameLoginDefs    = "login-defs" // a malformed line of login.defs
	NameUnread       = "unread"     // what could not be read, as this user
)

func (h *Host) owner(fi fs.FileInfo) (uid, gid int64, ok bool) {
	if h.Owner == nil {
		return 0, 0, false
	}
	return h.Owner(fi)
}

func (h *Host) p(abs string) string { return path.Join("/", h.Root, abs) }

func (h *Host) proc() string {
	if h.Proc != "" {
		return h.Proc
	}
	return h.p("/proc")
}

func (h *Host) getent() string {
	if h.Getent != "" {
		return h.Getent
	}
	return subid.GetentPath(func(p string) bool { _, err := h.Fs.Stat(h.p(p)); return err == nil })
}

// hostRun is one host check's shared reads: the subordinate ID inputs and
// the NSS answers, each read once.
type hostRun struct {
	*Host
	sub     *subid.Host
	blind   []string            // subordinate ID files this user cannot read
	users   map[string]resolved // getent passwd answers, by key as asked
	unread  []string
	homes   []home
	homesOK bool
	denied  []string // home folders this user may not look into
}

type resolved struct {
	found     bool
	name      string
	uid, gid  int64
	home      string
	askFailed bool // getent could not be asked
}

// Steps are host check's checks, in the order it prints them.
func (h *Host) Steps() []Step {
	r := &hostRun{Host: h}
	return []Step{r.load, r.files, r.source, r.ranges, r.overlaps, r.realIDs, r.unbounded, r.owners,
		r.engineUsers, r.linger, r.passwdCopies, r.rootful, r.dockerGroup, r.newuidmap, r.kernel, r.cgroups, r.unreadStep}
}

func (r *hostRun) load(context.Context) []Check {
	r.sub, _ = subid.Load(r.Fs, subid.Paths{Root: r.Root})
	for _, err := range r.sub.Unread {
		r.note(err)
	}
	p := r.sub.Paths
	for _, f := range []string{p.SubUID(), p.SubGID()} {
		if _, err := afero.ReadFile(r.Fs, f); err != nil && !isNotExist(err) {
			r.note(fmt.Errorf("%s: %v", f, fserr.Cause(err)))
			r.blind = append(r.blind, f)
		}
	}
	var le *subid.LineError
	if _, err := subid.ReadLoginDefs(r.Fs, p.LoginDefs()); errors.As(err, &le) {
		return []Check{{Name: NameLoginDefs, Status: Fail, Detail: err.Error() + ": shadow's defaults are used in its place",
			Fix: fmt.Sprintf("correct line %d of %s (NAME VALUE)", le.Line, p.LoginDefs())}}
	} else if err != nil && !isNotExist(err) {
		r.note(fmt.Errorf("%s: %v", p.LoginDefs(), fserr.Cause(err)))
	}
	return nil
}

// unseen is the one check of a step that needs the subordinate ID files
// when this user cannot read them ("" when it can).
func (r *hostRun) unseen(name string) []Check {
	if len(r.blind) == 0 {
		return nil
	}
	return []Check{{Name: name, Status: Info, Detail: "not checked: " + strings.Join(r.blind, " and ") + " cannot be read as this user"}}
}

// note records an input that could not be read, for the last check.
func (r *hostRun) note(err error) {
	r.unread = append(r.unread, err.Error())
}

func (r *hostRun) unreadStep(context.Context) []Check {
	if len(r.unread) == 0 {
		return nil
	}
	c := Check{Name: NameUnread, Status: Info, Detail: fmt.Sprintf("not checked, cannot be read as uid %d: %s", r.UID, strings.Join(r.unread, "; "))}
	if r.UID != 0 {
		c.Fix = "sudo devfix host check   # root reads them all"
	}
	return []Check{c}
}

// files: each subordinate ID file is a regular file (shadow opens it with
// O_NOFOLLOW), root's, mode 644, and every line parses.
func (r *hostRun) files(context.Context) []Check {
	var out []Check
	for _, f := range []*subid.File{r.sub.SubUID, r.sub.SubGID} {
		p := f.Path
		c := Check{Name: NameSubIDFile, Status: OK}
		fi, err := mounts.Lstat(r.Fs, p)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !r.sub.NSS.Files():
			c.Status, c.Detail = Info, fmt.Sprintf("%s does not exist; nothing reads it (subid: %s)", p, r.sub.NSS.Source)
			out = append(out, c)
			continue
		case errors.Is(err, fs.ErrNotExist):
			c.Status, c.Detail = Warn, p+" does not exist: no user has a range in it"
			c.Fix = "sudo devfix host grant USER...   # creates it with each user's range"
			out = append(out, c)
			continue
		case err != nil:
			r.note(fmt.Errorf("%s: %v", p, fserr.Cause(err)))
			continue
		}
		var bad []string
		if fi.Mode()&fs.ModeSymlink != 0 {
			c.Status = Fail
			bad = append(bad, "is a symbolic link: shadow opens it with O_NOFOLLOW, so useradd, usermod and newuidmap fail (rootlesskit#259)")
			c.Fix = fmt.Sprintf("replace the link by the file it points at: sudo cp --remove-destination \"$(readlink -f %s)\" %s", p, p)
		} else {
			if uid, gid, ok := r.owner(fi); ok && (uid != 0 || gid != 0) {
				c.Status = Fail
				bad = append(bad, fmt.Sprintf("is owned by %d:%d, not root: that user can give anyone any IDs", uid, gid))
				c.Fix = fmt.Sprintf("sudo chown root:root %s && sudo chmod 644 %s", p, p)
			}
			switch perm := fi.Mode().Perm(); {
			case perm&0o022 != 0:
				c.Status = Fail
				bad = append(bad, fmt.Sprintf("is mode %o: others can write it and give themselves any IDs", perm))
				c.Fix = fmt.Sprintf("sudo chown root:root %s && sudo chmod 644 %s", p, p)
			case perm != 0o644:
				c.Status = max2(c.Status, Warn)
				bad = append(bad, fmt.Sprintf("is mode %o, not 644: tools that read it as the user (dockerd-rootless-setuptool.sh, Podman without libsubid) cannot", perm))
				if c.Fix == "" {
					c.Fix = "sudo chmod 644 " + p
				}
			}
		}
		for _, m := range f.Malformed {
			c.Status = Fail
			bad = append(bad, m.Error()+" (Podman built without libsubid stops on it for every user)")
			c.Fix = joinFix(c.Fix, fmt.Sprintf("correct or remove line %d of %s (owner:start:count; comments start with #)", m.Line, p))
		}
		if len(bad) == 0 {
			c.Detail = fmt.Sprintf("%s: a file of root's, mode 644, %d range(s)", p, len(f.Entries))
		} else {
			// "PATH is …; PATH:LINE: …": each part names the file once
			// (a malformed line's error already starts with it).
			for i, b := range bad {
				if !strings.HasPrefix(b, p+":") {
					bad[i] = p + " " + b
				}
			}
			c.Detail = strings.Join(bad, "; ")
		}
		out = append(out, c)
	}
	return out
}

func joinFix(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

func max2(a, b Status) Status {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// source says which NSS source serves subid.
func (r *hostRun) source(context.Context) []Check {
	s := r.sub.NSS
	c := Check{Name: NameSubIDSource, Status: OK}
	switch {
	case s.Files() && s.Where == "":
		c.Detail = "nsswitch.conf has no subid: line: newuidmap, getsubids and Podman (libsubid) read /etc/subuid and /etc/subgid"
	case s.Files():
		c.Detail = fmt.Sprintf("%s: subid: files: newuidmap, getsubids and Podman (libsubid) read /etc/subuid and /etc/subgid", s.Where)
	default:
		c.Status = Info
		c.Detail = fmt.Sprintf("%s: subid: %s: newuidmap, getsubids and Podman built with libsubid ask only libsubid_%s.so, with no fallback to /etc/subuid and /etc/subgid; useradd and usermod write no ranges", s.Where, s.Source, s.Source)
		if n := len(r.sub.SubUID.Entries) + len(r.sub.SubGID.Entries); n > 0 {
			c.Status = Warn
			c.Detail += fmt.Sprintf("; the %d line(s) in the files are read by nothing that checks", n)
			c.Fix = fmt.Sprintf("give those users ranges in %s's directory, or set \"subid: files\" in nsswitch.conf", s.Source)
		}
	}
	return []Check{c}
}

// owner is everything one owner (as written) holds in both files.
type owner struct {
	name     string
	uid, gid []subid.Entry
}

func (r *hostRun) owners0() []*owner {
	by := map[string]*owner{}
	var order []*owner
	get := func(n string) *owner {
		if o, ok := by[n]; ok {
			return o
		}
		o := &owner{name: n}
		by[n] = o
		order = append(order, o)
		return o
	}
	for _, e := range r.sub.SubUID.Entries {
		o := get(e.Owner)
		o.uid = append(o.uid, e)
	}
	for _, e := range r.sub.SubGID.Entries {
		o := get(e.Owner)
		o.gid = append(o.gid, e)
	}
	return order
}

// byUser is owners0 with the lines of one user joined: a name and a UID
// NSS says are the same user are one owner, named as NSS names it.
func (r *hostRun) byUser(ctx context.Context) []*owner {
	r.lookup(ctx, r.ownerKeys())
	by := map[string]*owner{}
	var order []*owner
	for _, o := range r.owners0() {
		key, name := "name:"+o.name, o.name
		if u := r.users[o.name]; u.found {
			key, name = "uid:"+strconv.FormatInt(u.uid, 10), u.name
		}
		if m, ok := by[key]; ok {
			m.uid = append(m.uid, o.uid...)
			m.gid = append(m.gid, o.gid...)
			continue
		}
		m := &owner{name: name, uid: o.uid, gid: o.gid}
		by[key] = m
		order = append(order, m)
	}
	return order
}

// ranges: each user has a subuid and a subgid range, each of at least
// 65536 IDs in one run.
func (r *hostRun) ranges(ctx context.Context) []Check {
	if c := r.unseen(NameSubIDRange); c != nil {
		return c
	}
	const want = 65536
	var out []Check
	uidPath, gidPath := r.sub.SubUID.Path, r.sub.SubGID.Path
	for _, o := range r.byUser(ctx) {
		switch {
		case len(o.gid) == 0:
			out = append(out, Check{Name: NameSubIDRange, Status: Fail,
				Detail: fmt.Sprintf("%s has a range in %s (line %d) but none in %s: its rootless engine cannot start", o.name, uidPath, o.uid[0].Line, gidPath),
				Fix:    "sudo devfix host grant " + o.name})
			continue
		case len(o.uid) == 0:
			out = append(out, Check{Name: NameSubIDRange, Status: Fail,
				Detail: fmt.Sprintf("%s has a range in %s (line %d) but none in %s: its rootless engine cannot start", o.name, gidPath, o.gid[0].Line, uidPath),
				Fix:    "sudo devfix host grant " + o.name})
			continue
		}
		for _, f := range []struct {
			path string
			es   []subid.Entry
		}{{uidPath, o.uid}, {gidPath, o.gid}} {
			if n := subid.Longest(f.es); n < want {
				out = append(out, Check{Name: NameSubIDRange, Status: Warn,
					Detail: fmt.Sprintf("%s holds %d IDs in one run in %s (line %d), fewer than the 65536 images expect: IDs above that fail to map (lchown … invalid argument)", o.name, n, f.path, f.es[0].Line),
					Fix:    "sudo devfix host grant " + o.name})
			}
		}
	}
	if len(out) == 0 {
		out = append(out, Check{Name: NameSubIDRange, Status: OK, Detail: "every owner has a subuid and a subgid range of at least 65536 IDs"})
	}
	return out
}

// overlaps: two owners' ranges in one file share IDs.
func (r *hostRun) overlaps(ctx context.Context) []Check {
	if c := r.unseen(NameSubIDOverlap); c != nil {
		return c
	}
	r.lookup(ctx, r.ownerKeys())
	var out []Check
	for _, f := range []*subid.File{r.sub.SubUID, r.sub.SubGID} {
		for _, o := range subid.Overlaps(f.Entries) {
			// A name and a UID of one user (dom.user and 1551001108) are
			// one owner: NSS says.
			if a, b := r.users[o.A.Owner], r.users[o.B.Owner]; a.found && b.found && a.uid == b.uid {
				continue
			}
			out = append(out, Check{Name: NameSubIDOverlap, Status: Fail,
				Detail: fmt.Sprintf("%s: %s's range %s (line %d) overlaps %s's range %s (line %d): their containers have no separation, each can touch the other's files",
					f.Path, o.A.Owner, o.A.Range, o.A.Line, o.B.Owner, o.B.Range, o.B.Line),
				Fix: fmt.Sprintf("remove line %d of %s, then: sudo devfix host grant %s   # a free range; then podman system migrate as that user", o.B.Line, f.Path, o.B.Owner)})
		}
	}
	if len(out) == 0 {
		out = append(out, Check{Name: NameSubIDOverlap, Status: OK, Detail: "no two owners' ranges overlap"})
	}
	return out
}

// realIDs: a range over the IDs of local users and groups or of an SSSD
// domain makes container IDs that are those users on disk and on NFS.
func (r *hostRun) realIDs(context.Context) []Check {
	if c := r.unseen(NameSubIDRealIDs); c != nil {
		return c
	}
	taken := r.sub.Taken()
	sort.Slice(taken, func(i, j int) bool { return taken[i].Start < taken[j].Start })
	var out []Check
	for _, f := range []*subid.File{r.sub.SubUID, r.sub.SubGID} {
		for _, e := range f.Entries {
			// taken is sorted by start: stop at the first that starts past e.
			var hits []string
			for _, t := range taken {
				if t.Start >= e.End() {
					break
				}
				if e.Overlaps(t.Range) {
					hits = append(hits, t.What)
				}
			}
			if len(hits) == 0 {
				continue
			}
			more := ""
			if len(hits) > 3 {
				more = fmt.Sprintf(" and %d more", len(hits)-3)
				hits = hits[:3]
			}
			out = append(out, Check{Name: NameSubIDRealIDs, Status: Fail,
				Detail: fmt.Sprintf("%s:%d: %s's range %s overlaps the %s%s: a container ID there is that user or group on local disks and on NFS (%s)",
					f.Path, e.Line, e.Owner, e.Range, strings.Join(hits, ", the "), more, CVE),
				Fix: fmt.Sprintf("remove line %d of %s, then: sudo devfix host grant %s   # a range outside every real ID", e.Line, f.Path, e.Owner)})
		}
	}
	if len(out) == 0 {
		out = append(out, Check{Name: NameSubIDRealIDs, Status: OK, Detail: fmt.Sprintf("no range overlaps a local user or group or an SSSD domain's IDs (%d known spans)", len(taken))})
	}
	return out
}

// unbounded: an SSSD domain of POSIX IDs without max_id may hand out any
// ID at or above min_id, subordinate ranges' included.
func (r *hostRun) unbounded(context.Context) []Check {
	var out []Check
	for _, d := range r.sub.Unbounded() {
		out = append(out, Check{Name: NameSSSDBound, Status: Warn,
			Detail: fmt.Sprintf("SSSD domain %s (%s) takes POSIX IDs from the directory with no max_id: devfix cannot tell whether a subordinate range is one of its users' IDs (%s)", d.Name, d.Where, CVE),
			Fix:    fmt.Sprintf("bound it: in [domain/%s] of sssd.conf set min_id and max_id to the directory's UID/GID range (e.g. max_id = 2147483647 keeps it below subordinate ranges from 2^31), then restart sssd", d.Name)})
	}
	if len(out) == 0 {
		out = append(out, Check{Name: NameSSSDBound, Status: OK, Detail: fmt.Sprintf("every SSSD domain's IDs are bounded (%d domain(s))", len(r.sub.Domains))})
	}
	return out
}

// lookup asks NSS for keys (names or UIDs) with one `getent passwd --
// KEY...` by argv and remembers every answer.
func (r *hostRun) lookup(ctx context.Context, keys []string) {
	if r.users == nil {
		r.users = map[string]resolved{}
	}
	var ask []string
	for _, k := range keys {
		if _, ok := r.users[k]; !ok {
			ask = append(ask, k)
		}
	}
	if len(ask) == 0 {
		return
	}
	getent := r.getent()
	if r.Run == nil || getent == "" {
		for _, k := range ask {
			r.users[k] = resolved{askFailed: true}
		}
		return
	}
	out, err := r.Run(ctx, append([]string{getent, "passwd", "--"}, ask...))
	// getent exits 2 when some key is not found; its answers still count.
	byName, byUID := map[string]resolved{}, map[string]resolved{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 7 {
			continue
		}
		uid, err1 := strconv.ParseInt(f[2], 10, 64)
		gid, err2 := strconv.ParseInt(f[3], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		u := resolved{found: true, name: f[0], uid: uid, gid: gid, home: f[5]}
		byName[f[0]] = u
		byUID[f[2]] = u
	}
	for _, k := range ask {
		switch {
		case byName[k].found:
			r.users[k] = byName[k]
		case byUID[k].found:
			r.users[k] = byUID[k]
		case err != nil && len(out) == 0 && !isExit2(err):
			r.users[k] = resolved{askFailed: true}
		default:
			r.users[k] = resolved{}
		}
	}
}

// isExit2 is getent's "some key not found".
func isExit2(err error) bool {
	var ec interface{ ExitCode() int }
	return errors.As(err, &ec) && ec.ExitCode() == 2
}

// ownerKeys are the owners of both files, as written.
func (r *hostRun) ownerKeys() []string {
	var keys []string
	for _, o := range r.owners0() {
		keys = append(keys, o.name)
	}
	return keys
}

// owners: ranges whose owner NSS does not know (a deleted user: the range
// is free to reuse, or a typo: the user has none).
func (r *hostRun) owners(ctx context.Context) []Check {
	if c := r.unseen(NameSubIDOwner); c != nil {
		return c
	}
	os := r.owners0()
	r.lookup(ctx, r.ownerKeys())
	var out []Check
	var unknown int
	for _, o := range os {
		u := r.users[o.name]
		if u.askFailed {
			unknown++
			continue
		}
		if u.found {
			continue
		}
		var where []string
		for _, e := range o.uid {
			where = append(where, fmt.Sprintf("%s:%d", r.sub.SubUID.Path, e.Line))
		}
		for _, e := range o.gid {
			where = append(where, fmt.Sprintf("%s:%d", r.sub.SubGID.Path, e.Line))
		}
		out = append(out, Check{Name: NameSubIDOwner, Status: Warn,
			Detail: fmt.Sprintf("%s (%s) is not a user NSS knows: a deleted user's range, or a misspelt name that leaves the real user without one", o.name, strings.Join(where, ", ")),
			Fix:    "remove the line(s) if the user is gone; else correct the name"})
	}
	if unknown > 0 {
		out = append(out, Check{Name: NameSubIDOwner, Status: Info, Detail: fmt.Sprintf("could not ask getent about %d owner(s)", unknown)})
	} else if len(out) == 0 {
		out = append(out, Check{Name: NameSubIDOwner, Status: OK, Detail: "NSS knows every owner"})
	}
	return out
}
