package devcontainer

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/devfix/devfix/mounts"
	"github.com/tailscale/hujson"
)

// utf8BOM is kept aside while parsing and written back unchanged.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Config is one parsed devcontainer.json. Offsets in it are byte offsets into
// Body; the BOM, if any, is not part of Body.
type Config struct {
	Path string // as given, used in messages
	BOM  bool   // the file starts with a UTF-8 byte order mark
	Body []byte // the bytes after the BOM; never modified

	root       hujson.Value   // parsed from a private copy of Body
	top        map[string]int // top-level member name → index of its last occurrence
	lineStarts []int
	runArgs    *mounts.RunArgs // parsed on first use
}

// RunArgs returns the "runArgs" strings, their values, and what docker run
// makes of them (parsed once per config).
func (c *Config) RunArgs() ([]string, []*hujson.Value, mounts.RunArgs) {
	args, vals := c.Strings("runArgs")
	if c.runArgs == nil {
		ra := mounts.RunArgs{}
		if len(args) > 0 {
			ra = mounts.ParseRunArgs(args)
		}
		c.runArgs = &ra
	}
	return args, vals, *c.runArgs
}

// Bytes returns the whole file as it was read, BOM included.
func (c *Config) Bytes() []byte {
	if !c.BOM {
		return c.Body
	}
	return append(append([]byte{}, utf8BOM...), c.Body...)
}

// ParseError is bad input: a file that cannot be parsed or has a setting of
// the wrong type. Line and Col are 1-based (byte column); 0 means unknown.
type ParseError struct {
	Path      string
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.Path, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg)
}

var hujsonErrRE = regexp.MustCompile(`^hujson: line (\d+), column (\d+): (.*)$`)

// Parse parses a devcontainer.json. The root must be an object. Settings that
// devfix reads must have the right type; otherwise a *ParseError says where.
func Parse(path string, data []byte) (*Config, error) {
	c := &Config{Path: path, Body: data}
	if bytes.HasPrefix(data, utf8BOM) {
		c.BOM = true
		c.Body = data[len(utf8BOM):]
	}
	c.lineStarts = lineStarts(c.Body)
	// hujson aliases its input, and some of its methods write to it: parse a copy.
	v, err := hujson.Parse(bytes.Clone(c.Body))
	if err != nil {
		pe := &ParseError{Path: path, Msg: err.Error()}
		if m := hujsonErrRE.FindStringSubmatch(err.Error()); m != nil {
			pe.Line, _ = strconv.Atoi(m[1])
			pe.Col, _ = strconv.Atoi(m[2])
			pe.Msg = m[3]
		}
		if pe.Msg == "unexpected EOF" {
			pe.Msg = "unexpected end of file"
		}
		return nil, pe
	}
	c.root = v
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		line, col := c.Position(v.StartOffset)
		return nil, &ParseError{Path: path, Line: line, Col: col, Msg: "the top level must be an object"}
	}
	c.top = make(map[string]int, len(obj.Members))
	for i := range obj.Members {
		c.top[memberName(&obj.Members[i])] = i
	}
	if err := c.checkTypes(); err != nil {
		return nil, err
	}
	return c, nil
}

func lineStarts(b []byte) []int {
	starts := []int{0}
	for i, c := range b {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// Position converts a byte offset in Body to a 1-based line and byte column.
func (c *Config) Position(off int) (line, col int) {
	i := sort.Search(len(c.lineStarts), func(i int) bool { return c.lineStarts[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, off - c.lineStarts[i] + 1
}

// Root returns the top-level object.
func (c *Config) Root() *hujson.Object { return c.root.Value.(*hujson.Object) }

// RootValue returns the top-level value with its offsets.
func (c *Config) RootValue() *hujson.Value { return &c.root }

// Member is one member of an object, located by its byte offsets.
type Member struct {
	Name  string
	Index int // position among the object's members
	m     *hujson.ObjectMember
}

// NameStart is the offset of the member's opening quote.
func (m Member) NameStart() int { return m.m.Name.StartOffset }

// Value is the member's value.
func (m Member) Value() *hujson.Value { return &m.m.Value }

// Lookup returns the member called name in obj. With duplicate names it
// returns the last one, as the reference CLI (jsonc-parser) uses the last.
func Lookup(obj *hujson.Object, name string) (Member, bool) {
	for i := len(obj.Members) - 1; i >= 0; i-- {
		if memberName(&obj.Members[i]) == name {
			return Member{Name: name, Index: i, m: &obj.Members[i]}, true
		}
	}
	return Member{}, false
}

// Members returns every member of obj in order.
func Members(obj *hujson.Object) []Member {
	ms := make([]Member, len(obj.Members))
	for i := range obj.Members {
		ms[i] = Member{Name: memberName(&obj.Members[i]), Index: i, m: &obj.Members[i]}
	}
	return ms
}

// memberName unquotes a member's name; most names have no escapes, and
// slicing them is much cheaper than hujson's general unquoting.
func memberName(m *hujson.ObjectMember) string {
	lit, _ := m.Name.Value.(hujson.Literal)
	if len(lit) >= 2 && bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1])
	}
	return lit.String()
}

// Top returns the top-level member called name (the last one if duplicated).
func (c *Config) Top(name string) (Member, bool) {
	i, ok := c.top[name]
	if !ok {
		return Member{}, false
	}
	return Member{Name: name, Index: i, m: &c.Root().Members[i]}, true
}

// String returns the top-level string setting name, and whether it is set.
func (c *Config) String(name string) (string, bool) {
	m, ok := c.Top(name)
	if !ok {
		return "", false
	}
	lit, _ := m.Value().Value.(hujson.Literal)
	return lit.String(), true
}

// StringIn returns obj[name] when it is a string.
func StringIn(obj *hujson.Object, name string) (string, bool) {
	m, ok := Lookup(obj, name)
	if !ok {
		return "", false
	}
	lit, ok := m.Value().Value.(hujson.Literal)
	if !ok || lit.Kind() != '"' {
		return "", false
	}
	return lit.String(), true
}

// Strings returns the elements of a top-level string array with their values.
func (c *Config) Strings(name string) ([]string, []*hujson.Value) {
	m, ok := c.Top(name)
	if !ok {
		return nil, nil
	}
	arr, ok := m.Value().Value.(*hujson.Array)
	if !ok {
		return nil, nil
	}
	var ss []string
	var vs []*hujson.Value
	for i := range arr.Elements {
		lit, _ := arr.Elements[i].Value.(hujson.Literal)
		ss = append(ss, lit.String())
		vs = append(vs, &arr.Elements[i])
	}
	return ss, vs
}

// Bool returns a top-level boolean setting, and whether it is set.
func (c *Config) Bool(name string) (value, set bool) {
	m, ok := c.Top(name)
	if !ok {
		return false, false
	}
	lit, _ := m.Value().Value.(hujson.Literal)
	return lit.Kind() == 't', true
}

// Object returns a top-level object setting.
func (c *Config) Object(name string) (*hujson.Object, bool) {
	m, ok := c.Top(name)
	if !ok {
		return nil, false
	}
	obj, ok := m.Value().Value.(*hujson.Object)
	return obj, ok
}

// kindName names a hujson kind for messages.
func kindName(k hujson.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}
