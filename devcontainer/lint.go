package devcontainer

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/devfix/devfix/internal/source"
	"github.com/spf13/afero"
)

// Result is what linting one config found.
type Result struct {
	Diagnostics []Diagnostic
	Facts       *Facts
	Strategy    Strategy
	// Notes say what devfix could not learn, and what it assumed.
	Notes []string
}

// Lint runs every rule that applies to the strategy and engine.
// Diagnostics come sorted by file (devcontainer.json first) and position.
func Lint(ctx context.Context, c *Config, o *Options) Result {
	if o == nil {
		o = &Options{}
	}
	facts := computeFacts(ctx, c, o)
	res := Result{Facts: facts, Strategy: o.strategy()}
	var notes []string
	ran := map[string]bool{}
	for _, r := range rulesByID() {
		if !r.AppliesTo(res.Strategy) || !r.appliesToEngine(o.engine()) || o.Severities[r.ID] == SeverityOff {
			continue
		}
		ran[r.ID] = true
		p := &Pass{Ctx: ctx, Config: c, Strategy: res.Strategy, Facts: facts, Options: o, rule: r}
		r.Check(p)
		res.Diagnostics = append(res.Diagnostics, p.diags...)
		notes = append(notes, p.notes...)
	}
	if !o.NoInlineIgnores {
		res.Diagnostics = applyIgnores(c.commentSources(facts), res.Diagnostics, ran)
	}
	res.Diagnostics = dropAnswered(res.Diagnostics)
	res.Diagnostics = o.overrideSeverities(res.Diagnostics)
	res.Notes = append(append(res.Notes, facts.Notes...), notes...)
	order := map[*source.File]int{}
	for i, f := range c.Files() {
		order[f] = i + 1
	}
	sort.SliceStable(res.Diagnostics, func(i, j int) bool {
		a, b := res.Diagnostics[i], res.Diagnostics[j]
		if fa, fb := fileOrder(order, a.Loc.File), fileOrder(order, b.Loc.File); fa != fb {
			return fa < fb
		}
		if a.Loc.Start != b.Loc.Start {
			return a.Loc.Start < b.Loc.Start
		}
		return a.RuleID < b.RuleID
	})
	return res
}

// dropAnswered drops the findings of a rule whose cause another rule's
// finding already states (Rule.AnsweredBy): one cause, one finding.
func dropAnswered(diags []Diagnostic) []Diagnostic {
	reported := map[string]bool{}
	for _, d := range diags {
		reported[d.RuleID] = true
	}
	kept := diags[:0]
	for _, d := range diags {
		if r, ok := ruleByID(d.RuleID); ok && r.AnsweredBy != "" && reported[r.AnsweredBy] {
			continue
		}
		kept = append(kept, d)
	}
	return kept
}

// overrideSeverities gives the findings of a rule .devfix.jsonc names the
// severity it sets there, and drops them when that is off (unused-ignore's;
// other rules turned off did not run). Only findings at the rule's default
// severity change: those a rule reports as info on purpose (a user it could
// not learn) stay info.
func (o *Options) overrideSeverities(diags []Diagnostic) []Diagnostic {
	if len(o.Severities) == 0 {
		return diags
	}
	kept := diags[:0]
	for _, d := range diags {
		if sev, ok := o.Severities[d.RuleID]; ok {
			if sev == SeverityOff {
				continue
			}
			if r, known := ruleByID(d.RuleID); known && d.Severity == r.Severity {
				d.Severity = sev
			}
		}
		kept = append(kept, d)
	}
	return kept
}

// fileOrder puts the config's own files first, then others (Dockerfiles).
func fileOrder(order map[*source.File]int, f *source.File) int {
	if n, ok := order[f]; ok {
		return n
	}
	return len(order) + 1
}

// commentSources are the files whose comments may hold ignores: the
// config, its compose files, and the Dockerfile the facts read.
func (c *Config) commentSources(f *Facts) []commentSource {
	var out []commentSource
	if bytes.Contains(c.doc.Body, []byte("devfix-ignore-")) {
		out = append(out, c.commentSource())
	}
	if c.compose != nil {
		out = append(out, c.compose.commentSources()...)
	}
	if f.dockerfile != nil {
		out = append(out, f.dockerfile.commentSource())
	}
	return out
}

// maxRounds bounds the fix loop; each round applies every fix that does not
// conflict with an earlier one, so a handful is plenty.
const maxRounds = 16

// FileChange is one file of a config and what fixing made of it.
type FileChange struct {
	File *source.File // as read
	New  []byte       // the whole fixed file, BOM included; equal to File.Bytes() when unchanged
}

// Changed reports whether the file changed.
func (fc FileChange) Changed() bool { return !bytes.Equal(fc.File.Bytes(), fc.New) }

// FixResult is the outcome of fixing one config.
type FixResult struct {
	// Files are the config's files, devcontainer.json first, with their
	// fixed bytes.
	Files []FileChange
	// Output is the fixed devcontainer.json, BOM included.
	Output []byte
	// Applied are the fixes applied, in order.
	Applied []Fix
	// Remaining are findings that have no fix, from the final round.
	Remaining []Diagnostic
	// Final is the lint result of the fixed files.
	Final Result
}

// HostActions are the changes outside the files that the fixes need.
func (r FixResult) HostActions() []HostAction {
	var as []HostAction
	for _, f := range r.Applied {
		as = append(as, f.HostActions...)
	}
	return as
}

// FixConfig lints and applies fixes until none is left. Fixes are independent
// edits of one baseline: those that conflict with an earlier fix wait for the
// next round, which re-parses and re-lints every file. Every error it returns
// is devfix's fault, not the input's: it wraps source.ErrInternal, and nothing
// is returned.
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
		var edits []source.Edit
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
				// Host work does not change a file: take it from the first
				// round only, and carry it out once.
				if round == 0 {
					hostFixes = append(hostFixes, fix)
				}
				continue
			}
			if source.Conflicts(edits, fix.Edits) {
				continue
			}
			if sameEdits(edits, fix.Edits) {
				continue // an earlier fix makes these very edits: it is announced once
			}
			edits = append(edits, fix.Edits...)
			chosen = append(chosen, fix)
		}
		if len(chosen) == 0 {
			out.Applied = append(out.Applied, hostFixes...)
			out.Remaining, out.Final = remaining, res
			out.Files = nil
			for i, f := range cur.Files() {
				out.Files = append(out.Files, FileChange{File: c.Files()[i], New: f.Bytes()})
			}
			out.Output = cur.Bytes()
			return out, nil
		}
		if round == maxRounds {
			return FixResult{}, fmt.Errorf("%s: %w: fixes did not settle after %d rounds", c.Path, source.ErrInternal, maxRounds)
		}
		next, err := cur.withEdits(ctx, o, edits)
		if err != nil {
			return FixResult{}, err
		}
		out.Applied = append(out.Applied, chosen...)
		cur = next
	}
}

// sameEdits reports whether every edit of fix is already among edits.
func sameEdits(edits, fix []source.Edit) bool {
	for _, e := range fix {
		if !slices.Contains(edits, e) {
			return false
		}
	}
	return true
}

// withEdits applies edits to the config's files and reads the result again.
func (c *Config) withEdits(ctx context.Context, o *Options, edits []source.Edit) (*Config, error) {
	byFile := map[*source.File][]source.Edit{}
	for _, e := range edits {
		byFile[e.File] = append(byFile[e.File], e)
	}
	// Every file as it is now: those fixed in earlier rounds too, which
	// the filesystem does not have yet.
	changed := map[string][]byte{}
	for _, f := range c.Files() {
		changed[c.readPath(f)] = f.Bytes()
	}
	for f, es := range byFile {
		body, err := source.Apply(f.Body, es)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
		changed[c.readPath(f)] = f.WithBOM(body)
	}
	var next *Config
	var err error
	if c.compose == nil {
		next, err = Parse(c.Path, changed[c.Path])
	} else {
		next, err = Load(ctx, overlay(o.Fs, changed), c.Path, o.LookupEnv)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w: the fixed files would not parse (%v); nothing was written", c.Path, source.ErrInternal, err)
	}
	return next, nil
}

// overlay is fsys with files replaced by new contents, in memory.
func overlay(fsys afero.Fs, files map[string][]byte) afero.Fs {
	mem := afero.NewMemMapFs()
	for p, data := range files {
		_ = afero.WriteFile(mem, p, data, 0o644)
	}
	if fsys == nil {
		return mem
	}
	return afero.NewCopyOnWriteFs(afero.NewReadOnlyFs(fsys), mem)
}
