package devcontainer

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
	"github.com/devfix/devfix/mounts"
)

// Environment variables of the env strategy; `devfix shellenv` exports them
// for the engine the user runs.
const (
	EnvRemoteUser    = "DEVFIX_REMOTE_USER"
	EnvContainerUser = "DEVFIX_CONTAINER_USER"
	EnvUserns        = "DEVFIX_USERNS"
	EnvDockerSocket  = "DEVFIX_DOCKER_SOCKET"
)

// envForm returns ${localEnv:VAR:orig}, or ${localEnv:VAR} when orig is "".
func envForm(variable, orig string) string {
	if orig == "" {
		return "${localEnv:" + variable + "}"
	}
	return "${localEnv:" + variable + ":" + orig + "}"
}

var envFormRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\$\{localEnv:([A-Za-z_][A-Za-z0-9_]*)(:[^:}]*)?\}$`)
})

// isEnvForm reports whether s already reads variable (any default).
func isEnvForm(s, variable string) bool {
	m := envFormRE().FindStringSubmatch(s)
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

// UsesEnvStrategy reports whether the config already reads the env
// strategy's DEVFIX_* variables (so a lint without --strategy should check
// it with that strategy too).
func (c *Config) UsesEnvStrategy() bool {
	for _, f := range c.Files() {
		if bytes.Contains(f.Body, []byte("${localEnv:DEVFIX_")) || bytes.Contains(f.Body, []byte("${DEVFIX_")) {
			return true
		}
	}
	return false
}

// rootLoc is the top-level object's opening brace: where a finding about a
// setting that is not there points.
func (c *Config) rootLoc() source.Loc {
	r := c.root()
	return source.Loc{File: c.doc.File, Start: r.Start(), End: r.Start() + 1, Ptrs: []string{""}}
}

// settingLoc is a top-level setting's value, or the root's brace when it is
// not there.
func (c *Config) settingLoc(name string) source.Loc {
	if n := c.top(name); n.Exists() {
		return n.Loc()
	}
	return c.rootLoc()
}

// userKeys are the settings new user members are grouped with.
var userKeys = map[string]bool{"remoteUser": true, "containerUser": true, "updateRemoteUserUID": true}

// lastUserKey is the last top-level user setting, after which new user
// settings go.
func (c *Config) lastUserKey() jsonc.Node {
	var after jsonc.Node
	for _, m := range c.root().Children() {
		if userKeys[m.Key()] {
			after = m
		}
	}
	return after
}

// setSetting is the fix that sets the top-level setting name to the JSON text
// value, in place or next to the other user settings.
func (c *Config) setSetting(name, value, msg string) Fix {
	return c.setSettings(msg, jsonc.KV{Key: name, JSON: value})
}

// setSettings sets several top-level settings in one fix: those there in
// place, the others inserted together next to the other user settings.
func (c *Config) setSettings(msg string, kvs ...jsonc.KV) Fix {
	fix := Fix{Message: msg}
	var missing []jsonc.KV
	for _, kv := range kvs {
		if n := c.top(kv.Key); n.Exists() {
			if n.Raw() != kv.JSON {
				fix.Edits = append(fix.Edits, c.doc.Replace(n, kv.JSON))
			}
		} else {
			missing = append(missing, kv)
		}
	}
	if len(missing) > 0 {
		fix.Edits = append(fix.Edits, c.doc.Insert(c.root(), c.lastUserKey(), missing...)...)
	}
	return fix
}

// rootRemoteUser is the root strategy's fix for the remote user: root, and
// no UID update should a non-root user come back.
func (c *Config) rootRemoteUser() Fix {
	if v, set := c.boolean("updateRemoteUserUID"); set && !v {
		return c.setSetting("remoteUser", `"root"`, `set "remoteUser" to "root"`)
	}
	return c.setSettings(`set "remoteUser" to "root" and "updateRemoteUserUID" to false`,
		jsonc.KV{Key: "remoteUser", JSON: `"root"`}, jsonc.KV{Key: "updateRemoteUserUID", JSON: "false"})
}

var ruleRemoteUser = &Rule{
	ID:         "rootless-remote-user",
	Title:      "the remote user is not root, so it cannot write the bind-mounted workspace",
	Severity:   SeverityError,
	Strategies: []Strategy{StrategyRoot, StrategyEnv},
	Reads:      []string{"/remoteUser", "/image", "/build", "/dockerComposeFile"},
	Doc: `Under rootless Docker only container UID 0 maps to you on the host; UID N≥1
maps to subuid_start+N-1. A non-root remote user such as "vscode" therefore gets
"Permission denied" on the bind-mounted workspace, and what it creates belongs
to a stranger UID on the host. The remote user often comes from the image's
devcontainer.metadata label, so deleting "remoteUser" does not help: it must
be set explicitly. The finding points at where the user comes from.

When no engine answered for the image (offline, or the image is not pulled)
the user is unknown: devfix says so at info severity (lint exits 0; --strict
makes it fail) and apply still writes "remoteUser": "root", which is right
whatever the image turns out to be. For the official dev container images
devfix knows the documented user without an engine.

Strategy root sets "remoteUser": "root" (container root is you).
Strategy env sets "remoteUser": "${localEnv:DEVFIX_REMOTE_USER:<original>}" so
the same file keeps the original user on rootful Docker and becomes root where
` + "`devfix shellenv`" + ` exports DEVFIX_REMOTE_USER=root. <original> is the
user the config names, else the one devfix learned from the image's label, its
USER or the compose service; where devfix could not learn it, the default is
left empty, which gives back the image's user all the same.`,
	Bad:   `{ "image": "mcr.microsoft.com/devcontainers/base:debian", "remoteUser": "vscode" }`,
	Good:  `{ "image": "mcr.microsoft.com/devcontainers/base:debian", "remoteUser": "root" }`,
	Check: checkRemoteUser,
}

func checkRemoteUser(p *Pass) {
	c, f := p.Config, p.Facts
	if p.Strategy == StrategyEnv {
		checkEnvSetting(p, "remoteUser", EnvRemoteUser, "remote user", f.Remote, true)
		return
	}
	n := c.top("remoteUser")
	raw := n.Str()
	if raw == "root" {
		return
	}
	if f.Remote.Known && isRootUser(f.Remote.Name) && (!n.Exists() || isRootUser(raw)) {
		return
	}
	fix := c.rootRemoteUser()
	risk, because := "cannot write the workspace", ""
	if !c.bindsHostFolder(p.Options) {
		// Nothing of the host is mounted (a compose service that binds no
		// project folder): what is at stake is a folder bound later.
		risk = "is a subordinate UID on the host"
		because = ": no host folder is bound now, but it could not write one bound later, and what it wrote there would not be yours"
	}
	if !f.Remote.Known {
		p.ReportAt(SeverityInfo, f.Remote.At, fmt.Sprintf("the remote user is unknown (%s): if it is not root it %s under %s%s; set \"remoteUser\" to \"root\" explicitly (devfix apply does)", f.Remote.Why, risk, p.Options.engineName(), because), fix)
		return
	}
	sep := ":"
	if because != "" {
		sep = ";"
	}
	p.Report(f.Remote.At, fmt.Sprintf("the remote user %q (%s) %s under %s%s%s set \"remoteUser\" to \"root\" (container root is you)", f.Remote.Name, f.Remote.From, risk, p.Options.engineName(), because, sep), fix)
}

// bindsHostFolder reports whether the container binds a host folder or file
// it may write (as far as devfix can tell): the workspace, a bind in "mounts" or "runArgs", a compose
// bind volume (the engine's socket aside).
func (c *Config) bindsHostFolder(o *Options) bool {
	if c.compose != nil && c.compose.notLoaded != nil {
		return true // the compose files were not read: assume the usual bind
	}
	for _, b := range c.bindSources(o) {
		if !b.ReadOnly && !isSystemSocket(b.Path) {
			return true
		}
	}
	return false
}

// checkEnvSetting: with strategy env, the setting key must read variable,
// with its current value (if any) as the default; with keepKnown, a user
// devfix knows from elsewhere becomes the default when the setting is absent.
func checkEnvSetting(p *Pass, key, variable, who string, fact UserFact, keepKnown bool) {
	c := p.Config
	n := c.top(key)
	raw := n.Str()
	if n.Exists() && isEnvForm(raw, variable) {
		return
	}
	if fact.Known && isRootUser(fact.Name) && (!n.Exists() || isRootUser(raw)) {
		return // root is right everywhere: nothing to switch
	}
	if prob := envDefaultProblem(raw); prob != "" {
		p.Reportf(n.Loc(), "%q %q cannot become a default of ${localEnv:%s}: %s; use strategy root or acl", key, raw, variable, prob)
		return
	}
	orig := raw
	if !n.Exists() && keepKnown && fact.Known && envDefaultProblem(fact.Name) == "" {
		// The user comes from the image, its label or the container's
		// user: write it down, so the file says what an unset variable
		// gives.
		orig = fact.Name
	}
	value := envForm(variable, orig)
	fix := c.setSetting(key, jsonc.Quote(value), fmt.Sprintf("set %q to %q", key, value))
	at := fact.At
	if n.Exists() {
		at = n.Loc()
	}
	sev := p.rule.Severity
	if !fact.Known {
		sev = SeverityInfo
	}
	p.ReportAt(sev, at, fmt.Sprintf("take the %s from %s so rootless hosts can make it root (%s)", who, variable, describeUser(fact)), fix)
}

var ruleContainerUser = &Rule{
	ID:         "rootless-container-user",
	Title:      "the container runs as a non-root user",
	Severity:   SeverityError,
	Strategies: []Strategy{StrategyRoot, StrategyEnv},
	Reads:      []string{"/containerUser", "/runArgs", "/image", "/build", "/dockerComposeFile"},
	Doc: `The container's main process runs as "containerUser", a -u/--user in
"runArgs", a compose service's user:, or the image's USER. Under rootless Docker
a non-root UID there is a subordinate UID on the host: files it creates in the
workspace are not yours. The finding points at where the user comes from (the
Dockerfile's USER line, the service's user: in the compose file).

Strategy root sets "containerUser": "root" (and rewrites a -u in "runArgs",
which would win over it); for a compose config the reference CLI then writes
user: root for the service into its own override file, so the YAML stays as
it is. Strategy env takes the user from
${localEnv:DEVFIX_CONTAINER_USER:<original>} (empty default when there was
none), which behaves exactly as before while the variable is unset.`,
	Bad:   `{ "build": { "dockerfile": "Dockerfile" } }   // Dockerfile ends with USER node`,
	Good:  `{ "build": { "dockerfile": "Dockerfile" }, "containerUser": "root" }`,
	Check: checkContainerUser,
}

func checkContainerUser(p *Pass) {
	c, f := p.Config, p.Facts
	n := c.top("containerUser")
	raw := n.Str()
	var users []mounts.ArgRef
	if c.compose == nil {
		users = c.RunArgs().Users // the CLI passes no runArgs to compose
	}
	els := c.top("runArgs").Children()

	if p.Strategy == StrategyEnv {
		for _, u := range users {
			if isEnvForm(u.Value, EnvContainerUser) {
				continue
			}
			if prob := envDefaultProblem(u.Value); prob != "" {
				p.Reportf(c.argLoc(u), "%s %q in \"runArgs\" cannot become a default of ${localEnv:%s}: %s", u.Flag, u.Value, EnvContainerUser, prob)
				continue
			}
			p.Report(c.argLoc(u), fmt.Sprintf("take %s in \"runArgs\" from %s so rootless hosts can make it root", u.Flag, EnvContainerUser),
				c.rewriteUserArg(els, u, envForm(EnvContainerUser, u.Value)))
		}
		checkEnvSetting(p, "containerUser", EnvContainerUser, "container user", f.Container, false)
		return
	}

	if f.Container.Known && isRootUser(f.Container.Name) {
		return
	}
	if len(users) > 0 {
		// runArgs wins over containerUser: rewrite every non-root -u.
		for _, u := range users {
			if !isRootUser(u.Value) {
				p.Report(c.argLoc(u), fmt.Sprintf("%s %q in \"runArgs\" runs the container as a subordinate UID under %s: run it as root", u.Flag, u.Value, p.Options.engineName()),
					c.rewriteUserArg(els, u, "root"))
			}
		}
		if n.Exists() && !isRootUser(raw) {
			p.Report(n.Loc(), fmt.Sprintf("\"containerUser\" %q is overridden by \"runArgs\" but would run as a subordinate UID: set it to \"root\" too", raw),
				c.setSetting("containerUser", `"root"`, `set "containerUser" to "root"`))
		}
		return
	}
	fix := c.setSetting("containerUser", `"root"`, `set "containerUser" to "root"`)
	if !f.Container.Known {
		p.ReportAt(SeverityInfo, f.Container.At, fmt.Sprintf("the container user is unknown (%s): if it is not root, what the container writes is not yours under %s; set \"containerUser\" to \"root\" (devfix apply does)", f.Container.Why, p.Options.engineName()), fix)
		return
	}
	p.Report(f.Container.At, fmt.Sprintf("the container runs as %q (%s), a subordinate UID on the host under %s: set \"containerUser\" to \"root\"", f.Container.Name, f.Container.From, p.Options.engineName()), fix)
}

// rewriteUserArg replaces the value of a -u/--user in runArgs.
func (c *Config) rewriteUserArg(els []jsonc.Node, u mounts.ArgRef, newUser string) Fix {
	last := els[u.Index+u.Count-1]
	elem := last.Str()
	if u.Joined {
		elem = strings.TrimSuffix(elem, u.Value) + newUser
	} else {
		elem = newUser
	}
	return Fix{
		Message: fmt.Sprintf("run the container as %q (%s in \"runArgs\")", newUser, u.Flag),
		Edits:   []source.Edit{c.doc.Replace(last, jsonc.Quote(elem))},
	}
}

var ruleUpdateRemoteUserUID = &Rule{
	ID:         "update-remote-user-uid",
	Title:      "updateRemoteUserUID is not false while the remote user is not root",
	Severity:   SeverityWarning,
	Strategies: []Strategy{StrategyRoot},
	Reads:      []string{"/updateRemoteUserUID", "/remoteUser"},
	Doc: `On Linux the Dev Containers CLI gives a non-root, non-numeric remote user your
host UID (updateRemoteUserUID, on by default). Under rootless Docker container
UID N≥1 is host subuid_start+N-1, so that user lands on yet another subordinate
UID, never on you. The CLI never remaps root or a numeric user, and skips the
step when the image's devcontainer.metadata label sets it false, so for those
there is nothing to report. With strategy root the remote user becomes root and
the step is skipped; the explicit false keeps it off should a non-root
remoteUser come back. That fix is rootless-remote-user's, so where that rule
reports the user (and is not ignored), this one stays quiet: one cause, one
finding.`,
	Bad:   `{ "image": "debian", "remoteUser": "vscode" }`,
	Good:  `{ "image": "debian", "remoteUser": "root", "updateRemoteUserUID": false }`,
	Check: checkUpdateRemoteUserUID,
	// One cause, one finding: the remote user is not root, and the root
	// strategy's fix for that turns the UID update off too.
	AnsweredBy: "rootless-remote-user",
}

func checkUpdateRemoteUserUID(p *Pass) {
	c, f := p.Config, p.Facts
	if f.UpdateUIDKnown && !f.UpdateUID {
		return // off (devcontainer.json or the image's label), or a root or numeric user the step skips
	}
	fix := c.setSetting("updateRemoteUserUID", "false", `set "updateRemoteUserUID" to false`)
	at := f.Remote.At // the node that brings the user, when the setting is not there
	if n := c.top("updateRemoteUserUID"); n.Exists() {
		at = n.Loc()
	}
	what, unless := fmt.Sprintf("the remote user %q", f.Remote.Name), ""
	sev := p.rule.Severity
	switch {
	case !f.Remote.Known:
		what, sev = "the remote user, if it is not root,", SeverityInfo
	case !f.UpdateUIDKnown:
		// On by default; the label that could turn it off was not read.
		unless, sev = " (on by default; "+f.UpdateUIDWhy+")", SeverityInfo
	}
	msg := fmt.Sprintf("set \"updateRemoteUserUID\" to false: under %s it gives %s a subordinate UID, never yours%s", p.Options.engineName(), what, unless)
	if c.top("updateRemoteUserUID").Exists() {
		msg = fmt.Sprintf("\"updateRemoteUserUID\" is true: under %s it gives %s a subordinate UID, never yours; set it to false", p.Options.engineName(), what)
	}
	p.ReportAt(sev, at, msg, fix)
}

// describeUser is a short "now: X from Y" for messages.
func describeUser(u UserFact) string {
	if !u.Known {
		return "now unknown: " + u.Why
	}
	return fmt.Sprintf("now %q from %s", u.Name, u.From)
}
