// Package jsonc is devfix's engine for JSON with comments (devcontainer.json,
// .devfix.jsonc, VS Code's settings.json). It parses with hujson, which keeps
// every byte; indexes every node once (its JSON pointer, span and parent);
// finds the comments in hujson's own tree; and makes minimal byte edits that
// copy the neighbours' indentation and line ending and never add a trailing
// comma. It knows nothing of what the files mean.
package jsonc

import (
	"bytes"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/devfix/devfix/internal/source"
	"github.com/tailscale/hujson"
)

// Kind is the kind of a JSON value.
type Kind byte

// The kinds.
const (
	Missing Kind = 0
	Null    Kind = 'n'
	Bool    Kind = 't'
	String  Kind = '"'
	Number  Kind = '0'
	Object  Kind = '{'
	Array   Kind = '['
)

func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case String:
		return "string"
	case Number:
		return "number"
	case Object:
		return "object"
	case Array:
		return "array"
	}
	return "nothing"
}

// Doc is one parsed file. Its nodes are indexed once, in document order.
type Doc struct {
	*source.File
	root  hujson.Value
	nodes []node
}

type node struct {
	v      *hujson.Value
	name   *hujson.Value // the member name, for a member's value
	key    string        // the member name, unquoted
	index  int           // position among the parent's members or elements
	parent int           // -1 for the root
	ptr    string
	kids   []int
}

var hujsonErrRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)^hujson: line (\d+), column (\d+): (.*)$`) })

// Parse parses data (a BOM is kept aside). Bad input is a *source.Error
// with its line and column: invalid UTF-8, a syntax error.
func Parse(path string, data []byte) (*Doc, error) {
	f := source.New(path, data)
	if err := f.CheckUTF8(); err != nil {
		return nil, err
	}
	// hujson aliases its input and some of its methods write to it: parse
	// a copy. A line comment ending the file without a newline is valid
	// JSONC (the reference CLI reads it) but not to hujson: lend it one.
	buf := bytes.Clone(f.Body)
	v, err := hujson.Parse(buf)
	if err != nil && !bytes.HasSuffix(f.Body, []byte("\n")) {
		if v2, err2 := hujson.Parse(append(bytes.Clone(f.Body), '\n')); err2 == nil {
			v, err = v2, nil
		}
	}
	if err != nil {
		return nil, parseError(f, err)
	}
	d := &Doc{File: f, root: v}
	d.index(&d.root, nil, "", 0, -1, "")
	return d, nil
}

// parseError turns hujson's error into one line at its place.
func parseError(f *source.File, err error) error {
	m := hujsonErrRE().FindStringSubmatch(err.Error())
	if m == nil {
		return &source.Error{Path: f.Path, Msg: err.Error()}
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	off := f.Offset(line, col)
	msg := m[3]
	switch {
	case strings.HasPrefix(msg, `invalid literal: "`):
		// A string with a raw control character (a line break, a tab).
		lit := f.Body[off:]
		for i := 1; i < len(lit); i++ {
			if lit[i] == '\\' {
				i++
				continue
			}
			if lit[i] == '"' {
				break
			}
			if lit[i] < 0x20 {
				return f.Errorf(off+i, "a string holds a raw control character %q: write it escaped", string(lit[i]))
			}
		}
		return f.Errorf(off, "invalid string")
	case strings.HasPrefix(msg, "invalid literal: "):
		word := f.Body[off:]
		n := 0
		for n < len(word) && n < 40 && !strings.ContainsRune(" \t\r\n,:]}/", rune(word[n])) {
			n++
		}
		return f.Errorf(off, "invalid value %q", string(word[:n]))
	case strings.HasSuffix(msg, "unexpected EOF"):
		if strings.HasPrefix(msg, "parsing comment") {
			return f.Errorf(off, "unterminated comment")
		}
		return f.Errorf(off, "unexpected end of file")
	}
	return f.Errorf(off, "%s", msg)
}

// index records v and its children; it returns v's node number.
func (d *Doc) index(v, name *hujson.Value, key string, idx, parent int, ptr string) int {
	i := len(d.nodes)
	d.nodes = append(d.nodes, node{v: v, name: name, key: key, index: idx, parent: parent, ptr: ptr})
	var kids []int
	switch t := v.Value.(type) {
	case *hujson.Object:
		for k := range t.Members {
			m := &t.Members[k]
			mk := literalString(m.Name.Value)
			kids = append(kids, d.index(&m.Value, &m.Name, mk, k, i, ptr+"/"+source.EscapePointer(mk)))
		}
	case *hujson.Array:
		for k := range t.Elements {
			kids = append(kids, d.index(&t.Elements[k], nil, "", k, i, ptr+"/"+strconv.Itoa(k)))
		}
	}
	d.nodes[i].kids = kids
	return i
}

// literalString unquotes a JSON string; most have no escapes, and slicing
// them is much cheaper than hujson's general unquoting.
func literalString(v hujson.ValueTrimmed) string {
	lit, ok := v.(hujson.Literal)
	if !ok || lit.Kind() != '"' {
		return ""
	}
	if len(lit) >= 2 && bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1])
	}
	return lit.String()
}

// Root is the top-level value.
func (d *Doc) Root() Node { return Node{d, 0} }

// At finds the node at a JSON pointer, taking the last of duplicate keys at
// every step, as the reference CLI reads them.
func (d *Doc) At(ptr string) Node {
	n := d.Root()
	if ptr == "" {
		return n
	}
	if !strings.HasPrefix(ptr, "/") {
		return Node{d, -1}
	}
	for _, seg := range strings.Split(ptr[1:], "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		switch n.Kind() {
		case Object:
			n = n.Get(seg)
		case Array:
			k, err := strconv.Atoi(seg)
			if err != nil || k < 0 || k >= n.Len() {
				return Node{d, -1}
			}
			n = Node{d, n.node().kids[k]}
		default:
			return Node{d, -1}
		}
	}
	return n
}

// Nodes returns every node in document order, the root first.
func (d *Doc) Nodes() []Node {
	out := make([]Node, len(d.nodes))
	for i := range d.nodes {
		out[i] = Node{d, i}
	}
	return out
}

// Comments returns every comment in document order, from the
// whitespace-and-comment runs (hujson's Extra) of the tree.
func (d *Doc) Comments() []source.Comment {
	var out []source.Comment
	scan := func(extra hujson.Extra, start int) {
		if !bytes.Contains(extra, []byte("/")) {
			return
		}
		for i := 0; i < len(extra); i++ {
			if extra[i] != '/' || i+1 >= len(extra) {
				continue
			}
			j := i + 2
			switch extra[i+1] {
			case '/':
				for j < len(extra) && extra[j] != '\n' {
					j++
				}
			case '*':
				for j+1 < len(extra) && !(extra[j] == '*' && extra[j+1] == '/') {
					j++
				}
				j = min(j+2, len(extra))
			default:
				continue
			}
			text := strings.TrimRight(string(extra[i:j]), "\r")
			out = append(out, source.Comment{Start: start + i, End: start + i + len(text), Text: text})
			i = j - 1
		}
	}
	for _, n := range d.nodes {
		if n.name != nil {
			scan(n.name.BeforeExtra, n.name.StartOffset-len(n.name.BeforeExtra))
			scan(n.name.AfterExtra, n.name.EndOffset)
		}
		scan(n.v.BeforeExtra, n.v.StartOffset-len(n.v.BeforeExtra))
		scan(n.v.AfterExtra, n.v.EndOffset)
		switch t := n.v.Value.(type) {
		case *hujson.Object:
			scan(t.AfterExtra, n.v.EndOffset-1-len(t.AfterExtra))
		case *hujson.Array:
			scan(t.AfterExtra, n.v.EndOffset-1-len(t.AfterExtra))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// PointersByLine maps each line to the pointers of the nodes that start on
// it (a member starts at its name).
func (d *Doc) PointersByLine() map[int][]string {
	out := map[int][]string{}
	for i := range d.nodes {
		n := Node{d, i}
		line, _ := d.Position(n.KeyStart())
		out[line] = append(out[line], d.nodes[i].ptr)
	}
	return out
}

// Node is one value of the document; the zero Node (and any Node that
// Exists not) stands for a value that is not there.
type Node struct {
	d *Doc
	i int
}

func (n Node) node() *node { return &n.d.nodes[n.i] }

// Exists reports whether the node is there.
func (n Node) Exists() bool { return n.d != nil && n.i >= 0 }

// Kind is the node's kind (Missing when it is not there).
func (n Node) Kind() Kind {
	if !n.Exists() {
		return Missing
	}
	k := Kind(n.node().v.Value.Kind())
	if k == 'f' {
		return Bool
	}
	return k
}

// Str is a string node's value ("" for other kinds).
func (n Node) Str() string {
	if !n.Exists() {
		return ""
	}
	return literalString(n.node().v.Value)
}

// IsTrue reports whether the node is the literal true.
func (n Node) IsTrue() bool {
	return n.Exists() && n.node().v.Value.Kind() == 't'
}

// Int is a number node's value, truncated (0 for other kinds).
func (n Node) Int() int64 {
	if n.Kind() != Number {
		return 0
	}
	lit := n.node().v.Value.(hujson.Literal)
	if i, err := strconv.ParseInt(string(lit), 10, 64); err == nil {
		return i
	}
	return int64(lit.Float())
}

// Raw is the node's text as written.
func (n Node) Raw() string {
	if !n.Exists() {
		return ""
	}
	return string(n.d.Body[n.Start():n.End()])
}

// Get returns the member called key of an object (the last one when the
// key is duplicated, as the reference CLI reads it).
func (n Node) Get(key string) Node {
	if n.Kind() != Object {
		return Node{n.d, -1}
	}
	kids := n.node().kids
	for k := len(kids) - 1; k >= 0; k-- {
		if n.d.nodes[kids[k]].key == key {
			return Node{n.d, kids[k]}
		}
	}
	return Node{n.d, -1}
}

// Children returns an object's member values (duplicates included) or an
// array's elements, in order.
func (n Node) Children() []Node {
	if !n.Exists() {
		return nil
	}
	kids := n.node().kids
	out := make([]Node, len(kids))
	for k, i := range kids {
		out[k] = Node{n.d, i}
	}
	return out
}

// Len is the number of members or elements.
func (n Node) Len() int {
	if !n.Exists() {
		return 0
	}
	return len(n.node().kids)
}

// Strings returns an array's string elements' values ("" for others).
func (n Node) Strings() []string {
	var out []string
	for _, c := range n.Children() {
		out = append(out, c.Str())
	}
	return out
}

// Key is a member value's name ("" for the root and for elements).
func (n Node) Key() string {
	if !n.Exists() {
		return ""
	}
	return n.node().key
}

// IsMember reports whether the node is an object member's value.
func (n Node) IsMember() bool { return n.Exists() && n.node().name != nil }

// Index is the node's position among its parent's members or elements.
func (n Node) Index() int {
	if !n.Exists() {
		return -1
	}
	return n.node().index
}

// Parent is the object or array holding the node.
func (n Node) Parent() Node {
	if !n.Exists() || n.node().parent < 0 {
		return Node{n.d, -1}
	}
	return Node{n.d, n.node().parent}
}

// Ptr is the node's JSON pointer.
func (n Node) Ptr() string {
	if !n.Exists() {
		return ""
	}
	return n.node().ptr
}

// Start and End are the value's byte span (without comments).
func (n Node) Start() int { return n.node().v.StartOffset }

// End is the offset after the value.
func (n Node) End() int { return n.node().v.EndOffset }

// KeyStart is where a member's name starts (the value's start otherwise).
func (n Node) KeyStart() int {
	if nm := n.node().name; nm != nil {
		return nm.StartOffset
	}
	return n.Start()
}

// Loc is the value's place.
func (n Node) Loc() source.Loc {
	return source.Loc{File: n.d.File, Start: n.Start(), End: n.End(), Ptrs: []string{n.Ptr()}}
}

// MemberLoc spans a member from its name to the end of its value (the
// value alone for elements).
func (n Node) MemberLoc() source.Loc {
	return source.Loc{File: n.d.File, Start: n.KeyStart(), End: n.End(), Ptrs: []string{n.Ptr()}}
}

// KeyLoc is a member's name (the value for elements).
func (n Node) KeyLoc() source.Loc {
	if nm := n.node().name; nm != nil {
		return source.Loc{File: n.d.File, Start: nm.StartOffset, End: nm.EndOffset, Ptrs: []string{n.Ptr()}}
	}
	return n.Loc()
}

// HasTrailingComma reports whether an object or array ends with a comma,
// and where it is.
func (n Node) HasTrailingComma() (int, bool) {
	var last *hujson.Value
	switch t := n.node().v.Value.(type) {
	case *hujson.Object:
		if k := len(t.Members); k > 0 {
			last = &t.Members[k-1].Value
		}
	case *hujson.Array:
		if k := len(t.Elements); k > 0 {
			last = &t.Elements[k-1]
		}
	}
	if last == nil || last.AfterExtra == nil {
		return 0, false
	}
	at := last.EndOffset + len(last.AfterExtra)
	if at >= len(n.d.Body) || n.d.Body[at] != ',' {
		return 0, false
	}
	return at, true
}

// Quote writes s as a JSON string the way a person would: no HTML escaping.
func Quote(s string) string { return string(hujson.String(s)) }
