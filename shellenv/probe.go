package shellenv

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"time"
)

// ProbeResult is what a shell started like VS Code starts it reported.
type ProbeResult struct {
	Shell string
	Value string // the variable's value, "" when unset
	Err   error
}

// marker fences the value off from whatever the startup files print.
const marker = "__DEVFIX__"

// Probe starts shell as VS Code does (-i -l -c; fish: -i -l -c too) in a
// clean environment holding only env, with a timeout, and reads variable
// back.
func Probe(ctx context.Context, shell string, env []string, variable string, timeout time.Duration) ProbeResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	script := `printf '` + marker + `%s` + marker + `' "$` + variable + `"`
	cmd := exec.CommandContext(ctx, shell, "-i", "-l", "-c", script)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &bytes.Buffer{}
	err := cmd.Run()
	res := ProbeResult{Shell: shell}
	s := out.String()
	if i := strings.Index(s, marker); i >= 0 {
		rest := s[i+len(marker):]
		if j := strings.Index(rest, marker); j >= 0 {
			res.Value = rest[:j]
			return res
		}
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	res.Err = err
	return res
}

// Quote quotes s for sh (single quotes) or fish.
func Quote(kind, s string) string {
	if kind == "fish" {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
