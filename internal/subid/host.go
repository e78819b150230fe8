package subid

import (
	"cmp"
	"fmt"
	"path"
	"slices"

	"github.com/spf13/afero"
)

// Paths places the files under Root ("" is /), so tests run on a temp or
// memory tree.
type Paths struct{ Root string }

func (p Paths) at(rel string) string { return path.Join("/", p.Root, rel) }

func (p Paths) SubUID() string    { return p.at("/etc/subuid") }
func (p Paths) SubGID() string    { return p.at("/etc/subgid") }
func (p Paths) LoginDefs() string { return p.at("/etc/login.defs") }
func (p Paths) NSSwitch() string  { return p.at("/etc/nsswitch.conf") }
func (p Paths) Passwd() string    { return p.at("/etc/passwd") }
func (p Paths) Group() string     { return p.at("/etc/group") }
func (p Paths) SSSDConf() string  { return p.at("/etc/sssd/sssd.conf") }
func (p Paths) SSSDConfD() string { return p.at("/etc/sssd/conf.d") }

// PwdLock is the file lckpwdf locks.
func (p Paths) PwdLock() string { return p.at("/etc/.pwd.lock") }

// Host is everything allocation reads.
type Host struct {
	SubUID, SubGID *File
	Defs           LoginDefs
	NSS            NSSSource
	Users, Groups  []LocalID // /etc/passwd, /etc/group
	Domains        []Domain  // SSSD's
	// Unread is each input that exists but could not be read (sssd.conf is
	// root's, mode 0600): allocation then cannot avoid what it holds.
	Unread []error
	Paths  Paths // where it was read from
}

// Load reads the host's files through fsys. The error is a subordinate ID
// file or login.defs that cannot be read or has a malformed line (a
// *LineError): Host is then still filled as far as it could be. Other
// inputs that cannot be read go to Host.Unread.
func Load(fsys afero.Fs, p Paths) (*Host, error) {
	h := &Host{Paths: p}
	var errs []error
	var err error
	h.SubUID, err = Read(fsys, p.SubUID())
	errs = append(errs, err)
	h.SubGID, err = Read(fsys, p.SubGID())
	errs = append(errs, err)
	h.Defs, err = ReadLoginDefs(fsys, p.LoginDefs())
	errs = append(errs, err)
	unread := func(err error) {
		if err != nil {
			h.Unread = append(h.Unread, err)
		}
	}
	h.NSS, err = ReadNSSSource(fsys, p.NSSwitch())
	unread(err)
	h.Users, err = readIDs(fsys, p.Passwd(), ParsePasswd)
	unread(err)
	h.Groups, err = readIDs(fsys, p.Group(), ParseGroup)
	unread(err)
	h.Domains, err = ReadSSSD(fsys, p.SSSDConf(), p.SSSDConfD())
	unread(err)
	for _, e := range errs {
		if e != nil {
			return h, e
		}
	}
	return h, nil
}

// Taken is a span of IDs that belong to someone already, other than a
// subordinate range: a local user or group, or an SSSD domain.
type Taken struct {
	Range
	What string // "local user alice (/etc/passwd:31)", "SSSD domain corp (ID mapping, /etc/sssd/sssd.conf:12)"
}

// Taken lists the IDs of local users (UID and primary GID), local groups
// and bounded SSSD domains. A subordinate range over one of them makes a
// container ID that is a real user or group on disk and on NFS
// (CVE-2024-56433).
func (h *Host) Taken() []Taken {
	p := h.Paths
	var out []Taken
	for _, u := range h.Users {
		out = append(out, Taken{Range{u.ID, 1}, fmt.Sprintf("UID of local user %s (%s:%d)", u.Name, p.Passwd(), u.Line)})
		if u.GID >= 0 {
			out = append(out, Taken{Range{u.GID, 1}, fmt.Sprintf("primary GID of local user %s (%s:%d)", u.Name, p.Passwd(), u.Line)})
		}
	}
	for _, g := range h.Groups {
		out = append(out, Taken{Range{g.ID, 1}, fmt.Sprintf("GID of local group %s (%s:%d)", g.Name, p.Group(), g.Line)})
	}
	for _, d := range h.Domains {
		if d.Bounded && d.IDs.Count > 0 {
			how := "min_id..max_id"
			if d.IDMapping {
				how = "ID mapping"
			}
			out = append(out, Taken{d.IDs, fmt.Sprintf("IDs of SSSD domain %s (%s %s, %s)", d.Name, how, d.IDs, d.Where)})
		}
	}
	return out
}

// Unbounded lists the SSSD domains whose IDs devfix cannot bound: POSIX IDs
// from the directory and no max_id.
func (h *Host) Unbounded() []Domain {
	var out []Domain
	for _, d := range h.Domains {
		if !d.Bounded {
			out = append(out, d)
		}
	}
	return out
}

// User is a user as NSS answers for it.
type User struct {
	Name     string
	UID, GID int64
}

// Options tune Allocate; the zero value means login.defs's counts.
type Options struct {
	Count int64 // IDs per range (0: SUB_UID_COUNT and SUB_GID_COUNT)
}

// Allocation is what one user needs in each file.
type Allocation struct {
	User           User
	SubUID, SubGID FileGrant
}

// FileGrant is one file's part of an Allocation.
type FileGrant struct {
	Path string
	Want int64 // IDs the user needs
	Have int64 // IDs the user holds in one run of ranges (Longest)
	// Add is the range to append, nil when Have ≥ Want.
	Add *Range
}

// NoRoomError says a file's window has no free run of Count IDs.
type NoRoomError struct {
	Path   string
	Prefix string // "SUB_UID" or "SUB_GID"
	Window Window
}

// FreeIPA's window for subordinate IDs: above 2^31, where neither IPA nor
// SSSD's default ID mapping (up to 2000200000) hands out IDs.
const (
	ipaMin int64 = 1 << 31
	ipaMax int64 = MaxID - 2
)

func (e *NoRoomError) Error() string {
	msg := fmt.Sprintf("no free range of %d IDs for %s between %s_MIN %d and %s_MAX %d outside the ranges there, local users and groups and SSSD's IDs",
		e.Window.Count, e.Path, e.Prefix, e.Window.Min, e.Prefix, e.Window.Max)
	if e.Window.Min < ipaMin {
		return msg + fmt.Sprintf(": widen the window in login.defs, e.g. \"%s_MIN %d\" and \"%s_MAX %d\" (FreeIPA's, above SSSD's ID mapping)", e.Prefix, ipaMin, e.Prefix, ipaMax)
	}
	return msg + fmt.Sprintf(": raise %s_MAX (at most %d) or lower %s_COUNT in login.defs", e.Prefix, ipaMax, e.Prefix)
}

// Allocate works out what u needs: in each file where u (by name or UID)
// holds fewer than the count in one run, the lowest start in the file's
// window whose count IDs are outside every range of both files, every
// local UID and GID, u's own UID and GID, and every bounded SSSD domain;
// the same start in both files when one is free in both (and, when only
// one file needs a range, the start of u's range in the other when free).
// It reads h and changes nothing; Apply adds the lines.
func Allocate(h *Host, u User, o Options) (Allocation, error) {
	uw, gw := h.Defs.SubUID, h.Defs.SubGID
	if o.Count > 0 {
		uw.Count, gw.Count = o.Count, o.Count
	}
	a := Allocation{User: u,
		SubUID: FileGrant{Path: h.SubUID.Path, Want: uw.Count, Have: Longest(h.SubUID.Of(u.Name, u.UID))},
		SubGID: FileGrant{Path: h.SubGID.Path, Want: gw.Count, Have: Longest(h.SubGID.Of(u.Name, u.UID))},
	}
	needU, needG := a.SubUID.Have < uw.Count, a.SubGID.Have < gw.Count
	for _, c := range []struct {
		w      Window
		prefix string
	}{{uw, "SUB_UID"}, {gw, "SUB_GID"}} {
		if c.w.Count <= 0 {
			return a, fmt.Errorf("%s_COUNT is 0 in login.defs (automatic ranges off): give a count", c.prefix)
		}
	}
	if !needU && !needG {
		return a, nil
	}
	busy := h.busy(u, nil)
	set := func(g *FileGrant, s int64) { g.Add = &Range{s, g.Want} }
	if needU && needG {
		if s, ok := lowest(busy, max(uw.Min, gw.Min), min(uw.Max, gw.Max), max(uw.Count, gw.Count)); ok {
			set(&a.SubUID, s)
			set(&a.SubGID, s)
			return a, nil
		}
	}
	for _, c := range []struct {
		need        bool
		g           *FileGrant
		w           Window
		prefix      string
		other       *File
		otherIsUIDs bool
	}{{needU, &a.SubUID, uw, "SUB_UID", h.SubGID, false}, {needG, &a.SubGID, gw, "SUB_GID", h.SubUID, true}} {
		if !c.need {
			continue
		}
		// u's own range in the other file may hold the same start.
		if mine := c.other.Of(u.Name, u.UID); len(mine) > 0 {
			other := c.other
			free := h.busy(u, func(f *File, e Entry) bool { return f == other && Owns(e.Owner, u.Name, u.UID) })
			for _, e := range mine {
				if s, ok := lowest(free, max(c.w.Min, e.Start), min(c.w.Max, e.Start+c.w.Count-1), c.w.Count); ok && s == e.Start {
					set(c.g, s)
					break
				}
			}
			if c.g.Add != nil {
				continue
			}
		}
		s, ok := lowest(busy, c.w.Min, c.w.Max, c.w.Count)
		if !ok {
			return a, &NoRoomError{Path: c.g.Path, Prefix: c.prefix, Window: c.w}
		}
		set(c.g, s)
	}
	return a, nil
}

// busy is every ID allocation must avoid, sorted and merged; skip leaves
// out entries of a file.
func (h *Host) busy(u User, skip func(*File, Entry) bool) []Range {
	var rs []Range
	for _, f := range []*File{h.SubUID, h.SubGID} {
		for _, e := range f.Entries {
			if skip == nil || !skip(f, e) {
				rs = append(rs, e.Range)
			}
		}
	}
	for _, l := range h.Users {
		rs = append(rs, Range{l.ID, 1})
		if l.GID >= 0 {
			rs = append(rs, Range{l.GID, 1})
		}
	}
	for _, l := range h.Groups {
		rs = append(rs, Range{l.ID, 1})
	}
	for _, d := range h.Domains {
		if d.Bounded {
			rs = append(rs, d.IDs)
		}
	}
	if u.UID >= 0 {
		rs = append(rs, Range{u.UID, 1})
	}
	if u.GID >= 0 {
		rs = append(rs, Range{u.GID, 1})
	}
	slices.SortFunc(rs, func(a, b Range) int { return cmp.Compare(a.Start, b.Start) })
	merged := rs[:0]
	for _, r := range rs {
		if r.Count <= 0 {
			continue
		}
		if n := len(merged); n > 0 && r.Start <= merged[n-1].End() {
			if r.End() > merged[n-1].End() {
				merged[n-1].Count = r.End() - merged[n-1].Start
			}
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// lowest is the lowest start s ≥ lo with s+count-1 ≤ hi whose count IDs
// miss every range of busy (sorted, merged): shadow's first fit.
func lowest(busy []Range, lo, hi, count int64) (int64, bool) {
	hi = min(hi, ipaMax)
	lo = max(lo, 0)
	if count <= 0 || hi < lo {
		return 0, false
	}
	low := lo
	for _, r := range busy {
		if r.End() <= low {
			continue
		}
		if r.Start >= low+count {
			break
		}
		low = r.End()
		if low > hi {
			return 0, false
		}
	}
	if hi-low+1 >= count {
		return low, true
	}
	return 0, false
}

// Apply adds a's lines to h's files (in memory).
func (h *Host) Apply(a Allocation) error {
	for _, c := range []struct {
		f **File
		g FileGrant
	}{{&h.SubUID, a.SubUID}, {&h.SubGID, a.SubGID}} {
		if c.g.Add == nil {
			continue
		}
		n, err := (*c.f).Append(a.User.Name, *c.g.Add)
		if err != nil {
			return err
		}
		*c.f = n
	}
	return nil
}

// Grant allocates for each user in turn and applies each allocation, so
// that the next user's ranges avoid it. It stops at the first error.
func (h *Host) Grant(users []User, o Options) ([]Allocation, error) {
	var out []Allocation
	for _, u := range users {
		if err := ValidName(u.Name); err != nil {
			return out, err
		}
		a, err := Allocate(h, u, o)
		if err != nil {
			return out, err
		}
		if err := h.Apply(a); err != nil {
			return out, err
		}
		out = append(out, a)
	}
	return out, nil
}
