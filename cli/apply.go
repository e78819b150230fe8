package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/devfix/devfix/devcontainer"
	"github.com/spf13/pflag"
)

func applyCommand() command {
	return command{
		name: "apply", summary: "fix the configs (atomic writes; --diff and --check write nothing)", args: "[PATH...]",
		about: `Fixes each devcontainer.json — and, where the problem lives there, its compose
files — for rootless Docker or rootless Podman, editing only the bytes that must
change: comments, indentation, line endings and key order are kept. Writes are
atomic (temp file, fsync, rename, mode kept); a file that does not parse is never
written, nor is any file outside the repository (the nearest folder upward holding
.git), even through a symbolic link. Running apply twice changes nothing the second
time. apply writes every fix lint knows, also those for users it could not learn
(remoteUser root is right whatever the image turns out to be).

Strategies:
  root    remoteUser/containerUser root, updateRemoteUserUID false (default for Docker)
  env     users from ${localEnv:DEVFIX_REMOTE_USER:<original>} and friends: one file for
          rootless, rootful and Podman teammates (devfix shellenv sets the variables)
  acl     keep the non-root user; grant its mapped host UID ACLs on the workspace (runs setfacl)
  keepid  keep the image's user under rootless Podman (default for Podman): the CLI's own
          keep-id where it works, --userns=keep-id:uid=<uid>,gid=<gid> for a high host UID

Exit status: 0 done, 1 findings without a fix remain (or --check found changes), 2 bad
input or usage. With --diff only the patch goes to stdout (git apply takes it); findings
and notes go to stderr.`,
		examples: []string{"devfix apply", "devfix apply --diff --strategy env", "devfix apply --diff | git apply --check", "devfix apply --check .   # in CI: exit 1 when a fix is missing"},
		setup: func(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
			var f lintFlags
			var diff, check bool
			f.register(fs)
			fs.BoolVar(&diff, "diff", false, "print a unified diff of every file it would change instead of writing")
			fs.BoolVar(&check, "check", false, "write nothing; exit 1 when anything would change")
			return func(ctx context.Context, env *Env, args []string) int {
				return runApply(ctx, env, f, diff, check, args)
			}
		},
	}
}

func runApply(ctx context.Context, env *Env, f lintFlags, diff, check bool, args []string) int {
	if err := f.validate(); err != nil {
		fmt.Fprintf(env.Stderr, "devfix apply: %v\n", err)
		return ExitBadInput
	}
	s := newSession(env, f)
	dry := diff || check
	code := ExitOK
	worse := func(c int) { code = max(code, c) }
	if len(args) == 0 {
		args = []string{"."}
	}
	for _, arg := range args {
		for _, l := range loadConfigs(ctx, env, []string{arg}) {
			worse(applyOne(ctx, env, s, l, arg, diff, check, dry))
		}
	}
	return code
}

// applyOne fixes one config; it returns its exit status.
func applyOne(ctx context.Context, env *Env, s *session, l loaded, arg string, diff, check, dry bool) int {
	if l.err != nil {
		fmt.Fprintln(env.Stderr, l.err)
		return ExitBadInput
	}
	co, err := s.options(ctx, l.config)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitBadInput
	}
	res, err := devcontainer.FixConfig(ctx, l.config, co.Options)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitBadInput
	}
	for _, n := range append(append([]string{}, co.notes...), res.Final.Notes...) {
		fmt.Fprintf(env.Stderr, "%s: note: %s\n", l.path, n)
	}
	// Every file to write must be inside the repository: check them all
	// before writing any.
	root := env.repoRoot(l.path, arg)
	var changed []devcontainer.FileChange
	targets := map[string]string{}
	for _, fc := range res.Files {
		if !fc.Changed() {
			continue
		}
		target, err := env.writeTarget(fc.File.Path, root)
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return ExitBadInput
		}
		targets[fc.File.Path] = target
		changed = append(changed, fc)
	}
	code := ExitOK
	actions := res.HostActions()
	switch {
	case dry:
		for _, fc := range changed {
			if diff {
				name := env.diffPath(fc.File.Path, root)
				fmt.Fprint(env.Stdout, udiff.Unified("a/"+name, "b/"+name, string(fc.File.Bytes()), string(fc.New)))
			} else {
				fmt.Fprintf(env.Stdout, "%s: would change\n", fc.File.Path)
			}
		}
		for _, a := range actions {
			fmt.Fprintf(env.Stderr, "%s: would run: %s\n", l.path, a)
		}
		if check && (len(changed) > 0 || len(actions) > 0) {
			code = ExitFindings
		}
	default:
		for _, fc := range changed {
			if err := writeAtomic(env.Fs, fc.File.Path, targets[fc.File.Path], fc.New); err != nil {
				fmt.Fprintln(env.Stderr, err)
				return ExitBadInput
			}
		}
		for _, fx := range res.Applied {
			if len(fx.Edits) > 0 {
				fmt.Fprintf(env.Stdout, "%s: %s\n", fx.Edits[0].File.Path, fx.Message)
			}
		}
		if !runHostActions(ctx, env, l.path, actions) {
			code = ExitBadInput
		}
	}
	for _, d := range res.Remaining {
		fmt.Fprintln(env.Stderr, d.String())
		if countsFailure(d, co.strict) {
			code = max(code, ExitFindings)
		}
	}
	return code
}

// diffPath names a file in a diff so that git apply takes it: relative to
// the working directory when the file is under it, else to the repository.
func (env *Env) diffPath(path, root string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	if wd := env.workDir(); wd != "" {
		if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	if rel, err := filepath.Rel(root, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(strings.TrimPrefix(abs, "/"))
}

// runHostActions carries out the changes outside the files, by argv.
func runHostActions(ctx context.Context, env *Env, path string, actions []devcontainer.HostAction) bool {
	ok := true
	for _, a := range actions {
		if env.Run == nil {
			fmt.Fprintf(env.Stderr, "%s: cannot run %s: no runner\n", path, a)
			ok = false
			continue
		}
		if _, err := env.Run(ctx, a.Argv); err != nil {
			fmt.Fprintf(env.Stderr, "%s: %s failed: %v\n", path, a.Argv[0], err)
			ok = false
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: %s\n", path, a.Summary)
	}
	return ok
}
