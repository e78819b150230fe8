package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/devfix/devfix/devcontainer"
	"github.com/spf13/pflag"
)

func lintCommand() command {
	return command{
		name: "lint", summary: "report what stops the configs working under a rootless engine", args: "[PATH...]",
		about: `Reports what stops each devcontainer.json (and the compose files and Dockerfiles
behind it) working under rootless Docker or rootless Podman. PATH is a repo folder
or a config file (default .). In a folder devfix reads .devcontainer/devcontainer.json,
.devcontainer.json and .devcontainer/*/devcontainer.json. Image users and labels
come from the engine when one answers; without one, the documented users of the
official dev container images are used, and what stays unknown is reported at info
severity (shown, exit 0; --strict makes it fail). Settings come from the
.devfix.jsonc found upward from each config (devfix init writes one).

Silence a finding with a comment naming the rule (and why), on its line or the line
above: // in devcontainer.json, # in compose files and Dockerfiles:
  // devfix-ignore-next-line rootless-remote-user -- we use ACLs
  # devfix-ignore-line docker-socket-mount -- CI only
  // devfix-ignore-file <rule-id>

Output: path:line:col: message [rule-id] (byte columns). Under GitHub Actions the
default format is github. Exit status: 0 clean (info findings only), 1 errors or
warnings, 2 bad input or usage.`,
		examples: []string{"devfix lint", "devfix lint --strategy env .devcontainer/devcontainer.json", "devfix lint --format sarif > devfix.sarif", "devfix lint --strict   # in CI: unknown users fail too"},
		setup: func(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
			var f lintFlags
			var format, color string
			f.register(fs)
			fs.StringVar(&format, "format", "", "output format: text, json, sarif or github (default text; github under GitHub Actions)")
			fs.StringVar(&color, "color", "auto", "color the text output: auto (a terminal without NO_COLOR), always or never")
			return func(ctx context.Context, env *Env, args []string) int {
				return runLint(ctx, env, f, format, color, args)
			}
		},
	}
}

func runLint(ctx context.Context, env *Env, f lintFlags, format, color string, args []string) int {
	if err := f.validate(); err != nil {
		fmt.Fprintf(env.Stderr, "devfix lint: %v\n", err)
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
	s := newSession(env, f)
	var report jsonReport
	var results []devcontainer.Result
	code := ExitOK
	for _, l := range loadConfigs(ctx, env, args) {
		var co configOptions
		err := l.err
		if err == nil {
			co, err = s.options(ctx, l.config)
		}
		if err != nil {
			report.Errors = append(report.Errors, err.Error())
			fmt.Fprintln(env.Stderr, err)
			code = ExitBadInput
			continue
		}
		res := devcontainer.Lint(ctx, l.config, co.Options)
		notes := append(append([]string{}, co.notes...), res.Notes...)
		for _, d := range res.Diagnostics {
			if countsFailure(d, co.strict) && code == ExitOK {
				code = ExitFindings
			}
		}
		if format != "json" {
			for _, n := range notes {
				fmt.Fprintf(env.Stderr, "%s: note: %s\n", l.path, n)
			}
		}
		results = append(results, res)
		report.Files = append(report.Files, fileReport(l.config, res, notes, co.Options))
	}
	if s.detected != nil && format != "json" {
		fmt.Fprintf(env.Stderr, "devfix: engine %s: %s\n", s.detected.Kind, s.detected.Reason)
	}
	var err error
	switch format {
	case "text":
		writeText(env.Stdout, findings(results), colorOn(env, color))
	case "github":
		writeGitHub(env.Stdout, findings(results))
	case "sarif":
		err = writeSARIF(env.Stdout, findings(results), version())
	case "json":
		err = writeJSON(env.Stdout, report)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "devfix lint: %v\n", err)
		return ExitBadInput
	}
	return code
}

func initSetup(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
	var force bool
	fs.BoolVar(&force, "force", false, "replace an existing "+devcontainer.SettingsFile)
	return func(_ context.Context, env *Env, args []string) int {
		dir := "."
		if len(args) > 1 {
			fmt.Fprintln(env.Stderr, "devfix init: at most one FOLDER")
			return ExitBadInput
		} else if len(args) == 1 {
			dir = args[0]
		}
		path := strings.TrimPrefix(dir+"/"+devcontainer.SettingsFile, "./")
		if _, err := env.Fs.Stat(path); err == nil && !force {
			fmt.Fprintf(env.Stderr, "%s: already exists (devfix init --force replaces it)\n", path)
			return ExitBadInput
		}
		if err := env.writeInRepo(path, []byte(devcontainer.DefaultSettings()), dir); err != nil {
			fmt.Fprintln(env.Stderr, err)
			return ExitBadInput
		}
		fmt.Fprintf(env.Stdout, "%s: written\n", path)
		return ExitOK
	}
}
