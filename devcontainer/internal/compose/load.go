package compose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devfix/devfix/internal/source"
	"github.com/spf13/afero"
	"go.yaml.in/yaml/v4"
)

// Options say which compose files to load and what they see. The zero
// value of each field means the default.
type Options struct {
	Fs        afero.Fs                    // where the files are read; nil = the OS
	Files     []string                    // absolute paths, in dockerComposeFile order
	LookupEnv func(string) (string, bool) // the process environment; nil = empty
}

// Project is a loaded compose project: compose-go's model, and the YAML
// files it came from.
type Project struct {
	// Model is compose-go's fully loaded model: interpolated, merged,
	// extends and include resolved, relative paths made absolute, all
	// profiles enabled. A service's env_file and label_file are not read
	// into its environment and labels, and Model.Environment holds only
	// the variables whose names occur in the files read.
	Model *types.Project
	// Files are the YAML files read: the given ones, then the ones that
	// include and extends name.
	Files []*File

	fs       afero.Fs
	dir      string // the project directory
	env      func(string) (string, bool)
	given    []*File
	byPath   map[string]*File
	refs     map[string]reference // the first include, env_file or extends entry that names each file
	failed   error                // why the first file named by one cannot be used
	envTexts [][]byte             // the env files of includes
	incCache map[docKey][][]*File
}

// NotLoadedError says the files parse but compose cannot load them here: a
// file is missing (the template's placeholder, one an initializeCommand
// makes), a variable must be set, compose rejects a value. Err is the
// one-line *source.Error; Files are the YAML files that were read.
type NotLoadedError struct {
	Err   error
	Files []*File
}

func (e *NotLoadedError) Error() string { return e.Err.Error() }
func (e *NotLoadedError) Unwrap() error { return e.Err }

// Load reads and loads the compose files. Bad input (a YAML syntax error) is
// a one-line *source.Error at the place it is about; what compose itself
// cannot load in this environment is a *NotLoadedError.
func Load(ctx context.Context, o Options) (*Project, error) {
	if len(o.Files) == 0 {
		return nil, errors.New("no compose file given")
	}
	fsys := o.Fs
	if fsys == nil {
		fsys = afero.NewOsFs()
	}
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	p := &Project{
		fs:     fsys,
		dir:    filepath.Dir(o.Files[0]),
		byPath: map[string]*File{},
		refs:   map[string]reference{},
	}

	texts := [][]byte{}
	dotEnv, text, err := readEnvFile(fsys, filepath.Join(p.dir, ".env"), lookup, false)
	if err != nil {
		return nil, err
	}
	texts = append(texts, text)
	// Compose puts the process environment first and adds what .env
	// sets and the environment does not.
	p.env = func(k string) (string, bool) {
		if v, ok := lookup(k); ok {
			return v, true
		}
		v, ok := dotEnv[k]
		return v, ok
	}

	for _, path := range o.Files {
		data, err := readRegular(fsys, path)
		if err != nil {
			return nil, &NotLoadedError{Err: readError(path, err), Files: p.Files}
		}
		f, err := parseFile(path, data)
		if err != nil {
			return nil, err
		}
		f.dir, f.env = p.dir, p.env
		p.given = append(p.given, f)
		p.Files = append(p.Files, f)
		if _, ok := p.byPath[path]; !ok {
			p.byPath[path] = f
		}
	}
	for _, f := range p.given {
		p.discover(f, map[*File]bool{})
	}
	// compose-go reads these files from the OS itself: it only gets to
	// when they could be read here, through the Fs, as regular files.
	if p.failed != nil {
		var se *source.Error
		if errors.As(p.failed, &se) && se.Line > 0 {
			return nil, p.failed // a syntax error in that file
		}
		return nil, &NotLoadedError{Err: p.unreadable(p.failed), Files: p.Files}
	}
	for _, f := range p.Files {
		texts = append(texts, f.Src.Body)
	}
	texts = append(texts, p.envTexts...)

	details := types.ConfigDetails{
		WorkingDir:  p.dir,
		Environment: environment(texts, lookup, dotEnv),
	}
	for _, f := range p.given {
		details.ConfigFiles = append(details.ConfigFiles, types.ConfigFile{Filename: f.Src.Path, Content: f.Src.Body})
	}
	name := loader.NormalizeProjectName(filepath.Base(p.dir))
	if name == "" {
		name = "devcontainer"
	}
	// Without the schema first: compiling compose's JSON schema costs a
	// process tens of milliseconds, more than all else devfix does. Only
	// when that load fails (or compose-go, unvalidated, panics) is the
	// validating load run, for compose's own word on what is wrong.
	model, err := loadModel(ctx, cloneDetails(details), name, true)
	if err != nil {
		model, err = loadModel(ctx, cloneDetails(details), name, false)
	}
	if err != nil {
		return nil, &NotLoadedError{Err: p.composeError(err), Files: p.Files}
	}
	p.Model = model
	return p, nil
}

// cloneDetails copies what the loader changes (it adds to the environment).
func cloneDetails(d types.ConfigDetails) types.ConfigDetails {
	d.Environment = maps.Clone(d.Environment)
	d.ConfigFiles = slices.Clone(d.ConfigFiles)
	return d
}

// loadModel runs compose-go's loader, as compose does (all profiles), with
// or without its schema validation. A panic of the loader (it trusts
// validation to have rejected some shapes) is an error.
func loadModel(ctx context.Context, details types.ConfigDetails, name string, skipValidation bool) (model *types.Project, err error) {
	defer func() {
		if r := recover(); r != nil {
			model, err = nil, fmt.Errorf("compose cannot read these files: %v", r)
		}
	}()
	return loader.LoadWithContext(ctx, details, func(lo *loader.Options) {
		lo.SetProjectName(name, false) // a name: in the files wins, as in compose
		lo.Profiles = []string{"*"}
		lo.SkipValidation = skipValidation
		lo.SkipResolveEnvironment = true
		lo.SkipResolveLabels = true
		lo.Interpolate.Substitute = func(s string, m template.Mapping) (string, error) {
			return template.SubstituteWithOptions(s, m, template.WithoutLogging)
		}
	})
}

// readRegular reads a file that is a regular file (a device or a pipe
// could block for ever).
func readRegular(fsys afero.Fs, path string) ([]byte, error) {
	st, err := fsys.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: path, Err: errNotRegular}
	}
	return afero.ReadFile(fsys, path)
}

var errNotRegular = errors.New("not a regular file")

// readError is a file that cannot be read.
func readError(path string, err error) *source.Error {
	return &source.Error{Path: path, Msg: "cannot read: " + reason(err)}
}

// reason is why a file could not be read, without the path.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}

// readEnvFile reads a .env file if it exists (or fails if required): its
// values, with ${VAR} in them resolved against lookup and the lines before.
// A syntax error is a *source.Error at its line.
func readEnvFile(fsys afero.Fs, path string, lookup func(string) (string, bool), required bool) (map[string]string, []byte, error) {
	if st, err := fsys.Stat(path); (err != nil || st.IsDir()) && !required {
		return nil, nil, nil
	}
	data, err := readRegular(fsys, path)
	if err != nil {
		return nil, nil, readError(path, err)
	}
	vars, err := dotenv.ParseWithLookup(bytes.NewReader(data), dotenv.LookupFn(lookup))
	if err != nil {
		return nil, nil, envError(source.New(path, data), err)
	}
	return vars, data, nil
}

// envError places an error of compose's .env parser ("line N: problem";
// a failed ${VAR:?err} has no line) in the file: at the first non-blank
// of the line, or for an unterminated quoted value at its opening quote.
func envError(f *source.File, err error) *source.Error {
	m := lineOnlyRE().FindStringSubmatch(err.Error())
	if m == nil {
		return &source.Error{Path: f.Path, Msg: oneLine(err.Error())}
	}
	b := f.Body
	line, _ := strconv.Atoi(m[1])
	off := f.LineStart(line)
	for off < len(b) && (b[off] == ' ' || b[off] == '\t') {
		off++
	}
	if text, ok := strings.CutPrefix(m[2], "unterminated quoted value "); ok {
		// The parser's line is the file's last: it counts the lines it
		// read looking for the closing quote. text is the value's line
		// from its opening quote, and every quote after that one is
		// escaped (an odd run of backslashes before it), or the value
		// would have ended there: the opening quote is the last unescaped
		// one where text starts and runs to a line's end.
		for end := len(b); end > 0; {
			i := bytes.LastIndex(b[:end], []byte(text))
			if i < 0 {
				break
			}
			esc := 0
			for i-esc > 0 && b[i-esc-1] == '\\' {
				esc++
			}
			if after := i + len(text); esc%2 == 0 && (after == len(b) || b[after] == '\n') {
				off = i
				break
			}
			end = i + len(text) - 1
		}
	}
	return f.Errorf(off, "%s", oneLine(m[2]))
}

var wordRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`) })

// environment is the environment compose-go sees. Compose sees the whole
// process environment; LookupEnv cannot list it, so this holds every
// variable whose name occurs in a file read (a ${VAR}, an `environment:`
// entry without a value): all the names compose can ask about. The
// process environment wins over .env.
func environment(texts [][]byte, lookup func(string) (string, bool), dotEnv map[string]string) types.Mapping {
	m := types.Mapping{}
	for k, v := range dotEnv {
		m[k] = v
	}
	seen := map[string]bool{}
	for _, t := range texts {
		for _, w := range wordRE().FindAll(t, -1) {
			k := string(w)
			if seen[k] {
				continue
			}
			seen[k] = true
			if v, ok := lookup(k); ok {
				m[k] = v
			}
		}
	}
	return m
}

// discover reads the files f names with include and extends, and the
// files those name, so that they can be located in.
func (p *Project) discover(f *File, seen map[*File]bool) {
	if f == nil || seen[f] {
		return
	}
	seen[f] = true
	for d := range f.Docs {
		for _, inc := range p.includesOf(f, d) {
			for _, g := range inc {
				p.discover(g, seen)
			}
		}
		services := mapGet(docRoot(f.Docs[d]), "services")
		if services == nil || services.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(services.Content); i += 2 {
			if g, _ := p.extendsOf(f, deref(services.Content[i+1])); g != nil {
				p.discover(g, seen)
			}
		}
	}
}

// Given are the files Options named (not the ones include and extends
// name): the ones whose edits a reload sees, since compose-go reads the
// others from the OS itself.
func (p *Project) Given() []*File { return p.given }
