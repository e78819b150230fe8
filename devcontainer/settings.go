package devcontainer

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/afero"
	"github.com/tailscale/hujson"
)

// SettingsFile is devfix's own configuration, found upward from a config to
// the repository root.
const SettingsFile = ".devfix.jsonc"

// Settings are a repository's devfix settings.
type Settings struct {
	Path     string
	Strategy Strategy            // "" when not set
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
			return ParseSettings(p, data)
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

// ParseSettings reads a .devfix.jsonc. Unknown keys, rule IDs and values are
// errors with their position.
func ParseSettings(path string, data []byte) (*Settings, error) {
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	bad := func(v *hujson.Value, format string, args ...any) error {
		line, col := c.Position(v.StartOffset)
		return &ParseError{Path: path, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
	}
	s := &Settings{Path: path, Rules: map[string]Severity{}}
	for _, m := range Members(c.Root()) {
		switch m.Name {
		case "$schema":
		case "strategy":
			lit, ok := m.Value().Value.(hujson.Literal)
			st, err := ParseStrategy(lit.String())
			if !ok || lit.Kind() != '"' || err != nil {
				return nil, bad(m.Value(), "\"strategy\" must be \"root\", \"env\" or \"acl\"")
			}
			s.Strategy = st
		case "rules":
			obj, ok := m.Value().Value.(*hujson.Object)
			if !ok {
				return nil, bad(m.Value(), "\"rules\" must be an object of rule IDs")
			}
			for _, r := range Members(obj) {
				if _, ok := RuleByID(r.Name); !ok {
					return nil, bad(&r.m.Name, "unknown rule %q (devfix rules lists them)", r.Name)
				}
				lit, ok := r.Value().Value.(hujson.Literal)
				sev, known := severityNames[lit.String()]
				if !ok || lit.Kind() != '"' || !known {
					return nil, bad(r.Value(), "rule %q: want \"error\", \"warn\" or \"off\"", r.Name)
				}
				s.Rules[r.Name] = sev
			}
		default:
			return nil, bad(m.Value(), "unknown setting %q (want \"strategy\" or \"rules\")", m.Name)
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
	b.WriteString("  // The strategy lint and apply use without --strategy: \"root\", \"env\" or \"acl\".\n")
	b.WriteString("  \"strategy\": \"root\",\n")
	b.WriteString("  // Each rule: \"error\", \"warn\" or \"off\". Unknown rule IDs are an error.\n")
	b.WriteString("  \"rules\": {\n")
	rs := Rules()
	for i, r := range rs {
		sev := "error"
		if r.Severity != SeverityError {
			sev = "warn"
		}
		comma := ","
		if i == len(rs)-1 {
			comma = ""
		}
		fmt.Fprintf(&b, "    %q: %q%s // %s\n", r.ID, sev, comma, r.Title)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}
