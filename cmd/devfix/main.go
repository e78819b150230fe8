// Command devfix makes devcontainer.json work under rootless Docker and
// rootless Podman.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"

	"github.com/devfix/devfix/cli"
	"github.com/sirupsen/logrus"
)

func main() {
	// compose-go logs warnings (an obsolete "version:", an unset variable)
	// through logrus: devfix reports what matters itself, as findings.
	logrus.SetOutput(io.Discard)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
