// Package cli is devfix's command line: flags, output formats, exit codes and
// the wiring of the devcontainer, mounts and shellenv packages to the real
// world (files, the Docker daemon, helper programs). Everything takes an Env,
// so tests run the whole CLI on a memory filesystem.
package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
)

// Exit statuses.
const (
	ExitOK       = 0 // clean, or done
	ExitFindings = 1 // findings, or --check found changes
	ExitBadInput = 2 // bad input or usage
)

// Env is everything the CLI touches. Nil fields get real-world defaults from
// OSEnv; tests set what they need.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Fs             afero.Fs
	LookupEnv      func(string) (string, bool)
	// Images connects to the Docker daemon on first use; nil means no daemon.
	Images devcontainer.ImageInspector
	// Host answers host questions for the acl strategy; nil disables it.
	Host devcontainer.Host
	// UID, GID and UserName are the host user running devfix.
	UID, GID int64
	UserName string
	// ProcRoot is /proc ("" means /proc).
	ProcRoot string
	// Owner reads file owners (nil: from the OS's stat).
	Owner mounts.Owner
	// Access checks write access to path as the user (nil: access(2)).
	Access func(path string) error
	// RootlessSocket is the user's rootless Docker socket ("" if none).
	RootlessSocket string
	// PortStart is net.ipv4.ip_unprivileged_port_start (0: 1024).
	PortStart int
	// Run runs a helper program by argv and returns its combined output.
	Run func(ctx context.Context, argv []string) ([]byte, error)
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) int
}

func commands() []command {
	return []command{
		{"lint", "report what stops the configs working under rootless Docker", runLint},
		{"apply", "fix the configs (atomic writes; --diff and --check write nothing)", runApply},
		{"rules", "list every rule: ID, severity, title", runRules},
		{"map", "translate container and host UIDs/GIDs of your rootless daemon", runMap},
		{"reclaim", "give files your container users left behind back to you", runReclaim},
		{"shellenv", "print (or --install) DOCKER_HOST for your rootless daemon", runShellenv},
		{"doctor", "check the host for rootless Dev Containers; print the fixes", runDoctor},
		{"init", "write a " + devcontainer.SettingsFile + " listing every rule", runInit},
		{"completion", "print a shell completion script (bash, zsh or fish)", runCompletion},
		{"version", "print devfix's version", runVersion},
	}
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
		usage(env.Stdout)
		return ExitOK
	case "--version":
		return runVersion(ctx, env, nil)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, env, args[1:])
		}
	}
	fmt.Fprintf(env.Stderr, "devfix: unknown command %q%s\n", name, didYouMean(name))
	fmt.Fprintln(env.Stderr, "run 'devfix help' for the list of commands")
	return ExitBadInput
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "devfix makes devcontainer.json work under rootless Docker.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: devfix <command> [flags] [PATH...]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	fmt.Fprintln(w, "  devfix lint                     # lint the configs of the repo in .")
	fmt.Fprintln(w, "  devfix apply --diff             # show what apply would change")
	fmt.Fprintln(w, "  devfix apply --strategy env .   # fix for a team with rootless and rootful hosts")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 clean, 1 findings (or changes needed with --check), 2 bad input or usage.")
	fmt.Fprintln(w, "Run 'devfix <command> --help' for a command's flags.")
}

// didYouMean suggests the nearest command name.
func didYouMean(name string) string {
	var names []string
	for _, c := range commands() {
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
