package devcontainer

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/source"
)

func mustParse(t *testing.T, cfg string) *Config {
	t.Helper()
	c, err := Parse("devcontainer.json", []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func severities(ds []Diagnostic) map[string]Severity {
	out := map[string]Severity{}
	for _, d := range ds {
		out[d.RuleID+": "+d.Message] = d.Severity
	}
	return out
}

// devfix init lists every rule at its default severity: that changes
// nothing, and the info findings about a user devfix could not learn stay
// info (lint offline still exits 0).
func TestDefaultSettingsChangeNothing(t *testing.T) {
	st, err := parseSettings(SettingsFile, []byte(DefaultSettings()))
	if err != nil {
		t.Fatal(err)
	}
	c := mustParse(t, `{"image": "localhost/not-pulled:1"}`)
	want := severities(Lint(context.Background(), c, &Options{}).Diagnostics)
	infos := 0
	for _, sev := range want {
		if sev == SeverityInfo {
			infos++
		}
	}
	if infos == 0 {
		t.Fatalf("no info findings to check: %v", want)
	}
	got := severities(Lint(context.Background(), c, &Options{Severities: st.Rules}).Diagnostics)
	for k, sev := range want {
		if got[k] != sev {
			t.Errorf("%s: %s with the default settings, %s without", k, got[k], sev)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d findings with the default settings, %d without", len(got), len(want))
	}
}

// An override changes the findings at the rule's default severity, not
// those the rule reports as info on purpose; off drops them all.
func TestSeverityOverride(t *testing.T) {
	ctx := context.Background()
	known := mustParse(t, `{"image": "debian:12", "remoteUser": "vscode", "updateRemoteUserUID": false}`)
	unknown := mustParse(t, `{"image": "localhost/not-pulled:1", "updateRemoteUserUID": false}`)
	images := fakeImages{"debian:12": {}}
	one := func(c *Config, sevs map[string]Severity) []Diagnostic {
		var out []Diagnostic
		for _, d := range Lint(ctx, c, &Options{Images: images, Severities: sevs}).Diagnostics {
			if d.RuleID == ruleRemoteUser.ID {
				out = append(out, d)
			}
		}
		return out
	}
	warn := map[string]Severity{ruleRemoteUser.ID: SeverityWarning}
	if ds := one(known, warn); len(ds) != 1 || ds[0].Severity != SeverityWarning {
		t.Errorf("known user, rule set to warn: %v, want one warning", ds)
	}
	if ds := one(unknown, warn); len(ds) != 1 || ds[0].Severity != SeverityInfo {
		t.Errorf("unknown user, rule set to warn: %v, want one info", ds)
	}
	off := map[string]Severity{ruleRemoteUser.ID: SeverityOff}
	if ds := append(one(known, off), one(unknown, off)...); len(ds) != 0 {
		t.Errorf("rule off: %v, want none", ds)
	}
}

// An ignore of a rule that did not run (turned off here) silences nothing
// and is not unused either; unused-ignore off drops its own findings.
func TestIgnoreOfRuleThatDidNotRun(t *testing.T) {
	c := mustParse(t, `{
  "image": "debian:12",
  "remoteUser": "root",
  "updateRemoteUserUID": false,
  "runArgs": [
    // devfix-ignore-next-line host-network -- CI only
    "--network=host",
    "--init" // devfix-ignore-line privileged-container
  ]
}`)
	lint := func(sevs map[string]Severity) []string {
		var out []string
		for _, d := range Lint(context.Background(), c, &Options{Images: fakeImages{"debian:12": {}}, Severities: sevs}).Diagnostics {
			out = append(out, d.String())
		}
		return out
	}
	got := lint(map[string]Severity{ruleHostNetwork.ID: SeverityOff})
	if len(got) != 1 || !strings.Contains(got[0], "devfix-ignore-line privileged-container silences nothing") {
		t.Errorf("host-network off: %q, want only the unused privileged-container ignore", got)
	}
	if got := lint(map[string]Severity{ruleHostNetwork.ID: SeverityOff, ruleUnusedIgnore.ID: SeverityOff}); len(got) != 0 {
		t.Errorf("unused-ignore off: %q, want nothing", got)
	}
}

// A fix whose edits an earlier fix of the round already makes adds
// nothing: it is not applied (nor announced) a second time.
func TestSameEdits(t *testing.T) {
	f := &source.File{Path: "a.json"}
	a := source.Edit{File: f, Start: 1, End: 3, New: "x"}
	b := source.Edit{File: f, Start: 5, End: 5, New: "y"}
	for _, tc := range []struct {
		have, fix []source.Edit
		want      bool
	}{
		{[]source.Edit{a, b}, []source.Edit{a}, true},
		{[]source.Edit{a, b}, []source.Edit{b, a}, true},
		{[]source.Edit{a}, []source.Edit{a, b}, false},
		{nil, []source.Edit{a}, false},
		{[]source.Edit{a}, []source.Edit{{File: f, Start: 1, End: 3, New: "z"}}, false},
	} {
		if got := sameEdits(tc.have, tc.fix); got != tc.want {
			t.Errorf("sameEdits(%v, %v) = %v, want %v", tc.have, tc.fix, got, tc.want)
		}
	}
}

// Rules hands out copies: a caller that changes one changes nothing that
// Lint runs.
func TestRulesAreCopies(t *testing.T) {
	for _, r := range Rules() {
		r.Severity = SeverityOff
		r.Strategies = append(r.Strategies[:0], "changed")
		if len(r.Engines) > 0 {
			r.Engines[0] = "changed"
		}
	}
	for _, r := range Rules() {
		if r.Severity == SeverityOff || slices.Contains(r.Strategies, "changed") || slices.Contains(r.Engines, "changed") {
			t.Errorf("%s: a change to a copy reached the registry", r.ID)
		}
	}
	c := mustParse(t, `{"image": "debian:12", "remoteUser": "vscode"}`)
	if len(Lint(context.Background(), c, nil).Diagnostics) == 0 {
		t.Error("no findings after the copies were changed")
	}
}
