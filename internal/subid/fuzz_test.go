package subid

import (
	"bytes"
	"testing"
)

// FuzzGrant: for any two files, login.defs window, user and count, parsing
// and allocating never panic; an allocation lies in the window and overlaps
// no range of either file (but the user's own in the other file), no local
// ID, nor the user's own IDs; the new file
// holds the old one's bytes as a prefix and re-parses to the old entries
// plus the new line, owned by the user and by no one else; allocating again
// adds nothing.
func FuzzGrant(f *testing.F) {
	f.Add([]byte("alice:100000:65536\ncarol:300000:65536\n"), []byte("# c\n\nalice:100000:65536"), "bob", int64(1001), uint32(100000), uint32(600100000), uint32(65536))
	f.Add([]byte("x:1:1\nbad\n"), []byte(""), "user@corp.example.com", int64(1551001108), uint32(2147483648), uint32(4294967294), uint32(65536))
	f.Add([]byte("1000:100000:65536\n"), []byte("CORP\\u:100000:5\n"), "1000", int64(1000), uint32(0), uint32(200000), uint32(1000))
	f.Add([]byte(""), []byte(""), "#root", int64(0), uint32(1), uint32(1), uint32(1))
	f.Fuzz(func(t *testing.T, subuid, subgid []byte, name string, uid int64, lo, hi, count uint32) {
		u, _ := Parse("/etc/subuid", subuid)
		g, _ := Parse("/etc/subgid", subgid)
		if !bytes.Equal(u.Data, subuid) {
			t.Fatal("Parse changed the bytes")
		}
		w := Window{Min: int64(lo), Max: int64(hi), Count: int64(count)}
		h := &Host{SubUID: u, SubGID: g, Defs: LoginDefs{UIDMin: 1000, SubUID: w, SubGID: w},
			Users: []LocalID{{Name: "root", ID: 0, GID: 0}, {Name: "local", ID: 150000, GID: 150001}}}
		usr := User{Name: name, UID: uid, GID: uid + 1}
		if uid < 0 {
			usr = User{Name: name, UID: -1, GID: -1}
		}
		rootBefore := len(u.Of("root", 0)) + len(g.Of("root", 0))
		a, err := Allocate(h, usr, Options{})
		if err != nil {
			return
		}
		for _, c := range []struct {
			fg FileGrant
			f  *File
		}{{a.SubUID, u}, {a.SubGID, g}} {
			r := c.fg.Add
			if r == nil {
				if c.fg.Have < c.fg.Want {
					t.Fatalf("%s: has %d of %d and gets nothing", c.f.Path, c.fg.Have, c.fg.Want)
				}
				continue
			}
			if r.Count != int64(count) || r.Start < int64(lo) || r.End()-1 > int64(hi) || r.End() > MaxID-1 {
				t.Fatalf("%v outside the window %+v", r, w)
			}
			for _, f := range []*File{u, g} {
				for _, e := range f.Entries {
					// The user's own range in the other file may share
					// the start (alice:100000:65536 in both).
					if e.Overlaps(*r) && (f == c.f || !Owns(e.Owner, name, usr.UID)) {
						t.Fatalf("%v overlaps %s:%d %+v", r, f.Path, e.Line, e)
					}
				}
			}
			for _, id := range []int64{0, 150000, 150001, usr.UID, usr.GID} {
				if id >= 0 && r.Overlaps(Range{id, 1}) {
					t.Fatalf("%v holds ID %d", r, id)
				}
			}
		}
		err = h.Apply(a)
		if ValidName(name) != nil {
			if err == nil && (a.SubUID.Add != nil || a.SubGID.Add != nil) {
				t.Fatalf("name %q applied", name)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			old, now *File
			add      *Range
		}{{u, h.SubUID, a.SubUID.Add}, {g, h.SubGID, a.SubGID.Add}} {
			if !bytes.HasPrefix(c.now.Data, c.old.Data) {
				t.Fatalf("%s: not an append:\n%q\n%q", c.old.Path, c.old.Data, c.now.Data)
			}
			p, _ := Parse(c.old.Path, c.now.Data)
			want := len(c.old.Entries)
			if c.add != nil {
				want++
				last := p.Entries[len(p.Entries)-1]
				if last.Range != *c.add || last.Owner != name || !Owns(last.Owner, name, usr.UID) {
					t.Fatalf("%s: the new line re-parses as %+v", c.old.Path, last)
				}
			}
			if len(p.Entries) != want || len(p.Malformed) != len(c.old.Malformed) {
				t.Fatalf("%s: %d entries and %d malformed after, %d and %d before", c.old.Path, len(p.Entries), len(p.Malformed), len(c.old.Entries), len(c.old.Malformed))
			}
		}
		if name != "root" && usr.UID != 0 && len(h.SubUID.Of("root", 0))+len(h.SubGID.Of("root", 0)) != rootBefore {
			t.Fatalf("a line for root from %q", name)
		}
		again, err := Allocate(h, usr, Options{})
		if err != nil || again.SubUID.Add != nil || again.SubGID.Add != nil {
			t.Fatalf("not idempotent: %+v %v", again, err)
		}
	})
}
