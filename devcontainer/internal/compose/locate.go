package compose

import (
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/format"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devfix/devfix/internal/source"
	"go.yaml.in/yaml/v4"
)

// A layer is one place that defines a service (or a top-level resource):
// its mapping in one document of one file. A service's layers run from the
// lowest precedence to the highest, in the order compose merges them: for
// each given file, the bases it extends, then what it includes, then the
// file's own mapping.
type layer struct {
	f   *File
	d   int        // the document
	key *yaml.Node // the name
	val *yaml.Node // the mapping (aliases followed)
}

// maxDepth bounds extends and include chains; compose rejects cycles, a
// bound keeps a broken file from looping here.
const maxDepth = 32

// docRoot is the top node of a document, or nil.
func docRoot(d *yaml.Node) *yaml.Node {
	if d == nil || len(d.Content) == 0 {
		return nil
	}
	return deref(d.Content[0])
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

// mapGet returns the value of key in mapping m, or nil. Keys written in m
// win over keys merged in with `<<`, as in YAML.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	_, v := mapEntry(m, key, 0)
	return v
}

// mapEntry returns the key and value nodes of key in m.
func mapEntry(m *yaml.Node, key string, depth int) (*yaml.Node, *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > maxDepth {
		return nil, nil
	}
	var k, v *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if keyText(m.Content[i]) == key && m.Content[i].Tag != "!!merge" {
			k, v = m.Content[i], m.Content[i+1]
		}
	}
	if v != nil {
		return k, v
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Tag != "!!merge" {
			continue
		}
		src := deref(m.Content[i+1])
		if src == nil {
			continue
		}
		if src.Kind == yaml.SequenceNode {
			for _, s := range src.Content {
				if k, v := mapEntry(s, key, depth+1); v != nil {
					return k, v
				}
			}
			continue
		}
		if k, v := mapEntry(src, key, depth+1); v != nil {
			return k, v
		}
	}
	return nil, nil
}

// interp interpolates s as compose does in file f; on an error (which
// compose would have reported) s is returned as is.
func (f *File) interp(s string) string {
	if f.env == nil || !strings.Contains(s, "$") {
		return s
	}
	out, err := template.SubstituteWithOptions(s, f.env, template.WithoutLogging)
	if err != nil {
		return s
	}
	return out
}

// scalars returns a scalar, or a sequence's scalar items (aliases
// followed).
func scalars(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		return []*yaml.Node{n}
	}
	var out []*yaml.Node
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			if c = deref(c); c != nil && c.Kind == yaml.ScalarNode {
				out = append(out, c)
			}
		}
	}
	return out
}

// stringList returns a scalar's value, or a sequence's scalar values,
// interpolated.
func (f *File) stringList(n *yaml.Node) []string {
	var out []string
	for _, c := range scalars(n) {
		out = append(out, f.interp(c.Value))
	}
	return out
}

// A reference is the include, env_file or extends entry that names a file.
type reference struct {
	f *File
	n *yaml.Node
}

// ref returns the absolute path that node n of f names (relative to f's
// folder, interpolated), and remembers the first node that names each
// path: an error about the file is placed there.
func (p *Project) ref(f *File, n *yaml.Node) string {
	name := absIn(f.dir, f.interp(n.Value))
	if _, ok := p.refs[name]; !ok {
		p.refs[name] = reference{f, n}
	}
	return name
}

// fail records a file named by include or extends that cannot be used; the
// first one is the error.
func (p *Project) fail(err error) {
	if p.failed == nil {
		p.failed = err
	}
}

// read reads and parses a file named by include or extends, once. It
// returns nil when the file cannot be read or parsed (compose-go then
// reports the error itself).
func (p *Project) read(name, role, dir string, env func(string) (string, bool)) *File {
	if f, ok := p.byPath[name]; ok {
		return f
	}
	p.byPath[name] = nil
	data, err := readRegular(p.fs, name)
	if err != nil {
		p.fail(readError(name, err))
		return nil
	}
	f, err := parseFile(name, data)
	if err != nil {
		p.fail(err)
		return nil
	}
	f.role, f.dir, f.env = role, dir, env
	p.byPath[name] = f
	p.Files = append(p.Files, f)
	return f
}

type docKey struct {
	f *File
	d int
}

// includesOf returns, for each `include` entry of document d of f, the
// files it loads (the main one, then its overrides). Paths are relative to
// f's folder; an included file's own references are relative to its
// project directory, and it sees f's environment plus its own env files.
func (p *Project) includesOf(f *File, d int) [][]*File {
	if f.role == "extends" { // compose loads extended files without their includes
		return nil
	}
	k := docKey{f, d}
	if inc, ok := p.incCache[k]; ok {
		return inc
	}
	var out [][]*File
	list := deref(mapGet(docRoot(f.Docs[d]), "include"))
	if list != nil && list.Kind == yaml.SequenceNode {
		for _, item := range list.Content {
			item = deref(item)
			var pathNodes, envNodes []*yaml.Node
			projDir := ""
			switch item.Kind {
			case yaml.ScalarNode:
				pathNodes = []*yaml.Node{item}
			case yaml.MappingNode:
				pathNodes = scalars(mapGet(item, "path"))
				envNodes = scalars(mapGet(item, "env_file"))
				if pd := f.stringList(mapGet(item, "project_directory")); len(pd) == 1 {
					projDir = pd[0]
				}
			}
			if len(pathNodes) == 0 {
				continue
			}
			var paths, envFiles []string
			for _, n := range pathNodes {
				paths = append(paths, p.ref(f, n))
			}
			for _, n := range envNodes {
				envFiles = append(envFiles, p.ref(f, n))
			}
			switch {
			case projDir == "":
				projDir = filepath.Dir(paths[0])
			default:
				projDir = absIn(f.dir, projDir)
			}
			required := len(envFiles) > 0
			if !required {
				envFiles = []string{filepath.Join(projDir, ".env")}
			}
			// What the included files see: f's environment first, then
			// what their env files set (each file sees the ones before).
			vars := map[string]string{}
			parent := f.env
			env := func(k string) (string, bool) {
				if parent != nil {
					if v, ok := parent(k); ok {
						return v, true
					}
				}
				v, ok := vars[k]
				return v, ok
			}
			for _, ef := range envFiles {
				if ef == "/dev/null" {
					continue
				}
				got, text, err := readEnvFile(p.fs, ef, env, required)
				if err != nil {
					p.fail(err)
					continue
				}
				p.envTexts = append(p.envTexts, text)
				for k, v := range got {
					vars[k] = v
				}
			}
			var files []*File
			for _, name := range paths {
				if g := p.read(name, "include", projDir, env); g != nil {
					files = append(files, g)
				}
			}
			out = append(out, files)
		}
	}
	if p.incCache == nil {
		p.incCache = map[docKey][][]*File{}
	}
	p.incCache[k] = out
	return out
}

// absIn makes name absolute against dir.
func absIn(dir, name string) string {
	if filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	return filepath.Join(dir, name)
}

// extendsOf returns the file and service that svc (a service mapping in
// f) extends, or nil. A `file:` is relative to f's folder (for the files
// given, the project directory, as compose has it).
func (p *Project) extendsOf(f *File, svc *yaml.Node) (*File, string) {
	ext := deref(mapGet(svc, "extends"))
	if ext == nil {
		return nil, ""
	}
	switch ext.Kind {
	case yaml.ScalarNode:
		return f, f.interp(ext.Value)
	case yaml.MappingNode:
		name := f.stringList(mapGet(ext, "service"))
		if len(name) != 1 {
			return nil, ""
		}
		file := scalars(mapGet(ext, "file"))
		if len(file) != 1 {
			return f, name[0]
		}
		target := p.ref(f, file[0])
		g := p.read(target, "extends", filepath.Dir(target), f.env)
		if g == nil {
			return nil, ""
		}
		return g, name[0]
	}
	return nil, ""
}

// layers returns where service (kind "services") or top-level resource
// (kind "volumes", "networks", …) name is defined, lowest precedence first.
func (p *Project) layers(kind, name string) []layer {
	var out []layer
	for _, f := range p.given {
		for d := range f.Docs {
			out = append(out, p.layersIn(f, d, kind, name, 0)...)
		}
	}
	return out
}

func (p *Project) layersIn(f *File, d int, kind, name string, depth int) []layer {
	if f == nil || depth > maxDepth {
		return nil
	}
	var out []layer
	for _, inc := range p.includesOf(f, d) {
		for _, g := range inc {
			for gd := range g.Docs {
				out = append(out, p.layersIn(g, gd, kind, name, depth+1)...)
			}
		}
	}
	k, v := mapEntry(mapGet(docRoot(f.Docs[d]), kind), name, 0)
	v = deref(v)
	if kind == "services" {
		// extends applies to the service as merged with what the file
		// includes: its bases come first.
		from, in, ind := v, f, d
		if v == nil || mapGet(v, "extends") == nil {
			from = nil
			for i := len(out) - 1; i >= 0; i-- {
				if mapGet(out[i].val, "extends") != nil {
					from, in, ind = out[i].val, out[i].f, out[i].d
					break
				}
			}
		}
		if from != nil {
			var base []layer
			g, ref := p.extendsOf(in, from)
			switch {
			case g == nil:
			case g == in && ref == name:
				// extends itself: compose reports the cycle
			case g == in:
				base = p.layersIn(g, ind, kind, ref, depth+1)
			default:
				for gd := range g.Docs {
					base = append(base, p.layersIn(g, gd, kind, ref, depth+1)...)
				}
			}
			out = append(base, out...)
		}
	}
	if v != nil {
		out = append(out, layer{f: f, d: d, key: k, val: v})
	}
	return out
}

// Service returns the place of a service's name in the file that defines
// it last, or false if no file defines it.
func (p *Project) Service(name string) (source.Loc, bool) {
	ls := p.layers("services", name)
	if len(ls) == 0 {
		return source.Loc{}, false
	}
	return nameLoc(ls), true
}

// nameLoc is the place of the name in the top layer, about its value.
func nameLoc(ls []layer) source.Loc {
	top := ls[len(ls)-1]
	l := top.f.loc(top.key)
	l.Ptrs = []string{top.f.ptrs[top.val]}
	return l
}

// Field returns where a setting of a service comes from: keys name it
// below the service ("user"; "build", "context"; "deploy", "resources",
// "limits", "memory"; a list entry "KEY" of `environment` or `args` in
// either syntax; a number indexes a list). It searches the service's
// definitions from the highest precedence down, stops at a !reset, and
// follows aliases and merge keys. With false, the setting is written
// nowhere and the place is the service's name (the zero Loc if the
// service is unknown).
func (p *Project) Field(service string, keys ...string) (source.Loc, bool) {
	if n, f := search(p.layers("services", service), keys); n != nil {
		return f.loc(n), true
	}
	l, _ := p.Service(service)
	return l, false
}

// Resource is Field for a top-level resource: kind is "volumes",
// "networks", "secrets" or "configs". With false, the place is the
// resource's name, or the zero Loc if it is not defined.
func (p *Project) Resource(kind, name string, keys ...string) (source.Loc, bool) {
	ls := p.layers(kind, name)
	if n, f := search(ls, keys); n != nil {
		return f.loc(n), true
	}
	if len(ls) == 0 {
		return source.Loc{}, false
	}
	return nameLoc(ls), false
}

// search finds keys in the layers, highest first.
func search(ls []layer, keys []string) (*yaml.Node, *File) {
	for i := len(ls) - 1; i >= 0; i-- {
		n, st := descend(ls[i].val, keys)
		switch st {
		case found:
			return n, ls[i].f
		case stopped:
			return nil, nil
		}
	}
	return nil, nil
}

type status int

const (
	missing status = iota // not in this layer; look in the one below
	found
	stopped // reset or overridden here: the layers below do not count
)

// descend walks keys from node n. A !reset on the way means the value was
// removed; a missing key under an !override means the layers below were
// replaced.
func descend(n *yaml.Node, keys []string) (*yaml.Node, status) {
	cur := deref(n)
	over := false
	for i, key := range keys {
		if cur == nil {
			return nil, missing
		}
		switch cur.Tag {
		case "!reset":
			return nil, stopped
		case "!override":
			over = true
		}
		var next *yaml.Node
		switch cur.Kind {
		case yaml.MappingNode:
			next = mapGet(cur, key)
		case yaml.SequenceNode:
			next = listEntry(cur, key)
		case yaml.ScalarNode:
			// `build: ./dir` is the short form of build.context.
			if i == 1 && keys[0] == "build" && key == "context" {
				return cur, found
			}
		}
		if next == nil {
			if over {
				return nil, stopped
			}
			return nil, missing
		}
		cur = deref(next)
	}
	if cur == nil {
		return nil, missing
	}
	if cur.Tag == "!reset" {
		return nil, stopped
	}
	return cur, found
}

// listEntry returns item key of a list: by index if key is a number,
// else the last `key=value` or `key` entry (environment, args, labels).
func listEntry(seq *yaml.Node, key string) *yaml.Node {
	if i, err := strconv.Atoi(key); err == nil {
		if i >= 0 && i < len(seq.Content) {
			return seq.Content[i]
		}
		return nil
	}
	for i := len(seq.Content) - 1; i >= 0; i-- {
		c := deref(seq.Content[i])
		if c == nil || c.Kind != yaml.ScalarNode {
			continue
		}
		if k, _, _ := strings.Cut(c.Value, "="); k == key {
			return seq.Content[i]
		}
	}
	return nil
}

// item finds the entry of a service's list (keys name the list) that match
// accepts, from the highest precedence down: a later entry in a list wins
// over an earlier one, a higher layer over a lower one.
func (p *Project) item(service string, keys []string, match func(f *File, n *yaml.Node) bool) (source.Loc, bool) {
	ls := p.layers("services", service)
	for i := len(ls) - 1; i >= 0; i-- {
		seq, st := descend(ls[i].val, keys)
		if st == stopped {
			break
		}
		if st == missing || seq.Kind != yaml.SequenceNode {
			continue
		}
		f := ls[i].f
		for j := len(seq.Content) - 1; j >= 0; j-- {
			n := deref(seq.Content[j])
			if n == nil || n.Tag == "!reset" {
				continue
			}
			if match(f, n) {
				return f.loc(n), true
			}
		}
		if seq.Tag == "!override" {
			break
		}
	}
	l, _ := p.Service(service)
	return l, false
}

// Volume returns the entry of a service's `volumes` that the model's
// volume v comes from, matched by target after interpolation. With false,
// the place is the service's name.
func (p *Project) Volume(service string, v types.ServiceVolumeConfig) (source.Loc, bool) {
	want := v.Target
	return p.item(service, []string{"volumes"}, func(f *File, n *yaml.Node) bool {
		var target string
		switch n.Kind {
		case yaml.ScalarNode:
			pv, err := format.ParseVolume(f.interp(n.Value))
			if err != nil {
				return false
			}
			target = pv.Target
		case yaml.MappingNode:
			t := f.stringList(mapGet(n, "target"))
			if len(t) != 1 {
				return false
			}
			target = t[0]
		default:
			return false
		}
		return target == want || path.Clean(target) == path.Clean(want)
	})
}

// Port returns the entry of a service's `ports` that the model's port
// comes from (a range entry covers each of its ports). With false, the
// place is the service's name.
func (p *Project) Port(service string, port types.ServicePortConfig) (source.Loc, bool) {
	return p.item(service, []string{"ports"}, func(f *File, n *yaml.Node) bool {
		var cands []types.ServicePortConfig
		switch n.Kind {
		case yaml.ScalarNode:
			pcs, err := types.ParsePortConfig(f.interp(n.Value))
			if err != nil {
				return false
			}
			cands = pcs
		case yaml.MappingNode:
			var pc types.ServicePortConfig
			if t := f.stringList(mapGet(n, "target")); len(t) == 1 {
				u, err := strconv.ParseUint(t[0], 10, 32)
				if err != nil {
					return false
				}
				pc.Target = uint32(u)
			}
			if s := f.stringList(mapGet(n, "published")); len(s) == 1 {
				pc.Published = s[0]
			}
			if s := f.stringList(mapGet(n, "host_ip")); len(s) == 1 {
				pc.HostIP = s[0]
			}
			if s := f.stringList(mapGet(n, "protocol")); len(s) == 1 {
				pc.Protocol = s[0]
			}
			cands = []types.ServicePortConfig{pc}
		}
		for _, c := range cands {
			if c.Target == port.Target && c.Published == port.Published && c.HostIP == port.HostIP &&
				proto(c.Protocol) == proto(port.Protocol) {
				return true
			}
		}
		return false
	})
}

func proto(p string) string {
	if p == "" {
		return "tcp"
	}
	return strings.ToLower(p)
}

// ListItem returns the entry of a service's list (key is "security_opt",
// "cap_add", "devices", …) whose value, interpolated, is value. With
// false, the place is the service's name.
func (p *Project) ListItem(service, key, value string) (source.Loc, bool) {
	return p.item(service, []string{key}, func(f *File, n *yaml.Node) bool {
		return n.Kind == yaml.ScalarNode && f.interp(n.Value) == value
	})
}
