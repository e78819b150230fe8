package compose

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/devfix/devfix/internal/source"
	"go.yaml.in/yaml/v4"
)

// The YAML parser's errors carry their place only in the message:
// "yaml: [<context> at <mark>: ][<mark>: ]<problem>" where a mark is
// "line L, column C" (1-based, C counts characters) or "line L".
var (
	yamlMarkedRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?s)(?:(.+?) at (line \d+(?:, column \d+)?|<unknown position>): )?(?:(line \d+(?:, column \d+)?|<unknown position>): )?(.*)$`)
	})
	yamlOffsetRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^offset (\d+): (.*)$`) })
	lineOnlyRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?s)line (\d+): (.*)$`) })
	markRE       = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^line (\d+)(?:, column (\d+))?$`) })
)

// yamlError turns an error of the YAML parser (or one wrapping it) into a
// *source.Error of f.
//
// go.yaml.in/yaml/v4 v4.0.0-rc.4 writes its marks inconsistently: a
// scanner error's line is 1-based, a parser error's line 0-based, and the
// composer's "unknown anchor" error has a 1-based line but a column one too
// far. The error types are internal to the module, so they are told apart
// by name.
func (f *File) yamlError(err error) *source.Error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		t := reflect.TypeOf(e)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Name() {
		case "ParserError":
			msg := e.Error()
			if strings.Contains(msg, "unknown anchor") {
				return f.yamlErrorMsg(msg, 0, -1)
			}
			return f.yamlErrorMsg(msg, 1, 0)
		case "ScannerError", "ReaderError":
			return f.yamlErrorMsg(e.Error(), 0, 0)
		}
	}
	msg := err.Error()
	if i := strings.Index(msg, "yaml: "); i >= 0 {
		msg = msg[i:]
	}
	return f.yamlErrorMsg(msg, 0, 0)
}

// yamlErrorMsg reads the place out of a parser message; dline and dcol
// correct the marks.
func (f *File) yamlErrorMsg(msg string, dline, dcol int) *source.Error {
	msg = strings.TrimPrefix(msg, "yaml: ")
	if strings.HasPrefix(msg, "construct errors:") || strings.HasPrefix(msg, "unmarshal errors:") {
		_, rest, _ := strings.Cut(msg, "\n")
		msg = strings.TrimSpace(rest)
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
	}
	if m := yamlOffsetRE().FindStringSubmatch(msg); m != nil {
		off, _ := strconv.Atoi(m[1])
		return f.Src.Errorf(min(off, len(f.Src.Body)), "%s", oneLine(m[2]))
	}
	if m := lineOnlyRE().FindStringSubmatch(msg); m != nil {
		// "line 1: line 4: mapping key …": the innermost line is the place.
		for {
			next := lineOnlyRE().FindStringSubmatch(m[2])
			if next == nil {
				break
			}
			m = next
		}
		line, _ := strconv.Atoi(m[1])
		return f.errorAt(line, 0, m[2])
	}
	m := yamlMarkedRE().FindStringSubmatch(msg)
	if m == nil {
		return &source.Error{Path: f.Src.Path, Msg: oneLine(msg)}
	}
	ctx, ctxMark, mark, problem := m[1], m[2], m[3], m[4]
	switch l, c := parseMark(ctxMark); {
	case ctx == "":
	case mark == "" || l == 0:
		problem = fmt.Sprintf("%s %s", problem, ctx)
	default:
		problem = fmt.Sprintf("%s %s at %s", problem, ctx, f.posText(l+dline, max(c+dcol, 1)))
	}
	if mark == "" {
		mark = ctxMark
	}
	line, col := parseMark(mark)
	if line == 0 {
		return &source.Error{Path: f.Src.Path, Msg: oneLine(problem)}
	}
	return f.errorAt(line+dline, max(col+dcol, 1), problem)
}

func parseMark(s string) (line, col int) {
	m := markRE().FindStringSubmatch(s)
	if m == nil {
		return 0, 0
	}
	line, _ = strconv.Atoi(m[1])
	col, _ = strconv.Atoi(m[2])
	return line, col
}

// errorAt is an error at the parser's line and character column (col 0:
// the line's first non-blank).
func (f *File) errorAt(line, col int, msg string) *source.Error {
	var off int
	if col > 0 {
		off = f.offsetAt(line, col)
	} else {
		off = f.skipBlanks(f.offsetAt(line, 1), false)
	}
	return f.Src.Errorf(off, "%s", oneLine(msg))
}

// posText is a parser position as line:col in bytes.
func (f *File) posText(line, col int) string {
	l, c := f.Src.Position(f.offsetAt(line, max(col, 1)))
	return fmt.Sprintf("%d:%d", l, c)
}

// oneLine joins the lines of a message.
func oneLine(s string) string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	out := fields[:0]
	for _, f := range fields {
		if f != "" {
			out = append(out, f)
		}
	}
	return strings.Join(out, " ")
}

var (
	dottedRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(services|volumes|networks|secrets|configs|models|include|name|x-[^.\s]*)(\.\S*)?$`)
	})
	decodeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^'([^']+)' (.*)$`) })
	interpRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?s)invalid interpolation format for (\S+?)\.?\s*\n.*\n(.*)$`)
	})
	serviceRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`service "([^"]+)"`) })
	extendRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^cannot extend service "([^"]+)" in (.+?): (.*)$`) })
	additionalRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`additional propert(?:y|ies) '([^']+)'`) })
	falseSchemaRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\S+) false schema$`) })
	volumeSpecRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^invalid spec: (.*): [^:]+$`) })
	circularRE    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(\S+) in (\S+)\s+extends `) })
)

// composeError turns an error compose-go reports into a one-line
// *source.Error at the node it names: compose-go's messages carry a file
// path and a dotted path (services.app.user) at best.
func (p *Project) composeError(err error) error {
	msg := err.Error()
	msg = strings.TrimSuffix(msg, ": invalid compose project")

	var pe *fs.PathError
	if errors.As(err, &pe) {
		return p.unreadable(readError(pe.Path, pe))
	}
	for _, prefix := range []string{"failed to parse ", "validating "} {
		if !strings.HasPrefix(msg, prefix) {
			continue
		}
		f, rest, known := p.splitPath(strings.TrimPrefix(msg, prefix))
		if !known {
			break
		}
		file := p.byPath[f]
		if file == nil {
			return &source.Error{Path: f, Msg: oneLine(rest)}
		}
		if prefix == "failed to parse " {
			if errors.Unwrap(err) != nil {
				return file.yamlError(errors.Unwrap(err))
			}
			return file.yamlErrorMsg(rest, 0, 0)
		}
		return p.validationError(file, rest)
	}
	if m := extendRE().FindStringSubmatch(msg); m != nil {
		if e := p.extendsError(m[2], m[1], fmt.Sprintf("cannot extend service %q: %s", m[1], m[3])); e != nil {
			return e
		}
	}
	if m := interpRE().FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("invalid interpolation format for %s: %q (write a literal $ as $$)", m[1], m[2])
		return p.dottedError(m[1], msg, true)
	}
	if strings.HasPrefix(msg, "error while interpolating ") {
		path, _, _ := strings.Cut(strings.TrimPrefix(msg, "error while interpolating "), ": ")
		return p.dottedError(path, msg, true)
	}
	if strings.HasPrefix(msg, "decoding failed due to the following error(s):") {
		if m := decodeRE().FindStringSubmatch(msg); m != nil {
			path := strings.NewReplacer("[", ".", "]", "").Replace(m[1])
			return p.dottedError(path, path+": "+m[2], false)
		}
	}
	if m := circularRE().FindStringSubmatch(msg); m != nil {
		if e := p.extendsError(m[2], m[1], "extends cycle: "+strings.TrimPrefix(msg, "Circular reference:")); e != nil {
			return e
		}
	}
	for i, w := range strings.Fields(msg) {
		w = strings.Trim(w, `"'.,:;`)
		if dottedRE().MatchString(w) && (i == 0 || strings.Contains(w, ".")) {
			return p.dottedError(w, msg, false)
		}
	}
	if m := volumeSpecRE().FindStringSubmatch(msg); m != nil {
		if e := p.volumeSpecError(m[1], msg); e != nil {
			return e
		}
	}
	if m := serviceRE().FindStringSubmatch(msg); m != nil {
		if l, ok := p.Service(m[1]); ok {
			return l.File.Errorf(l.Start, "%s", oneLine(msg))
		}
	}
	return &source.Error{Path: p.given[0].Src.Path, Msg: oneLine(msg)}
}

// extendsError places msg at the extends of a service in the file at path,
// or is nil.
func (p *Project) extendsError(path, service, msg string) error {
	if file := p.byPath[path]; file != nil {
		if n, key, depth := file.findDotted([]string{"services", service, "extends"}); n != nil && depth == 3 {
			return file.nodeError(n, key, false, msg)
		}
	}
	return nil
}

// splitPath splits "<path>: <rest>" where path is a file compose-go read.
func (p *Project) splitPath(s string) (path, rest string, ok bool) {
	for name := range p.byPath {
		if strings.HasPrefix(s, name+": ") {
			return name, s[len(name)+2:], true
		}
	}
	if i := strings.Index(s, ": "); i > 0 {
		return s[:i], s[i+2:], true
	}
	return "", s, false
}

// validationError places a schema error ("services.app.user must be a
// string", " additional properties 'x' not allowed") in file f, or in a
// file before it (compose validates the files merged so far).
func (p *Project) validationError(f *File, rest string) error {
	path, msg, _ := strings.Cut(rest, " ")
	if strings.HasPrefix(rest, " ") {
		path, msg = "", strings.TrimSpace(rest)
	}
	segs := splitDotted(path)
	keyOnly := false
	if m := additionalRE().FindStringSubmatch(msg); m != nil {
		segs = append(segs, m[1])
		msg = fmt.Sprintf("key %q is not allowed here", m[1])
		keyOnly = true
	} else if falseSchemaRE().MatchString(rest) && len(segs) > 0 {
		msg = fmt.Sprintf("key %q is not allowed here", segs[len(segs)-1])
		keyOnly = true
	}
	text := msg
	if path != "" && !keyOnly {
		text = path + " " + msg
	} else if path != "" {
		text = path + ": " + msg
	}
	if n, key, depth := f.findDotted(segs); n != nil && depth == len(segs) {
		return f.nodeError(n, key, keyOnly, text)
	}
	if e := p.serviceError(segs, text); e != nil {
		return e
	}
	files := []*File{f}
	for i := len(p.Files) - 1; i >= 0; i-- {
		if p.Files[i] != f {
			files = append(files, p.Files[i])
		}
	}
	if g, n, key := bestNode(files, segs, false); g != nil {
		return g.nodeError(n, key, keyOnly, text)
	}
	return &source.Error{Path: f.Src.Path, Msg: oneLine(text)}
}

// serviceError places msg at a service's setting (segs: services, name,
// keys…) where the merged model has it from: through extends and include.
func (p *Project) serviceError(segs []string, msg string) error {
	if len(segs) < 3 || segs[0] != "services" {
		return nil
	}
	l, ok := p.Field(segs[1], segs[2:]...)
	if !ok {
		return nil
	}
	return l.File.Errorf(l.Start, "%s", oneLine(msg))
}

// dottedError places msg at the node a dotted path names. Files are tried
// from the highest precedence down, or in load order for interpolation
// (compose interpolates each file before merging: the first one fails).
func (p *Project) dottedError(dotted, msg string, interp bool) error {
	if !interp {
		if e := p.serviceError(splitDotted(dotted), msg); e != nil {
			return e
		}
	}
	var files []*File
	if interp {
		files = append(files, p.Files...)
	} else {
		for i := len(p.given) - 1; i >= 0; i-- {
			files = append(files, p.given[i])
		}
		files = append(files, p.Files[len(p.given):]...)
	}
	if f, n, key := bestNode(files, splitDotted(dotted), interp); f != nil {
		return f.nodeError(n, key, false, msg)
	}
	return &source.Error{Path: p.given[0].Src.Path, Msg: oneLine(msg)}
}

// bestNode finds the deepest node a dotted path reaches, in the first file
// that reaches that deep. With interp, a full match whose text has a $
// comes first.
func bestNode(files []*File, segs []string, interp bool) (*File, *yaml.Node, *yaml.Node) {
	var bf *File
	var bn, bk *yaml.Node
	best := -1
	for _, f := range files {
		n, k, depth := f.findDotted(segs)
		if n == nil {
			continue
		}
		if interp && depth == len(segs) && strings.Contains(n.Value, "$") {
			return f, n, k
		}
		if depth > best && (depth > 0 || len(segs) == 0) {
			bf, bn, bk, best = f, n, k, depth
		}
	}
	return bf, bn, bk
}

// splitDotted splits compose's dotted path (services.app.volumes.[0]).
func splitDotted(path string) []string {
	if path == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(path, ".") {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	}
	return out
}

// findDotted walks segs from the root of f's documents (a key may itself
// hold dots: labels, volume names). It returns the deepest node reached,
// its key node when it is a mapping value, and how many segments matched.
func (f *File) findDotted(segs []string) (n, key *yaml.Node, depth int) {
	for i := len(f.Docs) - 1; i >= 0; i-- {
		cur := docRoot(f.Docs[i])
		if cur == nil {
			continue
		}
		var k *yaml.Node
		d := 0
		for d < len(segs) {
			var next, nk *yaml.Node
			used := 0
			switch cur.Kind {
			case yaml.MappingNode:
				for j := len(segs) - d; j >= 1 && next == nil; j-- {
					nk, next = mapEntry(cur, strings.Join(segs[d:d+j], "."), 0)
					used = j
				}
			case yaml.SequenceNode:
				if idx, err := strconv.Atoi(segs[d]); err == nil && idx >= 0 && idx < len(cur.Content) {
					next, used = cur.Content[idx], 1
				}
			}
			if next == nil {
				break
			}
			cur, k, d = deref(next), nk, d+used
		}
		if n == nil || d > depth {
			n, key, depth = cur, k, d
		}
	}
	return n, key, depth
}

// nodeError is msg at node n (or its key: for an unknown key, or when the
// value is not written at all).
func (f *File) nodeError(n, key *yaml.Node, keyOnly bool, msg string) *source.Error {
	at := n
	if key != nil && (keyOnly || (n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "")) {
		at = key
	}
	if _, ok := f.spans[at]; !ok {
		// a node reached through an alias from another document
		return &source.Error{Path: f.Src.Path, Msg: oneLine(msg)}
	}
	s, _ := f.span(at)
	return f.Src.Errorf(s, "%s", oneLine(msg))
}

// unreadable places err, about a file named by include, env_file or
// extends that cannot be read (a *source.Error without a line), at the
// first entry that names the file.
func (p *Project) unreadable(err error) error {
	var se *source.Error
	if !errors.As(err, &se) {
		return err
	}
	r, ok := p.refs[se.Path]
	if !ok {
		return err
	}
	return r.f.nodeError(r.n, nil, false, fmt.Sprintf("cannot read %s: %s", se.Path, strings.TrimPrefix(se.Msg, "cannot read: ")))
}

// volumeSpecError places an error about a volume spec ("invalid spec:
// <spec>: …", the spec interpolated) at the volume entry that reads so.
func (p *Project) volumeSpecError(spec, msg string) error {
	for _, f := range p.Files {
		for _, d := range f.Docs {
			services := deref(mapGet(docRoot(d), "services"))
			if services == nil || services.Kind != yaml.MappingNode {
				continue
			}
			for i := 1; i < len(services.Content); i += 2 {
				vols := deref(mapGet(services.Content[i], "volumes"))
				if vols == nil || vols.Kind != yaml.SequenceNode {
					continue
				}
				for _, v := range vols.Content {
					if v = deref(v); v != nil && v.Kind == yaml.ScalarNode && f.interp(v.Value) == spec {
						return f.nodeError(v, nil, false, msg)
					}
				}
			}
		}
	}
	return nil
}
