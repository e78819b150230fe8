package cli

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aymanbagabas/go-udiff"
	"github.com/devfix/devfix/devcontainer"
	"github.com/spf13/afero"
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
input or usage, 3 an internal error (a bug in devfix). With --diff only the patch goes to stdout (git apply takes it); findings
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
	a := &applyRun{env: env, s: newSession(env, f), diff: diff, check: check, dry: diff || check}
	if a.dry {
		// Nothing is written: the fixes land in memory over the real files,
		// so each config sees what the configs before it changed (two may
		// share a compose file), and each file is shown once, at the end.
		a.s.fs = afero.NewCopyOnWriteFs(afero.NewReadOnlyFs(env.Fs), afero.NewMemMapFs())
	}
	code := ExitOK
	// Each config is read just before it is fixed, after the writes for
	// the ones before it.
	for _, fd := range findConfigs(env, args) {
		code = max(code, a.one(ctx, fd))
	}
	return max(code, a.report())
}

// applyRun is one apply over all the configs its paths name.
type applyRun struct {
	env              *Env
	s                *session
	diff, check, dry bool

	changed map[string]*pendingChange // by the path a write lands on (dry runs)
	order   []string
	actions bool // a dry run would run a host action
}

// pendingChange is a file a dry run would change: its bytes before the
// first fix and after the last.
type pendingChange struct {
	path, root string
	orig, now  []byte
}

// one fixes one config; it returns its exit status.
func (a *applyRun) one(ctx context.Context, fd found) int {
	env := a.env
	if fd.err != nil {
		fmt.Fprintln(env.Stderr, fd.err)
		return ExitBadInput
	}
	config, err := a.s.load(ctx, fd.path)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitBadInput
	}
	co, err := a.s.options(ctx, config)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitBadInput
	}
	res, err := devcontainer.FixConfig(ctx, config, co.Options)
	if err != nil {
		return failed(env.Stderr, err)
	}
	for _, n := range append(append([]string{}, co.notes...), res.Final.Notes...) {
		fmt.Fprintf(env.Stderr, "%s: note: %s\n", fd.path, n)
	}
	// Every file to write must be inside the repository: check them all
	// before writing any.
	root := env.repoRoot(fd.path, fd.arg)
	var changed []devcontainer.FileChange
	targets := map[string]string{}
	for _, fc := range res.Files {
		if !fc.Changed() {
			continue
		}
		target, err := env.writeTarget(fc.File.Path, root, "the repository")
		if err != nil {
			fmt.Fprintln(env.Stderr, err)
			return ExitBadInput
		}
		targets[fc.File.Path] = target
		changed = append(changed, fc)
	}
	code := ExitOK
	actions := res.HostActions()
	if a.dry {
		for _, fc := range changed {
			if err := a.stage(fc, targets[fc.File.Path], root); err != nil {
				fmt.Fprintln(env.Stderr, err)
				return ExitBadInput
			}
		}
		for _, act := range actions {
			fmt.Fprintf(env.Stderr, "%s: would run: %s\n", fd.path, act)
			a.actions = true
		}
	} else {
		for _, fc := range changed {
			if err := writeAtomic(env.Fs, env.UID, fc.File.Path, targets[fc.File.Path], fc.New); err != nil {
				fmt.Fprintln(env.Stderr, err)
				return ExitBadInput
			}
		}
		for _, fx := range res.Applied {
			if len(fx.Edits) > 0 {
				fmt.Fprintf(env.Stdout, "%s: %s\n", fx.Edits[0].File.Path, fx.Message)
			}
		}
		if !runHostActions(ctx, env, fd.path, actions) {
			code = ExitBadInput
		}
	}
	for _, d := range res.Remaining {
		fmt.Fprintln(env.Stderr, findingLine(d))
		if countsFailure(d, co.strict) {
			code = max(code, ExitFindings)
		}
	}
	return code
}

// stage records a change a dry run would make and puts it in the memory
// layer, under the name it was read by and the one a write lands on.
func (a *applyRun) stage(fc devcontainer.FileChange, target, root string) error {
	if a.changed == nil {
		a.changed = map[string]*pendingChange{}
	}
	p, ok := a.changed[target]
	if !ok {
		p = &pendingChange{path: fc.File.Path, root: root, orig: fc.File.Bytes()}
		a.changed[target] = p
		a.order = append(a.order, target)
	}
	p.now = fc.New
	for _, name := range []string{fc.File.Path, target} {
		if err := afero.WriteFile(a.s.fs, name, fc.New, 0o644); err != nil {
			return fmt.Errorf("%s: %w", fc.File.Path, err)
		}
	}
	return nil
}

// report prints what a dry run would change, each file once; its exit
// status says whether --check found anything.
func (a *applyRun) report() int {
	n := 0
	for _, t := range a.order {
		p := a.changed[t]
		if bytes.Equal(p.orig, p.now) {
			continue
		}
		n++
		if a.diff {
			name := a.env.diffPath(p.path, p.root)
			fmt.Fprint(a.env.Stdout, udiff.Unified("a/"+name, "b/"+name, string(p.orig), string(p.now)))
		} else {
			fmt.Fprintf(a.env.Stdout, "%s: would change\n", p.path)
		}
	}
	if a.check && (n > 0 || a.actions) {
		return ExitFindings
	}
	return ExitOK
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
