package devcontainer

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/devfix/devfix/internal/jsonc"
)

var ruleACLWorkspace = &Rule{
	ID:         "acl-workspace-access",
	Title:      "the non-root container user's host UID has no ACL on the workspace",
	Severity:   SeverityError,
	Strategies: []Strategy{StrategyACL},
	Reads:      []string{"/remoteUser", "/updateRemoteUserUID", "/workspaceMount", "/mounts", "/runArgs"},
	Doc: `Strategy acl keeps the non-root user (and what the image set up for it).
Under rootless Docker that user's container UID maps to a subordinate UID on the
host: subuid_start + UID - 1, where the UID is your own host UID when
updateRemoteUserUID applies (Linux, a named non-root user) and the image's UID
otherwise. devfix grants that host UID rwX, plus default ACLs for it and for
you, on the workspace folder the CLI mounts and on every writable bind source,
so the container can write and you can still edit and delete what it made.
The fix runs setfacl (package "acl") by argv; lint only reports.`,
	Bad:   `{ "image": "mcr.microsoft.com/devcontainers/base:debian", "remoteUser": "vscode" }   // workspace without ACLs`,
	Good:  `{ "image": "mcr.microsoft.com/devcontainers/base:debian", "remoteUser": "vscode" }   // after: setfacl -R -m u:100999:rwX,d:u:100999:rwX,d:u:1000:rwX <workspace>`,
	Check: checkACLWorkspace,
}

// remoteUID is the UID the remote user has inside the container, when it
// can be known without running the image: root is 0, a numeric user is that
// number; a named user gets your UID from the CLI's UID update, unless
// another user of the image already has it (then the update leaves it
// alone), else keeps the UID the image gives it.
func remoteUID(p *Pass, hostUID int64) (uid int64, how string, ok bool) {
	f := p.Facts
	u := f.Remote.Name
	switch {
	case isRootUser(u):
		return 0, "root", true
	case isNumericUser(u):
		name, _, _ := strings.Cut(u, ":")
		n, err := strconv.ParseInt(name, 10, 64)
		return n, "numeric user", err == nil
	}
	if !f.UpdateUIDKnown {
		// Your UID if the step runs, the image's if the label turns it off.
		p.Note("cannot tell which UID %q has in the container: whether the CLI's UID update runs is unknown (%s)", u, f.UpdateUIDWhy)
		return 0, "", false
	}
	applies, takenBy := f.uidUpdate(p.Ctx, p.Options, hostUID)
	if applies {
		return hostUID, "updateRemoteUserUID gives it your UID", true
	}
	img, _, src, found := f.imageUserIDs(p.Ctx, p.Options, u)
	ip := f.imageIDs(p.Ctx, p.Options)
	switch {
	case !found && ip.passwd != nil:
		p.Note("user %q is not in /etc/passwd of image %q (a Dockerfile may create it): cannot tell its UID", u, f.Image)
		return 0, "", false
	case !found:
		p.Note("cannot tell which UID %q has in the container: %s", u, ip.why)
		return 0, "", false
	case takenBy != "":
		how = fmt.Sprintf("its UID in the image: the CLI's UID update leaves it alone, since image user %q already has your UID %d", takenBy, hostUID)
	case ip.passwd != nil:
		how = "its UID in the image's /etc/passwd"
	default:
		how = src
	}
	return img, how, true
}

func checkACLWorkspace(p *Pass) {
	f, o := p.Facts, p.Options
	if o.Host == nil {
		return
	}
	if !f.Remote.Known {
		p.Note("the remote user is unknown (%s): the acl checks need it", f.Remote.Why)
		return
	}
	hostUID, _ := o.Host.User()
	cuid, how, ok := remoteUID(p, hostUID)
	if !ok || cuid == 0 {
		return // unknown (noted), or container root: the host user, nothing to grant
	}
	idmap, src, err := o.Host.IDMap()
	if err != nil {
		p.Note("cannot map container UID %d to the host: %v", cuid, err)
		return
	}
	mapped, ok := idmap.ToHost(cuid)
	if !ok {
		p.Reportf(f.Remote.At, "container UID %d of %q is outside your UID map (%s)", cuid, f.Remote.Name, src)
		return
	}
	for _, b := range p.Config.bindSources(o) {
		if b.ReadOnly || isSystemSocket(b.Path) {
			continue
		}
		if _, err := o.Host.Owner(b.Path); errors.Is(err, fs.ErrNotExist) {
			continue // bind-source reports it: one cause, one finding
		}
		acl, err := o.Host.ACL(b.Path)
		if err != nil {
			p.Note("cannot read the ACL of %q: %v", b.Path, err)
			continue
		}
		user := fmt.Sprintf("user:%d:", mapped)
		isDir := o.Host.IsDir(b.Path)
		if acl.grants(user) && (!isDir || (acl.grants("default:"+user) && acl.grants(fmt.Sprintf("default:user:%d:", hostUID)))) {
			continue
		}
		spec := fmt.Sprintf("u:%d:rwX", mapped)
		if isDir {
			spec += fmt.Sprintf(",d:u:%d:rwX,d:u:%d:rwX", mapped, hostUID)
		}
		argv := []string{"setfacl", "-R", "-m", spec, "--", b.Path}
		fix := Fix{
			Message:     fmt.Sprintf("grant host UID %d access to %s", mapped, b.Path),
			HostActions: []HostAction{{Summary: fmt.Sprintf("grant host UID %d (container UID %d) rwX on %s", mapped, cuid, b.Path), Argv: argv}},
		}
		p.Report(b.At, fmt.Sprintf("%q is container UID %d (%s), host UID %d (%s); it has no ACL on %q: grant it with setfacl", f.Remote.Name, cuid, how, mapped, src, b.Path), fix)
	}
}

var ruleACLGitSafeDirectory = &Rule{
	ID:         "acl-git-safe-directory",
	Title:      "git in the container will not trust the workspace",
	Severity:   SeverityWarning,
	Strategies: []Strategy{StrategyACL},
	Reads:      []string{"/containerEnv"},
	Doc: `Under rootless Docker the workspace shows up owned by root inside the
container, so git refuses it for a non-root user ("detected dubious ownership").
devfix adds safe.directory through git's environment configuration in
"containerEnv": GIT_CONFIG_COUNT, GIT_CONFIG_KEY_0 and GIT_CONFIG_VALUE_0.`,
	Bad:   `{ "image": "debian", "remoteUser": "vscode" }`,
	Good:  `{ "image": "debian", "remoteUser": "vscode", "containerEnv": { "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "safe.directory", "GIT_CONFIG_VALUE_0": "${containerWorkspaceFolder}" } }`,
	Check: checkGitSafeDirectory,
}

func checkGitSafeDirectory(p *Pass) {
	c, f := p.Config, p.Facts
	if !f.Remote.Known || isRootUser(f.Remote.Name) {
		return
	}
	kvs := []jsonc.KV{
		{Key: "GIT_CONFIG_COUNT", JSON: `"1"`},
		{Key: "GIT_CONFIG_KEY_0", JSON: `"safe.directory"`},
		{Key: "GIT_CONFIG_VALUE_0", JSON: `"${containerWorkspaceFolder}"`},
	}
	msg := "git in the container sees the workspace owned by root and will refuse it"
	env := c.top("containerEnv")
	if !env.Exists() {
		fix := Fix{Message: "add safe.directory to \"containerEnv\"",
			Edits: c.doc.Insert(c.root(), c.lastUserKey(), jsonc.KV{Key: "containerEnv", JSON: c.doc.ObjectText(c.root(), kvs...)})}
		p.Report(c.rootLoc(), msg+": add safe.directory to \"containerEnv\"", fix)
		return
	}
	if count := env.Get("GIT_CONFIG_COUNT"); count.Exists() {
		n, _ := strconv.Atoi(count.Str())
		for i := 0; i < n; i++ {
			if env.Get(fmt.Sprintf("GIT_CONFIG_KEY_%d", i)).Str() == "safe.directory" {
				return
			}
		}
		p.Reportf(env.Loc(), "%s: \"containerEnv\" already sets GIT_CONFIG_COUNT; add a safe.directory entry to it", msg)
		return
	}
	fix := Fix{Message: "add safe.directory to \"containerEnv\"", Edits: c.doc.Insert(env, jsonc.Node{}, kvs...)}
	p.Report(env.Loc(), msg+": add safe.directory to \"containerEnv\"", fix)
}
