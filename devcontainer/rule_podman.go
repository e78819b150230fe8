package devcontainer

import (
	"fmt"
	"strings"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
	"github.com/devfix/devfix/mounts"
)

// UIDUpdateFits reports whether the CLI's updateRemoteUserUID step can give
// the image user hostUID under rootless Podman: its build runs in the
// user's default rootless namespace, which holds container UIDs 0 to the
// size of the subordinate range. A domain user's high UID does not fit and
// `devcontainer up` fails (devcontainers/cli#1284).
func UIDUpdateFits(hostUID int64, m mounts.IDMap) bool {
	_, ok := m.ToHost(hostUID)
	return ok
}

var rulePodmanKeepIDUID = &Rule{
	ID:         "podman-keep-id-uid",
	Title:      "under rootless Podman the CLI's keep-id and UID update cannot give the image user your UID",
	Severity:   SeverityError,
	Strategies: []Strategy{StrategyKeepID},
	Engines:    []Engine{EnginePodman},
	Reads:      []string{"/remoteUser", "/runArgs", "/updateRemoteUserUID", "/image", "/build"},
	Doc: `Under rootless Podman the Dev Containers CLI (0.77 and later, which VS Code's
Dev Containers 0.413+ bundles) adds --userns=keep-id, which maps your UID to the
same UID in the container, and its updateRemoteUserUID step gives the image user
(vscode) your UID: that works as is, and devfix leaves such configs alone.
It fails when the step cannot run: your UID is higher than your subordinate
range can hold (a domain user such as 1551001108; the build fails,
devcontainers/cli#1284), another user of the image already has your UID, or
"updateRemoteUserUID" is false. The fix keeps the image's user: it maps your
UID straight onto that user's UID and GID, read from the image's /etc/passwd,
with --userns=keep-id:uid=<uid>,gid=<gid> (Podman 4.3+; it comes after the
CLI's own flag, so it wins), and turns the UID update off.`,
	Bad:   `{ "image": "localhost/devimage", "remoteUser": "vscode" }   // host UID 1551001108`,
	Good:  `{ "image": "localhost/devimage", "remoteUser": "vscode", "runArgs": ["--userns=keep-id:uid=1000,gid=1000"], "updateRemoteUserUID": false }`,
	Check: checkPodmanKeepIDUID,
}

func checkPodmanKeepIDUID(p *Pass) {
	c, f, o := p.Config, p.Facts, p.Options
	if c.compose != nil {
		if s := c.compose.svc(); s != nil && s.UserNSMode != "" {
			return // the service chose its own user namespace
		}
		if f.Remote.Known && !isRootUser(f.Remote.Name) {
			what := "writes the workspace as a subordinate UID"
			if !c.bindsHostFolder(o) {
				what = "is a subordinate UID (no host folder is bound now, but what it wrote to one bound later would not be yours)"
			}
			p.Reportf(f.Remote.At, "the remote user %q (%s) %s: the reference CLI adds --userns=keep-id for image and Dockerfile configs under Podman, not for compose; use --strategy root", f.Remote.Name, f.Remote.From, what)
		}
		return
	}
	if !f.Remote.Known {
		p.Note("the remote user is unknown (%s): keep-id needs it", f.Remote.Why)
		return
	}
	user := f.Remote.Name
	if isRootUser(user) || isNumericUser(user) {
		return // the CLI adds no keep-id for root; a numeric user is yours to map
	}
	ra := c.RunArgs()
	ownUID := false // runArgs already map the host UID with keep-id:uid=
	if len(ra.Userns) > 0 {
		last := ra.Userns[len(ra.Userns)-1]
		switch {
		case last.Value == "keep-id": // what the CLI adds itself
		case strings.HasPrefix(last.Value, "keep-id:"):
			if f.UpdateUIDKnown && !f.UpdateUID {
				return // off, in devcontainer.json or the image's label
			}
			if !f.UpdateUIDKnown {
				p.Note("whether the CLI's UID update runs for %q is unknown (%s): with keep-id:uid=… in \"runArgs\" it must be off; set \"updateRemoteUserUID\" to false to be sure", user, f.UpdateUIDWhy)
				return
			}
			ownUID = true
		default:
			return // the config chose its own user namespace
		}
	}
	if o.Host == nil {
		return
	}
	hostUID, _ := o.Host.User()
	var why string
	switch {
	case ownUID:
		why = "with keep-id:uid=… in \"runArgs\" the CLI's UID update must be off"
	case f.UpdateUIDKnown && !f.UpdateUID:
		why = fmt.Sprintf("\"updateRemoteUserUID\" is off, so %q keeps its image UID while keep-id makes your UID %d the container's %d", user, hostUID, hostUID)
	default:
		// On, or unknown (the CLI's default is on; the image's label may
		// turn it off). Unknown is not off: only a UID that fails either
		// way is reported.
		m, _, err := o.Host.IDMap()
		if err != nil {
			p.Note("cannot tell whether your UID fits your subordinate range: %v", err)
			return
		}
		if !UIDUpdateFits(hostUID, m) {
			why = fmt.Sprintf("your UID %d is higher than your subordinate range holds, so its UID update build fails (devcontainers/cli#1284)", hostUID)
			break
		}
		if !f.UpdateUIDKnown {
			p.Note("whether the CLI's UID update gives %q your UID is unknown (%s): if the label turns it off, keep-id cannot make %q you", user, f.UpdateUIDWhy, user)
			return
		}
		if _, other := f.uidUpdate(p.Ctx, o, hostUID); other != "" {
			why = fmt.Sprintf("image user %q already has your UID %d, so the CLI's UID update leaves %q alone", other, hostUID, user)
			break
		}
		return // keep-id and the UID update do the job
	}
	uid, gid, src, ok := f.imageUserIDs(p.Ctx, o, user)
	msg := fmt.Sprintf("under rootless Podman the remote user %q (%s) cannot be you: %s", user, f.Remote.From, why)
	if !ok {
		p.Reportf(f.Remote.At, "%s; map your UID onto %q's with \"--userns=keep-id:uid=<its uid>,gid=<its gid>\" in \"runArgs\" and \"updateRemoteUserUID\": false (%s)", msg, user, src)
		return
	}
	mode := fmt.Sprintf("--userns=keep-id:uid=%d,gid=%d", uid, gid)
	kvs := []jsonc.KV{{Key: "updateRemoteUserUID", JSON: "false"}}
	var argEdits []source.Edit
	if c.top("runArgs").Exists() {
		argEdits = c.setUserns(mode)
	} else {
		kvs = append(kvs, jsonc.KV{Key: "runArgs", JSON: "[" + jsonc.Quote(mode) + "]"})
	}
	fix := c.setSettings(fmt.Sprintf("map your UID onto %q (%d:%d): %q in \"runArgs\", \"updateRemoteUserUID\" false", user, uid, gid, mode), kvs...)
	fix.Edits = append(fix.Edits, argEdits...)
	p.Report(f.Remote.At, fmt.Sprintf("%s; map your UID onto %q's %d:%d (%s) with %q", msg, user, uid, gid, src, mode), fix)
}

// setUserns puts --userns=mode into the "runArgs" there: in place of the
// last --userns, else appended.
func (c *Config) setUserns(mode string) []source.Edit {
	ra := c.RunArgs()
	if len(ra.Userns) > 0 {
		last := ra.Userns[len(ra.Userns)-1]
		els := c.top("runArgs").Children()
		if "--userns="+last.Value == mode {
			return nil
		}
		if last.Count == 2 { // "--userns", "keep-id"
			return []source.Edit{c.doc.Replace(els[last.Index+1], jsonc.Quote(strings.TrimPrefix(mode, "--userns=")))}
		}
		return []source.Edit{c.doc.Replace(els[last.Index], jsonc.Quote(mode))}
	}
	return c.doc.Append(c.top("runArgs"), jsonc.Quote(mode))
}

var rulePodmanIDMapConflict = &Rule{
	ID:       "podman-idmap-conflict",
	Title:    "--uidmap or --gidmap together with --userns=keep-id",
	Severity: SeverityError,
	Engines:  []Engine{EnginePodman},
	Reads:    []string{"/runArgs"},
	Doc: `Podman refuses --userns=keep-id together with --uidmap, --gidmap, --subuidname
or --subgidname: the container does not start. Keep one way of mapping. (The
reference CLI adds its own keep-id only when runArgs has neither map.)`,
	Bad:   `{ "runArgs": ["--userns=keep-id", "--uidmap=0:1:1000"] }`,
	Good:  `{ "runArgs": ["--userns=keep-id"] }`,
	Check: checkPodmanIDMapConflict,
}

func checkPodmanIDMapConflict(p *Pass) {
	c := p.Config
	if c.compose != nil {
		return
	}
	ra := c.RunArgs()
	var keepID bool
	for _, u := range ra.Userns {
		keepID = keepID || strings.HasPrefix(u.Value, "keep-id")
	}
	if !keepID {
		return
	}
	for _, m := range ra.IDMaps {
		p.Reportf(c.argLoc(m), "%s with --userns=keep-id: Podman refuses the two together; keep one way of mapping", m.Flag)
	}
}

var ruleEnvUserns = &Rule{
	ID:         "env-userns",
	Title:      "one file for Podman teammates too: a runArg from DEVFIX_USERNS",
	Severity:   SeverityWarning,
	Strategies: []Strategy{StrategyEnv},
	Reads:      []string{"/runArgs", "/remoteUser"},
	Doc: `Strategy env keeps one committed file working everywhere. Rootless Docker users
make the users root with DEVFIX_REMOTE_USER; a rootless Podman user whose UID is
too high for the CLI's UID update needs --userns=keep-id:uid=1000,gid=1000 and a
numeric remote user instead. So the file gets one runArg that is wholly the
variable: "${localEnv:DEVFIX_USERNS:--label=devfix.userns=default}". Unset, it
is a container label that changes nothing, so rootful teammates, rootless Docker
users and Podman users for whom the CLI's own keep-id works see no change (an
empty --userns= would cancel that keep-id); ` + "`devfix shellenv`" + ` under Podman, for
a high UID, exports DEVFIX_USERNS=--userns=keep-id:uid=1000,gid=1000 and
DEVFIX_REMOTE_USER=1000.`,
	Bad:   `{ "image": "localhost/devimage", "remoteUser": "${localEnv:DEVFIX_REMOTE_USER:vscode}" }`,
	Good:  `{ "image": "localhost/devimage", "remoteUser": "${localEnv:DEVFIX_REMOTE_USER:vscode}", "runArgs": ["${localEnv:DEVFIX_USERNS:--label=devfix.userns=default}"] }`,
	Check: checkEnvUserns,
}

// envUserns is the runArg the env strategy adds: the whole flag comes from
// DEVFIX_USERNS, and unset it is a label that changes nothing — not an empty
// --userns=, which would cancel the keep-id the CLI adds for a Podman user
// who has not set the variable (for whom the file worked as it was).
const envUserns = "${localEnv:" + EnvUserns + ":--label=devfix.userns=default}"

func checkEnvUserns(p *Pass) {
	c, f := p.Config, p.Facts
	if c.compose != nil {
		return // runArgs do not reach compose
	}
	if f.Remote.Known && isRootUser(f.Remote.Name) && !isEnvForm(c.top("remoteUser").Str(), EnvRemoteUser) {
		return // root everywhere: no user namespace to choose
	}
	for _, el := range c.top("runArgs").Children() {
		if strings.Contains(el.Str(), "${localEnv:"+EnvUserns) {
			return
		}
	}
	if len(c.RunArgs().Userns) > 0 {
		return // the config chose its own user namespace
	}
	var edits []source.Edit
	if ra := c.top("runArgs"); ra.Exists() {
		edits = c.doc.Append(ra, jsonc.Quote(envUserns))
	} else {
		edits = c.doc.Insert(c.root(), c.lastUserKey(), jsonc.KV{Key: "runArgs", JSON: "[" + jsonc.Quote(envUserns) + "]"})
	}
	at := c.settingLoc("runArgs")
	p.Report(at, fmt.Sprintf("add %q to \"runArgs\" so rootless Podman teammates can map their UID (devfix shellenv exports %s; unset it is the engine's default)", envUserns, EnvUserns),
		Fix{Message: fmt.Sprintf("add %q to \"runArgs\"", envUserns), Edits: edits})
}
