// Package source holds what every file devfix reports on or edits has in
// common, whatever its format (devcontainer.json, a compose file, a
// Dockerfile, a VS Code settings file): its path and bytes, byte offsets
// turned into 1-based line:col, the place of a finding (Loc), byte edits
// spliced into the original bytes, and the one-line error for bad input.
// It knows no file format.
package source

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// utf8BOM is kept aside and written back unchanged.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ErrInternal marks an error that is devfix's fault, not the input's (an
// edit that would not parse, fixes that do not settle): wrap it with %w so
// the command line can tell it from bad input.
var ErrInternal = errors.New("internal error")

// File is one file as read. Offsets everywhere are byte offsets into Body;
// the BOM, if any, is not part of Body.
type File struct {
	Path  string // as given, used in messages
	BOM   bool   // the file starts with a UTF-8 byte order mark
	Body  []byte // the bytes after the BOM; never modified
	lines []int  // offsets of line starts
}

// New makes a File of data (BOM included, if any).
func New(path string, data []byte) *File {
	f := &File{Path: path, Body: data}
	if bytes.HasPrefix(data, utf8BOM) {
		f.BOM = true
		f.Body = data[len(utf8BOM):]
	}
	f.lines = []int{0}
	for i, c := range f.Body {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	return f
}

// Bytes returns the whole file as read, BOM included.
func (f *File) Bytes() []byte {
	if !f.BOM {
		return f.Body
	}
	return append(append([]byte{}, utf8BOM...), f.Body...)
}

// WithBOM returns body with the file's BOM put back in front.
func (f *File) WithBOM(body []byte) []byte {
	if !f.BOM {
		return body
	}
	return append(append([]byte{}, utf8BOM...), body...)
}

// Position converts a byte offset in Body to a 1-based line and byte column.
func (f *File) Position(off int) (line, col int) {
	i := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - f.lines[i] + 1
}

// Offset converts a 1-based line and byte column back to an offset; it is
// clamped to the file.
func (f *File) Offset(line, col int) int {
	if line < 1 {
		return 0
	}
	if line > len(f.lines) {
		return len(f.Body)
	}
	return min(f.lines[line-1]+max(col, 1)-1, len(f.Body))
}

// Lines is the number of lines (a final line without a newline counts).
func (f *File) Lines() int { return len(f.lines) }

// LineStart is the offset where 1-based line n starts.
func (f *File) LineStart(n int) int {
	if n < 1 {
		return 0
	}
	if n > len(f.lines) {
		return len(f.Body)
	}
	return f.lines[n-1]
}

// LineText returns line n without its line ending.
func (f *File) LineText(n int) string {
	start := f.LineStart(n)
	end := len(f.Body)
	if n < len(f.lines) {
		end = f.lines[n] - 1
	}
	return strings.TrimRight(string(f.Body[start:end]), "\r")
}

// LineEnding returns the line ending the file uses ("\r\n" or "\n").
func (f *File) LineEnding() string {
	if i := bytes.IndexByte(f.Body, '\n'); i > 0 && f.Body[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// IndentOf returns the blanks at the start of the line holding off.
func (f *File) IndentOf(off int) string {
	line, _ := f.Position(off)
	start := f.lines[line-1]
	end := start
	for end < len(f.Body) && (f.Body[end] == ' ' || f.Body[end] == '\t') {
		end++
	}
	return string(f.Body[start:end])
}

// CheckUTF8 returns an *Error at the first byte that is not UTF-8.
func (f *File) CheckUTF8() error {
	if utf8.Valid(f.Body) {
		return nil
	}
	off := 0
	for off < len(f.Body) {
		r, n := utf8.DecodeRune(f.Body[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	return f.Errorf(off, "invalid UTF-8")
}

// Errorf is bad input at offset off of the file.
func (f *File) Errorf(off int, format string, args ...any) *Error {
	line, col := f.Position(off)
	return &Error{Path: f.Path, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// Error is bad input: one line "path:line:col: message" (1-based line, byte
// column; Line 0 means the place is unknown, and then only the path shows).
// Control characters in the path and the message are escaped, so it is
// always one line.
type Error struct {
	Path      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	path, msg := EscapeControl(e.Path), EscapeControl(e.Msg)
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", path, msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", path, e.Line, e.Col, msg)
}

// Comment is a comment of a file: its bytes Start..End of the body, and
// its text as written (the comment marker included, the line break not).
type Comment struct {
	Start, End int
	Text       string
}

// EscapeControl writes control characters (and invalid UTF-8) as Go
// escapes, so a message quoting user input stays on one line.
func EscapeControl(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f || s[i] >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Loc is where a finding is: a byte span of a file, and the nodes it is
// about, named by JSON pointers into that file's tree (a YAML file's too:
// /services/app/volumes/0). Ptrs has one pointer for one node, more for a
// range of siblings ("-p", "80:80"); "" is the file's root.
type Loc struct {
	File       *File
	Start, End int
	Ptrs       []string
}

// Path is the file's path.
func (l Loc) Path() string { return l.File.Path }

// Position is the 1-based line and byte column of the start.
func (l Loc) Position() (line, col int) { return l.File.Position(l.Start) }

// Pointer is the first node's pointer.
func (l Loc) Pointer() string {
	if len(l.Ptrs) == 0 {
		return ""
	}
	return l.Ptrs[0]
}

// Through returns the span from l's start to m's end, about the nodes of
// both (m must be in the same file, at or after l).
func (l Loc) Through(m Loc) Loc {
	out := Loc{File: l.File, Start: l.Start, End: max(l.End, m.End)}
	out.Ptrs = append(append(out.Ptrs, l.Ptrs...), m.Ptrs...)
	return out
}

// Under reports whether pointer p names node q or a node inside it. The
// root "" is only itself: an ignore on the root's line is not an ignore of
// the whole file.
func Under(p, q string) bool {
	return p == q || (q != "" && strings.HasPrefix(p, q+"/"))
}

// EscapePointer escapes a key for a JSON pointer (RFC 6901).
func EscapePointer(key string) string {
	if !strings.ContainsAny(key, "~/") {
		return key
	}
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}

// Edit replaces File.Body[Start:End] with New. Start == End inserts.
type Edit struct {
	File       *File
	Start, End int
	New        string
}

// Apply splices edits of one file into its body. Identical edits are applied
// once; overlapping ones are an error.
func Apply(body []byte, edits []Edit) ([]byte, error) {
	es := append([]Edit(nil), edits...)
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Start != es[j].Start {
			return es[i].Start < es[j].Start
		}
		return es[i].End < es[j].End
	})
	var out bytes.Buffer
	last := 0
	for i, e := range es {
		if i > 0 && e == es[i-1] {
			continue
		}
		if e.Start < last || e.End < e.Start || e.End > len(body) {
			return nil, fmt.Errorf("%w: overlapping or out-of-range edit %d..%d", ErrInternal, e.Start, e.End)
		}
		out.Write(body[last:e.Start])
		out.WriteString(e.New)
		last = e.End
	}
	out.Write(body[last:])
	return out.Bytes(), nil
}

// Conflicts reports whether any edit in a touches or overlaps an edit of
// the same file in b. Two insertions at one offset conflict too: their
// order would be a guess, so the later fix waits for the next round.
func Conflicts(a, b []Edit) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y || x.File != y.File {
				continue
			}
			if x.Start < y.End && y.Start < x.End {
				return true
			}
			if x.Start == y.Start || x.End == y.End ||
				(x.Start == x.End && x.Start >= y.Start && x.Start <= y.End) ||
				(y.Start == y.End && y.Start >= x.Start && y.Start <= x.End) {
				return true
			}
		}
	}
	return false
}
