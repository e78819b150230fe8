package vscode

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
)

// The settings devfix writes and the variables it reads in them.
const (
	// keyContainersEnv is the Container Tools extension's environment for
	// the docker CLI it runs (and for terminals); VS Code's Dev Containers
	// docs name it for remote daemons too.
	keyContainersEnv = "containers.environment"
	// keyDockerEnv is the old Docker extension's name, which the Dev
	// Containers docs still give (develop-remote-host.md).
	keyDockerEnv     = "docker.environment"
	keyDockerPath    = "dev.containers.dockerPath"
	varDockerHost    = "DOCKER_HOST"
	varDockerContext = "DOCKER_CONTEXT"
)

// envKeys are the environment settings DOCKER_HOST goes into: both, because
// which one Dev Containers reads is not settled (research/vscode-docker-host.md).
func envKeys() []string { return []string{keyContainersEnv, keyDockerEnv} }

// What devfix added is marked in the file itself, with a comment.
//
// A member devfix inserts carries a block comment between its colon and its
// value:
//
//	"DOCKER_HOST": /* added by devfix shellenv --install */ "unix:///run/user/1000/docker.sock"
//
// There, the comment is part of the member: it moves with the member when the
// user reorders or reformats the file, VS Code's own writes keep it (they
// replace a value's span, not what precedes it), and deleting the member
// deletes it. A block comment, not a line comment, because a member can be
// inserted on a line that goes on (`{"a": 1, "k": v}`). Everything devfix
// puts inside a marked object is devfix's too, so the DOCKER_HOST of an
// environment object devfix created carries no second marker. A file devfix
// fills from empty starts with the marker as a line comment above its root.
//
// Comparing values instead cannot work: a DOCKER_HOST the user set to the
// very value devfix wants would then be taken out by Uninstall.
//
// A marked value that differs from what devfix wants is devfix's to update
// (the socket moved); an unmarked one is the user's, and a different value
// there is a conflict devfix reports and does not touch.
const (
	markerText   = "added by devfix shellenv --install"
	memberMarker = "/* " + markerText + " */"
	rootMarker   = "// " + markerText
)

// Want is what devfix puts in a VS Code settings file. The zero Want puts
// nothing.
type Want struct {
	// DockerHost, for a Docker user, is the DOCKER_HOST set under both
	// "containers.environment" and "docker.environment"; other variables in
	// those objects are kept.
	DockerHost string
	// DockerPath, for a Podman user, is "dev.containers.dockerPath"
	// ("podman"). An absolute path to a program of that name already there
	// satisfies it.
	DockerPath string
}

// ConflictError is returned by Install when the file sets something devfix
// would write to another value the user chose. devfix then writes nothing
// to the file: half the settings would leave VS Code between two daemons.
type ConflictError struct {
	Conflicts []*source.Error // each at the value in conflict
}

func (e *ConflictError) Error() string {
	msgs := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		msgs[i] = c.Error()
	}
	return strings.Join(msgs, "\n")
}

// Install returns data with want written into it, and whether that changed
// anything. It edits bytes: comments, other settings, indentation, line
// endings and a BOM stay; no trailing comma is added (an object that ends in
// one keeps ending in one); a second Install changes nothing. An empty (or
// only blank and comments) file becomes an object. A file that does not
// parse is a *source.Error; a value set differently by the user is a
// *ConflictError. Either way no data is returned.
func Install(path string, data []byte, want Want) ([]byte, bool, error) {
	if err := want.check(); err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	if want.DockerHost == "" && want.DockerPath == "" {
		return data, false, nil
	}
	f := source.New(path, data)
	if isTrivia(f.Body) {
		return f.WithBOM([]byte(freshSettings(f.LineEnding(), want) + f.LineEnding() + string(f.Body))), true, nil
	}
	d, err := jsonc.Parse(path, data)
	if err != nil {
		return nil, false, err
	}
	root := d.Root()
	if root.Kind() != jsonc.Object {
		return nil, false, d.Errorf(root.Start(), "VS Code settings are an object, not %s", root.Kind())
	}
	m := newMarks(d)
	var (
		edits     []source.Edit
		rootKVs   []jsonc.KV
		conflicts []*source.Error
	)
	conflict := func(n jsonc.Node, format string, args ...any) {
		conflicts = append(conflicts, d.Errorf(n.Start(), format+": change or remove it, then run devfix shellenv --install again", args...))
	}
	if want.DockerHost != "" {
		host := jsonc.Quote(want.DockerHost)
		envText := d.ObjectText(root, jsonc.KV{Key: varDockerHost, JSON: host})
		if oneLine(d, root) {
			envText = "{" + jsonc.Quote(varDockerHost) + ": " + host + "}"
		}
		for _, key := range envKeys() {
			env := root.Get(key)
			switch {
			case !env.Exists():
				rootKVs = append(rootKVs, jsonc.KV{Key: key, JSON: memberMarker + " " + envText})
			case env.Kind() != jsonc.Object:
				conflict(env, "%q is %s, not an object of environment variables", key, env.Raw())
			default:
				h := env.Get(varDockerHost)
				switch {
				case !h.Exists():
					if c := env.Get(varDockerContext); c.Kind() == jsonc.String && c.Str() != "" {
						conflict(c, "%q sets %s to %s, which a DOCKER_HOST would override", key, varDockerContext, c.Raw())
						continue
					}
					edits = append(edits, insertLast(d, env, jsonc.KV{Key: varDockerHost, JSON: memberMarker + " " + host})...)
				case h.Kind() == jsonc.String && h.Str() == want.DockerHost:
				case m.owns(h):
					edits = append(edits, d.Replace(h, host))
				default:
					conflict(h, "%q sets %s to %s, not %q", key, varDockerHost, h.Raw(), want.DockerHost)
				}
			}
		}
	}
	if want.DockerPath != "" {
		p := root.Get(keyDockerPath)
		switch {
		case !p.Exists():
			rootKVs = append(rootKVs, jsonc.KV{Key: keyDockerPath, JSON: memberMarker + " " + jsonc.Quote(want.DockerPath)})
		case p.Kind() == jsonc.String && samePath(p.Str(), want.DockerPath):
		case m.owns(p):
			edits = append(edits, d.Replace(p, jsonc.Quote(want.DockerPath)))
		default:
			conflict(p, "%q is %s, not %q", keyDockerPath, p.Raw(), want.DockerPath)
		}
	}
	if len(conflicts) > 0 {
		return nil, false, &ConflictError{Conflicts: conflicts}
	}
	if len(rootKVs) > 0 {
		edits = append(edits, insertLast(d, root, rootKVs...)...)
	}
	if len(edits) == 0 {
		return data, false, nil
	}
	body, err := source.Apply(d.Body, edits)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := jsonc.Parse(path, body); err != nil {
		return nil, false, fmt.Errorf("%s: %w: the edited settings do not parse: %v", path, source.ErrInternal, err)
	}
	return d.WithBOM(body), true, nil
}

func (w Want) check() error {
	if w.DockerHost != "" && !strings.Contains(w.DockerHost, "://") {
		return fmt.Errorf("DOCKER_HOST %q has no scheme (unix://, tcp://, ssh://)", w.DockerHost)
	}
	if strings.ContainsAny(w.DockerHost+w.DockerPath, "\x00\n\r") {
		return errors.New("a setting holds a control character")
	}
	return nil
}

// samePath reports whether the dockerPath have names the program want: the
// same text, or an absolute path to a program of that name.
func samePath(have, want string) bool {
	return have == want || (!strings.Contains(want, "/") && filepath.IsAbs(have) && filepath.Base(have) == want)
}

// insertLast appends members at the end of obj. When obj ends with a
// trailing comma, the last new member gets one: the comma stays trailing,
// as the user wrote it, and Uninstall can tell it was there. (jsonc's
// Insert would make it a separator, and then nothing says it was there.)
func insertLast(d *jsonc.Doc, obj jsonc.Node, kvs ...jsonc.KV) []source.Edit {
	if _, ok := obj.HasTrailingComma(); ok {
		kvs = append([]jsonc.KV(nil), kvs...)
		kvs[len(kvs)-1].JSON += ","
	}
	return d.Insert(obj, jsonc.Node{}, kvs...)
}

// oneLine reports whether obj has members and is written on one line, as
// the objects devfix adds to it then are.
func oneLine(d *jsonc.Doc, obj jsonc.Node) bool {
	l1, _ := d.Position(obj.Start())
	l2, _ := d.Position(obj.End())
	return obj.Len() > 0 && l1 == l2
}

// isTrivia reports whether body holds no JSON value: only blanks and
// comments.
func isTrivia(body []byte) bool {
	d, err := jsonc.Parse("", append([]byte("{}"), body...))
	return err == nil && d.Root().Kind() == jsonc.Object && d.Root().End() == 2
}

// freshSettings is the object devfix writes into a file with no value yet,
// laid out as VS Code lays out its settings (four spaces). A line break and
// the original blanks and comments follow it, so Uninstall can give them
// back.
func freshSettings(eol string, want Want) string {
	const ind = "    "
	var members []string
	if want.DockerHost != "" {
		for _, key := range envKeys() {
			members = append(members, ind+jsonc.Quote(key)+": {"+eol+
				ind+ind+jsonc.Quote(varDockerHost)+": "+jsonc.Quote(want.DockerHost)+eol+ind+"}")
		}
	}
	if want.DockerPath != "" {
		members = append(members, ind+jsonc.Quote(keyDockerPath)+": "+jsonc.Quote(want.DockerPath))
	}
	return rootMarker + eol + "{" + eol + strings.Join(members, ","+eol) + eol + "}"
}

// marks finds devfix's markers in a parsed file.
type marks struct {
	d        *jsonc.Doc
	comments []source.Comment
	root     bool // the root object is devfix's: the file was empty
}

func newMarks(d *jsonc.Doc) *marks {
	m := &marks{d: d, comments: d.Comments()}
	start := d.Root().Start()
	for _, c := range m.comments {
		if c.End <= start && isMarker(c.Text) {
			m.root = true
		}
	}
	return m
}

func isMarker(comment string) bool {
	s := strings.TrimPrefix(comment, "//")
	if strings.HasPrefix(comment, "/*") {
		s = strings.TrimSuffix(strings.TrimPrefix(comment, "/*"), "*/")
	}
	return strings.TrimSpace(s) == markerText
}

// marked reports whether a member carries the marker between its colon and
// its value.
func (m *marks) marked(n jsonc.Node) bool {
	if !n.IsMember() {
		return false
	}
	from, to := n.KeyLoc().End, n.Start()
	for _, c := range m.comments {
		if c.Start >= from && c.End <= to && isMarker(c.Text) {
			return true
		}
	}
	return false
}

// owns reports whether devfix wrote the member n. Only devfix's settings
// can be: a root member "containers.environment", "docker.environment" or
// "dev.containers.dockerPath" that is marked or in a root devfix wrote (the
// file was empty), and a DOCKER_HOST in one of those environment objects
// that is marked or in an object devfix owns. A marker anywhere else means
// nothing.
func (m *marks) owns(n jsonc.Node) bool {
	p := n.Parent()
	switch {
	case !p.Exists():
		return false
	case !p.Parent().Exists(): // a root member
		return ourRootKey(n.Key()) && (m.root || m.marked(n))
	case n.Key() == varDockerHost && isEnvKey(p.Key()) && !p.Parent().Parent().Exists():
		return m.marked(n) || m.owns(p)
	}
	return false
}

func ourRootKey(k string) bool { return isEnvKey(k) || k == keyDockerPath }

func isEnvKey(k string) bool { return k == keyContainersEnv || k == keyDockerEnv }

// Uninstall returns data without what Install added, and whether that
// changed anything: the members devfix marked (see markers above) go, and
// nothing else. On a file Install wrote and nobody edited since, it gives
// back exactly the bytes Install started from. Where the user edited around
// devfix's members, they still go, cleanly, and the user's edits stay. A
// file that does not parse is a *source.Error and no data.
func Uninstall(path string, data []byte) ([]byte, bool, error) {
	d, err := jsonc.Parse(path, data)
	if err != nil {
		if f := source.New(path, data); f.CheckUTF8() == nil && isTrivia(f.Body) {
			return data, false, nil
		}
		return nil, false, err
	}
	changed := false
	// One object's run of members per round, re-parsing between rounds: an
	// edit is then always against the bytes it was computed on. Every round
	// removes at least one member, so this ends.
	for {
		body, step, err := uninstallStep(d)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		if step == stepNone {
			break
		}
		if step == stepWhole {
			return d.WithBOM(body), true, nil
		}
		changed = true
		if d, err = jsonc.Parse(path, d.WithBOM(body)); err != nil {
			return nil, false, fmt.Errorf("%s: %w: the edited settings do not parse: %v", path, source.ErrInternal, err)
		}
	}
	if !changed {
		return data, false, nil
	}
	return d.Bytes(), true, nil
}

// What one round of Uninstall did.
type step int

const (
	stepNone  step = iota // nothing of devfix's is left
	stepEdit              // a run of members went; parse again
	stepWhole             // the file devfix filled is given back whole
)

// uninstallStep removes one run of devfix's members from d: inside the
// environment objects first, then at the root.
func uninstallStep(d *jsonc.Doc) ([]byte, step, error) {
	root := d.Root()
	if root.Kind() != jsonc.Object {
		return nil, stepNone, nil
	}
	m := newMarks(d)
	var rootRemove []int
	for i, n := range root.Children() {
		if !m.owns(n) && !(isEnvKey(n.Key()) && n.Kind() == jsonc.Object) {
			continue
		}
		if !isEnvKey(n.Key()) || n.Kind() != jsonc.Object {
			rootRemove = append(rootRemove, i)
			continue
		}
		var inner []int
		for k, v := range n.Children() {
			if v.Key() == varDockerHost && m.owns(v) {
				inner = append(inner, k)
			}
		}
		if m.owns(n) && len(inner) == n.Len() && !m.commentsOutside(n.Start(), n.End(), n, inner) {
			rootRemove = append(rootRemove, i)
			continue
		}
		if len(inner) > 0 {
			from, to := lastRun(inner)
			return apply(d, removeRun(d, n, from, to))
		}
	}
	if m.root && len(rootRemove) == root.Len() && !m.commentsOutside(root.Start(), root.End(), root, rootRemove) {
		eol := d.LineEnding()
		if string(d.Body[:root.Start()]) == rootMarker+eol && hasAt(d.Body, root.End(), eol) {
			// The file was blanks and comments: they follow the object and
			// the line break after it.
			return d.Body[root.End()+len(eol):], stepWhole, nil
		}
	}
	if len(rootRemove) == 0 {
		return apply(d, m.unmark())
	}
	from, to := lastRun(rootRemove)
	return apply(d, removeRun(d, root, from, to))
}

// unmark returns the edits that delete devfix's markers left once its
// members are gone: on an object devfix created and the user added to (it
// is the user's now), above a root that holds the user's settings now.
func (m *marks) unmark() []source.Edit {
	b := m.d.Body
	root := m.d.Root()
	var edits []source.Edit
	for _, c := range m.comments {
		if !isMarker(c.Text) {
			continue
		}
		start, end := c.Start, c.End
		switch {
		case end <= root.Start():
			// The root marker, on a line of its own: the line goes.
			if start == 0 || b[start-1] == '\n' {
				if hasAt(b, end, "\r\n") {
					end += 2
				} else if hasAt(b, end, "\n") {
					end++
				}
			}
		case m.markerOfOurMember(c):
			if hasAt(b, end, " ") {
				end++
			}
		default:
			continue
		}
		edits = append(edits, source.Edit{File: m.d.File, Start: start, End: end})
	}
	return edits
}

// markerOfOurMember reports whether c marks a root member devfix writes.
func (m *marks) markerOfOurMember(c source.Comment) bool {
	for _, n := range m.d.Root().Children() {
		if ourRootKey(n.Key()) && c.Start >= n.KeyLoc().End && c.End <= n.Start() {
			return true
		}
	}
	return false
}

func apply(d *jsonc.Doc, edits []source.Edit) ([]byte, step, error) {
	if len(edits) == 0 {
		return nil, stepNone, nil
	}
	body, err := source.Apply(d.Body, edits)
	if err != nil {
		return nil, stepNone, err
	}
	return body, stepEdit, nil
}

// commentsOutside reports whether a comment in [start, end) lies outside
// the members idx of obj (and so is the user's).
func (m *marks) commentsOutside(start, end int, obj jsonc.Node, idx []int) bool {
	kids := obj.Children()
	for _, c := range m.comments {
		if c.Start < start || c.End > end {
			continue
		}
		inside := false
		for _, k := range idx {
			if c.Start >= kids[k].KeyStart() && c.End <= kids[k].End() {
				inside = true
				break
			}
		}
		if !inside {
			return true
		}
	}
	return false
}

// lastRun returns the last run of consecutive indexes of sorted idx, as
// [from, to).
func lastRun(idx []int) (int, int) {
	to := idx[len(idx)-1] + 1
	from := to - 1
	for k := len(idx) - 2; k >= 0 && idx[k] == from-1; k-- {
		from--
	}
	return from, to
}

// removeRun returns the edits that delete members of the run [from, to) of
// obj: the exact inverse of the Insert that appended the longest tail of it
// when the bytes still show one (members added by an earlier Install, or
// that the user moved, go in a later round), else jsonc's Remove of the
// whole run (whose result is clean but need not be the bytes from before:
// the user edited there).
func removeRun(d *jsonc.Doc, obj jsonc.Node, from, to int) []source.Edit {
	if to == obj.Len() {
		for k := from; k < to; k++ {
			if e, ok := undoInsert(d, obj, k); ok {
				return e
			}
		}
	}
	return d.Remove(obj, from, to)
}

// undoInsert returns the edits that take out the members from..end of obj
// that jsonc's Insert (through insertLast) appended, if the bytes around
// them are exactly what it wrote. Its shapes:
//   - into an empty object, after the brace: eol, the members on lines of
//     their own (separated by "," eol indent), eol and the object's indent;
//   - after the last member P, on lines of their own: a comma right after P
//     (or P's trailing comma kept, and one after the last new member), and
//     at the end of P's line eol, indent, the members;
//   - on P's line: ", " and the members right after P (or after P's
//     trailing comma, and one after the last new member).
func undoInsert(d *jsonc.Doc, obj jsonc.Node, from int) ([]source.Edit, bool) {
	b := d.Body
	kids := obj.Children()
	first, last := kids[from], kids[len(kids)-1]
	eol := d.LineEnding()
	cut := func(start, end int) source.Edit { return source.Edit{File: d.File, Start: start, End: end} }
	ks := first.KeyStart()
	ind := d.IndentOf(ks)
	onOwnLine := ks-len(ind)-len(eol) >= 0 && string(b[ks-len(ind)-len(eol):ks-len(ind)]) == eol
	if from == 0 {
		open := obj.Start() + 1
		outer := d.IndentOf(obj.Start())
		end := last.End()
		if !onOwnLine || ks-len(ind)-len(eol) != open || !separated(b, kids, ","+eol+ind) || !hasAt(b, end, eol+outer) {
			return nil, false
		}
		return []source.Edit{cut(open, end+len(eol)+len(outer))}, true
	}
	prev := kids[from-1]
	end := last.End()
	trailing := false
	if at, ok := obj.HasTrailingComma(); ok && at == end {
		trailing = true
		end++
	}
	if onOwnLine {
		// Insert put eol, indent and the members before the line break that
		// ended P's line: that break must still follow them, or taking out
		// the eol before them would join P's line (and a line comment on
		// it) to what follows.
		i := ks - len(ind) - len(eol)
		if i <= prev.End() || ind != d.IndentOf(prev.KeyStart()) || !separated(b, kids[from:], ","+eol+ind) ||
			!(hasAt(b, end, "\n") || hasAt(b, end, "\r")) {
			return nil, false
		}
		if trailing {
			return []source.Edit{cut(i, end)}, true
		}
		if b[prev.End()] != ',' {
			return nil, false
		}
		return []source.Edit{cut(prev.End(), prev.End()+1), cut(i, end)}, true
	}
	if ks-2 < prev.End() || string(b[ks-2:ks]) != ", " || !separated(b, kids[from:], ", ") {
		return nil, false
	}
	if trailing {
		return []source.Edit{cut(ks-1, end)}, true
	}
	if ks-2 != prev.End() {
		return nil, false
	}
	return []source.Edit{cut(prev.End(), end)}, true
}

// separated reports whether consecutive members are separated by exactly sep.
func separated(b []byte, members []jsonc.Node, sep string) bool {
	for k := 0; k+1 < len(members); k++ {
		if string(b[members[k].End():members[k+1].KeyStart()]) != sep {
			return false
		}
	}
	return true
}

func hasAt(b []byte, off int, s string) bool {
	return off+len(s) <= len(b) && string(b[off:off+len(s)]) == s
}
