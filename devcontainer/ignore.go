package devcontainer

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/devfix/devfix/internal/source"
)

// An inline ignore is a comment, in whatever comment syntax the file has
// (// or /* */ in devcontainer.json, # in compose files and Dockerfiles):
//
//	devfix-ignore-next-line <rule-id>[,<rule-id>] -- reason
//	devfix-ignore-line <rule-id>[,…] -- reason
//	devfix-ignore-file <rule-id>[,…] -- reason
//
// A line ignore is keyed on the rule and on the nodes that start on its
// line (their pointers): a finding about one of those nodes, or about a node
// inside one, is silenced — not a finding about a sibling two lines down.
type ignore struct {
	kind     string // line, next-line, file
	rules    []string
	at       source.Loc // the comment
	pointers []string   // the nodes of the line it applies to
	used     bool
}

// commentSource is what a file offers for ignores: its comments, and the
// pointers of the nodes that start on each line.
type commentSource struct {
	file     *source.File
	comments []source.Comment
	lines    map[int][]string
}

var ignoreRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`devfix-ignore-(next-line|line|file)\b([^*\n]*)`) })

var ruleUnusedIgnore = &Rule{
	ID:       "unused-ignore",
	Title:    "an inline ignore that silences nothing, or names an unknown rule",
	Severity: SeverityWarning,
	Doc: `An ignore comment that no longer silences anything hides nothing today but
will hide a real finding tomorrow; one that names an unknown rule never worked.
Remove it, or fix the rule ID (devfix rules lists them).`,
	Bad:   "{\n  // devfix-ignore-next-line rootless-remote-user -- we run as root anyway\n  \"remoteUser\": \"root\"\n}",
	Good:  "{\n  \"remoteUser\": \"root\"\n}",
	Check: func(*Pass) {}, // reported by applyIgnores
}

// ignores reads the ignore comments of one file.
func (cs commentSource) ignores() []*ignore {
	var out []*ignore
	for _, cm := range cs.comments {
		if !strings.Contains(cm.Text, "devfix-ignore-") {
			continue
		}
		m := ignoreRE().FindStringSubmatch(cm.Text)
		if m == nil {
			continue
		}
		ids, _, _ := strings.Cut(m[2], "--")
		ig := &ignore{kind: m[1], at: source.Loc{File: cs.file, Start: cm.Start, End: cm.End}}
		ig.rules = strings.FieldsFunc(ids, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		line, _ := cs.file.Position(cm.Start)
		switch ig.kind {
		case "line":
			ig.pointers = cs.lines[line]
		case "next-line":
			// The next line that holds a node.
			for l := line + 1; l <= cs.file.Lines(); l++ {
				if len(cs.lines[l]) > 0 {
					ig.pointers = cs.lines[l]
					break
				}
			}
		}
		out = append(out, ig)
	}
	return out
}

func (ig *ignore) matches(d Diagnostic) bool {
	if d.Loc.File != ig.at.File {
		return false
	}
	ruleOK := len(ig.rules) == 0
	for _, r := range ig.rules {
		if r == d.RuleID {
			ruleOK = true
		}
	}
	if !ruleOK {
		return false
	}
	if ig.kind == "file" {
		return true
	}
	for _, p := range ig.pointers {
		for _, q := range d.Loc.Ptrs {
			if source.Under(q, p) {
				return true
			}
		}
	}
	return false
}

// applyIgnores drops the diagnostics inline ignores silence and reports the
// ignores that silence nothing or name unknown rules. An ignore whose rules
// all did not run here (another engine's, another strategy's, turned off)
// cannot tell: it is neither used nor unused.
func applyIgnores(sources []commentSource, diags []Diagnostic, ran map[string]bool) []Diagnostic {
	var igs []*ignore
	for _, cs := range sources {
		igs = append(igs, cs.ignores()...)
	}
	if len(igs) == 0 {
		return diags
	}
	var kept []Diagnostic
	for _, d := range diags {
		silenced := false
		for _, ig := range igs {
			if ig.matches(d) {
				ig.used, silenced = true, true
			}
		}
		if !silenced {
			kept = append(kept, d)
		}
	}
	for _, ig := range igs {
		report := func(msg string) {
			kept = append(kept, Diagnostic{Loc: ig.at, RuleID: ruleUnusedIgnore.ID, Severity: ruleUnusedIgnore.Severity, Message: msg})
		}
		var unknown []string
		anyRan := len(ig.rules) == 0 // an ignore without rules is for all of them
		for _, r := range ig.rules {
			if _, ok := ruleByID(r); !ok {
				unknown = append(unknown, r)
			}
			anyRan = anyRan || ran[r]
		}
		switch {
		case len(unknown) > 0:
			report(fmt.Sprintf("devfix-ignore-%s names unknown rule %s (devfix rules lists them)", ig.kind, strings.Join(quoteAll(unknown), ", ")))
		case !ig.used && anyRan:
			report(fmt.Sprintf("devfix-ignore-%s %s silences nothing: remove it", ig.kind, strings.Join(ig.rules, ",")))
		}
	}
	return kept
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// jsonComments is the config's own commentSource.
func (c *Config) commentSource() commentSource {
	return commentSource{file: c.doc.File, lines: c.doc.PointersByLine(), comments: c.doc.Comments()}
}
