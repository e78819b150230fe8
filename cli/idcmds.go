package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/devfix/devfix/mounts"
	"github.com/spf13/pflag"
)

func mapCommand() command {
	return command{
		name: "map", summary: "translate container and host UIDs/GIDs of your rootless engine", args: "ID...",
		about: `Translates IDs between the containers of your rootless Docker daemon and the
host: container 0 is you, container N≥1 is subuid_start+N-1. The map comes from
the running daemon's uid_map (else /etc/subuid, else getsubids); devfix says which.`,
		examples: []string{"devfix map 1000            # container UID 1000 (vscode) → host UID", "devfix map --host 100999   # who is host UID 100999 in the container?"},
		setup: func(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
			var toContainer, container, gid bool
			fs.BoolVar(&container, "container", false, "the IDs are container IDs (the default)")
			fs.BoolVar(&toContainer, "host", false, "the IDs are host IDs")
			fs.BoolVar(&gid, "gid", false, "translate group IDs instead of user IDs")
			return func(ctx context.Context, env *Env, args []string) int {
				return runMap(ctx, env, container, toContainer, gid, args)
			}
		},
	}
}

func runMap(ctx context.Context, env *Env, container, toContainer, gid bool, args []string) int {
	if container && toContainer {
		fmt.Fprintln(env.Stderr, "devfix map: --container and --host exclude each other")
		return ExitBadInput
	}
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "devfix map: give at least one ID (devfix map --help)")
		return ExitBadInput
	}
	maps, err := mounts.LookupMaps(ctx, env.Fs, env.procRoot(), env.who(), env.Run)
	if err != nil {
		fmt.Fprintf(env.Stderr, "devfix map: %v\n", err)
		return ExitBadInput
	}
	m, kind := maps.UID, "uid"
	if gid {
		m, kind = maps.GID, "gid"
	}
	code := ExitOK
	for _, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id < 0 {
			fmt.Fprintf(env.Stderr, "devfix map: %q is not an ID\n", a)
			code = ExitBadInput
			continue
		}
		if toContainer {
			if c, ok := m.ToContainer(id); ok {
				fmt.Fprintf(env.Stdout, "host %s %d → container %s %d\n", kind, id, kind, c)
			} else {
				fmt.Fprintf(env.Stdout, "host %s %d → not mapped (the container sees it as nobody, 65534)\n", kind, id)
				code = max(code, ExitFindings)
			}
			continue
		}
		if h, ok := m.ToHost(id); ok {
			fmt.Fprintf(env.Stdout, "container %s %d → host %s %d\n", kind, id, kind, h)
		} else {
			fmt.Fprintf(env.Stdout, "container %s %d → not mapped (outside your subordinate range)\n", kind, id)
			code = max(code, ExitFindings)
		}
	}
	fmt.Fprintf(env.Stdout, "source: %s\n", maps.Source)
	return code
}

func reclaimCommand() command {
	return command{
		name: "reclaim", summary: "give files your container users left behind back to you", args: "PATH...",
		about: `Gives files under PATH that belong to your subordinate UIDs or GIDs (left there
by a non-root container user: the lock-out) back to you, by running chown as
container root inside your rootless daemon's user namespace (nsenter, by argv).
It touches nothing else, never follows a symbolic link, and keeps contents
and modes. Run it as yourself, with your rootless daemon running.`,
		examples: []string{"devfix reclaim --dry-run .", "devfix reclaim ~/src/app"},
		setup: func(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
			var dry bool
			fs.BoolVar(&dry, "dry-run", false, "only list what would be given back")
			return func(ctx context.Context, env *Env, args []string) int {
				return runReclaim(ctx, env, dry, args)
			}
		},
	}
}

func runReclaim(ctx context.Context, env *Env, dry bool, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "devfix reclaim: give the PATH to reclaim (devfix reclaim --help)")
		return ExitBadInput
	}
	if env.UID == 0 {
		fmt.Fprintln(env.Stderr, "devfix reclaim: run it as the user whose rootless daemon wrote the files, not as root")
		return ExitBadInput
	}
	maps, err := mounts.LookupMaps(ctx, env.Fs, env.procRoot(), env.who(), nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "devfix reclaim: %v\n", err)
		return ExitBadInput
	}
	if maps.ChildPID == 0 && !dry {
		fmt.Fprintln(env.Stderr, "devfix reclaim: no rootless Docker daemon of yours is running: start it (its user namespace does the chown), then run reclaim again")
		return ExitBadInput
	}
	code := ExitOK
	for _, p := range args {
		abs, err := filepath.Abs(p)
		if err != nil {
			fmt.Fprintf(env.Stderr, "devfix reclaim: %s: %v\n", p, err)
			code = ExitBadInput
			continue
		}
		o := mounts.ReclaimOptions{Fs: env.Fs, Owner: env.owner, Maps: maps, HostUID: env.UID, HostGID: env.GID, DryRun: dry}
		if !dry {
			o.Chown = mounts.NsenterChowner(env.Run, maps.ChildPID)
		}
		done, err := mounts.Reclaim(ctx, abs, o)
		verb := "gave back"
		if dry {
			verb = "would give back"
		}
		for _, r := range done {
			fmt.Fprintf(env.Stdout, "%s: %s (host %d:%d = container %d:%d)\n", r.Path, verb, r.UID, r.GID, r.ContainerUID, r.CGID)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "devfix reclaim: %v\n", err)
			code = ExitBadInput
			continue
		}
		fmt.Fprintf(env.Stderr, "%s: %s %d file(s) to %s (uid %d)\n", p, verb, len(done), env.userName(), env.UID)
	}
	return code
}
