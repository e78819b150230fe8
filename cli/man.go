package cli

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// ManPage is one manual page in section 1: its file name (devfix-lint.1)
// and its roff source.
type ManPage struct {
	Name string
	Text []byte
}

// ManPages renders devfix(1) and one page per command and subcommand
// (devfix-lint(1), devfix-host(1), devfix-host-grant(1)) from the command
// table, the source --help prints from. release names the build
// ("devfix 1.2.0") and date the day it was made (YYYY-MM-DD), both for the
// page footer.
func ManPages(release, date string) []ManPage {
	cs := commands()
	pages := []ManPage{{Name: "devfix.1", Text: mainManPage(cs, release, date)}}
	var walk func(parent string, cs []command)
	walk = func(parent string, cs []command) {
		for _, c := range cs {
			full := strings.TrimPrefix(parent+" "+c.name, " ")
			pages = append(pages, ManPage{Name: manName(full) + ".1", Text: commandManPage(full, c, release, date)})
			walk(full, c.sub)
		}
	}
	walk("", cs)
	return pages
}

// manName is the page of a command by its full name: "host grant" is
// devfix-host-grant.
func manName(full string) string { return "devfix-" + strings.ReplaceAll(full, " ", "-") }

func mainManPage(cs []command, release, date string) []byte {
	var b bytes.Buffer
	manHeader(&b, "devfix", release, date)
	fmt.Fprintf(&b, ".SH NAME\ndevfix \\- %s\n", roffLine(tagline))
	b.WriteString(".SH SYNOPSIS\n.B devfix\n.I command\n.RI [ flags ]\n.RI [ PATH ...]\n")
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(roffText("devfix finds and fixes what stops a Dev Container config (devcontainer.json, the\ncompose files and Dockerfiles behind it) working under a rootless engine.\nEach command has its own page, and answers --help with the same text."))
	b.WriteString(".SH COMMANDS\n")
	for _, c := range cs {
		fmt.Fprintf(&b, ".TP\n.BR %s (1)\n%s\n", roffLine(manName(c.name)), roffLine(c.summary))
	}
	b.WriteString(".SH EXAMPLES\n.nf\n.RS 4\n")
	for _, e := range overviewExamples() {
		b.WriteString(roffLine(e) + "\n")
	}
	b.WriteString(".RE\n.fi\n")
	manExit(&b)
	b.WriteString(".SH SEE ALSO\n")
	for i, c := range cs {
		sep := ","
		if i == len(cs)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, ".BR %s (1)%s\n", roffLine(manName(c.name)), sep)
	}
	return b.Bytes()
}

func commandManPage(full string, c command, release, date string) []byte {
	fs := newFlagSet(c)
	if c.setup != nil {
		c.setup(fs)
	}
	name := manName(full)
	var b bytes.Buffer
	manHeader(&b, name, release, date)
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n", name, roffLine(c.summary))
	fmt.Fprintf(&b, ".SH SYNOPSIS\n.B devfix %s\n", roffLine(full))
	if c.sub != nil {
		b.WriteString(".I command\n")
	}
	if fs.HasFlags() {
		b.WriteString(".RI [ flags ]\n")
	}
	if c.args != "" {
		fmt.Fprintf(&b, ".I %s\n", roffLine(c.args))
	}
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(roffText(c.about))
	if c.sub != nil {
		b.WriteString(".SH COMMANDS\n")
		for _, sc := range c.sub {
			fmt.Fprintf(&b, ".TP\n.BR %s (1)\n%s\n", roffLine(manName(full+" "+sc.name)), roffLine(sc.summary))
		}
	}
	if fs.HasFlags() {
		b.WriteString(".SH OPTIONS\n")
		fs.VisitAll(func(f *pflag.Flag) {
			varname, usage := pflag.UnquoteUsage(f)
			b.WriteString(".TP\n")
			if f.Shorthand != "" {
				fmt.Fprintf(&b, "\\fB\\-%s\\fR, ", roffLine(f.Shorthand))
			}
			fmt.Fprintf(&b, "\\fB\\-\\-%s\\fR", roffLine(f.Name))
			if varname != "" {
				fmt.Fprintf(&b, " \\fI%s\\fR", roffLine(varname))
			}
			b.WriteString("\n" + roffLine(usage))
			if def := f.DefValue; def != "" && def != "false" && def != "[]" && def != "0" {
				fmt.Fprintf(&b, " (default %s)", roffLine(def))
			}
			b.WriteString("\n")
		})
	}
	if len(c.examples) > 0 {
		b.WriteString(".SH EXAMPLES\n.nf\n.RS 4\n")
		for _, e := range c.examples {
			b.WriteString(roffLine(e) + "\n")
		}
		b.WriteString(".RE\n.fi\n")
	}
	manExit(&b)
	b.WriteString(".SH SEE ALSO\n.BR devfix (1)")
	if i := strings.LastIndex(full, " "); i > 0 {
		fmt.Fprintf(&b, ",\n.BR %s (1)", roffLine(manName(full[:i])))
	}
	b.WriteString("\n")
	return b.Bytes()
}

func manHeader(b *bytes.Buffer, name, release, date string) {
	fmt.Fprintf(b, ".\\\" Generated from devfix's command table; do not edit.\n")
	fmt.Fprintf(b, ".TH %s 1 %s %s \"devfix manual\"\n", strings.ToUpper(roffLine(name)), roffQuote(date), roffQuote(release))
}

func manExit(b *bytes.Buffer) {
	b.WriteString(".SH EXIT STATUS\n.TP\n0\nclean, or done\n.TP\n1\nfindings, or changes needed with \\-\\-check\n.TP\n2\nbad input or usage\n")
}

// roffText turns a help paragraph into roff: a blank line starts a new
// paragraph, and a run of indented lines (a sample) is kept as it is.
func roffText(s string) string {
	var b strings.Builder
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.TrimSpace(l) == "":
			b.WriteString(".PP\n")
		case l[0] == ' ' || l[0] == '\t':
			b.WriteString(".RS 4\n.nf\n")
			for ; i < len(lines) && lines[i] != "" && (lines[i][0] == ' ' || lines[i][0] == '\t'); i++ {
				b.WriteString(roffLine(strings.TrimSpace(lines[i])) + "\n")
			}
			i--
			b.WriteString(".fi\n.RE\n")
		default:
			b.WriteString(roffLine(l) + "\n")
		}
	}
	return b.String()
}

// roffLine escapes one line of text: backslashes, minus signs, and a
// leading dot or quote that roff would take for a request.
func roffLine(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func roffQuote(s string) string { return `"` + strings.ReplaceAll(roffLine(s), `"`, `\(dq`) + `"` }
