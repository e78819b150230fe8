package jsonc

import (
	"bytes"

	"github.com/devfix/devfix/internal/source"
	"github.com/tailscale/hujson"
)

// KV is a member to insert: a name and its value as JSON text.
type KV struct{ Key, JSON string }

// Replace is the edit that replaces n's value (not its comments) by the
// JSON text json.
func (d *Doc) Replace(n Node, json string) source.Edit {
	return source.Edit{File: d.File, Start: n.Start(), End: n.End(), New: json}
}

// Set sets obj's member key to the JSON text json: in place when it is
// there, else inserted after the member after (at the end when after does
// not exist).
func (d *Doc) Set(obj Node, key, json string, after Node) []source.Edit {
	if m := obj.Get(key); m.Exists() {
		return []source.Edit{d.Replace(m, json)}
	}
	return d.Insert(obj, after, KV{key, json})
}

// indentUnit guesses one level of indentation from the file.
func (d *Doc) indentUnit() string {
	b := d.Body
	for line := 1; line <= d.Lines(); line++ {
		s := d.LineStart(line)
		if s < len(b) && b[s] == '\t' {
			return "\t"
		}
		n := 0
		for s+n < len(b) && b[s+n] == ' ' {
			n++
		}
		if n > 0 && s+n < len(b) && b[s+n] == '"' {
			return string(bytes.Repeat([]byte{' '}, n))
		}
	}
	return "\t"
}

// Insert returns the edits that add members to the object obj right after
// the member after (at the end when after does not exist), in order. New
// members copy their neighbour's indentation and the file's line ending;
// comments stay with the members they belong to; no trailing comma is added.
func (d *Doc) Insert(obj Node, after Node, kvs ...KV) []source.Edit {
	o := obj.node().v.Value.(*hujson.Object)
	b := d.Body
	eol := d.LineEnding()
	if len(o.Members) == 0 {
		// "{}" or "{ /* c */ }": open the object after its brace.
		open := obj.Start() + 1
		outer := d.IndentOf(obj.Start())
		return []source.Edit{d.edit(open, open, eol+joinMembers(kvs, ","+eol+outer+d.indentUnit(), outer+d.indentUnit())+eol+outer)}
	}
	anchor := &o.Members[len(o.Members)-1]
	if after.Exists() && after.Parent().i == obj.i {
		anchor = &o.Members[after.Index()]
	}
	isLast := anchor == &o.Members[len(o.Members)-1]
	valEnd := anchor.Value.EndOffset
	// The comma after the anchor, where hujson's structure says it is (it
	// may sit on a later line): members after it, or a trailing comma.
	commaAt := -1
	if !isLast || anchor.Value.AfterExtra != nil {
		if at := valEnd + len(anchor.Value.AfterExtra); at < len(b) && b[at] == ',' {
			commaAt = at
		}
	}
	i := valEnd
	if commaAt >= 0 {
		i = commaAt + 1
	}
	// Find the end of that line: past comments on it, before the line break.
	for i < len(b) {
		switch ch := b[i]; {
		case ch == ' ' || ch == '\t':
			i++
		case ch == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		case ch == '/' && i+1 < len(b) && b[i+1] == '*':
			end := bytes.Index(b[i+2:], []byte("*/"))
			if end < 0 || bytes.ContainsAny(b[i:i+2+end], "\r\n") {
				return d.insertSameLine(kvs, isLast, valEnd, commaAt)
			}
			i += 2 + end + 2
		case ch == '\r' || ch == '\n':
			indent := d.IndentOf(anchor.Name.StartOffset)
			text := eol + joinMembers(kvs, ","+eol+indent, indent)
			switch {
			case !isLast:
				return []source.Edit{d.edit(i, i, text+",")}
			case commaAt >= 0:
				// A trailing comma now separates the members: guard it so a
				// fix that deletes it waits for the next round.
				return []source.Edit{d.edit(commaAt, commaAt+1, ","), d.edit(i, i, text)}
			default:
				// The comma goes first: when nothing stands between the value
				// and the line break both edits insert at one offset.
				return []source.Edit{d.edit(valEnd, valEnd, ","), d.edit(i, i, text)}
			}
		default:
			return d.insertSameLine(kvs, isLast, valEnd, commaAt)
		}
	}
	return d.insertSameLine(kvs, isLast, valEnd, commaAt)
}

func (d *Doc) edit(start, end int, text string) source.Edit {
	return source.Edit{File: d.File, Start: start, End: end, New: text}
}

// insertSameLine inserts members on the anchor's line, for objects written
// on one line ({"a": 1, "b": 2}).
func (d *Doc) insertSameLine(kvs []KV, isLast bool, valEnd, commaAt int) []source.Edit {
	member := joinMembers(kvs, ", ", "")
	switch {
	case commaAt < 0:
		return []source.Edit{d.edit(valEnd, valEnd, ", "+member)}
	case isLast: // trailing comma: keep (and guard) it, add after it
		return []source.Edit{d.edit(commaAt, commaAt+1, ", "+member)}
	}
	return []source.Edit{d.edit(commaAt+1, commaAt+1, " "+member+",")}
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
		b.WriteString(Quote(kv.Key) + ": " + kv.JSON)
	}
	return b.String()
}

// ObjectText renders a new multi-line object to be a member of obj: its
// members one level deeper than obj's, its closing brace at their level.
func (d *Doc) ObjectText(obj Node, kvs ...KV) string {
	outer := d.memberIndent(obj)
	indent := outer + d.indentUnit()
	eol := d.LineEnding()
	return "{" + eol + joinMembers(kvs, ","+eol+indent, indent) + eol + outer + "}"
}

// memberIndent is the indentation of obj's members.
func (d *Doc) memberIndent(obj Node) string {
	if kids := obj.Children(); len(kids) > 0 {
		return d.IndentOf(kids[len(kids)-1].KeyStart())
	}
	return d.IndentOf(obj.Start()) + d.indentUnit()
}

// Append returns the edits that add the JSON text elem at the end of the
// array arr, copying the last element's indentation (or staying on one line
// for a one-line array). No trailing comma is added.
func (d *Doc) Append(arr Node, elem string) []source.Edit {
	a := arr.node().v.Value.(*hujson.Array)
	b := d.Body
	eol := d.LineEnding()
	if len(a.Elements) == 0 {
		open := arr.Start() + 1
		outer := d.IndentOf(arr.Start())
		return []source.Edit{d.edit(open, open, eol+outer+d.indentUnit()+elem+eol+outer)}
	}
	last := &a.Elements[len(a.Elements)-1]
	end := last.EndOffset
	lastLine, _ := d.Position(last.StartOffset)
	openLine, _ := d.Position(arr.Start())
	if lastLine == openLine {
		return []source.Edit{d.edit(end, end, ", "+elem)}
	}
	// Past a trailing comma and comments on the last element's line.
	commaAt := -1
	i := end
	if last.AfterExtra != nil {
		if at := end + len(last.AfterExtra); at < len(b) && b[at] == ',' {
			commaAt = at
			i = at + 1
		}
	}
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i+1 < len(b) && b[i] == '/' && b[i+1] == '/' {
		for i < len(b) && b[i] != '\n' && b[i] != '\r' {
			i++
		}
	}
	if i < len(b) && b[i] != '\n' && b[i] != '\r' {
		// Something else follows on that line: stay on it.
		if commaAt >= 0 {
			return []source.Edit{d.edit(commaAt, commaAt+1, ", "+elem)}
		}
		return []source.Edit{d.edit(end, end, ", "+elem)}
	}
	text := eol + d.IndentOf(last.StartOffset) + elem
	if commaAt >= 0 {
		return []source.Edit{d.edit(commaAt, commaAt+1, ","), d.edit(i, i, text)}
	}
	return []source.Edit{d.edit(end, end, ","), d.edit(i, i, text)}
}

// Remove returns the edits that delete the members or elements [from, to)
// of the object or array n and the commas that separated them, keeping
// every comment; a line left empty goes too.
func (d *Doc) Remove(n Node, from, to int) []source.Edit {
	kids := n.Children()
	// Removing every member or element takes a trailing comma with them:
	// "[,]" would not parse.
	trailing, hasTrailing := n.HasTrailingComma()
	if from == 0 && to == len(kids) && hasTrailing {
		edits := d.remove(n, kids, from, to)
		covered := false
		for _, e := range edits {
			covered = covered || (e.Start <= trailing && trailing < e.End)
		}
		if !covered {
			edits = append(edits, d.edit(trailing, trailing+1, ""))
		}
		return edits
	}
	return d.remove(n, kids, from, to)
}

func (d *Doc) remove(n Node, kids []Node, from, to int) []source.Edit {
	b := d.Body
	start := func(k int) int { return kids[k].KeyStart() }
	end := func(k int) int { return kids[k].End() }
	hasComment := func(x, y int) bool {
		// Strings in between are whole members being removed; a "/" in
		// them only makes this careful, never wrong.
		return bytes.Contains(b[x:y], []byte("//")) || bytes.Contains(b[x:y], []byte("/*"))
	}
	// Without comments in the way, one span: up to the next one, or from
	// the end of the one before.
	switch {
	case to < len(kids) && !hasComment(start(from), start(to)):
		return []source.Edit{d.edit(start(from), start(to), "")}
	case to == len(kids) && from > 0 && !hasComment(end(from-1), end(to-1)):
		return []source.Edit{d.edit(end(from-1), end(to-1), "")}
	case to == len(kids) && from == 0 && !hasComment(start(0), end(to-1)):
		return []source.Edit{d.edit(start(0), end(to-1), "")}
	}
	commaAfter := func(k int) int {
		v := kids[k].node().v
		if at := v.EndOffset + len(v.AfterExtra); at < len(b) && b[at] == ',' {
			return at
		}
		return -1
	}
	var edits []source.Edit
	for k := from; k < to; k++ {
		e := end(k)
		if k < len(kids)-1 {
			if comma := commaAfter(k); comma >= 0 {
				e = comma + 1
			}
		}
		ed := d.wholeLine(start(k), e)
		if ed.End == e { // the line stays: take the blanks before a comment too
			for ed.End < len(b) && (b[ed.End] == ' ' || b[ed.End] == '\t') {
				ed.End++
			}
		}
		edits = append(edits, ed)
	}
	if to == len(kids) && from > 0 {
		// The last ones went: the comma before them goes too (a trailing
		// comma after them stays where it was).
		if comma := commaAfter(from - 1); comma >= 0 {
			edits = append(edits, d.edit(comma, comma+1, ""))
		}
	}
	return edits
}

// wholeLine widens a deletion of start..end to its whole line (with the line
// break) when nothing else but blanks stands on that line.
func (d *Doc) wholeLine(start, end int) source.Edit {
	b := d.Body
	ls := start
	for ls > 0 && (b[ls-1] == ' ' || b[ls-1] == '\t') {
		ls--
	}
	le := end
	for le < len(b) && (b[le] == ' ' || b[le] == '\t') {
		le++
	}
	if (ls == 0 || b[ls-1] == '\n') && le < len(b) && (b[le] == '\n' || b[le] == '\r') {
		if b[le] == '\r' && le+1 < len(b) && b[le+1] == '\n' {
			le++
		}
		return d.edit(ls, le+1, "")
	}
	return d.edit(start, end, "")
}
