package cli

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/spf13/pflag"
)

// Set at link time by `make build` and `make dist`
// (-ldflags "-X github.com/devfix/devfix/cli.buildVersion=…"): a release
// build names its version and the commit it was built from even where the
// build records no VCS information (-buildvcs=false, a source tarball).
var buildVersion, buildRevision string

// versionInfo is what devfix says about itself: the version and the VCS
// revision it was built from ("" when nobody recorded one).
type versionInfo struct {
	Version, Revision string
	Modified          bool // built from a working tree with changes
}

// currentVersion reads the link-time values, falling back to the build's
// module information: `go install …@v1.2.0` records the module version, a
// build in a checkout records vcs.revision (unless -buildvcs=false).
func currentVersion() versionInfo {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(buildVersion, buildRevision, bi)
}

func versionFrom(linkVersion, linkRevision string, bi *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: linkVersion, Revision: linkRevision}
	if bi != nil {
		if v.Version == "" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && v.Revision == "":
				v.Revision = s.Value
			case s.Key == "vcs.modified" && linkRevision == "":
				v.Modified = s.Value == "true"
			}
		}
	}
	if v.Version == "" {
		v.Version = "unknown"
	}
	return v
}

// String is the line `devfix version` prints after "devfix ".
func (v versionInfo) String() string {
	s := v.Version
	if v.Revision != "" {
		s += " (" + v.Revision
		if v.Modified {
			s += ", modified"
		}
		s += ")"
	}
	return s
}

// version is the short form SARIF's tool.driver.version carries.
func version() string { return currentVersion().Version }

func versionSetup(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
	return func(_ context.Context, env *Env, args []string) int {
		if len(args) > 0 {
			fmt.Fprintf(env.Stderr, "devfix version: unexpected argument %q\n", args[0])
			return ExitBadInput
		}
		fmt.Fprintf(env.Stdout, "devfix %s\n", currentVersion())
		return ExitOK
	}
}
