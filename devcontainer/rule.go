package devcontainer

import (
	"fmt"
	"sort"
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

// Strategy is how devfix makes a config work under rootless Docker.
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
)

// Strategies lists every strategy, the default first.
var Strategies = []Strategy{StrategyRoot, StrategyEnv, StrategyACL}

// ParseStrategy checks a --strategy value.
func ParseStrategy(s string) (Strategy, error) {
	for _, st := range Strategies {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown strategy %q (want root, env or acl)", s)
}

// Rule is one check. Rules are data: the registry feeds `devfix rules`, the
// docs and config validation.
type Rule struct {
	ID       string // stable kebab-case
	Title    string // one line, lower case, no period
	Severity Severity
	// Strategies the rule applies to; nil means all.
	Strategies []Strategy
	// Doc says why it matters under rootless Docker and what the fix does.
	Doc string
	// Bad and Good are example configs.
	Bad, Good string
	// Reads lists the JSON pointers the rule looks at.
	Reads []string
	Check func(*Pass)
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

// Rules returns every rule, sorted by ID.
func Rules() []*Rule {
	rs := registry()
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	return rs
}

// fixPriority is the rule's place in the registry.
func fixPriority(id string) int {
	for i, r := range registry() {
		if r.ID == id {
			return i
		}
	}
	return len(registry())
}

// RuleByID finds a rule.
func RuleByID(id string) (*Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return nil, false
}

// Diagnostic is one finding at a byte span of Config.Body.
type Diagnostic struct {
	Path       string
	Start, End int
	Line, Col  int
	RuleID     string
	Severity   Severity
	Message    string
	Pointer    string // JSON pointer of the setting it is about ("" = the file)
	Fixes      []Fix  // at most one is applied
}

// Pass is what a rule's Check sees.
type Pass struct {
	Config   *Config
	Strategy Strategy
	Facts    *Facts
	Options  *Options
	rule     *Rule
	diags    []Diagnostic
}

// Report records a finding about the bytes start..end.
func (p *Pass) Report(start, end int, pointer, msg string, fixes ...Fix) {
	line, col := p.Config.Position(start)
	p.diags = append(p.diags, Diagnostic{
		Path: p.Config.Path, Start: start, End: end, Line: line, Col: col,
		RuleID: p.rule.ID, Severity: p.rule.Severity, Message: msg,
		Pointer: pointer, Fixes: fixes,
	})
}

// Reportf is Report with a formatted message and no fix.
func (p *Pass) Reportf(start, end int, pointer, format string, args ...any) {
	p.Report(start, end, pointer, fmt.Sprintf(format, args...))
}
