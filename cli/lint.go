package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/devfix/devfix/devcontainer"
	"github.com/spf13/pflag"
)

func lintUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintln(w, "Usage: devfix lint [--format text|json|sarif|github] [--strategy root|env|acl] [PATH...]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Reports what stops each devcontainer.json working under rootless Docker.")
	fmt.Fprintln(w, "PATH is a repo folder or a config file (default .). In a folder devfix reads")
	fmt.Fprintln(w, ".devcontainer/devcontainer.json, .devcontainer.json and .devcontainer/*/devcontainer.json.")
	fmt.Fprintln(w, "Image users and labels come from the Docker daemon when one is reachable;")
	fmt.Fprintln(w, "without one, what needs it is skipped with a note. Settings come from the")
	fmt.Fprintln(w, ".devfix.jsonc found upward from each config (devfix init writes one).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Silence a finding with a comment naming the rule (and why):")
	fmt.Fprintln(w, "  // devfix-ignore-next-line rootless-remote-user -- we use ACLs")
	fmt.Fprintln(w, "  // devfix-ignore-line <rule-id>[,<rule-id>]    // devfix-ignore-file <rule-id>")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags:")
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	fmt.Fprintln(w, "  devfix lint")
	fmt.Fprintln(w, "  devfix lint --strategy env .devcontainer/devcontainer.json")
	fmt.Fprintln(w, "  devfix lint --format sarif > devfix.sarif")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Output: path:line:col: message [rule-id] (byte columns). Under GitHub Actions the")
	fmt.Fprintln(w, "default format is github. Exit status: 0 clean, 1 findings, 2 bad input or usage.")
}

func runLint(ctx context.Context, env *Env, args []string) int {
	var c common
	var format, color string
	fs := newFlagSet("lint", env.Stderr, lintUsage)
	c.register(fs)
	fs.StringVar(&format, "format", "", "output format: text, json, sarif or github (default text; github under GitHub Actions)")
	fs.StringVar(&color, "color", "auto", "color the text output: auto (a terminal without NO_COLOR), always or never")
	if code, done := parseFlags(fs, args, env, lintUsage); done {
		return code
	}
	if !c.validate(env, "lint") {
		return ExitBadInput
	}
	if format == "" {
		format = "text"
		if v, _ := env.lookup("GITHUB_ACTIONS"); v == "true" {
			format = "github"
		}
	}
	if !slices.Contains(lintFormats, format) {
		fmt.Fprintf(env.Stderr, "devfix lint: --format: unknown format %q (want %s)\n", format, strings.Join(lintFormats, ", "))
		return ExitBadInput
	}
	if color != "auto" && color != "always" && color != "never" {
		fmt.Fprintf(env.Stderr, "devfix lint: --color: want auto, always or never, not %q\n", color)
		return ExitBadInput
	}
	var report jsonReport
	var files []fileResult
	code := ExitOK
	for _, l := range loadConfigs(env, fs.Args()) {
		var o *devcontainer.Options
		var note string
		err := l.err
		if err == nil {
			o, note, err = c.options(ctx, env, l.config)
		}
		if err != nil {
			report.Errors = append(report.Errors, err.Error())
			fmt.Fprintln(env.Stderr, err)
			code = ExitBadInput
			continue
		}
		res := devcontainer.Lint(ctx, l.config, o)
		notes := res.Facts.Notes
		if note != "" {
			notes = append([]string{note}, notes...)
		}
		if len(res.Diagnostics) > 0 && code == ExitOK {
			code = ExitFindings
		}
		if format != "json" {
			for _, n := range notes {
				fmt.Fprintf(env.Stderr, "%s: note: %s\n", l.path, n)
			}
		}
		files = append(files, fileResult{config: l.config, res: res, notes: notes})
		report.Files = append(report.Files, fileReport(l.config, res, notes))
	}
	var err error
	switch format {
	case "text":
		writeText(env.Stdout, files, colorOn(env, color))
	case "github":
		writeGitHub(env.Stdout, files)
	case "sarif":
		err = writeSARIF(env.Stdout, files, version())
	case "json":
		err = writeJSON(env.Stdout, report)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "devfix lint: %v\n", err)
		return ExitBadInput
	}
	return code
}

func initUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintln(w, "Usage: devfix init [--force] [FOLDER]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Writes "+devcontainer.SettingsFile+" in FOLDER (default .), listing every rule at its default")
	fmt.Fprintln(w, "severity and the default strategy, ready to edit.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags:")
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	fmt.Fprintln(w, "  devfix init            # in the repository root")
	fmt.Fprintln(w, "  devfix init --force .  # start over from the defaults")
}

func runInit(_ context.Context, env *Env, args []string) int {
	var force bool
	fs := newFlagSet("init", env.Stderr, initUsage)
	fs.BoolVar(&force, "force", false, "replace an existing "+devcontainer.SettingsFile)
	if code, done := parseFlags(fs, args, env, initUsage); done {
		return code
	}
	dir := "."
	if fs.NArg() > 1 {
		fmt.Fprintln(env.Stderr, "devfix init: at most one FOLDER")
		return ExitBadInput
	} else if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	path := strings.TrimPrefix(dir+"/"+devcontainer.SettingsFile, "./")
	if _, err := env.Fs.Stat(path); err == nil && !force {
		fmt.Fprintf(env.Stderr, "%s: already exists (devfix init --force replaces it)\n", path)
		return ExitBadInput
	}
	if err := writeAtomic(env.Fs, path, []byte(devcontainer.DefaultSettings())); err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitBadInput
	}
	fmt.Fprintf(env.Stdout, "%s: written\n", path)
	return ExitOK
}
