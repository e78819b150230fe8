package devcontainer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
	"github.com/devfix/devfix/mounts"
)

var rulePrivilegedPort = &Rule{
	ID:       "privileged-port",
	Title:    "a published port below net.ipv4.ip_unprivileged_port_start",
	Severity: SeverityError,
	Reads:    []string{"/appPort", "/runArgs"},
	Doc: `A rootless daemon cannot bind host ports below net.ipv4.ip_unprivileged_port_start
(1024 by default): "cannot expose privileged port 80". "appPort": 80 becomes
-p 127.0.0.1:80:80. Publish a high host port (8080:80), use "forwardPorts"
(VS Code tunnels those, no host port needed), or have the admin lower the sysctl.`,
	Bad:   `{ "appPort": 80 }`,
	Good:  `{ "forwardPorts": [80] }`,
	Check: checkPrivilegedPorts,
}

// hostPort returns the host port of a -p/appPort spec, 0 when none is fixed.
func hostPort(spec string) int {
	spec, _, _ = strings.Cut(spec, "/")
	parts := strings.Split(spec, ":")
	var h string
	switch len(parts) {
	case 1:
		return 0 // container port only: a random host port
	case 2:
		h = parts[0]
	default:
		h = parts[len(parts)-2]
	}
	h, _, _ = strings.Cut(h, "-") // a range starts where it starts
	n, err := strconv.Atoi(h)
	if err != nil {
		return 0
	}
	return n
}

func (p *Pass) portStart() int {
	if p.Options.PortStart == 0 {
		return 1024
	}
	return p.Options.PortStart
}

// checkPort reports a host port below the unprivileged start.
func (p *Pass) checkPort(at source.Loc, port int, what string) {
	if limit := p.portStart(); port > 0 && port < limit {
		p.Reportf(at, "%s publishes host port %d, below net.ipv4.ip_unprivileged_port_start (%d): a rootless engine cannot bind it; use a host port of %d or more, or \"forwardPorts\"", what, port, limit, limit)
	}
}

func checkPrivilegedPorts(p *Pass) {
	c := p.Config
	one := func(n jsonc.Node) {
		switch n.Kind() {
		case jsonc.Number:
			p.checkPort(n.Loc(), int(n.Int()), "\"appPort\"")
		case jsonc.String:
			p.checkPort(n.Loc(), hostPort(n.Str()), "\"appPort\"")
		}
	}
	if ap := c.top("appPort"); ap.Kind() == jsonc.Array {
		for _, el := range ap.Children() {
			one(el)
		}
	} else if ap.Exists() {
		one(ap)
	}
	if c.compose != nil {
		c.compose.checkPorts(p)
		return
	}
	for _, pub := range c.RunArgs().Publish {
		p.checkPort(c.argLoc(pub), hostPort(pub.Value), fmt.Sprintf("%s %q", pub.Flag, pub.Value))
	}
}

var ruleResourceLimits = &Rule{
	ID:       "resource-limits-ignored",
	Title:    "--memory, --cpus or --pids-limit are ignored by this rootless daemon",
	Severity: SeverityWarning,
	Reads:    []string{"/runArgs"},
	Doc: `A rootless daemon applies resource limits only with cgroup v2 and systemd
delegation. When docker info shows "Cgroup Driver: none" (or cgroup v1), --memory,
--cpus and --pids-limit are silently ignored. Ask the admin for cgroup v2 with
Delegate=yes for user@.service, or drop the flags.`,
	Bad:   `{ "runArgs": ["--memory=4g", "--cpus=2"] }   // daemon: Cgroup Driver none`,
	Good:  `{ "runArgs": [] }`,
	Check: checkResourceLimits,
}

// limit is a resource limit the config sets, and what it is for messages.
type limit struct {
	at   source.Loc
	what string
}

func checkResourceLimits(p *Pass) {
	c := p.Config
	var limits []limit
	if c.compose != nil {
		limits = c.compose.resourceLimits()
	} else {
		ra := c.RunArgs()
		for _, r := range append(append(append([]mounts.ArgRef{}, ra.Memory...), ra.CPUs...), ra.PidsLimit...) {
			limits = append(limits, limit{c.argLoc(r), r.Flag})
		}
	}
	if len(limits) == 0 {
		return
	}
	di, ok := p.Options.Images.(daemonInformer)
	if !ok {
		p.Note("skipped: no container engine is reachable")
		return
	}
	facts, err := di.DaemonFacts(p.Ctx)
	if err != nil {
		p.Note("skipped: %v", err)
		return
	}
	if !facts.Rootless || (facts.CgroupDriver != "none" && facts.CgroupVersion != "1") {
		return
	}
	for _, l := range limits {
		p.Reportf(l.at, "%s is ignored: your rootless engine has cgroup driver %q and cgroup v%s, so it applies no resource limits", l.what, facts.CgroupDriver, facts.CgroupVersion)
	}
}

var ruleHostNetwork = &Rule{
	ID:       "host-network",
	Engines:  []Engine{EngineDocker},
	Title:    "--network=host is RootlessKit's namespace, not the host's",
	Severity: SeverityWarning,
	Reads:    []string{"/runArgs"},
	Doc: `Until Docker Engine 29.5, --network=host under rootless Docker is the network
namespace of RootlessKit, not the host's: ports the container listens on are not
on the host, and host services on 127.0.0.1 are not reachable. Publish ports
(-p 8080:8080) or use "forwardPorts" instead.`,
	Bad:   `{ "runArgs": ["--network=host"] }`,
	Good:  `{ "forwardPorts": [8080] }`,
	Check: checkHostNetwork,
}

func checkHostNetwork(p *Pass) {
	c := p.Config
	msg := "%s under rootless Docker is RootlessKit's network namespace (before Engine 29.5): the container's ports are not on the host; publish them or use \"forwardPorts\""
	if c.compose != nil {
		c.compose.checkHostNetwork(p, msg)
		return
	}
	for _, r := range c.RunArgs().Network {
		if r.Value == "host" {
			p.Reportf(c.argLoc(r), msg, r.Flag+"=host")
		}
	}
}

var ruleUsernsKeepID = &Rule{
	ID:       "userns-keep-id",
	Title:    "--userns=keep-id is Podman's; Docker fails on it",
	Severity: SeverityError,
	Engines:  []Engine{EngineDocker},
	Reads:    []string{"/runArgs"},
	Doc: `Podman maps your UID into the container with --userns=keep-id (and the Dev
Containers CLI adds it for Podman by itself). Docker's --userns only accepts
"host": "invalid USER mode". The fix removes the flag.`,
	Bad:   `{ "runArgs": ["--userns=keep-id"] }`,
	Good:  `{ "runArgs": [] }`,
	Check: checkUsernsKeepID,
}

func checkUsernsKeepID(p *Pass) {
	c := p.Config
	if c.compose != nil {
		c.compose.usernsKeepID(p) // runArgs do not reach compose
		return
	}
	for _, r := range c.RunArgs().Userns {
		if !strings.HasPrefix(r.Value, "keep-id") {
			continue
		}
		fix := Fix{Message: "remove " + r.Flag + " " + r.Value, Edits: c.doc.Remove(c.top("runArgs"), r.Index, r.Index+r.Count)}
		p.Report(c.argLoc(r), fmt.Sprintf("%s=%s is Podman's: Docker fails with \"invalid USER mode\"; remove it", r.Flag, r.Value), fix)
	}
}

var ruleAppArmor = &Rule{
	ID:       "apparmor-unsupported",
	Engines:  []Engine{EngineDocker},
	Title:    "AppArmor options do nothing under rootless Docker",
	Severity: SeverityWarning,
	Reads:    []string{"/runArgs", "/securityOpt"},
	Doc: `Rootless Docker does not support AppArmor: --security-opt apparmor=… (in
"runArgs" or "securityOpt") has no effect, so a profile you rely on is not
enforced. Drop it, or run that container on a rootful daemon.`,
	Bad:   `{ "securityOpt": ["apparmor=unconfined"] }`,
	Good:  `{ "securityOpt": [] }`,
	Check: checkAppArmor,
}

func checkAppArmor(p *Pass) {
	c := p.Config
	msg := "%q: rootless Docker does not support AppArmor, so this option has no effect"
	for _, el := range c.top("securityOpt").Children() {
		if strings.HasPrefix(el.Str(), "apparmor") {
			p.Reportf(el.Loc(), msg, el.Str())
		}
	}
	if c.compose != nil {
		c.compose.checkAppArmor(p, msg)
		return
	}
	for _, r := range c.RunArgs().SecurityOpts {
		if strings.HasPrefix(r.Value, "apparmor") {
			p.Reportf(c.argLoc(r), msg, r.Value)
		}
	}
}

var rulePrivileged = &Rule{
	ID:       "privileged-container",
	Title:    "a privileged container gets only what your user namespace has",
	Severity: SeverityWarning,
	Reads:    []string{"/privileged", "/runArgs", "/features"},
	Doc: `Under rootless Docker, --privileged and added capabilities apply only inside
the daemon's user namespace: devices, kernel modules and many mounts stay out of
reach. Docker-in-Docker (the docker-in-docker feature sets privileged) inside a
rootless daemon is not documented to work. Prefer docker-outside-of-docker with
your rootless socket.`,
	Bad:   `{ "features": { "ghcr.io/devcontainers/features/docker-in-docker:2": {} } }`,
	Good:  `{ "features": { "ghcr.io/devcontainers/features/docker-outside-of-docker:1": {} } }`,
	Check: checkPrivileged,
}

func checkPrivileged(p *Pass) {
	c := p.Config
	msg := "%s: under rootless Docker a privileged container has only the capabilities of your user namespace"
	if n := c.top("privileged"); n.IsTrue() {
		p.Reportf(n.Loc(), msg, "\"privileged\": true")
	}
	if c.compose != nil {
		c.compose.checkPrivileged(p, msg)
	} else {
		for _, r := range c.RunArgs().Privileged {
			p.Reportf(c.argLoc(r), msg, r.Flag)
		}
	}
	for _, f := range c.top("features").Children() {
		if strings.Contains(f.Key(), "docker-in-docker") {
			p.Reportf(f.MemberLoc(), msg+"; Docker-in-Docker inside a rootless engine is not documented to work: prefer docker-outside-of-docker", "the docker-in-docker feature (it sets privileged)")
		}
	}
}
