package devcontainer

import (
	"strings"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
	"github.com/devfix/devfix/mounts"
)

var ruleLocalEnvDefault = &Rule{
	ID:       "localenv-default-colon",
	Title:    "a ${localEnv} default with a \":\" is cut short by the reference CLI",
	Severity: SeverityError,
	Doc: `The Dev Containers CLI splits ${localEnv:VAR:default} on every ":" and keeps
only the first piece of the default, so ${localEnv:DOCKER_HOST:unix:///run/user/1000/docker.sock}
yields "unix" when DOCKER_HOST is unset. Use a default without ":" (for a socket,
${localEnv:XDG_RUNTIME_DIR:/run/user/1000}/docker.sock), or a literal value.`,
	Bad:   `{ "containerEnv": { "DOCKER_HOST": "${localEnv:DOCKER_HOST:unix:///run/user/1000/docker.sock}" } }`,
	Good:  `{ "containerEnv": { "DOCKER_HOST": "unix://${localEnv:XDG_RUNTIME_DIR:/run/user/1000}/docker.sock" } }`,
	Check: checkLocalEnvDefault,
}

var ruleXDGUnset = &Rule{
	ID:       "localenv-unset",
	Title:    "${localEnv:XDG_RUNTIME_DIR} without a default, and the variable is unset",
	Severity: SeverityWarning,
	Doc: `An unset variable becomes "" in ${localEnv:VAR}: source=${localEnv:XDG_RUNTIME_DIR}/docker.sock
silently becomes source=/docker.sock. XDG_RUNTIME_DIR is often missing where VS Code
starts (su, sudo, cron, some SSH set-ups). Give it a default without ":"
(${localEnv:XDG_RUNTIME_DIR:/run/user/1000}) or make sure it is set; devfix
only reports this for variables unset in its own environment.`,
	Bad:   `{ "mounts": ["source=${localEnv:XDG_RUNTIME_DIR}/docker.sock,target=/var/run/docker.sock,type=bind"] }   // XDG_RUNTIME_DIR unset`,
	Good:  `{ "mounts": ["source=${localEnv:XDG_RUNTIME_DIR:/run/user/1000}/docker.sock,target=/var/run/docker.sock,type=bind"] }`,
	Check: checkLocalEnvUnset,
}

// eachString calls fn for every string value (not member names) outside
// "customizations", which the CLI does not substitute for Docker.
func eachString(c *Config, fn func(n jsonc.Node, s string)) {
	for _, n := range c.doc.Nodes() {
		if n.Kind() != jsonc.String {
			continue
		}
		if ptr := n.Ptr(); source.Under(ptr, "/customizations") {
			continue
		}
		fn(n, n.Str())
	}
}

func checkLocalEnvDefault(p *Pass) {
	eachString(p.Config, func(n jsonc.Node, s string) {
		if !strings.Contains(s, "${") {
			return
		}
		for _, ref := range mounts.FindVars(s) {
			if (ref.Name == "localEnv" || ref.Name == "env") && len(ref.Args) > 2 {
				p.Reportf(n.Loc(), "%s: the reference CLI cuts the default at its first \":\", so it yields %q when %s is unset; use a default without \":\"",
					s[ref.Start:ref.End], ref.Args[1], ref.Args[0])
			}
		}
	})
}

func checkLocalEnvUnset(p *Pass) {
	if p.Options.LookupEnv == nil {
		return
	}
	eachString(p.Config, func(n jsonc.Node, s string) {
		if !strings.Contains(s, "${") {
			return
		}
		for _, ref := range mounts.FindVars(s) {
			if (ref.Name == "localEnv" || ref.Name == "env") && len(ref.Args) == 1 && ref.Args[0] == "XDG_RUNTIME_DIR" {
				if x, ok := p.Options.lookup("XDG_RUNTIME_DIR"); !ok || x == "" {
					sub, _ := mounts.Substitute(s, mounts.VarContext{LookupEnv: p.Options.LookupEnv})
					p.Reportf(n.Loc(), "XDG_RUNTIME_DIR is unset here, so %q becomes %q; give ${localEnv:XDG_RUNTIME_DIR} a default without \":\"", s, sub)
				}
			}
		}
	})
}
