// Package cli is devfix's command line: the command table (which also makes
// help, usage and completion), flags, output formats, exit codes, and the
// wiring of the devcontainer, engine, mounts and shellenv packages to the
// real world (files, the container engine, helper programs). Everything
// takes an Env, so tests run the whole CLI on a memory filesystem.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/internal/source"
	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	ExitOK       = 0 // clean, or done
	ExitFindings = 1 // findings, or --check found changes
	ExitBadInput = 2 // bad input or usage
	ExitInternal = 3 // devfix's own fault: a bug to report, not the input's
)

// failed prints err as one line and returns its exit status: ExitInternal,
// with a line that says so, for an error that is devfix's fault
// (source.ErrInternal), else ExitBadInput.
func failed(w io.Writer, err error) int {
	if errors.Is(err, source.ErrInternal) {
		fmt.Fprintf(w, "devfix: %v (this is a bug in devfix, please report it)\n", err)
		return ExitInternal
	}
	fmt.Fprintln(w, err)
	return ExitBadInput
}

// command is one row of the command table: the table makes help, usage,
// completion and the README's list.
type command struct {
	name, summary string
	args          string // after the flags in the usage line: "[PATH...]"
	about         string // what it does, a paragraph
	examples      []string
	// setup registers the command's flags and returns its body, which runs
	// after the flags are parsed. A command with sub has none.
	setup func(fs *pflag.FlagSet) func(ctx context.Context, env *Env, args []string) int
	// sub are the subcommands ("devfix host grant"): the command alone
	// prints its help.
	sub []command
}

func commands() []command {
	return []command{
		lintCommand(),
		applyCommand(),
		{name: "rules", summary: "list every rule: ID, severity, title", setup: rulesSetup,
			about:    "Lists every rule: ID, severity, the strategies it applies to, and its title.",
			examples: []string{"devfix rules", "devfix rules --format json | jq -r '.[].id'"}},
		mapCommand(),
		reclaimCommand(),
		shellenvCommand(),
		doctorCommand(),
		hostCommand(),
		{name: "init", summary: "write a " + devcontainer.SettingsFile + " listing every rule", args: "[FOLDER]", setup: initSetup,
			about:    "Writes " + devcontainer.SettingsFile + " in FOLDER (default .), listing every rule at its default\nseverity, the strategy, engine and strict settings, ready to edit.",
			examples: []string{"devfix init            # in the repository root", "devfix init --force .  # start over from the defaults"}},
		{name: "completion", summary: "print a shell completion script (bash, zsh or fish)", args: "bash|zsh|fish", setup: completionSetup,
			about: "Prints a completion script for devfix's commands and flags.",
			examples: []string{"source <(devfix completion bash)", `devfix completion zsh > "${fpath[1]}/_devfix"`,
				"devfix completion fish > ~/.config/fish/completions/devfix.fish"}},
		{name: "version", summary: "print devfix's version", setup: versionSetup,
			about: "Prints devfix's version and the VCS revision it was built from.", examples: []string{"devfix version", "devfix --version"}},
	}
}

func findCommand(name string) (command, bool) { return findIn(commands(), name) }

func findIn(cs []command, name string) (command, bool) {
	for _, c := range cs {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// Run runs devfix with args (without the program name) and returns the exit
// status.
func Run(ctx context.Context, args []string, env *Env) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return ExitBadInput
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		if len(args) > 1 {
			if c, full, ok := resolve(args[1:]); ok {
				fs := newFlagSet(c)
				if c.setup != nil {
					c.setup(fs)
				}
				commandHelp(env.Stdout, full, c, fs)
				return ExitOK
			}
		}
		usage(env.Stdout)
		return ExitOK
	case "--version":
		name, args = "version", []string{"version"}
	}
	env.once() // before any goroutine of a command
	c, ok := findCommand(name)
	if !ok {
		fmt.Fprintf(env.Stderr, "devfix: unknown command %q%s\n", name, didYouMean(name, commands()))
		fmt.Fprintln(env.Stderr, "run 'devfix help' for the list of commands")
		return ExitBadInput
	}
	return runCommand(ctx, env, c.name, c, args[1:])
}

// resolve finds the command that names (["host", "grant"]) lead to, and
// its full name.
func resolve(names []string) (command, string, bool) {
	cs, full := commands(), ""
	var c command
	for _, n := range names {
		var ok bool
		if c, ok = findIn(cs, n); !ok {
			return command{}, "", false
		}
		full = strings.TrimSpace(full + " " + n)
		if c.sub == nil {
			break
		}
		cs = c.sub
	}
	return c, full, full != ""
}

// runCommand parses c's flags from args and runs it; full is its name after
// "devfix" ("host grant").
func runCommand(ctx context.Context, env *Env, full string, c command, args []string) int {
	if c.sub != nil {
		fs := newFlagSet(c)
		if len(args) == 0 {
			commandHelp(env.Stderr, full, c, fs)
			return ExitBadInput
		}
		switch args[0] {
		case "-h", "--help", "help":
			commandHelp(env.Stdout, full, c, fs)
			return ExitOK
		}
		s, ok := findIn(c.sub, args[0])
		if !ok {
			fmt.Fprintf(env.Stderr, "devfix %s: unknown command %q%s\n", full, args[0], didYouMean(args[0], c.sub))
			fmt.Fprintf(env.Stderr, "run 'devfix %s --help' for its commands\n", full)
			return ExitBadInput
		}
		return runCommand(ctx, env, full+" "+s.name, s, args[1:])
	}
	fs := newFlagSet(c)
	body := c.setup(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			commandHelp(env.Stdout, full, c, fs)
			return ExitOK
		}
		msg := err.Error()
		var ne *pflag.NotExistError
		if errors.As(err, &ne) {
			var names []string
			fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
			if s := nearest(ne.GetSpecifiedName(), names); s != "" {
				msg += fmt.Sprintf(" (did you mean --%s?)", s)
			}
		}
		fmt.Fprintf(env.Stderr, "devfix %s: %s\n", full, msg)
		fmt.Fprintf(env.Stderr, "run 'devfix %s --help' for usage\n", full)
		return ExitBadInput
	}
	return body(ctx, env, fs.Args())
}

// newFlagSet makes a command's FlagSet: errors are returned, not printed.
func newFlagSet(c command) *pflag.FlagSet {
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// commandHelp prints a command's --help from its table row; full is its
// name after "devfix".
func commandHelp(w io.Writer, full string, c command, fs *pflag.FlagSet) {
	line := "Usage: devfix " + full
	if c.sub != nil {
		line += " <command>"
	}
	if fs.HasFlags() {
		line += " [flags]"
	}
	if c.args != "" {
		line += " " + c.args
	}
	fmt.Fprintln(w, line)
	fmt.Fprintln(w)
	fmt.Fprintln(w, c.about)
	if c.sub != nil {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Commands:")
		for _, s := range c.sub {
			fmt.Fprintf(w, "  %-12s %s\n", s.name, s.summary)
		}
	}
	if fs.HasFlags() {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Flags:")
		fmt.Fprint(w, fs.FlagUsages())
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	for _, e := range c.examples {
		fmt.Fprintln(w, "  "+e)
	}
	if c.sub != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "Run 'devfix %s <command> --help' for a command's flags.\n", full)
	}
}

// tagline says what devfix does: the first line of the usage and the NAME
// of devfix(1).
const tagline = "makes devcontainer.json work under rootless Docker and rootless Podman"

// overviewExamples are the usage's examples, and devfix(1)'s.
func overviewExamples() []string {
	return []string{
		"devfix lint                     # lint the configs of the repo in .",
		"devfix apply --diff             # show what apply would change",
		"devfix apply --strategy env .   # fix for a team with rootless and rootful hosts",
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "devfix "+tagline+".")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: devfix <command> [flags] [PATH...]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	for _, e := range overviewExamples() {
		fmt.Fprintln(w, "  "+e)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 clean, 1 findings (or changes needed with --check), 2 bad input or usage,\n3 an internal error (a bug in devfix).")
	fmt.Fprintln(w, "Run 'devfix <command> --help' for a command's flags.")
}

// didYouMean suggests the nearest command name among cs.
func didYouMean(name string, cs []command) string {
	var names []string
	for _, c := range cs {
		names = append(names, c.name)
	}
	if s := nearest(name, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// nearest returns the candidate within edit distance 2 of s, if any.
func nearest(s string, candidates []string) string {
	best, bestD := "", 3
	sort.Strings(candidates)
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
