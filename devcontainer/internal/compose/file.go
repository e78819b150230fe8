package compose

import (
	"bytes"
	"errors"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/devfix/devfix/internal/source"
	"go.yaml.in/yaml/v4"
)

// File is one compose file as read: its bytes and its YAML node tree.
type File struct {
	Src *source.File
	// Docs are the file's YAML documents (yaml.DocumentNode), in order; most
	// files have one. Read-only: positions and pointers are computed from it.
	Docs []*yaml.Node

	ylines   []int                 // offsets where YAML lines start (YAML's line breaks)
	ptrs     map[*yaml.Node]string // JSON pointer of every node of the tree (aliases not followed)
	parent   map[*yaml.Node]*yaml.Node
	spans    map[*yaml.Node][2]int
	comments []source.Comment

	// How compose reads the references in this file.
	dir  string                      // folder relative include/extends paths start from
	env  func(string) (string, bool) // what ${VAR} means here
	role string                      // "", "include" or "extends": how the file was reached
}

// parseFile reads data as YAML; bad input is a one-line *source.Error.
func parseFile(path string, data []byte) (*File, error) {
	src := source.New(path, data)
	if err := src.CheckUTF8(); err != nil {
		return nil, err
	}
	f := &File{Src: src}
	f.ylines = yamlLines(src.Body)
	dec := yaml.NewDecoder(bytes.NewReader(src.Body))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, f.yamlError(err)
		}
		f.Docs = append(f.Docs, &n)
	}
	f.index()
	if a := f.selfAlias(); a != nil {
		return nil, f.Src.Errorf(f.offsetAt(a.Line, a.Column), "anchor '%s' value contains itself", a.Value)
	}
	f.comments = f.findComments()
	return f, nil
}

// selfAlias returns the first alias that stands inside its own anchor's
// value, or nil. YAML itself refuses such a document when it decodes one,
// but not as a node tree, and compose-go then spends tens of seconds
// expanding it before giving up.
func (f *File) selfAlias() *yaml.Node {
	var first *yaml.Node
	for n := range f.parent {
		if n.Kind != yaml.AliasNode || n.Alias == nil {
			continue
		}
		for p := f.parent[n]; p != nil; p = f.parent[p] {
			if p == n.Alias {
				if first == nil || n.Line < first.Line || n.Line == first.Line && n.Column < first.Column {
					first = n
				}
				break
			}
		}
	}
	return first
}

// yamlLines returns the offsets where lines start, with YAML's line breaks
// (CR LF, CR, LF, NEL, LS, PS): node positions count lines that way.
func yamlLines(b []byte) []int {
	out := []int{0}
	for i := 0; i < len(b); {
		if n := breakLen(b, i); n > 0 {
			i += n
			out = append(out, i)
			continue
		}
		i++
	}
	return out
}

// breakLen is the length of the line break at b[i], or 0.
func breakLen(b []byte, i int) int {
	switch {
	case i >= len(b):
		return 0
	case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
		return 2
	case b[i] == '\r' || b[i] == '\n':
		return 1
	case b[i] == 0xC2 && i+1 < len(b) && b[i+1] == 0x85:
		return 2
	case b[i] == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9):
		return 3
	}
	return 0
}

// offsetAt converts the parser's 1-based line and column to a byte offset.
// The parser counts columns in characters, not bytes, so the column is
// walked rune by rune from the start of the line.
func (f *File) offsetAt(line, col int) int {
	b := f.Src.Body
	if line < 1 {
		return 0
	}
	if line > len(f.ylines) {
		return len(b)
	}
	off := f.ylines[line-1]
	for c := 1; c < col && off < len(b); c++ {
		if breakLen(b, off) > 0 {
			break
		}
		_, n := utf8.DecodeRune(b[off:])
		off += n
	}
	return off
}

// column is the 0-based character column of offset off.
func (f *File) column(off int) int {
	b := f.Src.Body
	i := f.ylines[max(sort.SearchInts(f.ylines, off+1)-1, 0)]
	return utf8.RuneCount(b[i:min(off, len(b))])
}

// index walks the tree once: pointers, parents, key nodes, spans.
func (f *File) index() {
	f.ptrs = map[*yaml.Node]string{}
	f.parent = map[*yaml.Node]*yaml.Node{}
	f.spans = map[*yaml.Node][2]int{}
	for i, d := range f.Docs {
		f.ptrs[d] = ""
		for _, c := range d.Content {
			f.parent[c] = d
			f.walk(c, "", i, -1)
		}
	}
}

// walk records n (at pointer ptr, in a block whose indentation is indent)
// and its children, and returns n's span.
func (f *File) walk(n *yaml.Node, ptr string, doc, indent int) [2]int {
	f.ptrs[n] = ptr
	start := f.offsetAt(n.Line, n.Column)
	var span [2]int
	switch n.Kind {
	case yaml.ScalarNode:
		s := f.skipProperties(start)
		span = [2]int{start, f.scalarEnd(n, s, indent)}
	case yaml.AliasNode:
		span = [2]int{start, min(start+1+len(n.Value), len(f.Src.Body))}
	case yaml.MappingNode, yaml.SequenceNode:
		end := f.skipProperties(start)
		own := indent // a block collection is indented as far as its first key or dash
		if n.Style&yaml.FlowStyle == 0 {
			own = f.column(end)
		}
		for i, c := range n.Content {
			f.parent[c] = n
			var cp string
			if n.Kind == yaml.MappingNode {
				if i%2 == 0 {
					cp = ptr + "/" + source.EscapePointer(keyText(c))
				} else {
					cp = ptr + "/" + source.EscapePointer(keyText(n.Content[i-1]))
				}
			} else {
				cp = ptr + "/" + strconv.Itoa(i)
			}
			cs := f.walk(c, cp, doc, own)
			end = max(end, cs[1])
		}
		if n.Style&yaml.FlowStyle != 0 {
			end = f.flowClose(end)
		}
		span = [2]int{start, end}
	}
	f.spans[n] = span
	return span
}

// keyText is how a mapping key names its member in a pointer.
func keyText(k *yaml.Node) string {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	return k.Value
}

// skipProperties skips a node's tag and anchor (and the blanks, line breaks
// and comments after them) and returns where its content starts.
func (f *File) skipProperties(off int) int {
	b := f.Src.Body
	for off < len(b) && (b[off] == '!' || b[off] == '&') {
		for off < len(b) && !isBlankOrBreak(b, off) {
			off++
		}
		off = f.skipBlanks(off, true)
	}
	return off
}

// skipBlanks skips spaces and tabs, and with breaks also line breaks and
// comments.
func (f *File) skipBlanks(off int, breaks bool) int {
	b := f.Src.Body
	for off < len(b) {
		switch {
		case b[off] == ' ' || b[off] == '\t':
			off++
		case breaks && breakLen(b, off) > 0:
			off += breakLen(b, off)
		case breaks && b[off] == '#' && (off == 0 || isBlankOrBreak(b, off-1)):
			for off < len(b) && breakLen(b, off) == 0 {
				off++
			}
		default:
			return off
		}
	}
	return off
}

func isBlankOrBreak(b []byte, i int) bool {
	return b[i] == ' ' || b[i] == '\t' || breakLen(b, i) > 0
}

// flowClose finds the bracket that closes a flow collection whose last
// child ends at off.
func (f *File) flowClose(off int) int {
	b := f.Src.Body
	for {
		off = f.skipBlanks(off, true)
		if off >= len(b) {
			return len(b)
		}
		switch b[off] {
		case ',':
			off++
		case ']', '}':
			return off + 1
		default:
			return off
		}
	}
}

// scalarEnd returns the end of the scalar token that starts at s. The
// parser gives only where a node starts; the end follows from the token's
// style, checked against the value the parser read where it can be.
func (f *File) scalarEnd(n *yaml.Node, s, indent int) int {
	b := f.Src.Body
	if s >= len(b) {
		return len(b)
	}
	switch b[s] {
	case '"':
		for i := s + 1; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return len(b)
	case '\'':
		for i := s + 1; i < len(b); i++ {
			if b[i] == '\'' {
				if i+1 < len(b) && b[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
		return len(b)
	case '|', '>':
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return f.blockEnd(s, indent)
		}
	}
	if n.Value == "" && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
		return s // an empty plain scalar (null) is not written at all
	}
	return f.plainEnd(s, n.Value)
}

// plainEnd matches a plain scalar's value against the text from s: a plain
// scalar has no escapes, only folded line breaks.
func (f *File) plainEnd(s int, val string) int {
	b := f.Src.Body
	if bytes.HasPrefix(b[s:], []byte(val)) {
		return s + len(val)
	}
	i, j := s, 0
	for j < len(val) && i < len(b) {
		if b[i] != ' ' && b[i] != '\t' && breakLen(b, i) == 0 {
			if b[i] != val[j] {
				return f.lineTokenEnd(s)
			}
			i++
			j++
			continue
		}
		// A run of blanks: kept as is within a line; a line break folds
		// to a space, n breaks to n-1 newlines, and the blanks around
		// the breaks go.
		k, breaks := i, 0
		for k < len(b) {
			if n := breakLen(b, k); n > 0 {
				k += n
				breaks++
			} else if b[k] == ' ' || b[k] == '\t' {
				k++
			} else {
				break
			}
		}
		switch {
		case breaks == 0:
			if !bytes.HasPrefix([]byte(val[j:]), b[i:k]) {
				return f.lineTokenEnd(s)
			}
			j += k - i
		case breaks == 1:
			if val[j] != ' ' {
				return f.lineTokenEnd(s)
			}
			j++
		default:
			for t := 0; t < breaks-1; t++ {
				if j >= len(val) || val[j] != '\n' {
					return f.lineTokenEnd(s)
				}
				j++
			}
		}
		i = k
	}
	if j < len(val) {
		return f.lineTokenEnd(s)
	}
	return i
}

// lineTokenEnd is the fallback end of a plain scalar: the end of its text
// on its first line.
func (f *File) lineTokenEnd(s int) int {
	b := f.Src.Body
	end := s
	for i := s; i < len(b) && breakLen(b, i) == 0; i++ {
		if b[i] == '#' && i > s && (b[i-1] == ' ' || b[i-1] == '\t') {
			break
		}
		if b[i] == ':' && (i+1 == len(b) || isBlankOrBreak(b, i+1)) {
			break
		}
		if b[i] != ' ' && b[i] != '\t' {
			end = i + 1
		}
	}
	return end
}

// blockEnd returns the end of a literal or folded block scalar whose
// header starts at s, in a block indented indent columns: the end of its
// last non-blank content line (the line break after it and trailing blank
// lines are left out, so a replacement keeps the layout).
func (f *File) blockEnd(s, indent int) int {
	b := f.Src.Body
	i := s + 1
	explicit := 0
	for i < len(b) && (b[i] == '+' || b[i] == '-' || (b[i] >= '1' && b[i] <= '9')) {
		if b[i] >= '1' && b[i] <= '9' {
			explicit = int(b[i] - '0')
		}
		i++
	}
	end := i
	// Past the header's comment and line break.
	for i < len(b) && breakLen(b, i) == 0 {
		i++
	}
	i += breakLen(b, i)
	content := -1
	if explicit > 0 {
		content = max(indent, 0) + explicit
	}
	for i < len(b) {
		lineEnd := i
		for lineEnd < len(b) && breakLen(b, lineEnd) == 0 {
			lineEnd++
		}
		ind := 0
		for i+ind < lineEnd && b[i+ind] == ' ' {
			ind++
		}
		blank := true
		for k := i + ind; k < lineEnd; k++ {
			if b[k] != ' ' && b[k] != '\t' {
				blank = false
				break
			}
		}
		if !blank {
			if ind == 0 && lineEnd-i >= 3 && (string(b[i:i+3]) == "---" || string(b[i:i+3]) == "...") {
				break
			}
			if content < 0 {
				if ind <= indent {
					break
				}
				content = ind
			}
			if ind < content {
				break
			}
			end = lineEnd
		}
		i = lineEnd + breakLen(b, lineEnd)
	}
	return end
}

// span is the byte span of n: a scalar's token with its quotes, a
// collection from its first to its last byte; tags and anchors in front
// are included.
func (f *File) span(n *yaml.Node) (int, int) {
	s, ok := f.spans[n]
	if !ok {
		return 0, 0
	}
	return s[0], s[1]
}

// tokenStart is where a node's content starts, after its tag and anchor.
func (f *File) tokenStart(n *yaml.Node) int {
	s, _ := f.span(n)
	return f.skipProperties(s)
}

// loc is the place of node n of this file.
func (f *File) loc(n *yaml.Node) source.Loc {
	s, e := f.span(n)
	return source.Loc{File: f.Src, Start: s, End: e, Ptrs: []string{f.ptrs[n]}}
}

// PointersByLine maps each line (1-based, as source.File counts them) to
// the pointers of the mapping members and sequence items that start on it,
// so an ignore comment can be keyed on the nodes of its line.
func (f *File) PointersByLine() map[int][]string {
	out := map[int][]string{}
	add := func(n *yaml.Node, ptr string) {
		s, _ := f.span(n)
		line, _ := f.Src.Position(s)
		out[line] = append(out[line], ptr)
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				add(n.Content[i], f.ptrs[n.Content[i+1]])
				walk(n.Content[i+1])
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				add(c, f.ptrs[c])
				walk(c)
			}
		}
	}
	for _, d := range f.Docs {
		for _, c := range d.Content {
			walk(c)
		}
	}
	return out
}
