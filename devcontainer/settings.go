package devcontainer

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/devfix/devfix/internal/jsonc"
	"github.com/spf13/afero"
)

// SettingsFile is devfix's own configuration, found upward from a config to
// the repository root.
const SettingsFile = ".devfix.jsonc"

// Settings are a repository's devfix settings.
type Settings struct {
	Path     string
	Strategy Strategy            // "" when not set
	Engine   Engine              // "" when not set
	Strict   bool                // unknown users fail lint too
	Rules    map[string]Severity // per-rule severity overrides
}

// FindSettings looks for .devfix.jsonc from dir upward, stopping at the
// folder that holds .git (the repository root); nil when there is none.
func FindSettings(fsys afero.Fs, dir string) (*Settings, error) {
	dir, _ = filepath.Abs(dir)
	for {
		p := filepath.Join(dir, SettingsFile)
		data, err := afero.ReadFile(fsys, p)
		if err == nil {
			return parseSettings(p, data)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, DescribeFileError(fsys, p, err)
		}
		if _, err := fsys.Stat(filepath.Join(dir, ".git")); err == nil {
			return nil, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, nil
		}
		dir = parent
	}
}

var severityNames = map[string]Severity{"error": SeverityError, "warn": SeverityWarning, "warning": SeverityWarning, "info": SeverityInfo, "off": SeverityOff}

// parseSettings reads a .devfix.jsonc. Unknown keys, rule IDs and values are
// errors with their position.
func parseSettings(path string, data []byte) (*Settings, error) {
	doc, err := jsonc.Parse(path, data)
	if err != nil {
		return nil, err
	}
	if k := doc.Root().Kind(); k != jsonc.Object {
		return nil, doc.Errorf(doc.Root().Start(), "the top level must be an object, not a %s", k)
	}
	bad := func(n jsonc.Node, format string, args ...any) error {
		return doc.Errorf(n.Start(), format, args...)
	}
	s := &Settings{Path: path, Rules: map[string]Severity{}}
	for _, m := range doc.Root().Children() {
		switch m.Key() {
		case "$schema":
		case "strategy":
			st, err := ParseStrategy(m.Str())
			if m.Kind() != jsonc.String || err != nil {
				return nil, bad(m, "\"strategy\" must be \"root\", \"env\", \"acl\" or \"keepid\"")
			}
			s.Strategy = st
		case "engine":
			// Read as the --engine flag is: "Podman" is podman.
			e, err := imagefacts.ParseKind(m.Str())
			if m.Kind() != jsonc.String || err != nil {
				return nil, bad(m, "\"engine\" must be \"docker\" or \"podman\"")
			}
			s.Engine = e
		case "strict":
			if m.Kind() != jsonc.Bool {
				return nil, bad(m, "\"strict\" must be true or false")
			}
			s.Strict = m.IsTrue()
		case "rules":
			if m.Kind() != jsonc.Object {
				return nil, bad(m, "\"rules\" must be an object of rule IDs")
			}
			for _, r := range m.Children() {
				if _, ok := ruleByID(r.Key()); !ok {
					return nil, doc.Errorf(r.KeyStart(), "unknown rule %q (devfix rules lists them)", r.Key())
				}
				sev, known := severityNames[r.Str()]
				if r.Kind() != jsonc.String || !known {
					return nil, bad(r, "rule %q: want \"error\", \"warn\", \"info\" or \"off\"", r.Key())
				}
				s.Rules[r.Key()] = sev
			}
		default:
			return nil, doc.Errorf(m.KeyStart(), "unknown setting %q (want \"strategy\", \"engine\", \"strict\" or \"rules\")", m.Key())
		}
	}
	return s, nil
}

// DefaultSettings renders a .devfix.jsonc that lists every rule at its
// default severity, for `devfix init`.
func DefaultSettings() string {
	var b strings.Builder
	b.WriteString("// devfix settings. devfix finds this file from a devcontainer.json upward to the\n")
	b.WriteString("// repository root. Flags on the command line win over it.\n{\n")
	b.WriteString("  // The strategy lint and apply use without --strategy: \"root\", \"env\", \"acl\"\n")
	b.WriteString("  // or \"keepid\" (without it: keepid under Podman, else root).\n")
	b.WriteString("  // \"strategy\": \"root\",\n")
	b.WriteString("  // The engine, when devfix should not detect it: \"docker\" or \"podman\".\n")
	b.WriteString("  // \"engine\": \"docker\",\n")
	b.WriteString("  // true: a user devfix could not learn (no engine, image not pulled) fails lint.\n")
	b.WriteString("  \"strict\": false,\n")
	b.WriteString("  // Each rule: \"error\", \"warn\" or \"off\". Unknown rule IDs are an error.\n")
	b.WriteString("  \"rules\": {\n")
	rs := Rules()
	for i, r := range rs {
		sev := map[Severity]string{SeverityError: "error", SeverityWarning: "warn", SeverityInfo: "info"}[r.Severity]
		comma := ","
		if i == len(rs)-1 {
			comma = ""
		}
		fmt.Fprintf(&b, "    %q: %q%s // %s\n", r.ID, sev, comma, r.Title)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}
