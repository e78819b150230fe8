package cli

import (
	"errors"
	"fmt"

	"github.com/aymanbagabas/go-udiff"
	"github.com/devfix/devfix/internal/fserr"
	"github.com/devfix/devfix/internal/vscode"
	"github.com/spf13/afero"
)

// editSettings runs edit over every VS Code settings file the user has:
// with diff it prints the change, else it writes it (atomically, never
// through a link that leaves the home folder). A file that does not parse,
// or that sets what devfix would write to something else, is reported and
// left alone.
func editSettings(env *Env, diff bool, verb string, edit func(path string, data []byte) ([]byte, bool, error)) int {
	code := ExitOK
	for _, path := range vscode.Targets(env.Fs, env.home()) {
		data, err := afero.ReadFile(env.Fs, path)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n", path, fserr.Cause(err))
			code = max(code, ExitBadInput)
			continue
		}
		out, changed, err := edit(path, data)
		var conflict *vscode.ConflictError
		switch {
		case errors.As(err, &conflict):
			fmt.Fprintln(env.Stderr, err)
			code = max(code, ExitFindings)
			continue
		case err != nil:
			code = max(code, failed(env.Stderr, fmt.Errorf("%w (left as it is)", err)))
			continue
		case !changed:
			fmt.Fprintf(env.Stdout, "%s: up to date\n", path)
			continue
		}
		if diff {
			fmt.Fprint(env.Stdout, udiff.Unified(path, path, string(data), string(out)))
			continue
		}
		if err := env.writeInHome(path, out); err != nil {
			fmt.Fprintln(env.Stderr, err)
			code = max(code, ExitBadInput)
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: %s\n", path, verb)
	}
	return code
}
