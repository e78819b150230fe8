package devcontainer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/devfix/devfix/mounts"
	"github.com/tailscale/hujson"
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

func checkPrivilegedPorts(p *Pass) {
	c := p.Config
	limit := p.Options.PortStart
	if limit == 0 {
		limit = 1024
	}
	check := func(v *hujson.Value, ptr string, port int, what string) {
		if port > 0 && port < limit {
			p.Reportf(v.StartOffset, v.EndOffset, ptr, "%s publishes host port %d, below net.ipv4.ip_unprivileged_port_start (%d): a rootless daemon cannot bind it; use a host port of %d or more, or \"forwardPorts\"", what, port, limit, limit)
		}
	}
	if m, ok := c.Top("appPort"); ok {
		one := func(v *hujson.Value, ptr string) {
			lit, ok := v.Value.(hujson.Literal)
			if !ok {
				return
			}
			switch lit.Kind() {
			case '0':
				check(v, ptr, int(lit.Int()), "\"appPort\"")
			case '"':
				check(v, ptr, hostPort(lit.String()), "\"appPort\"")
			}
		}
		if arr, ok := m.Value().Value.(*hujson.Array); ok {
			for i := range arr.Elements {
				one(&arr.Elements[i], fmt.Sprintf("/appPort/%d", i))
			}
		} else {
			one(m.Value(), "/appPort")
		}
	}
	_, vals, ra := c.RunArgs()
	for _, pub := range ra.Publish {
		check(vals[pub.Index+pub.Count-1], "/runArgs", hostPort(pub.Value), fmt.Sprintf("%s %q", pub.Flag, pub.Value))
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

func checkResourceLimits(p *Pass) {
	_, vals, ra := p.Config.RunArgs()
	refs := append(append(append([]mounts.ArgRef{}, ra.Memory...), ra.CPUs...), ra.PidsLimit...)
	if len(refs) == 0 {
		return
	}
	di, ok := p.Options.Images.(DaemonInformer)
	if !ok {
		p.Facts.Notes = append(p.Facts.Notes, "resource-limits-ignored skipped: no Docker daemon is reachable")
		return
	}
	facts, err := di.DaemonFacts(context.Background())
	if err != nil {
		p.Facts.Notes = append(p.Facts.Notes, fmt.Sprintf("resource-limits-ignored skipped: %v", err))
		return
	}
	if !facts.Rootless || (facts.CgroupDriver != "none" && facts.CgroupVersion != "1") {
		return
	}
	for _, r := range refs {
		p.Reportf(vals[r.Index].StartOffset, vals[r.Index+r.Count-1].EndOffset, "/runArgs",
			"%s is ignored: your rootless daemon has cgroup driver %q and cgroup v%s, so it applies no resource limits", r.Flag, facts.CgroupDriver, facts.CgroupVersion)
	}
}

var ruleHostNetwork = &Rule{
	ID:       "host-network",
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
	_, vals, ra := p.Config.RunArgs()
	for _, r := range ra.Network {
		if r.Value == "host" {
			p.Reportf(vals[r.Index].StartOffset, vals[r.Index+r.Count-1].EndOffset, "/runArgs",
				"%s=host under rootless Docker is RootlessKit's network namespace (before Engine 29.5): the container's ports are not on the host; publish them or use \"forwardPorts\"", r.Flag)
		}
	}
}

var ruleUsernsKeepID = &Rule{
	ID:       "userns-keep-id",
	Title:    "--userns=keep-id is Podman's; Docker fails on it",
	Severity: SeverityError,
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
	_, vals, ra := c.RunArgs()
	m, _ := c.Top("runArgs")
	for _, r := range ra.Userns {
		if !strings.HasPrefix(r.Value, "keep-id") {
			continue
		}
		fix := Fix{Message: "remove " + r.Flag + " " + r.Value, Edits: c.RemoveElements(m.Value(), r.Index, r.Index+r.Count)}
		p.Report(vals[r.Index].StartOffset, vals[r.Index+r.Count-1].EndOffset, "/runArgs",
			fmt.Sprintf("%s=%s is Podman's: Docker fails with \"invalid USER mode\"; remove it", r.Flag, r.Value), fix)
	}
}

var ruleAppArmor = &Rule{
	ID:       "apparmor-unsupported",
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
	_, vals, ra := c.RunArgs()
	for _, r := range ra.SecurityOpts {
		if strings.HasPrefix(r.Value, "apparmor") {
			p.Reportf(vals[r.Index].StartOffset, vals[r.Index+r.Count-1].EndOffset, "/runArgs", msg, r.Value)
		}
	}
	opts, ovals := c.Strings("securityOpt")
	for i, o := range opts {
		if strings.HasPrefix(o, "apparmor") {
			p.Reportf(ovals[i].StartOffset, ovals[i].EndOffset, fmt.Sprintf("/securityOpt/%d", i), msg, o)
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
	if v, set := c.Bool("privileged"); set && v {
		m, _ := c.Top("privileged")
		p.Reportf(m.Value().StartOffset, m.Value().EndOffset, "/privileged", msg, "\"privileged\": true")
	}
	_, vals, ra := c.RunArgs()
	for _, r := range ra.Privileged {
		p.Reportf(vals[r.Index].StartOffset, vals[r.Index].EndOffset, "/runArgs", msg, r.Flag)
	}
	if feats, ok := c.Object("features"); ok {
		for _, f := range Members(feats) {
			if strings.Contains(f.Name, "docker-in-docker") {
				p.Reportf(f.NameStart(), f.Value().EndOffset, "/features/"+escapePointer(f.Name), msg+"; Docker-in-Docker inside a rootless daemon is not documented to work: prefer docker-outside-of-docker", "the docker-in-docker feature (it sets privileged)")
			}
		}
	}
}
