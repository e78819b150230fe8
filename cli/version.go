package cli

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/spf13/pflag"
)

// version is the module version from the build info ("(devel)" for a
// local build), with the VCS revision when the build recorded one.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
}

func versionSetup(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
	return func(_ context.Context, env *Env, args []string) int {
		if len(args) > 0 {
			fmt.Fprintf(env.Stderr, "devfix version: unexpected argument %q\n", args[0])
			return ExitBadInput
		}
		fmt.Fprintf(env.Stdout, "devfix %s\n", version())
		return ExitOK
	}
}
