package devcontainer

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"

	"github.com/devfix/devfix/internal/source"
)

// Severity is how bad a finding is.
type Severity int

// Severities, worst first.
const (
	SeverityError Severity = iota
	SeverityWarning
	SeverityInfo
	// SeverityOff turns a rule off (configuration only).
	SeverityOff
)

func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityOff:
		return "off"
	}
	return "info"
}

// Strategy is how devfix makes a config work under a rootless engine.
type Strategy string

// The strategies. The zero value means StrategyRoot.
const (
	// StrategyRoot runs as container root, which is the host user under
	// rootless Docker.
	StrategyRoot Strategy = "root"
	// StrategyEnv takes the users from DEVFIX_REMOTE_USER and
	// DEVFIX_CONTAINER_USER, so one committed file works on rootless and
	// rootful Docker.
	StrategyEnv Strategy = "env"
	// StrategyACL keeps the non-root user and grants its mapped host UID
	// access to the workspace with POSIX ACLs.
	StrategyACL Strategy = "acl"
	// StrategyKeepID keeps the image's user under rootless Podman: the
	// CLI's own --userns=keep-id where that works, keep-id:uid=,gid= of the
	// image user where it does not (a high host UID).
	StrategyKeepID Strategy = "keepid"
)

// strategies lists every strategy, the default first.
func strategies() []Strategy {
	return []Strategy{StrategyRoot, StrategyEnv, StrategyACL, StrategyKeepID}
}

// ParseStrategy checks a --strategy value.
func ParseStrategy(s string) (Strategy, error) {
	for _, st := range strategies() {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown strategy %q (want root, env, acl or keepid)", s)
}

// Rule is one check. Rules are data: the registry feeds `devfix rules`, the
// docs and config validation.
type Rule struct {
	ID       string // stable kebab-case
	Title    string // one line, lower case, no period
	Severity Severity
	// Strategies the rule applies to; nil means all.
	Strategies []Strategy
	// Engines the rule applies to; nil means all.
	Engines []Engine
	// Doc says why it matters under rootless Docker and what the fix does.
	Doc string
	// Bad and Good are example configs.
	Bad, Good string
	// Reads lists the JSON pointers the rule looks at.
	Reads []string
	Check func(*Pass)
	// AnsweredBy names a rule whose finding states this rule's cause and
	// whose fix answers it too: where that rule reports (after ignores),
	// this rule's findings are dropped, so one cause is reported once.
	AnsweredBy string
}

// AppliesTo reports whether the rule runs under strategy s.
func (r *Rule) AppliesTo(s Strategy) bool {
	if r.Strategies == nil {
		return true
	}
	for _, x := range r.Strategies {
		if x == s {
			return true
		}
	}
	return false
}

// appliesToEngine reports whether the rule runs for engine e.
func (r *Rule) appliesToEngine(e Engine) bool {
	if r.Engines == nil {
		return true
	}
	for _, x := range r.Engines {
		if x == e {
			return true
		}
	}
	return false
}

// registry lists every rule in fix priority order: when two fixes conflict
// in one round, the earlier rule's goes first (so "remoteUser" is written
// before "containerUser" makes it implicitly root).
func registry() []*Rule {
	return []*Rule{
		ruleRemoteUser,
		ruleContainerUser,
		ruleUpdateRemoteUserUID,
		ruleACLGitSafeDirectory,
		ruleACLWorkspace,
		ruleDockerSocket,
		ruleUsernsKeepID,
		rulePodmanKeepIDUID,
		rulePodmanIDMapConflict,
		ruleEnvUserns,
		ruleLocalEnvDefault,
		ruleXDGUnset,
		ruleBindSource,
		ruleNetworkShare,
		rulePrivilegedPort,
		ruleResourceLimits,
		ruleHostNetwork,
		ruleAppArmor,
		rulePrivileged,
		ruleDuplicateKey,
		ruleTrailingComma,
		ruleUnusedIgnore,
	}
}

// Rules returns every rule, sorted by ID. Each is a copy: changing one
// changes nothing in what devfix runs.
func Rules() []*Rule {
	var out []*Rule
	for _, r := range rulesByID() {
		c := *r
		c.Strategies = slices.Clone(r.Strategies)
		c.Engines = slices.Clone(r.Engines)
		c.Reads = slices.Clone(r.Reads)
		out = append(out, &c)
	}
	return out
}

// rulesByID is the registry sorted by ID, built on first use; what Lint
// runs. The rules are shared and never changed.
var rulesByID = sync.OnceValue(func() []*Rule {
	rs := registry()
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	return rs
})

// ruleIndex maps each rule ID to its rule and its place in the registry,
// built on first use.
var ruleIndex = sync.OnceValue(func() map[string]indexedRule {
	m := map[string]indexedRule{}
	for i, r := range registry() {
		m[r.ID] = indexedRule{r, i}
	}
	return m
})

type indexedRule struct {
	rule     *Rule
	priority int // the place in the registry
}

// fixPriority is the rule's place in the registry; unknown IDs come last.
func fixPriority(id string) int {
	if e, ok := ruleIndex()[id]; ok {
		return e.priority
	}
	return len(ruleIndex())
}

// ruleByID finds a rule.
func ruleByID(id string) (*Rule, bool) {
	e, ok := ruleIndex()[id]
	return e.rule, ok
}

// Diagnostic is one finding: a rule's message about the node at Loc (in
// devcontainer.json, a compose file or a Dockerfile), and at most one fix
// that apply uses.
type Diagnostic struct {
	Loc      source.Loc
	RuleID   string
	Severity Severity
	Message  string
	Fixes    []Fix
}

// Path is the file the finding is in.
func (d Diagnostic) Path() string { return d.Loc.Path() }

// Position is the 1-based line and byte column of the finding.
func (d Diagnostic) Position() (line, col int) { return d.Loc.Position() }

// String is the finding as one line: "path:line:col: message [rule-id]".
func (d Diagnostic) String() string {
	line, col := d.Position()
	return fmt.Sprintf("%s:%d:%d: %s [%s]", d.Path(), line, col, source.EscapeControl(d.Message), d.RuleID)
}

// Fix is one way to resolve a diagnostic: a verb phrase and byte edits of
// the config's files, which must not overlap each other. HostActions are
// changes outside the files (ACLs on the workspace) that apply carries out
// and lint only names.
type Fix struct {
	Message     string
	Edits       []source.Edit
	HostActions []HostAction
}

// Pass is what a rule's Check sees. Its inputs are read-only: a rule reports
// findings, and says what it could not learn with Note.
type Pass struct {
	Ctx      context.Context
	Config   *Config
	Strategy Strategy
	Facts    *Facts
	Options  *Options
	rule     *Rule
	diags    []Diagnostic
	notes    []string
}

// Report records a finding about the node at loc.
func (p *Pass) Report(loc source.Loc, msg string, fixes ...Fix) {
	p.ReportAt(p.rule.Severity, loc, msg, fixes...)
}

// ReportAt is Report with a severity other than the rule's own.
func (p *Pass) ReportAt(sev Severity, loc source.Loc, msg string, fixes ...Fix) {
	p.diags = append(p.diags, Diagnostic{Loc: loc, RuleID: p.rule.ID, Severity: sev, Message: msg, Fixes: fixes})
}

// Reportf is Report with a formatted message and no fix.
func (p *Pass) Reportf(loc source.Loc, format string, args ...any) {
	p.Report(loc, fmt.Sprintf(format, args...))
}

// Note says what the rule could not learn; it is shown, never counted.
func (p *Pass) Note(format string, args ...any) {
	p.notes = append(p.notes, p.rule.ID+": "+fmt.Sprintf(format, args...))
}
