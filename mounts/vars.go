package mounts

import (
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// VarContext is what variables resolve against. LookupEnv nil means an
// empty environment.
type VarContext struct {
	LookupEnv                func(string) (string, bool)
	LocalWorkspaceFolder     string
	ContainerWorkspaceFolder string
}

// VarRef is one ${…} in a string, at bytes Start..End.
type VarRef struct {
	Start, End int
	Name       string   // localEnv, env, localWorkspaceFolder, …
	Args       []string // the rest, split on every ":" as the reference CLI does
}

// VarIssueKind names a problem with a variable.
type VarIssueKind string

// Variable problems worth a finding.
const (
	// DefaultTruncated: ${localEnv:X:a:b} yields only "a" when X is unset.
	DefaultTruncated VarIssueKind = "default-truncated"
	// UnsetNoDefault: ${localEnv:X} with X unset yields "".
	UnsetNoDefault VarIssueKind = "unset-no-default"
)

// VarIssue is a problem with one variable.
type VarIssue struct {
	VarRef
	Kind   VarIssueKind
	Var    string // the environment variable
	Detail string
}

// varRE is the reference CLI's pattern: non-greedy, so ${a:b}c} ends at the
// first "}".
var varRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$\{(.*?)\}`) })

// FindVars lists the variables in s without resolving them.
func FindVars(s string) []VarRef {
	var refs []VarRef
	for _, m := range varRE().FindAllStringSubmatchIndex(s, -1) {
		parts := strings.Split(s[m[2]:m[3]], ":")
		refs = append(refs, VarRef{Start: m[0], End: m[1], Name: parts[0], Args: parts[1:]})
	}
	return refs
}

// Substitute resolves variables as the reference CLI does before it creates
// the container: ${localEnv:VAR} and ${env:VAR} (unset → ""),
// ${localEnv:VAR:default} (only the first ":"-separated part of the default
// survives), ${localWorkspaceFolder}, ${localWorkspaceFolderBasename},
// ${containerWorkspaceFolder} and its basename. ${devcontainerId},
// ${containerEnv:…} and unknown variables are left as they are.
func Substitute(s string, c VarContext) (string, []VarIssue) {
	lookup := c.LookupEnv
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	var issues []VarIssue
	var b strings.Builder
	last := 0
	for _, ref := range FindVars(s) {
		b.WriteString(s[last:ref.Start])
		last = ref.End
		orig := s[ref.Start:ref.End]
		switch ref.Name {
		case "localEnv", "env":
			if len(ref.Args) == 0 {
				b.WriteString(orig)
				continue
			}
			v, ok := lookup(ref.Args[0])
			switch {
			case ok:
				b.WriteString(v)
			case len(ref.Args) > 1:
				b.WriteString(ref.Args[1])
			default:
				issues = append(issues, VarIssue{VarRef: ref, Kind: UnsetNoDefault, Var: ref.Args[0], Detail: "unset, so it becomes \"\""})
			}
			if len(ref.Args) > 2 {
				issues = append(issues, VarIssue{VarRef: ref, Kind: DefaultTruncated, Var: ref.Args[0],
					Detail: "the default is cut at its first \":\" to " + quoteString(ref.Args[1])})
			}
		case "localWorkspaceFolder":
			b.WriteString(c.LocalWorkspaceFolder)
		case "localWorkspaceFolderBasename":
			b.WriteString(filepath.Base(c.LocalWorkspaceFolder))
		case "containerWorkspaceFolder":
			if c.ContainerWorkspaceFolder == "" {
				b.WriteString(orig)
			} else {
				b.WriteString(c.ContainerWorkspaceFolder)
			}
		case "containerWorkspaceFolderBasename":
			if c.ContainerWorkspaceFolder == "" {
				b.WriteString(orig)
			} else {
				b.WriteString(filepath.Base(c.ContainerWorkspaceFolder))
			}
		default:
			b.WriteString(orig)
		}
	}
	b.WriteString(s[last:])
	return b.String(), issues
}

func quoteString(s string) string { return `"` + s + `"` }
