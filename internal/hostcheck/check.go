// Package hostcheck holds the checks of the machine shared by `devfix
// doctor` (one user's chain: the engine, subordinate IDs, newuidmap, the
// kernel, cgroups, the rootful socket, the login shell, VS Code) and `devfix
// host check` (the admin's audit of the whole host: every user's
// subordinate ranges, copied passwd lines, root-equivalents, the rest of
// the chain): one Check type {Name, Status ok/info/warn/fail, Detail, Fix}
// and one runner.
//
// It reads the machine through the afero filesystem and the /proc root it
// is given, so tests run on a memory filesystem, and runs helper programs
// by argv (internal/run), never through a shell. It parses no flags and
// prints nothing: the CLI does.
package hostcheck

import "context"

// Status is how a check came out.
type Status string

// Statuses, from good to bad.
const (
	OK   Status = "ok"
	Info Status = "info" // something devfix could not learn, or worth knowing
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one line of a report.
type Check struct {
	Name   string `json:"name"`          // what was checked: "/etc/subuid", "subid-overlap"
	Status Status `json:"status"`        // OK, Info, Warn or Fail
	Detail string `json:"detail"`        // what was found
	Fix    string `json:"fix,omitempty"` // what to do, when something is to be done
}

// Step is one step of a run: it returns zero or more checks.
type Step func(ctx context.Context) []Check

// One makes a Step of a function that returns one check.
func One(f func(ctx context.Context) Check) Step {
	return func(ctx context.Context) []Check { return []Check{f(ctx)} }
}

// Run runs the steps in order and returns their checks, in order. It stops
// at the first step after ctx is done.
func Run(ctx context.Context, steps ...Step) []Check {
	var out []Check
	for _, s := range steps {
		if ctx.Err() != nil {
			break
		}
		out = append(out, s(ctx)...)
	}
	return out
}

// Worst is the worst status among checks (OK for none).
func Worst(checks []Check) Status {
	worst := OK
	for _, c := range checks {
		if rank(c.Status) > rank(worst) {
			worst = c.Status
		}
	}
	return worst
}

// AtLeast reports whether s is as bad as min or worse.
func AtLeast(s, min Status) bool { return rank(s) >= rank(min) }

func rank(s Status) int {
	switch s {
	case Info:
		return 1
	case Warn:
		return 2
	case Fail:
		return 3
	}
	return 0
}
