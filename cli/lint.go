package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/devfix/devfix/devcontainer"
	"github.com/spf13/pflag"
)

func lintUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintln(w, "Usage: devfix lint [--format text|json] [--strategy root|env|acl] [PATH...]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Reports what stops each devcontainer.json working under rootless Docker.")
	fmt.Fprintln(w, "PATH is a repo folder or a config file (default .). In a folder devfix reads")
	fmt.Fprintln(w, ".devcontainer/devcontainer.json, .devcontainer.json and .devcontainer/*/devcontainer.json.")
	fmt.Fprintln(w, "Image users and labels come from the Docker daemon when one is reachable;")
	fmt.Fprintln(w, "without one, what needs it is skipped with a note.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags:")
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	fmt.Fprintln(w, "  devfix lint")
	fmt.Fprintln(w, "  devfix lint --strategy env .devcontainer/devcontainer.json")
	fmt.Fprintln(w, "  devfix lint --format json ~/src/*/ | jq '.files[].diagnostics[]'")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Output: path:line:col: message [rule-id]. Exit status: 0 clean, 1 findings, 2 bad input or usage.")
}

func runLint(ctx context.Context, env *Env, args []string) int {
	var c common
	format := "text"
	fs := newFlagSet("lint", env.Stderr, lintUsage)
	c.register(fs)
	fs.StringVar(&format, "format", "text", "output format: text or json")
	if code, done := parseFlags(fs, args, env, lintUsage); done {
		return code
	}
	if !c.validate(env, "lint") {
		return ExitBadInput
	}
	if format != "text" && format != "json" {
		fmt.Fprintf(env.Stderr, "devfix lint: --format: unknown format %q (want text or json)\n", format)
		return ExitBadInput
	}
	var report jsonReport
	code := ExitOK
	for _, l := range loadConfigs(env, fs.Args()) {
		if l.err != nil {
			report.Errors = append(report.Errors, l.err.Error())
			if format == "text" {
				fmt.Fprintln(env.Stderr, l.err)
			}
			code = ExitBadInput
			continue
		}
		o, note := c.options(ctx, env, l.config)
		res := devcontainer.Lint(ctx, l.config, o)
		notes := res.Facts.Notes
		if note != "" {
			notes = append([]string{note}, notes...)
		}
		if len(res.Diagnostics) > 0 && code == ExitOK {
			code = ExitFindings
		}
		if format == "text" {
			for _, d := range res.Diagnostics {
				fmt.Fprintf(env.Stdout, "%s:%d:%d: %s [%s]\n", d.Path, d.Line, d.Col, d.Message, d.RuleID)
			}
			for _, n := range notes {
				fmt.Fprintf(env.Stderr, "%s: note: %s\n", l.path, n)
			}
		}
		report.Files = append(report.Files, fileReport(l.config, res, notes))
	}
	if format == "json" {
		if err := writeJSON(env.Stdout, report); err != nil {
			fmt.Fprintf(env.Stderr, "devfix lint: %v\n", err)
			return ExitBadInput
		}
	}
	return code
}
