// Package run is the one way devfix runs helper programs (getent, setfacl,
// nsenter, getsubids, podman, docker -v): by argv, never through a shell,
// with a deadline.
package run

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Runner runs a program by argv and returns its standard output; when it
// fails, the error carries what it printed on standard error.
type Runner func(ctx context.Context, argv []string) ([]byte, error)

// Timeout bounds every helper program.
const Timeout = 5 * time.Minute

// Argv runs argv[0] with the rest as its arguments.
func Argv(ctx context.Context, argv []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(errb.String()); msg != "" {
			return out.Bytes(), fmt.Errorf("%w: %s", err, msg)
		}
		return out.Bytes(), err
	}
	return out.Bytes(), nil
}
