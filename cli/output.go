package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/internal/source"
)

// Output formats of lint.
var lintFormats = []string{"text", "json", "sarif", "github"}

// findings are the findings of every config linted, for the formatters:
// one in a file two configs share (a compose file) is listed once.
func findings(results []devcontainer.Result) []devcontainer.Diagnostic {
	type key struct {
		path, rule, msg string
		start, end      int
	}
	var out []devcontainer.Diagnostic
	seen := map[key]bool{}
	for _, res := range results {
		for _, d := range res.Diagnostics {
			k := key{d.Path(), d.RuleID, d.Message, d.Loc.Start, d.Loc.End}
			if !seen[k] {
				seen[k] = true
				out = append(out, d)
			}
		}
	}
	return out
}

// colorOn decides --color auto: only on a terminal, never with NO_COLOR or
// TERM=dumb.
func colorOn(env *Env, mode string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if v, ok := env.lookup("NO_COLOR"); ok && v != "" {
		return false
	}
	if t, _ := env.lookup("TERM"); t == "dumb" {
		return false
	}
	f, ok := env.Stdout.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

const (
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
	ansiReset  = "\x1b[0m"
)

// writeText prints `path:line:col: message [rule-id]`; with color it also
// shows the source line with a ^~~~ marker under the span. Info findings say
// so before the message.
func writeText(w io.Writer, diags []devcontainer.Diagnostic, color bool) {
	for _, d := range diags {
		if !color {
			fmt.Fprintln(w, findingLine(d))
			continue
		}
		sev := ansiYellow
		switch d.Severity {
		case devcontainer.SeverityError:
			sev = ansiRed
		case devcontainer.SeverityInfo:
			sev = ansiCyan
		}
		line, col := d.Position()
		fmt.Fprintf(w, "%s%s:%d:%d:%s %s%s%s %s[%s]%s\n", ansiBold, d.Path(), line, col, ansiReset,
			sev, source.EscapeControl(d.Message), ansiReset, ansiDim, d.RuleID, ansiReset)
		text, marker := snippet(d.Loc.File, d.Loc.Start, d.Loc.End)
		fmt.Fprintf(w, "  %s\n  %s%s%s\n", text, ansiCyan, marker, ansiReset)
	}
}

// findingLine is a finding as one line of text: `path:line:col: message
// [rule-id]`, with `info: ` before the message of an info finding.
func findingLine(d devcontainer.Diagnostic) string {
	if d.Severity != devcontainer.SeverityInfo {
		return d.String()
	}
	line, col := d.Position()
	return fmt.Sprintf("%s:%d:%d: info: %s [%s]", d.Path(), line, col, source.EscapeControl(d.Message), d.RuleID)
}

// snippet returns the source line holding start and a ^~~~ marker under
// start..end (cut at the end of the line).
func snippet(f *source.File, start, end int) (string, string) {
	n, _ := f.Position(start)
	ls, line := f.LineStart(n), f.LineText(n)
	end = min(end, ls+len(line))
	var pad strings.Builder
	for _, c := range f.Body[ls:start] {
		if c == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	return line, pad.String() + "^" + strings.Repeat("~", max(end-start, 1)-1)
}

// ghEscape escapes a GitHub workflow command's data (and, with prop, a
// property value).
func ghEscape(s string, prop bool) string {
	r := strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	s = r.Replace(s)
	if prop {
		s = strings.NewReplacer(":", "%3A", ",", "%2C").Replace(s)
	}
	return s
}

// writeGitHub prints GitHub Actions annotations.
func writeGitHub(w io.Writer, diags []devcontainer.Diagnostic) {
	for _, d := range diags {
		level := map[devcontainer.Severity]string{devcontainer.SeverityError: "error", devcontainer.SeverityWarning: "warning"}[d.Severity]
		if level == "" {
			level = "notice"
		}
		line, col := d.Position()
		fmt.Fprintf(w, "::%s file=%s,line=%d,col=%d,title=%s::%s [%s]\n", level,
			ghEscape(slash(d.Path()), true), line, col, ghEscape("devfix "+d.RuleID, true), ghEscape(d.Message, false), d.RuleID)
	}
}

// RulesDocURL is where each rule's documentation lives (an anchor per rule).
const RulesDocURL = "https://github.com/devfix/devfix/blob/main/docs/rules.md"

func sarifLevel(s devcontainer.Severity) string {
	switch s {
	case devcontainer.SeverityError:
		return "error"
	case devcontainer.SeverityWarning:
		return "warning"
	}
	return "note"
}

// writeSARIF prints a SARIF 2.1.0 log: every rule with its help, and each
// finding with its region. Columns are byte columns (SARIF's default unit
// is UTF-16 code units); the run says so, and each region also carries its
// exact byte offset and length.
func writeSARIF(w io.Writer, diags []devcontainer.Diagnostic, version string) error {
	type msg struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown,omitempty"`
	}
	type rule struct {
		ID                   string            `json:"id"`
		Name                 string            `json:"name"`
		ShortDescription     msg               `json:"shortDescription"`
		FullDescription      msg               `json:"fullDescription"`
		Help                 msg               `json:"help"`
		HelpURI              string            `json:"helpUri"`
		DefaultConfiguration map[string]string `json:"defaultConfiguration"`
	}
	var rules []rule
	index := map[string]int{}
	for i, r := range devcontainer.Rules() {
		index[r.ID] = i
		help := r.Doc + "\n\nBad:\n" + r.Bad + "\n\nGood:\n" + r.Good
		rules = append(rules, rule{
			ID: r.ID, Name: r.ID, ShortDescription: msg{Text: r.Title}, FullDescription: msg{Text: r.Doc},
			Help:    msg{Text: help, Markdown: r.Doc + "\n\nBad:\n```jsonc\n" + r.Bad + "\n```\n\nGood:\n```jsonc\n" + r.Good + "\n```"},
			HelpURI: RulesDocURL + "#" + r.ID, DefaultConfiguration: map[string]string{"level": sarifLevel(r.Severity)},
		})
	}
	results := []map[string]any{}
	for _, d := range diags {
		line, col := d.Position()
		endLine, endCol := d.Loc.File.Position(max(d.Loc.End, d.Loc.Start))
		bom := 0
		if d.Loc.File.BOM {
			bom = 3
		}
		results = append(results, map[string]any{
			"ruleId": d.RuleID, "ruleIndex": index[d.RuleID], "level": sarifLevel(d.Severity),
			"message": msg{Text: d.Message},
			"locations": []any{map[string]any{"physicalLocation": map[string]any{
				"artifactLocation": map[string]any{"uri": slash(d.Path())},
				"region": map[string]any{"startLine": line, "startColumn": col, "endLine": endLine, "endColumn": endCol,
					"byteOffset": d.Loc.Start + bom, "byteLength": d.Loc.End - d.Loc.Start},
			}}},
		})
	}
	log := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name": "devfix", "informationUri": "https://github.com/devfix/devfix", "version": version, "rules": rules,
			}},
			"properties": map[string]any{"columnUnit": "bytes"},
			"results":    results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

func slash(p string) string { return strings.ReplaceAll(strings.TrimPrefix(p, "./"), "\\", "/") }
