package devcontainer

import (
	"fmt"
	"strings"
)

// RulesMarkdown renders docs/rules.md from the rule registry: for each rule,
// why it matters under rootless Docker and what the fix does, and a bad and
// a good example. A test fails when docs/rules.md is stale.
func RulesMarkdown() string {
	var b strings.Builder
	b.WriteString("# devfix rules\n\n")
	b.WriteString("Generated from the rule registry by `make docs` (`devfix rules --format markdown`); do not edit by hand.\n")
	b.WriteString("Turn a rule off or change its severity in `.devfix.jsonc` (`devfix init` writes one), or silence one finding\n")
	b.WriteString("with `// devfix-ignore-next-line <rule-id> -- reason`.\n\n")
	b.WriteString("| rule | severity | strategies | engines | title |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range Rules() {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s | %s |\n", r.ID, r.ID, r.Severity, strings.Join(RuleStrategies(r), ", "), strings.Join(RuleEngines(r), ", "), r.Title)
	}
	for _, r := range Rules() {
		fmt.Fprintf(&b, "\n## %s\n\n", r.ID)
		fmt.Fprintf(&b, "%s. Severity **%s**; strategies: %s; engines: %s.\n\n", upperFirst(r.Title), r.Severity, strings.Join(RuleStrategies(r), ", "), strings.Join(RuleEngines(r), ", "))
		b.WriteString(r.Doc + "\n\n")
		b.WriteString("Bad:\n\n```jsonc\n" + r.Bad + "\n```\n\n")
		b.WriteString("Good:\n\n```jsonc\n" + r.Good + "\n```\n")
	}
	return b.String()
}

// RuleEngines names the engines a rule runs for.
func RuleEngines(r *Rule) []string {
	var out []string
	for _, e := range []Engine{EngineDocker, EnginePodman} {
		if r.appliesToEngine(e) {
			out = append(out, string(e))
		}
	}
	return out
}

// RuleStrategies names the strategies a rule runs under.
func RuleStrategies(r *Rule) []string {
	var out []string
	for _, s := range strategies() {
		if r.AppliesTo(s) {
			out = append(out, string(s))
		}
	}
	return out
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
