package devcontainer

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"

	"github.com/tailscale/hujson"
)

// Edit replaces Body[Start:End] with New. Start == End is a pure insertion.
type Edit struct {
	Start, End int
	New        string
}

// Fix is one way to resolve a diagnostic: a verb phrase and its edits, which
// must not overlap each other. HostActions are changes outside the file (for
// example ACLs on the workspace) that apply carries out and lint only names.
type Fix struct {
	Message     string
	Edits       []Edit
	HostActions []HostAction
}

// applyEdits splices non-overlapping edits into src. Identical edits are
// applied once. An edit that overlaps another is an error.
func applyEdits(src []byte, edits []Edit) ([]byte, error) {
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
		if e.Start < last || e.End < e.Start || e.End > len(src) {
			return nil, fmt.Errorf("internal error: overlapping or out-of-range edit %d..%d", e.Start, e.End)
		}
		out.Write(src[last:e.Start])
		out.WriteString(e.New)
		last = e.End
	}
	out.Write(src[last:])
	return out.Bytes(), nil
}

// conflicts reports whether any edit in a touches or overlaps an edit in b.
// Two insertions at the same offset conflict too: their order would be a
// guess, so the later fix waits for the next round.
func conflicts(a, b []Edit) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				continue
			}
			if x.Start < y.End && y.Start < x.End {
				return true
			}
			if x.Start == y.Start || x.End == y.End || (x.Start == x.End && x.Start >= y.Start && x.Start <= y.End) || (y.Start == y.End && y.Start >= x.Start && y.Start <= x.End) {
				return true
			}
		}
	}
	return false
}

// jsonString quotes s as a JSON string the way a person would write it:
// no HTML escaping of <, > and &.
func jsonString(s string) string {
	var b bytes.Buffer
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ReplaceValue returns the edit that replaces v (without its comments) by the
// JSON text newJSON.
func ReplaceValue(v *hujson.Value, newJSON string) Edit {
	return Edit{Start: v.StartOffset, End: v.EndOffset, New: newJSON}
}

// lineEnding returns the line ending the file uses ("\r\n" or "\n").
func (c *Config) lineEnding() string {
	if i := bytes.IndexByte(c.Body, '\n'); i > 0 && c.Body[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// indentOf returns the white space at the start of the line holding off.
func (c *Config) indentOf(off int) string {
	line, _ := c.Position(off)
	start := c.lineStarts[line-1]
	end := start
	for end < len(c.Body) && (c.Body[end] == ' ' || c.Body[end] == '\t') {
		end++
	}
	return string(c.Body[start:end])
}

// indentUnit guesses one level of indentation from the file.
func (c *Config) indentUnit() string {
	for _, s := range c.lineStarts {
		if s < len(c.Body) && c.Body[s] == '\t' {
			return "\t"
		}
		n := 0
		for s+n < len(c.Body) && c.Body[s+n] == ' ' {
			n++
		}
		if n > 0 && s+n < len(c.Body) && c.Body[s+n] == '"' {
			return string(bytes.Repeat([]byte{' '}, n))
		}
	}
	return "\t"
}

// KV is a member to insert: a name and its value as JSON text.
type KV struct{ Name, JSON string }

// InsertMember returns the edits that add "name": valueJSON to the object
// objVal right after the member after, or at the end when after is nil. The
// new member copies its neighbour's indentation and the file's line ending;
// comments stay with the members they belong to; no trailing comma is added.
func (c *Config) InsertMember(objVal *hujson.Value, after *Member, name, valueJSON string) []Edit {
	return c.InsertMembers(objVal, after, KV{name, valueJSON})
}

// InsertMembers is InsertMember for several members, kept in order.
func (c *Config) InsertMembers(objVal *hujson.Value, after *Member, kvs ...KV) []Edit {
	obj := objVal.Value.(*hujson.Object)
	eol := c.lineEnding()
	if len(obj.Members) == 0 {
		// "{}" or "{ /* c */ }": open the object after its brace.
		open := objVal.StartOffset + 1
		outer := c.indentOf(objVal.StartOffset)
		return []Edit{{Start: open, End: open, New: eol + joinMembers(kvs, ","+eol+outer+c.indentUnit(), outer+c.indentUnit()) + eol + outer}}
	}
	anchor := &obj.Members[len(obj.Members)-1]
	if after != nil {
		anchor = after.m
	}
	isLast := anchor == &obj.Members[len(obj.Members)-1]
	valEnd := anchor.Value.EndOffset
	// The comma after the anchor, where hujson's structure says it is (it
	// may sit on a later line): members after it, or a trailing comma.
	commaAt := -1
	if !isLast || anchor.Value.AfterExtra != nil {
		if at := valEnd + len(anchor.Value.AfterExtra); at < len(c.Body) && c.Body[at] == ',' {
			commaAt = at
		}
	}
	i := valEnd
	if commaAt >= 0 {
		i = commaAt + 1
	}
	// Find the end of that line: past comments on it, before the line break.
	for i < len(c.Body) {
		switch ch := c.Body[i]; {
		case ch == ' ' || ch == '\t':
			i++
		case ch == '/' && i+1 < len(c.Body) && c.Body[i+1] == '/':
			for i < len(c.Body) && c.Body[i] != '\n' && c.Body[i] != '\r' {
				i++
			}
		case ch == '/' && i+1 < len(c.Body) && c.Body[i+1] == '*':
			end := bytes.Index(c.Body[i+2:], []byte("*/"))
			if end < 0 || bytes.ContainsAny(c.Body[i:i+2+end], "\r\n") {
				return c.insertSameLine(kvs, isLast, valEnd, commaAt)
			}
			i += 2 + end + 2
		case ch == '\r' || ch == '\n':
			indent := c.indentOf(anchor.Name.StartOffset)
			text := eol + joinMembers(kvs, ","+eol+indent, indent)
			switch {
			case !isLast:
				return []Edit{{Start: i, End: i, New: text + ","}}
			case commaAt >= 0:
				// A trailing comma now separates the members: guard it so a
				// fix that deletes it waits for the next round.
				return []Edit{{Start: commaAt, End: commaAt + 1, New: ","}, {Start: i, End: i, New: text}}
			default:
				// The comma goes first: when nothing stands between the value
				// and the line break both edits insert at one offset.
				return []Edit{{Start: valEnd, End: valEnd, New: ","}, {Start: i, End: i, New: text}}
			}
		default:
			return c.insertSameLine(kvs, isLast, valEnd, commaAt)
		}
	}
	return c.insertSameLine(kvs, isLast, valEnd, commaAt)
}

// insertSameLine inserts members on the anchor's line, for objects written
// on one line ({"a": 1, "b": 2}).
func (c *Config) insertSameLine(kvs []KV, isLast bool, valEnd, commaAt int) []Edit {
	member := joinMembers(kvs, ", ", "")
	switch {
	case commaAt < 0:
		return []Edit{{Start: valEnd, End: valEnd, New: ", " + member}}
	case isLast: // trailing comma: keep (and guard) it, add after it
		return []Edit{{Start: commaAt, End: commaAt + 1, New: ", " + member}}
	}
	return []Edit{{Start: commaAt + 1, End: commaAt + 1, New: " " + member + ","}}
}

// joinMembers renders members as `"k": v`, separated by sep, the first
// prefixed by first.
func joinMembers(kvs []KV, sep, first string) string {
	var b bytes.Buffer
	b.WriteString(first)
	for i, kv := range kvs {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(jsonString(kv.Name) + ": " + kv.JSON)
	}
	return b.String()
}

// objectText renders a new multi-line object value whose member lines are
// indented by indent and whose closing brace by outer.
func (c *Config) objectText(kvs []KV, outer string) string {
	eol := c.lineEnding()
	indent := outer + c.indentUnit()
	return "{" + eol + joinMembers(kvs, ","+eol+indent, indent) + eol + outer + "}"
}

// quote is strconv.Quote for messages.
func quote(s string) string { return strconv.Quote(s) }

// AppendElement returns the edits that add the JSON text elem at the end of
// the array arrVal, copying the last element's indentation (or staying on
// one line for a one-line array). No trailing comma is added.
func (c *Config) AppendElement(arrVal *hujson.Value, elem string) []Edit {
	arr := arrVal.Value.(*hujson.Array)
	eol := c.lineEnding()
	if len(arr.Elements) == 0 {
		open := arrVal.StartOffset + 1
		outer := c.indentOf(arrVal.StartOffset)
		return []Edit{{Start: open, End: open, New: eol + outer + c.indentUnit() + elem + eol + outer}}
	}
	last := &arr.Elements[len(arr.Elements)-1]
	end := last.EndOffset
	lastLine, _ := c.Position(last.StartOffset)
	openLine, _ := c.Position(arrVal.StartOffset)
	if lastLine == openLine {
		return []Edit{{Start: end, End: end, New: ", " + elem}}
	}
	// Past a trailing comma and comments on the last element's line.
	commaAt := -1
	i := end
	if last.AfterExtra != nil {
		if at := end + len(last.AfterExtra); at < len(c.Body) && c.Body[at] == ',' {
			commaAt = at
			i = at + 1
		}
	}
	for i < len(c.Body) && (c.Body[i] == ' ' || c.Body[i] == '\t') {
		i++
	}
	if i+1 < len(c.Body) && c.Body[i] == '/' && c.Body[i+1] == '/' {
		for i < len(c.Body) && c.Body[i] != '\n' && c.Body[i] != '\r' {
			i++
		}
	}
	if i < len(c.Body) && c.Body[i] != '\n' && c.Body[i] != '\r' {
		// Something else follows on that line: stay on it.
		if commaAt >= 0 {
			return []Edit{{Start: commaAt, End: commaAt + 1, New: ", " + elem}}
		}
		return []Edit{{Start: end, End: end, New: ", " + elem}}
	}
	text := eol + c.indentOf(last.StartOffset) + elem
	if commaAt >= 0 {
		return []Edit{{Start: commaAt, End: commaAt + 1, New: ","}, {Start: i, End: i, New: text}}
	}
	return []Edit{{Start: end, End: end, New: ","}, {Start: i, End: i, New: text}}
}

// RemoveElements returns the edits that delete elements [from, to) of the
// array arrVal and the comma that separated them, keeping every comment; a
// line left empty goes too.
func (c *Config) RemoveElements(arrVal *hujson.Value, from, to int) []Edit {
	els := arrVal.Value.(*hujson.Array).Elements
	hasComment := func(a, b int) bool {
		// Strings in between are whole elements being removed; a "/" in
		// them only makes this careful, never wrong.
		return bytes.Contains(c.Body[a:b], []byte("//")) || bytes.Contains(c.Body[a:b], []byte("/*"))
	}
	// Without comments in the way, one span: up to the next element, or
	// from the end of the one before.
	switch {
	case to < len(els) && !hasComment(els[from].StartOffset, els[to].StartOffset):
		return []Edit{{Start: els[from].StartOffset, End: els[to].StartOffset}}
	case to == len(els) && from > 0 && !hasComment(els[from-1].EndOffset, els[to-1].EndOffset):
		return []Edit{{Start: els[from-1].EndOffset, End: els[to-1].EndOffset}}
	case to == len(els) && from == 0 && !hasComment(els[0].StartOffset, els[to-1].EndOffset):
		return []Edit{{Start: els[0].StartOffset, End: els[to-1].EndOffset}}
	}
	commaAfter := func(v *hujson.Value) int {
		if at := v.EndOffset + len(v.AfterExtra); at < len(c.Body) && c.Body[at] == ',' {
			return at
		}
		return -1
	}
	var edits []Edit
	for k := from; k < to; k++ {
		end := els[k].EndOffset
		if k < len(els)-1 {
			if comma := commaAfter(&els[k]); comma >= 0 {
				end = comma + 1
			}
		}
		e := c.wholeLine(els[k].StartOffset, end)
		if e.End == end { // the line stays: take the blanks before a comment too
			for e.End < len(c.Body) && (c.Body[e.End] == ' ' || c.Body[e.End] == '\t') {
				e.End++
			}
		}
		edits = append(edits, e)
	}
	if to == len(els) && from > 0 {
		// The last ones went: the comma before them goes too (a trailing
		// comma after them stays where it was).
		if comma := commaAfter(&els[from-1]); comma >= 0 {
			edits = append(edits, Edit{Start: comma, End: comma + 1})
		}
	}
	return edits
}

// wholeLine widens a deletion of start..end to its whole line (with the line
// break) when nothing else but blanks stands on that line.
func (c *Config) wholeLine(start, end int) Edit {
	ls := start
	for ls > 0 && (c.Body[ls-1] == ' ' || c.Body[ls-1] == '\t') {
		ls--
	}
	le := end
	for le < len(c.Body) && (c.Body[le] == ' ' || c.Body[le] == '\t') {
		le++
	}
	if (ls == 0 || c.Body[ls-1] == '\n') && le < len(c.Body) && (c.Body[le] == '\n' || c.Body[le] == '\r') {
		if c.Body[le] == '\r' && le+1 < len(c.Body) && c.Body[le+1] == '\n' {
			le++
		}
		return Edit{Start: ls, End: le + 1}
	}
	return Edit{Start: start, End: end}
}
