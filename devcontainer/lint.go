package devcontainer

import (
	"context"
	"fmt"
	"sort"
)

// Result is what linting one config found.
type Result struct {
	Diagnostics []Diagnostic
	Facts       *Facts
	Strategy    Strategy
}

// Lint runs every rule that applies to the strategy. Diagnostics come sorted
// by position.
func Lint(ctx context.Context, c *Config, o *Options) Result {
	if o == nil {
		o = &Options{}
	}
	facts := computeFacts(ctx, c, o)
	res := Result{Facts: facts, Strategy: o.strategy()}
	for _, r := range Rules() {
		sev, overridden := o.Severities[r.ID]
		if !r.AppliesTo(res.Strategy) || sev == SeverityOff {
			continue
		}
		p := &Pass{Config: c, Strategy: res.Strategy, Facts: facts, Options: o, rule: r}
		r.Check(p)
		if overridden {
			for i := range p.diags {
				p.diags[i].Severity = sev
			}
		}
		res.Diagnostics = append(res.Diagnostics, p.diags...)
	}
	if !o.NoInlineIgnores {
		res.Diagnostics = applyIgnores(c, res.Diagnostics)
		if sev, ok := o.Severities[ruleUnusedIgnore.ID]; ok {
			var kept []Diagnostic
			for _, d := range res.Diagnostics {
				if d.RuleID == ruleUnusedIgnore.ID {
					if sev == SeverityOff {
						continue
					}
					d.Severity = sev
				}
				kept = append(kept, d)
			}
			res.Diagnostics = kept
		}
	}
	addUnknownNotes(facts, res.Strategy, o)
	sort.SliceStable(res.Diagnostics, func(i, j int) bool {
		a, b := res.Diagnostics[i], res.Diagnostics[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		return a.RuleID < b.RuleID
	})
	return res
}

func addUnknownNotes(f *Facts, s Strategy, o *Options) {
	if s == StrategyRoot && !f.Container.Known {
		f.Notes = append(f.Notes, fmt.Sprintf("container user unknown (%s): rootless-container-user skipped", f.Container.Why))
	}
	if s == StrategyACL && !f.Remote.Known {
		f.Notes = append(f.Notes, fmt.Sprintf("remote user unknown (%s): the acl checks need it", f.Remote.Why))
	}
}

// maxRounds bounds the fix loop; each round applies every fix that does not
// conflict with an earlier one, so a handful is plenty.
const maxRounds = 16

// FixResult is the outcome of fixing one config.
type FixResult struct {
	// Output is the fixed file, BOM included; equal to the input when
	// nothing was fixed.
	Output []byte
	// Applied are the fixes applied, in order.
	Applied []Fix
	// Remaining are findings that have no fix, from the final round.
	Remaining []Diagnostic
	// Final is the lint result of the fixed file.
	Final Result
}

// HostActions are the changes outside the file that the fixes need.
func (r FixResult) HostActions() []HostAction {
	var as []HostAction
	for _, f := range r.Applied {
		as = append(as, f.HostActions...)
	}
	return as
}

// FixConfig lints and applies fixes until none is left. Fixes are independent
// edits of one baseline: those that conflict with an earlier fix wait for the
// next round, which re-parses and re-lints. A result that would not parse is
// an internal error and nothing is returned.
func FixConfig(ctx context.Context, c *Config, o *Options) (FixResult, error) {
	if o == nil {
		o = &Options{}
	}
	cur := c
	var out FixResult
	var hostFixes []Fix
	for round := 0; ; round++ {
		res := Lint(ctx, cur, o)
		var chosen []Fix
		var edits []Edit
		var remaining []Diagnostic
		byPriority := append([]Diagnostic(nil), res.Diagnostics...)
		sort.SliceStable(byPriority, func(i, j int) bool {
			return fixPriority(byPriority[i].RuleID) < fixPriority(byPriority[j].RuleID)
		})
		for _, d := range byPriority {
			if len(d.Fixes) == 0 {
				remaining = append(remaining, d)
				continue
			}
			fix := d.Fixes[0]
			if len(fix.Edits) == 0 {
				// Host work does not change the file: take it from the
				// first round only, and carry it out once.
				if round == 0 {
					hostFixes = append(hostFixes, fix)
				}
				continue
			}
			if conflicts(edits, fix.Edits) {
				continue
			}
			edits = append(edits, fix.Edits...)
			chosen = append(chosen, fix)
		}
		if len(chosen) == 0 {
			out.Applied = append(out.Applied, hostFixes...)
			out.Remaining, out.Final = remaining, res
			out.Output = cur.Bytes()
			return out, nil
		}
		if round == maxRounds {
			return FixResult{}, fmt.Errorf("%s: internal error: fixes did not settle after %d rounds", c.Path, maxRounds)
		}
		body, err := applyEdits(cur.Body, edits)
		if err != nil {
			return FixResult{}, fmt.Errorf("%s: %w", c.Path, err)
		}
		out.Applied = append(out.Applied, chosen...)
		whole := body
		if cur.BOM {
			whole = append(append([]byte{}, utf8BOM...), body...)
		}
		next, err := Parse(c.Path, whole)
		if err != nil {
			return FixResult{}, fmt.Errorf("%s: internal error: the fixed file would not parse (%v); nothing was written", c.Path, err)
		}
		cur = next
	}
}
