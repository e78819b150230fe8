package subid

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/afero"
)

// MaxID is one past the last ID a range may hold: IDs are 32 bits and
// 4294967295 is (uid_t)-1, which no map may use.
const MaxID int64 = 1 << 32

// maxLine is shadow's limit: subordinate_parse copies a line into a
// 1024-byte buffer and drops the entry when it does not fit.
const maxLine = 1024

// Range is the IDs Start .. Start+Count-1.
type Range struct{ Start, Count int64 }

// End is one past the last ID of r.
func (r Range) End() int64 { return r.Start + r.Count }

// Overlaps reports whether r and o share an ID.
func (r Range) Overlaps(o Range) bool {
	return r.Count > 0 && o.Count > 0 && r.Start < o.End() && o.Start < r.End()
}

func (r Range) String() string {
	if r.Count == 1 {
		return strconv.FormatInt(r.Start, 10)
	}
	return fmt.Sprintf("%d-%d", r.Start, r.End()-1)
}

// Entry is one owner:start:count line of a subordinate ID file.
type Entry struct {
	Owner string // a name or a numeric UID, as written
	Range
	Line int // 1-based
}

// LineError is a line that is not owner:start:count; it prints as
// "path:LINE: what is wrong".
type LineError struct {
	Path string
	Line int
	What string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.What) }

// File is a parsed /etc/subuid or /etc/subgid. Data is the file's bytes,
// every one of them: a change only ever appends to it.
type File struct {
	Path    string
	Data    []byte
	Entries []Entry
	// Malformed holds every line that is neither an entry, a comment (first
	// non-blank character '#') nor blank. Podman built without libsubid
	// aborts on such a line for every user; shadow ignores it.
	Malformed []*LineError
	lines     int // lines in Data (a last line without "\n" counts)
}

// Parse parses a subordinate ID file. The File is never nil: it holds the
// entries that parse; the error is the first malformed line, if any.
func Parse(path string, data []byte) (*File, error) {
	f := &File{Path: path, Data: data, Entries: make([]Entry, 0, bytes.Count(data, []byte("\n"))+1)}
	// One copy of the text: the owners are slices of it, not one string
	// each (10,000 lines are parsed at every login).
	text := string(data)
	for off := 0; off < len(text); {
		end := strings.IndexByte(text[off:], '\n')
		next := off + end + 1
		if end < 0 {
			end, next = len(text)-off, len(text)
		}
		line := text[off : off+end]
		off = next
		f.lines++
		e, ok, what := parseLine(line)
		switch {
		case what != "":
			f.Malformed = append(f.Malformed, &LineError{Path: path, Line: f.lines, What: what})
		case ok:
			e.Line = f.lines
			f.Entries = append(f.Entries, e)
		}
	}
	if len(f.Malformed) > 0 {
		return f, f.Malformed[0]
	}
	return f, nil
}

// parseLine returns the entry of a line (ok), nothing for a comment or a
// blank line, or what is wrong with it.
func parseLine(line string) (e Entry, ok bool, what string) {
	trimmed := strings.TrimLeft(line, " \t")
	if strings.TrimRight(trimmed, " \t") == "" || trimmed[0] == '#' {
		return e, false, ""
	}
	if len(line) >= maxLine {
		return e, false, fmt.Sprintf("line is %d bytes long: shadow ignores lines of %d bytes or more", len(line), maxLine)
	}
	owner, rest, ok1 := strings.Cut(line, ":")
	f1, f2, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || strings.IndexByte(f2, ':') >= 0 {
		return e, false, fmt.Sprintf("expected owner:start:count, got %q", line)
	}
	if owner == "" {
		return e, false, fmt.Sprintf("empty owner in %q", line)
	}
	start, ok := decimal(f1)
	if !ok {
		return e, false, fmt.Sprintf("start %q is not a decimal number", f1)
	}
	count, ok := decimal(f2)
	if !ok {
		if strings.HasSuffix(f2, "\r") {
			return e, false, "line ends in a carriage return (\\r): save the file with Unix line endings"
		}
		return e, false, fmt.Sprintf("count %q is not a decimal number", f2)
	}
	if count == 0 {
		return e, false, "count is 0"
	}
	if start >= MaxID || count > MaxID-start {
		return e, false, fmt.Sprintf("range %d+%d ends past the last ID, %d", start, count, MaxID-1)
	}
	return Entry{Owner: owner, Range: Range{start, count}}, true, ""
}

// decimal parses digits only (no sign, no space, no 0x: containers/storage
// reads the files in base 10) up to 2^32.
func decimal(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 10 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n <= MaxID
}

// Read reads and parses path through fsys; a missing file is an empty one
// (useradd creates it on first use).
func Read(fsys afero.Fs, path string) (*File, error) {
	data, err := afero.ReadFile(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{Path: path}, nil
	}
	if err != nil {
		return &File{Path: path}, err
	}
	return Parse(path, data)
}

// Owns reports whether owner, as written in a file, names the user: the
// name itself, or the UID in decimal (shadow's is_same_user).
func Owns(owner, name string, uid int64) bool {
	if owner == name {
		return true
	}
	n, ok := decimal(owner)
	return ok && uid >= 0 && n == uid
}

// Of returns the ranges of the user, by name or UID, in file order.
func (f *File) Of(name string, uid int64) []Entry {
	var out []Entry
	for _, e := range f.Entries {
		if Owns(e.Owner, name, uid) {
			out = append(out, e)
		}
	}
	return out
}

// Longest is the most IDs in one run of ranges that touch or overlap, as
// shadow's have_range chains adjacent ranges of one owner.
func Longest(entries []Entry) int64 {
	rs := make([]Range, len(entries))
	for i, e := range entries {
		rs[i] = e.Range
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
	var best int64
	for i := 0; i < len(rs); {
		start, end := rs[i].Start, rs[i].End()
		for i++; i < len(rs) && rs[i].Start <= end; i++ {
			end = max(end, rs[i].End())
		}
		best = max(best, end-start)
	}
	return best
}

// Overlap is two entries of different owners (as written) that share IDs.
type Overlap struct{ A, B Entry }

// Overlaps lists pairs of entries of different owners whose ranges overlap,
// A before B in file order. The owner is compared as written: a name and a
// numeric UID of one user count as two owners (the caller resolves them).
func Overlaps(entries []Entry) []Overlap {
	idx := make([]int, len(entries))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return entries[idx[a]].Start < entries[idx[b]].Start })
	var out []Overlap
	for a := range idx {
		x := entries[idx[a]]
		for b := a + 1; b < len(idx) && entries[idx[b]].Start < x.End(); b++ {
			p, q := x, entries[idx[b]]
			if p.Owner == q.Owner {
				continue
			}
			if p.Line > q.Line {
				p, q = q, p
			}
			out = append(out, Overlap{p, q})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].A.Line != out[j].A.Line {
			return out[i].A.Line < out[j].A.Line
		}
		return out[i].B.Line < out[j].B.Line
	})
	return out
}

// Append returns f with the line owner:start:count added at the end: every
// byte of f.Data stays, and a newline goes first when the last line lacks
// one. owner must pass ValidName.
func (f *File) Append(owner string, r Range) (*File, error) {
	if err := ValidName(owner); err != nil {
		return nil, err
	}
	if r.Count <= 0 || r.Start < 0 || r.End() > MaxID {
		return nil, fmt.Errorf("range %d+%d is outside the ID space", r.Start, r.Count)
	}
	line := fmt.Sprintf("%s:%d:%d\n", owner, r.Start, r.Count)
	data := make([]byte, 0, len(f.Data)+len(line)+1)
	data = append(data, f.Data...)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	data = append(data, line...)
	n := *f
	n.Data = data
	n.lines = bytes.Count(data, []byte("\n"))
	n.Entries = append(append([]Entry(nil), f.Entries...), Entry{Owner: owner, Range: r, Line: n.lines})
	return &n, nil
}

// NameError is a user name that may not own a line.
type NameError struct{ Name, Why string }

func (e *NameError) Error() string {
	if e.Name == "" {
		return "empty user name"
	}
	return fmt.Sprintf("user name %q %s", e.Name, e.Why)
}

// ValidName returns a *NameError when name may not own a line: empty;
// holding ':' (it would split the line), a newline or another control
// character (it would start a line of someone else's); starting with '#' (a
// comment to containers/storage) or with or ending in a blank (trimmed by
// some readers); all digits (a UID: the line would be someone else's); or
// too long for shadow's 1024-byte line.
func ValidName(name string) error {
	bad := func(why string) error { return &NameError{name, why} }
	switch {
	case name == "":
		return bad("")
	case strings.ContainsRune(name, ':'):
		return bad("holds ':', which would split its line")
	case strings.HasPrefix(name, "#"):
		return bad("starts with '#': the line would read as a comment")
	case strings.TrimSpace(name) != name:
		return bad("starts or ends with a blank")
	case len(name) > maxLine-2*11-4:
		return bad(fmt.Sprintf("is %d bytes long, too long for a line", len(name)))
	}
	for _, c := range name {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029' {
			return bad("holds a control character")
		}
	}
	if strings.Trim(name, "0123456789") == "" {
		return bad("is all digits: the line would name the user of that UID")
	}
	return nil
}
