package cli

import (
	"regexp"
	"strings"
	"testing"
)

// The pages are made at build time from the table, so they cannot go stale;
// what can go wrong is a page that says less than --help, or roff that
// swallows a line. Each command's page carries what its --help carries.
func TestManPagesSayWhatHelpSays(t *testing.T) {
	pages := map[string]string{}
	for _, p := range ManPages("devfix 1.2.0", "2026-12-06") {
		if _, dup := pages[p.Name]; dup {
			t.Errorf("two pages named %s", p.Name)
		}
		pages[p.Name] = string(p.Text)
	}
	main, ok := pages["devfix.1"]
	if !ok {
		t.Fatal("no devfix.1")
	}
	flagInHelp := regexp.MustCompile(`(?m)^\s+(?:-(\w), )?--([\w-]+)`)
	type row struct {
		full, parent string
		c            command
	}
	var rows []row
	var walk func(parent string, cs []command)
	walk = func(parent string, cs []command) {
		for _, c := range cs {
			full := strings.TrimPrefix(parent+" "+c.name, " ")
			rows = append(rows, row{full, parent, c})
			walk(full, c.sub)
		}
	}
	walk("", commands())
	if len(pages) != len(rows)+1 {
		t.Errorf("%d pages for %d commands and subcommands", len(pages), len(rows))
	}
	for _, r := range rows {
		c, dashed := r.c, strings.ReplaceAll(r.full, " ", "-")
		name := "devfix-" + dashed + ".1"
		page, ok := pages[name]
		if !ok {
			t.Errorf("no page for %s", r.full)
			continue
		}
		// Each page is named by the one above it: devfix(1) names the
		// commands, devfix-host(1) its subcommands.
		above := main
		if r.parent != "" {
			above = pages["devfix-"+strings.ReplaceAll(r.parent, " ", "-")+".1"]
		}
		if !strings.Contains(above, ".BR devfix\\-"+roffLine(dashed)+" (1)") {
			t.Errorf("the page above does not name %s", name)
		}
		if !strings.Contains(page, ".TH DEVFIX\\-"+roffLine(strings.ToUpper(dashed))+` 1 "2026\-12\-06" "devfix 1.2.0"`) {
			t.Errorf("%s: header:\n%s", name, firstLines(page, 2))
		}
		if !strings.Contains(page, ".B devfix "+roffLine(r.full)+"\n") {
			t.Errorf("%s: no synopsis for devfix %s", name, r.full)
		}
		if !strings.Contains(page, roffLine(c.summary)) {
			t.Errorf("%s lacks the summary %q", name, c.summary)
		}
		help := devfix(t, memEnv(t, nil), append(strings.Fields(r.full), "--help")...).stdout
		if !strings.Contains(help, "Usage: devfix "+r.full) {
			t.Fatalf("devfix %s --help:\n%s", r.full, help)
		}
		flags := flagInHelp.FindAllStringSubmatch(help, -1)
		if strings.Contains(help, "Flags:") && len(flags) == 0 {
			t.Fatalf("%s --help: no flag lines found (the test's pattern is stale):\n%s", r.full, help)
		}
		for _, f := range flags {
			want := `\fB\-\-` + roffLine(f[2]) + `\fR`
			if f[1] != "" {
				want = `\fB\-` + f[1] + `\fR, ` + want
			}
			if !strings.Contains(page, want) {
				t.Errorf("%s lacks the flag --%s that --help shows", name, f[2])
			}
		}
		for _, l := range strings.Split(c.about, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.Contains(page, roffLine(l)) {
				t.Errorf("%s lacks the line %q of the description", name, l)
			}
		}
		for _, e := range c.examples {
			if !strings.Contains(page, roffLine(e)+"\n") {
				t.Errorf("%s lacks the example %q", name, e)
			}
		}
	}
}

// A line of help text must never become a roff request or lose a backslash.
func TestRoffText(t *testing.T) {
	got := roffText("first -x line\n.hidden? no\n'quoted\n\n  sample \\n\n  two\nafter")
	want := "first \\-x line\n\\&.hidden? no\n\\&'quoted\n.PP\n.RS 4\n.nf\nsample \\en\ntwo\n.fi\n.RE\nafter\n"
	if got != want {
		t.Errorf("roffText:\n%s\nwant:\n%s", got, want)
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	return strings.Join(l[:min(n, len(l))], "\n")
}
