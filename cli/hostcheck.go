package cli

import (
	"context"

	"github.com/devfix/devfix/internal/hostcheck"
	"github.com/spf13/pflag"
)

// hostCheckCommand is `devfix host check`, a row of host's subcommands.
func hostCheckCommand() command {
	return command{
		name: "check", summary: "audit the whole host for rootless engines (as root, or as far as you can read)",
		about: `Audits the host for an admin: /etc/subuid and /etc/subgid (parse, owner, mode,
not a symlink), every user's ranges (both files, at least 65536 IDs), ranges that
overlap each other or real IDs (local users and groups, SSSD's ID mapping,
min_id/max_id: CVE-2024-56433), SSSD domains it cannot bound, owners NSS no
longer knows, users with a rootless engine in /home but no range, which NSS
source serves subid, /etc/passwd lines another NSS source answers for, rootful
Docker and the docker group, newuidmap/newgidmap, the kernel, cgroup
delegation and linger. It changes nothing. As a normal user it checks what it
can read and says what it could not.
Exit status: 0 clean (ok and info only), 1 a warning or a failure, 2 bad input.`,
		examples: []string{"sudo devfix host check", `sudo devfix host check --format json | jq '.checks[] | select(.status == "fail")'`},
		setup: func(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
			var format string
			fs.StringVar(&format, "format", "text", "output format: text or json")
			return func(ctx context.Context, env *Env, args []string) int {
				return runHostCheck(ctx, env, format, args)
			}
		},
	}
}

func runHostCheck(ctx context.Context, env *Env, format string, args []string) int {
	if !reportUsage(env, "devfix host check", format, args) {
		return ExitBadInput
	}
	h := &hostcheck.Host{Fs: env.Fs, Root: env.HostRoot, Proc: env.ProcRoot, Run: env.Run, Owner: env.Owner, UID: env.UID}
	return printChecks(env, format, hostcheck.Run(ctx, h.Steps()...), hostcheck.Warn)
}
