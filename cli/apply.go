package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/devfix/devfix/devcontainer"
	"github.com/spf13/pflag"
)

func applyUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintln(w, "Usage: devfix apply [--strategy root|env|acl] [--diff] [--check] [PATH...]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Fixes each devcontainer.json for rootless Docker, editing only the bytes that")
	fmt.Fprintln(w, "must change: comments, indentation, line endings and key order are kept.")
	fmt.Fprintln(w, "Writes are atomic (temp file, fsync, rename, mode kept); a file that does not")
	fmt.Fprintln(w, "parse is never written. Running apply twice changes nothing the second time.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Strategies:")
	fmt.Fprintln(w, "  root  remoteUser/containerUser root, updateRemoteUserUID false (default)")
	fmt.Fprintln(w, "  env   users from ${localEnv:DEVFIX_REMOTE_USER:<original>}: one file for rootless and rootful teammates")
	fmt.Fprintln(w, "  acl   keep the non-root user; grant its mapped host UID ACLs on the workspace (runs setfacl)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags:")
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	fmt.Fprintln(w, "  devfix apply")
	fmt.Fprintln(w, "  devfix apply --diff --strategy env")
	fmt.Fprintln(w, "  devfix apply --check .   # in CI: exit 1 when a fix is missing")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Exit status: 0 done, 1 findings without a fix remain (or --check found changes), 2 bad input or usage.")
}

func runApply(ctx context.Context, env *Env, args []string) int {
	var c common
	var diff, check bool
	fs := newFlagSet("apply", env.Stderr, applyUsage)
	c.register(fs)
	fs.BoolVar(&diff, "diff", false, "print a unified diff instead of writing")
	fs.BoolVar(&check, "check", false, "write nothing; exit 1 when anything would change")
	if code, done := parseFlags(fs, args, env, applyUsage); done {
		return code
	}
	if !c.validate(env, "apply") {
		return ExitBadInput
	}
	dry := diff || check
	code := ExitOK
	worse := func(c int) {
		if c > code {
			code = c
		}
	}
	for _, l := range loadConfigs(env, fs.Args()) {
		if l.err != nil {
			fmt.Fprintln(env.Stderr, l.err)
			worse(ExitBadInput)
			continue
		}
		o, note, err := c.options(ctx, env, l.config)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			worse(ExitBadInput)
			continue
		}
		if note != "" {
			fmt.Fprintf(env.Stderr, "%s: note: %s\n", l.path, note)
		}
		res, err := devcontainer.FixConfig(ctx, l.config, o)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			worse(ExitBadInput)
			continue
		}
		for _, n := range res.Final.Facts.Notes {
			fmt.Fprintf(env.Stderr, "%s: note: %s\n", l.path, n)
		}
		old := l.config.Bytes()
		changed := !bytes.Equal(old, res.Output)
		actions := res.HostActions()
		if diff && changed {
			fmt.Fprint(env.Stdout, udiff.Unified("a/"+slash(l.path), "b/"+slash(l.path), string(old), string(res.Output)))
		}
		if dry {
			for _, a := range actions {
				fmt.Fprintf(env.Stderr, "%s: would run: %s\n", l.path, a)
			}
			if check && (changed || len(actions) > 0) {
				if !diff {
					fmt.Fprintf(env.Stdout, "%s: would change\n", l.path)
				}
				worse(ExitFindings)
			}
		} else {
			if changed {
				if err := writeAtomic(env.Fs, l.path, res.Output); err != nil {
					fmt.Fprintln(env.Stderr, err)
					worse(ExitBadInput)
					continue
				}
			}
			for _, f := range res.Applied {
				if len(f.Edits) > 0 {
					fmt.Fprintf(env.Stdout, "%s: %s\n", l.path, f.Message)
				}
			}
			if !runHostActions(ctx, env, l.path, actions) {
				worse(ExitBadInput)
			}
		}
		for _, d := range res.Remaining {
			fmt.Fprintf(env.Stdout, "%s:%d:%d: %s [%s]\n", d.Path, d.Line, d.Col, d.Message, d.RuleID)
			worse(ExitFindings)
		}
	}
	return code
}

// runHostActions carries out the changes outside the file, by argv.
func runHostActions(ctx context.Context, env *Env, path string, actions []devcontainer.HostAction) bool {
	ok := true
	for _, a := range actions {
		if env.Run == nil {
			fmt.Fprintf(env.Stderr, "%s: cannot run %s: no runner\n", path, a)
			ok = false
			continue
		}
		out, err := env.Run(ctx, a.Argv)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: %s failed: %v: %s\n", path, a.Argv[0], err, strings.TrimSpace(string(out)))
			ok = false
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: %s\n", path, a.Summary)
	}
	return ok
}

func slash(p string) string { return strings.ReplaceAll(strings.TrimPrefix(p, "./"), "\\", "/") }
