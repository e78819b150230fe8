package devcontainer

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/devfix/devfix/mounts"
	"github.com/tailscale/hujson"
)

// Environment variables of the env strategy; `devfix shellenv` exports them
// as root when the daemon is rootless.
const (
	EnvRemoteUser    = "DEVFIX_REMOTE_USER"
	EnvContainerUser = "DEVFIX_CONTAINER_USER"
)

// envForm returns ${localEnv:VAR:orig}, or ${localEnv:VAR} when orig is "".
func envForm(variable, orig string) string {
	if orig == "" {
		return "${localEnv:" + variable + "}"
	}
	return "${localEnv:" + variable + ":" + orig + "}"
}

var envFormRE = regexp.MustCompile(`^\$\{localEnv:([A-Za-z_][A-Za-z0-9_]*)(:[^:}]*)?\}$`)

// isEnvForm reports whether s already reads variable (any default).
func isEnvForm(s, variable string) bool {
	m := envFormRE.FindStringSubmatch(s)
	return m != nil && m[1] == variable
}

// envDefaultProblem says why orig cannot be a ${localEnv} default ("" if it can).
func envDefaultProblem(orig string) string {
	switch {
	case strings.Contains(orig, ":"):
		return "the reference CLI cuts a ${localEnv} default at its first \":\""
	case strings.Contains(orig, "}"):
		return "a ${localEnv} default cannot contain \"}\""
	case strings.Contains(orig, "${"):
		return "a ${localEnv} default cannot contain another variable"
	}
	return ""
}

// UsesEnvStrategy reports whether the config already takes its users from
// the env strategy's variables (so a lint without --strategy should too).
func (c *Config) UsesEnvStrategy() bool {
	for _, k := range []struct{ key, env string }{{"remoteUser", EnvRemoteUser}, {"containerUser", EnvContainerUser}} {
		if v, ok := c.String(k.key); ok && isEnvForm(v, k.env) {
			return true
		}
	}
	return false
}

var ruleRemoteUser = &Rule{
	ID:         "rootless-remote-user",
	Title:      "the remote user is not root, so it cannot write the bind-mounted workspace",
	Severity:   SeverityError,
	Strategies: []Strategy{StrategyRoot, StrategyEnv},
	Reads:      []string{"/remoteUser", "/image", "/build"},
	Doc: `Under rootless Docker only container UID 0 maps to you on the host; UID N≥1
maps to subuid_start+N-1. A non-root remote user such as "vscode" therefore gets
"Permission denied" on the bind-mounted workspace, and what it creates belongs
to a stranger UID on the host. The remote user often comes from the image's
devcontainer.metadata label, so deleting "remoteUser" does not help: it must
be set explicitly.

Strategy root sets "remoteUser": "root" (container root is you).
Strategy env sets "remoteUser": "${localEnv:DEVFIX_REMOTE_USER:<original>}" so
the same file keeps the original user on rootful Docker and becomes root where
` + "`devfix shellenv`" + ` exports DEVFIX_REMOTE_USER=root.`,
	Bad:   `{ "image": "mcr.microsoft.com/devcontainers/base:debian", "remoteUser": "vscode" }`,
	Good:  `{ "image": "mcr.microsoft.com/devcontainers/base:debian", "remoteUser": "root" }`,
	Check: checkRemoteUser,
}

func checkRemoteUser(p *Pass) {
	c, f := p.Config, p.Facts
	m, inJSON := c.Top("remoteUser")
	raw, _ := c.String("remoteUser")
	switch p.Strategy {
	case StrategyEnv:
		checkEnvSetting(p, "remoteUser", EnvRemoteUser, "remote user", f.Remote)
	default:
		if inJSON && raw == "root" {
			return
		}
		if f.Remote.Known && IsRootUser(f.Remote.Name) && (!inJSON || raw == "0" || strings.HasPrefix(raw, "root:") || strings.HasPrefix(raw, "0:")) {
			return
		}
		fix := setSetting(c, m, inJSON, "remoteUser", "root")
		fix.Message = `set "remoteUser" to "root"`
		start, end := reportSpan(c, m, inJSON)
		var msg string
		if f.Remote.Known {
			msg = fmt.Sprintf("the remote user %q (%s) cannot write the workspace under rootless Docker: set \"remoteUser\" to \"root\" (container root is you)", f.Remote.Name, f.Remote.From)
		} else {
			msg = fmt.Sprintf("the remote user is unknown (%s): set \"remoteUser\" to \"root\" explicitly, or the image's label may pick a non-root user", f.Remote.Why)
		}
		p.Report(start, end, "/remoteUser", msg, fix)
	}
}

// checkEnvSetting: with strategy env, the setting key must read variable,
// with its current value (if any) as the default.
func checkEnvSetting(p *Pass, key, variable, who string, fact UserFact) {
	c := p.Config
	m, inJSON := c.Top(key)
	raw, _ := c.String(key)
	if inJSON && isEnvForm(raw, variable) {
		return
	}
	if prob := envDefaultProblem(raw); prob != "" {
		p.Reportf(m.Value().StartOffset, m.Value().EndOffset, "/"+key,
			"%q %q cannot become a default of ${localEnv:%s}: %s; use strategy root or acl", key, raw, variable, prob)
		return
	}
	fix := setSetting(c, m, inJSON, key, envForm(variable, raw))
	fix.Message = fmt.Sprintf("set %q to %q", key, envForm(variable, raw))
	start, end := reportSpan(c, m, inJSON)
	p.Report(start, end, "/"+key, fmt.Sprintf("take the %s from %s so rootless hosts can make it root (%s)", who, variable, describeUser(fact)), fix)
}

var ruleContainerUser = &Rule{
	ID:         "rootless-container-user",
	Title:      "the container runs as a non-root user",
	Severity:   SeverityError,
	Strategies: []Strategy{StrategyRoot, StrategyEnv},
	Reads:      []string{"/containerUser", "/runArgs", "/image", "/build"},
	Doc: `The container's main process runs as "containerUser", a -u/--user in
"runArgs", or the image's USER. Under rootless Docker a non-root UID there is a
subordinate UID on the host: files it creates in the workspace are not yours.

Strategy root sets "containerUser": "root" (and rewrites a -u in "runArgs",
which would win over it). Strategy env takes the user from
${localEnv:DEVFIX_CONTAINER_USER:<original>} (empty default when there was none),
which behaves exactly as before while the variable is unset.`,
	Bad:   `{ "build": { "dockerfile": "Dockerfile" } }   // Dockerfile ends with USER node`,
	Good:  `{ "build": { "dockerfile": "Dockerfile" }, "containerUser": "root" }`,
	Check: checkContainerUser,
}

func checkContainerUser(p *Pass) {
	c, f := p.Config, p.Facts
	m, inJSON := c.Top("containerUser")
	raw, _ := c.String("containerUser")
	args, vals, ra := c.RunArgs()

	if p.Strategy == StrategyEnv {
		for _, u := range ra.Users {
			if isEnvForm(u.Value, EnvContainerUser) {
				continue
			}
			if prob := envDefaultProblem(u.Value); prob != "" {
				v := vals[u.Index+u.Count-1]
				p.Reportf(v.StartOffset, v.EndOffset, "/runArgs", "%s %q in \"runArgs\" cannot become a default of ${localEnv:%s}: %s", u.Flag, u.Value, EnvContainerUser, prob)
				continue
			}
			fix := rewriteUserArg(c, vals, args, u, envForm(EnvContainerUser, u.Value))
			v := vals[u.Index]
			p.Report(v.StartOffset, vals[u.Index+u.Count-1].EndOffset, "/runArgs",
				fmt.Sprintf("take %s in \"runArgs\" from %s so rootless hosts can make it root", u.Flag, EnvContainerUser), fix)
		}
		checkEnvSetting(p, "containerUser", EnvContainerUser, "container user", f.Container)
		return
	}

	if !f.Container.Known {
		return // computeFacts left a note
	}
	if IsRootUser(f.Container.Name) {
		return
	}
	msg := fmt.Sprintf("the container runs as %q (%s), a subordinate UID on the host under rootless Docker", f.Container.Name, f.Container.From)
	switch {
	case len(ra.Users) > 0:
		// runArgs wins over containerUser: rewrite every non-root -u.
		for _, u := range ra.Users {
			if IsRootUser(u.Value) {
				continue
			}
			fix := rewriteUserArg(c, vals, args, u, "root")
			p.Report(vals[u.Index].StartOffset, vals[u.Index+u.Count-1].EndOffset, "/runArgs",
				fmt.Sprintf("%s %q in \"runArgs\" runs the container as a subordinate UID under rootless Docker: run it as root", u.Flag, u.Value), fix)
		}
		if inJSON && !IsRootUser(raw) {
			fix := setSetting(c, m, true, "containerUser", "root")
			fix.Message = `set "containerUser" to "root"`
			p.Report(m.Value().StartOffset, m.Value().EndOffset, "/containerUser", fmt.Sprintf("\"containerUser\" %q is overridden by \"runArgs\" but would run as a subordinate UID: set it to \"root\" too", raw), fix)
		}
	default:
		fix := setSetting(c, m, inJSON, "containerUser", "root")
		fix.Message = `set "containerUser" to "root"`
		start, end := reportSpan(c, m, inJSON)
		p.Report(start, end, "/containerUser", msg+": set \"containerUser\" to \"root\"", fix)
	}
}

// rewriteUserArg replaces the value of a -u/--user in runArgs.
func rewriteUserArg(c *Config, vals []*hujson.Value, args []string, u mounts.ArgRef, newUser string) Fix {
	last := u.Index + u.Count - 1
	elem := args[last]
	var newElem string
	if u.Joined {
		newElem = strings.TrimSuffix(elem, u.Value) + newUser
	} else {
		newElem = newUser
	}
	return Fix{
		Message: fmt.Sprintf("run the container as %q (%s in \"runArgs\")", newUser, u.Flag),
		Edits:   []Edit{ReplaceValue(vals[last], jsonString(newElem))},
	}
}

var ruleUpdateRemoteUserUID = &Rule{
	ID:         "update-remote-user-uid",
	Title:      "updateRemoteUserUID is not false, which maps the user to a subordinate UID",
	Severity:   SeverityWarning,
	Strategies: []Strategy{StrategyRoot},
	Reads:      []string{"/updateRemoteUserUID"},
	Doc: `On Linux the Dev Containers CLI gives a non-root remote user your host UID
(updateRemoteUserUID, on by default). Under rootless Docker container UID N≥1 is
host subuid_start+N-1, so that user lands on yet another subordinate UID, never
on you. With strategy root the remote user is root and the step is skipped, but
an explicit false keeps it off should a non-root remoteUser come back.`,
	Bad:   `{ "image": "debian", "remoteUser": "root" }`,
	Good:  `{ "image": "debian", "remoteUser": "root", "updateRemoteUserUID": false }`,
	Check: checkUpdateRemoteUserUID,
}

func checkUpdateRemoteUserUID(p *Pass) {
	c := p.Config
	m, inJSON := c.Top("updateRemoteUserUID")
	if v, set := c.Bool("updateRemoteUserUID"); set && !v {
		return
	}
	fix := setSetting(c, m, inJSON, "updateRemoteUserUID", "false")
	fix.Message = `set "updateRemoteUserUID" to false`
	start, end := reportSpan(c, m, inJSON)
	msg := `set "updateRemoteUserUID" to false: under rootless Docker it gives the remote user a subordinate UID, never yours`
	if inJSON {
		msg = `"updateRemoteUserUID" is true: under rootless Docker it gives the remote user a subordinate UID, never yours; set it to false`
	}
	p.Report(start, end, "/updateRemoteUserUID", msg, fix)
}

// describeUser is a short "now: X from Y" for messages.
func describeUser(u UserFact) string {
	if !u.Known {
		return "now unknown: " + u.Why
	}
	return fmt.Sprintf("now %q from %s", u.Name, u.From)
}

// userKeys are the settings new user members are grouped with.
var userKeys = []string{"remoteUser", "containerUser", "updateRemoteUserUID"}

// setSetting returns a fix that sets the top-level member name (m, when
// present) to value: a JSON string, or a literal for true/false. A new member
// goes after the last user setting, else at the end of the object.
func setSetting(c *Config, m Member, present bool, name, value string) Fix {
	text := jsonString(value)
	if value == "true" || value == "false" {
		text = value
	}
	if present {
		return Fix{Edits: []Edit{ReplaceValue(m.Value(), text)}}
	}
	return Fix{Edits: c.InsertMember(c.RootValue(), c.lastUserKey(), name, text)}
}

// lastUserKey is the last top-level user setting, after which new user
// settings go; nil when there is none.
func (c *Config) lastUserKey() *Member {
	var after *Member
	for _, m := range Members(c.Root()) {
		for _, k := range userKeys {
			if m.Name == k {
				m := m
				after = &m
			}
		}
	}
	return after
}

// reportSpan is where a finding about a top-level setting points: its value,
// or the top-level object's opening brace when the setting is missing.
func reportSpan(c *Config, m Member, present bool) (int, int) {
	if present {
		return m.Value().StartOffset, m.Value().EndOffset
	}
	start := c.RootValue().StartOffset
	return start, start + 1
}
