package compose

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/format"
	"github.com/devfix/devfix/internal/source"
	"go.yaml.in/yaml/v4"
)

// ReplaceVolumeSource returns the edit that sets the host side of the
// volume entry at `at` (a place Volume gave) to src, which is written as
// compose reads it (${VAR} is interpolated; write $$ for a literal $).
// In the short syntax `src:dst[:opts]` only the src part changes; in the
// long syntax the `source:` scalar.
func (p *Project) ReplaceVolumeSource(at source.Loc, src string) (source.Edit, error) {
	f, n, err := p.nodeAt(at)
	if err != nil {
		return source.Edit{}, err
	}
	switch n.Kind {
	case yaml.MappingNode:
		s := deref(mapGet(n, "source"))
		if s == nil || s.Kind != yaml.ScalarNode {
			return source.Edit{}, errors.New("the volume has no source to replace")
		}
		if _, ok := f.spans[s]; !ok {
			return source.Edit{}, errors.New("the volume's source is not written in this file")
		}
		return f.replaceScalar(s, src)
	case yaml.ScalarNode:
		raw := n.Value
		v, err := format.ParseVolume(raw)
		if err != nil || v.Source == "" || !strings.HasPrefix(raw, v.Source+":") {
			return source.Edit{}, fmt.Errorf("the volume %q has no source to replace", raw)
		}
		value := src + raw[len(v.Source):]
		if e, ok := f.replaceInside(n, len(v.Source), src, value); ok {
			return e, nil
		}
		return f.replaceScalar(n, value)
	}
	return source.Edit{}, errors.New("not a volume entry")
}

// nodeAt finds the node a Loc of this project is about.
func (p *Project) nodeAt(at source.Loc) (*File, *yaml.Node, error) {
	for _, f := range p.Files {
		if f.Src != at.File {
			continue
		}
		for n, s := range f.spans {
			if s[0] == at.Start && s[1] == at.End && f.ptrs[n] == at.Pointer() && n.Kind != yaml.AliasNode {
				return f, n, nil
			}
		}
		return nil, nil, fmt.Errorf("%s: no node at %d..%d", f.Src.Path, at.Start, at.End)
	}
	return nil, nil, errors.New("the place is not in a file of this project")
}

type quoting int

const (
	plain quoting = iota
	single
	double
)

// replaceScalar returns the edit that sets scalar n to value, as a string.
// It replaces exactly the scalar's token and keeps everything else byte for
// byte (a comment on a block scalar's header line, inside the token, is
// written again after the new one). The token keeps its style where value
// means the same written that way, and is double-quoted otherwise: the
// styles that fit are tried in order. The edit is checked by parsing the
// edited file: the node must hold value and the rest of the tree must not
// change, or there is an error (and no fix should be offered).
func (f *File) replaceScalar(n *yaml.Node, value string) (source.Edit, error) {
	if n.Kind != yaml.ScalarNode {
		return source.Edit{}, errors.New("not a scalar")
	}
	if !utf8.ValidString(value) {
		return source.Edit{}, errors.New("the new value is not UTF-8")
	}
	b := f.Src.Body
	start := f.tokenStart(n)
	_, end := f.span(n)
	end = max(end, start)
	var styles []quoting
	switch {
	case start < len(b) && b[start] == '"' && start < end:
		styles = []quoting{double}
	case start < len(b) && b[start] == '\'' && start < end:
		styles = []quoting{single, double}
	default:
		styles = []quoting{plain, double}
	}
	flow := f.inFlow(n)
	comment := f.headerComment(n, start)
	var lastErr error
	for _, q := range styles {
		text, ok := render(value, q, flow)
		if !ok {
			continue
		}
		if start == end && start > 0 && (b[start-1] == ':' || b[start-1] == '-' || b[start-1] == ',') {
			text = " " + text // a null written as nothing: `key:` becomes `key: value`
		}
		e := source.Edit{File: f.Src, Start: start, End: end, New: text + comment}
		if lastErr = f.check(n, e, value); lastErr == nil {
			return e, nil
		}
	}
	if lastErr == nil {
		lastErr = errors.New("cannot be written")
	}
	return source.Edit{}, fmt.Errorf("cannot set %s to %q: %w", f.ptrs[n], value, lastErr)
}

// headerComment is the comment on the header line of a block scalar
// whose token starts at start, with the blanks before it, or "". The
// token's span holds it, and the tree has no trace of it (the parser drops
// it), so a replacement writes it again after the new token.
func (f *File) headerComment(n *yaml.Node, start int) string {
	from, end := f.headerCommentSpan(n, start)
	return string(f.Src.Body[from:end])
}

// headerCommentSpan is where headerComment's text lies: from the end of
// the block scalar's indicators to the end of its header line; empty when
// the header holds no comment.
func (f *File) headerCommentSpan(n *yaml.Node, start int) (from, end int) {
	b := f.Src.Body
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 || start >= len(b) || (b[start] != '|' && b[start] != '>') {
		return start, start
	}
	i := start + 1 // past '|' or '>'
	for i < len(b) && (b[i] == '+' || b[i] == '-' || (b[i] >= '1' && b[i] <= '9')) {
		i++
	}
	end = i
	for end < len(b) && breakLen(b, end) == 0 {
		end++
	}
	if !bytes.Contains(b[i:end], []byte("#")) {
		return start, start
	}
	return i, end
}

// replaceInside tries the smallest edit for a value that keeps the text
// after its first cut bytes: only the first cut bytes of the token's
// content change, to part, when the token holds the value as written.
func (f *File) replaceInside(n *yaml.Node, cut int, part, value string) (source.Edit, bool) {
	b := f.Src.Body
	start := f.tokenStart(n)
	_, end := f.span(n)
	if start >= end || cut > len(n.Value) {
		return source.Edit{}, false
	}
	tok := string(b[start:end])
	var off int
	var text string
	var ok bool
	switch tok[0] {
	case '"':
		off = 1
		text, ok = render(part, double, false)
		if ok {
			text = text[1 : len(text)-1]
		}
		ok = ok && !strings.ContainsAny(n.Value[:cut], `\"`)
	case '\'':
		off = 1
		text, ok = render(part, single, false)
		if ok {
			text = text[1 : len(text)-1]
		}
		ok = ok && !strings.Contains(n.Value[:cut], "'")
	default:
		text = part
		ok = tok == n.Value && safePlain(value, f.inFlow(n))
	}
	if !ok || off+cut > len(tok) || tok[off:off+cut] != n.Value[:cut] {
		return source.Edit{}, false
	}
	e := source.Edit{File: f.Src, Start: start + off, End: start + off + cut, New: text}
	if f.check(n, e, value) != nil {
		return source.Edit{}, false
	}
	return e, true
}

// inFlow reports whether n is inside a flow collection ([…] or {…}).
func (f *File) inFlow(n *yaml.Node) bool {
	for p := f.parent[n]; p != nil; p = f.parent[p] {
		if p.Style&yaml.FlowStyle != 0 {
			return true
		}
	}
	return false
}

// render writes value as a YAML scalar token; false if it cannot be
// written so.
func render(value string, q quoting, flow bool) (string, bool) {
	switch q {
	case plain:
		return value, safePlain(value, flow)
	case single:
		for _, r := range value {
			if r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff {
				return "", false
			}
		}
		return "'" + strings.ReplaceAll(value, "'", "''") + "'", true
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range value {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0x2028 || r == 0x2029 || r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), true
}

// safePlain reports whether value can be written as a plain scalar and be
// read back as the same text: nothing that starts YAML syntax (an
// indicator, a comment, a mapping value), no blanks at the ends, no
// control characters, nothing that looks like interpolation at the start.
// Whether it reads back as a string (not a number or a boolean) is checked
// by parsing.
func safePlain(value string, flow bool) bool {
	if value == "" || strings.ContainsAny(value[:1], "-?:,[]{}#&*!|>'\"%@`$ \t") {
		return false
	}
	if last := value[len(value)-1]; last == ' ' || last == '\t' || last == ':' {
		return false
	}
	if strings.Contains(value, ": ") || strings.Contains(value, ":\t") ||
		strings.Contains(value, " #") || strings.Contains(value, "\t#") {
		return false
	}
	if flow && strings.ContainsAny(value, ",[]{}") {
		return false
	}
	for _, r := range value {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || r == 0xfeff {
			return false
		}
	}
	return true
}

// check parses the edited file and makes sure the edit did what it says:
// the node now holds value, as a string or as the same type it had, and
// nothing else in the tree changed.
func (f *File) check(n *yaml.Node, e source.Edit, value string) error {
	body, err := source.Apply(f.Src.Body, []source.Edit{e})
	if err != nil {
		return err
	}
	g, err := parseFile(f.Src.Path, f.Src.WithBOM(body))
	if err != nil {
		return fmt.Errorf("the edited file does not parse: %w", err)
	}
	if len(g.Docs) != len(f.Docs) {
		return errors.New("the edit changes the documents of the file")
	}
	var got *yaml.Node
	for i := range f.Docs {
		if err := sameTree(f.Docs[i], g.Docs[i], n, &got); err != nil {
			return err
		}
	}
	switch {
	case got == nil:
		return errors.New("the node is gone after the edit")
	case got.Kind != yaml.ScalarNode || got.Value != value:
		return fmt.Errorf("the edited file reads %q", got.Value)
	case got.Tag != "!!str" && got.Tag != n.Tag:
		return fmt.Errorf("the value would read as %s", got.Tag)
	}
	return nil
}

// sameTree compares two trees node by node, except at skip (whose
// counterpart goes to *got).
func sameTree(a, b, skip *yaml.Node, got **yaml.Node) error {
	if a == skip {
		*got = b
		return nil
	}
	if a.Kind != b.Kind || a.Anchor != b.Anchor || len(a.Content) != len(b.Content) ||
		((a.Kind == yaml.ScalarNode || a.Kind == yaml.AliasNode) && (a.Value != b.Value || a.Tag != b.Tag)) {
		return fmt.Errorf("the edit changes other nodes too (line %d)", b.Line)
	}
	for i := range a.Content {
		if err := sameTree(a.Content[i], b.Content[i], skip, got); err != nil {
			return err
		}
	}
	return nil
}
