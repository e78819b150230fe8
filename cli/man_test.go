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
	if len(pages) != len(commands())+1 {
		t.Errorf("%d pages for %d commands", len(pages), len(commands()))
	}
	flagInHelp := regexp.MustCompile(`(?m)^\s+(?:-(\w), )?--([\w-]+)`)
	for _, c := range commands() {
		name := "devfix-" + c.name + ".1"
		page, ok := pages[name]
		if !ok {
			t.Errorf("no page for %s", c.name)
			continue
		}
		if !strings.Contains(main, ".BR devfix-"+c.name+" (1)") {
			t.Errorf("devfix.1 does not name %s", name)
		}
		if !strings.Contains(page, ".TH DEVFIX\\-"+strings.ToUpper(c.name)+` 1 "2026\-12\-06" "devfix 1.2.0"`) {
			t.Errorf("%s: header:\n%s", name, firstLines(page, 2))
		}
		if !strings.Contains(page, roffLine(c.summary)) {
			t.Errorf("%s lacks the summary %q", name, c.summary)
		}
		help := devfix(t, memEnv(t, nil), c.name, "--help").stdout
		flags := flagInHelp.FindAllStringSubmatch(help, -1)
		if strings.Contains(help, "Flags:") && len(flags) == 0 {
			t.Fatalf("%s --help: no flag lines found (the test's pattern is stale):\n%s", c.name, help)
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
