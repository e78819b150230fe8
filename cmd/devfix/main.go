// Command devfix makes devcontainer.json work under rootless Docker.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/devfix/devfix/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
