package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/engine"
	"github.com/devfix/devfix/internal/hostcheck"
	"github.com/spf13/pflag"
)

// check is one line of the doctor's report (and of host check's).
type check = hostcheck.Check

// Check statuses, as the tests name them.
const (
	statusOK   = hostcheck.OK
	statusWarn = hostcheck.Warn
	statusFail = hostcheck.Fail
)

func doctorCommand() command {
	return command{
		name: "doctor", summary: "check the host for rootless Dev Containers; print the fixes",
		about: `Checks the whole chain rootless Dev Containers need, and prints the exact fix
for what is missing: the engine (rootless Docker or rootless Podman, and why devfix
thinks so), /etc/subuid and /etc/subgid, newuidmap, the kernel settings, cgroups,
the rootful socket, Podman's version, socket and the high-UID case, your login shell
and DOCKER_HOST, VS Code's settings and running servers, and the configs under the
current folder (checked exactly as lint checks them). It needs no root and changes
nothing.`,
		examples: []string{"devfix doctor", `devfix doctor --format json | jq '.checks[] | select(.status != "ok")'`},
		setup: func(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
			var format, eng string
			var noCache bool
			fs.StringVar(&format, "format", "text", "output format: text or json")
			engineFlag(fs, &eng)
			fs.BoolVar(&noCache, "no-cache", false, noCacheUsage)
			return func(ctx context.Context, env *Env, args []string) int {
				return runDoctor(ctx, env, format, lintFlags{engine: eng, noCache: noCache}, args)
			}
		},
	}
}

func runDoctor(ctx context.Context, env *Env, format string, flags lintFlags, args []string) int {
	if !reportUsage(env, "devfix doctor", format, args) {
		return ExitBadInput
	}
	s := newSession(env, flags)
	if err := s.flags.validate(); err != nil {
		fmt.Fprintf(env.Stderr, "devfix doctor: %v\n", err)
		return ExitBadInput
	}
	return printChecks(env, format, runDoctorChecks(ctx, env, s), hostcheck.Fail)
}

// reportUsage checks a report command's --format and that it has no
// arguments; a problem is one line on stderr.
func reportUsage(env *Env, cmd, format string, args []string) bool {
	switch {
	case format != "text" && format != "json":
		fmt.Fprintf(env.Stderr, "%s: --format: unknown format %q (want text or json)\n", cmd, format)
	case len(args) > 0:
		fmt.Fprintf(env.Stderr, "%s: unexpected argument %q\n", cmd, args[0])
	default:
		return true
	}
	return false
}

// printChecks prints a report as text or JSON ({"checks": [...]}) and
// returns the exit status: findings when a check is at findingAt or worse
// (doctor: fail; host check: warn, as lint counts warnings).
func printChecks(env *Env, format string, checks []check, findingAt hostcheck.Status) int {
	code := ExitOK
	if hostcheck.AtLeast(hostcheck.Worst(checks), findingAt) {
		code = ExitFindings
	}
	if format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		enc.Encode(struct {
			Checks []check `json:"checks"`
		}{checks})
		return code
	}
	for _, c := range checks {
		fmt.Fprintf(env.Stdout, "%-4s %s: %s\n", strings.ToUpper(string(c.Status)), c.Name, c.Detail)
		if c.Fix != "" {
			for _, line := range strings.Split(c.Fix, "\n") {
				fmt.Fprintf(env.Stdout, "     fix: %s\n", line)
			}
		}
	}
	return code
}

// doctorOf is the doctor's view of the machine for the engine kind, from
// the Env's facts (each read once a run).
func doctorOf(env *Env, kind devcontainer.Engine) *hostcheck.Doctor {
	return &hostcheck.Doctor{
		Fs: env.Fs, Proc: env.procRoot(), Run: env.Run, LookPath: env.LookPath, LookupEnv: env.LookupEnv, Access: env.access,
		UID: env.UID, GID: env.GID, UserName: env.userName(), Home: env.home(), Engine: kind,
		RootlessSocket: env.RootlessSocket, PodmanSocket: env.PodmanSocket, Maps: env.Host,
		Connection: env.engineDaemon, Connect: env.connect, Discovery: env.discovery(),
		PortStart: env.portStart, DockerPath: env.vscodeDockerPath,
	}
}

// runDoctorChecks runs the doctor: the repository's settings and the
// engine chosen for it, the machine's checks (hostcheck), and the configs
// under the current folder.
func runDoctorChecks(ctx context.Context, env *Env, s *session) []check {
	st, bad := settingsCheck(s)
	kind, why := s.engineFor(ctx, st)
	d := doctorOf(env, kind)
	engineCheck := check{Name: "engine", Status: statusOK, Detail: fmt.Sprintf("%s: %s", kind, why)}
	steps := []hostcheck.Step{d.User,
		func(context.Context) []check { return bad },
		func(context.Context) []check { return []check{engineCheck} }}
	steps = append(steps, d.Steps()...)
	steps = append(steps, hostcheck.One(func(ctx context.Context) check { return configsCheck(ctx, env, s) }))
	return hostcheck.Run(ctx, steps...)
}

// settingsCheck reads the .devfix.jsonc of the current folder; one that
// does not parse is a failed check with lint's own line.
func settingsCheck(s *session) (*devcontainer.Settings, []check) {
	st, err := s.settingsHere()
	if err != nil {
		return nil, []check{{Name: "settings", Status: statusFail, Detail: err.Error(), Fix: "correct .devfix.jsonc where the message says"}}
	}
	return st, nil
}

// engineDaemon is the connection lint uses too: one ping in all.
func (env *Env) engineDaemon(ctx context.Context, kind devcontainer.Engine) (*engine.Daemon, error) {
	if env.Engine == nil {
		return nil, errors.New("no engine connection")
	}
	conn, ok := env.Engine(kind).(interface {
		Daemon(context.Context) (*engine.Daemon, error)
	})
	if !ok {
		return nil, errors.New("no engine connection")
	}
	return conn.Daemon(ctx)
}

// configsCheck lints the configs under the current folder exactly as lint does:
// the same session builds their options (flags, .devfix.jsonc, strategy).
func configsCheck(ctx context.Context, env *Env, s *session) check {
	c := check{Name: "configs", Status: statusOK}
	var files, findings int
	var bad []string // bad input, as lint says it
	for _, l := range loadConfigs(ctx, env, []string{"."}) {
		if errors.Is(l.err, devcontainer.ErrNoConfig) {
			c.Detail = "no devcontainer.json under the current folder"
			return c
		}
		files++
		if l.err != nil {
			bad = append(bad, l.err.Error())
			continue
		}
		co, err := s.options(ctx, l.config)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		for _, diag := range devcontainer.Lint(ctx, l.config, co.Options).Diagnostics {
			if countsFailure(diag, co.strict) {
				findings++
			}
		}
	}
	c.Detail = fmt.Sprintf("%d config(s), %d finding(s)", files, findings)
	switch {
	case len(bad) > 0:
		c.Detail += fmt.Sprintf("; %d cannot be read: %s", len(bad), strings.Join(bad, "; "))
		c.Status, c.Fix = statusFail, "correct each file where the message says (devfix lint says the same)"
	case findings > 0:
		c.Status, c.Fix = statusWarn, "devfix lint; devfix apply"
	}
	return c
}
