package devcontainer

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/tailscale/hujson"
)

// An inline ignore is a comment:
//
//	// devfix-ignore-next-line <rule-id>[,<rule-id>] -- reason
//	// devfix-ignore-line <rule-id>[,…] -- reason
//	// devfix-ignore-file <rule-id>[,…] -- reason
//
// (block comments work too). A line ignore is keyed on the rule and on the
// settings on that line (their JSON pointers), not only on the line number,
// so it keeps working when a fix or a better position moves a finding.
type ignore struct {
	kind       string // line, next-line, file
	rules      []string
	start, end int // the comment
	line       int // the line it applies to
	pointers   []string
	used       bool
}

var ignoreRE = regexp.MustCompile(`devfix-ignore-(next-line|line|file)\b([^*\n]*)`)

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

// findIgnores reads the ignore comments of a config.
func findIgnores(c *Config) []*ignore {
	if !strings.Contains(string(c.Body), "devfix-ignore-") {
		return nil
	}
	lines := pointersByLine(c)
	var out []*ignore
	for _, cm := range commentSpans(c.Body) {
		m := ignoreRE.FindStringSubmatch(string(c.Body[cm[0]:cm[1]]))
		if m == nil {
			continue
		}
		ids, _, _ := strings.Cut(m[2], "--")
		ig := &ignore{kind: m[1], start: cm[0], end: cm[1]}
		for _, id := range strings.FieldsFunc(ids, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			ig.rules = append(ig.rules, id)
		}
		line, _ := c.Position(cm[0])
		switch ig.kind {
		case "line":
			ig.line = line
		case "next-line":
			// The next line that holds a setting.
			ig.line = line + 1
			for l := line + 1; l <= len(c.lineStarts); l++ {
				if len(lines[l]) > 0 {
					ig.line = l
					break
				}
			}
		}
		ig.pointers = lines[ig.line]
		out = append(out, ig)
	}
	return out
}

// pointersByLine maps each line to the JSON pointers of the members and
// elements that start on it.
func pointersByLine(c *Config) map[int][]string {
	out := map[int][]string{}
	var walk func(v *hujson.Value, ptr string)
	walk = func(v *hujson.Value, ptr string) {
		switch t := v.Value.(type) {
		case *hujson.Object:
			for i := range t.Members {
				p := ptr + "/" + escapePointer(memberName(&t.Members[i]))
				l, _ := c.Position(t.Members[i].Name.StartOffset)
				out[l] = append(out[l], p)
				walk(&t.Members[i].Value, p)
			}
		case *hujson.Array:
			for i := range t.Elements {
				p := fmt.Sprintf("%s/%d", ptr, i)
				l, _ := c.Position(t.Elements[i].StartOffset)
				out[l] = append(out[l], p)
				walk(&t.Elements[i], p)
			}
		}
	}
	walk(c.RootValue(), "")
	return out
}

// commentSpans returns the byte spans of the comments in b.
func commentSpans(b []byte) [][2]int {
	var out [][2]int
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
			j := i
			for j < len(b) && b[j] != '\n' {
				j++
			}
			out = append(out, [2]int{i, j})
			i = j
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			j := i + 2
			for j+1 < len(b) && !(b[j] == '*' && b[j+1] == '/') {
				j++
			}
			out = append(out, [2]int{i, min(j+2, len(b))})
			i = j + 1
		}
	}
	return out
}

// underPointer reports whether p is q or inside it.
func underPointer(p, q string) bool {
	return p == q || (q != "" && strings.HasPrefix(p, q+"/"))
}

func (ig *ignore) matches(d Diagnostic) bool {
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
	if d.Line == ig.line {
		return true
	}
	for _, p := range ig.pointers {
		if d.Pointer != "" && (underPointer(d.Pointer, p) || underPointer(p, d.Pointer)) {
			return true
		}
	}
	return false
}

// applyIgnores drops the diagnostics inline ignores silence and reports the
// ignores that silence nothing or name unknown rules.
func applyIgnores(c *Config, diags []Diagnostic) []Diagnostic {
	igs := findIgnores(c)
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
		line, col := c.Position(ig.start)
		report := func(msg string) {
			kept = append(kept, Diagnostic{Path: c.Path, Start: ig.start, End: ig.end, Line: line, Col: col,
				RuleID: ruleUnusedIgnore.ID, Severity: ruleUnusedIgnore.Severity, Message: msg})
		}
		var unknown []string
		for _, r := range ig.rules {
			if _, ok := RuleByID(r); !ok {
				unknown = append(unknown, r)
			}
		}
		switch {
		case len(unknown) > 0:
			report(fmt.Sprintf("devfix-ignore-%s names unknown rule %s (devfix rules lists them)", ig.kind, strings.Join(quoteAll(unknown), ", ")))
		case !ig.used:
			report(fmt.Sprintf("devfix-ignore-%s %s silences nothing: remove it", ig.kind, strings.Join(ig.rules, ",")))
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Start < kept[j].Start })
	return kept
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = quote(s)
	}
	return out
}
