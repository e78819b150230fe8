package devcontainer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tailscale/hujson"
)

var ruleACLWorkspace = &Rule{
	ID:         "acl-workspace-access",
	Title:      "the non-root container user's host UID has no ACL on the workspace",
	Severity:   SeverityError,
	Strategies: []Strategy{StrategyACL},
	Reads:      []string{"/remoteUser", "/updateRemoteUserUID", "/workspaceMount", "/mounts"},
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

// containerUID is the UID the remote user has inside the container, when it
// can be known without running the image.
func containerUID(f *Facts, hostUID int64) (int64, string, bool) {
	u := f.Remote.Name
	name, _, _ := strings.Cut(u, ":")
	if IsRootUser(u) {
		return 0, "root", true
	}
	if f.UpdateUID && f.UpdateUIDKnown {
		return hostUID, "updateRemoteUserUID gives it your UID", true
	}
	if isNumericUser(u) {
		n, err := strconv.ParseInt(name, 10, 64)
		return n, "numeric user", err == nil
	}
	return 0, "", false
}

func checkACLWorkspace(p *Pass) {
	f, o := p.Facts, p.Options
	if !f.Remote.Known || o.Host == nil {
		return
	}
	hostUID, _ := o.Host.User()
	cuid, how, ok := containerUID(f, hostUID)
	start, end := reportSpan(p.Config, Member{}, false)
	if !ok {
		p.Reportf(start, end, "/remoteUser", "cannot tell which UID %q has in the container without updateRemoteUserUID: set \"updateRemoteUserUID\": true (the default) or a numeric \"remoteUser\"", f.Remote.Name)
		return
	}
	if cuid == 0 {
		return // container root is the host user: nothing to grant
	}
	idmap, source, err := o.Host.IDMap()
	if err != nil {
		p.Reportf(start, end, "", "cannot map container UID %d to the host: %v", cuid, err)
		return
	}
	mapped, ok := idmap.ToHost(cuid)
	if !ok {
		p.Reportf(start, end, "", "container UID %d of %q is outside your UID map (%s)", cuid, f.Remote.Name, source)
		return
	}
	for _, b := range p.Config.BindSources(o.Fs, o.LookupEnv) {
		if b.ReadOnly {
			continue
		}
		acl, err := o.Host.ACL(b.Path)
		if err != nil {
			p.Reportf(b.Start, b.End, b.Pointer, "cannot read the ACL of %q: %v", b.Path, err)
			continue
		}
		user := fmt.Sprintf("user:%d:", mapped)
		isDir := o.Host.IsDir(b.Path)
		if acl.Grants(user) && (!isDir || (acl.Grants("default:"+user) && acl.Grants(fmt.Sprintf("default:user:%d:", hostUID)))) {
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
		p.Report(b.Start, b.End, b.Pointer, fmt.Sprintf("%q is container UID %d (%s), host UID %d (%s); it has no ACL on %q: grant it with setfacl", f.Remote.Name, cuid, how, mapped, source, b.Path), fix)
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
	if !f.Remote.Known || IsRootUser(f.Remote.Name) {
		return
	}
	kvs := []KV{
		{"GIT_CONFIG_COUNT", `"1"`},
		{"GIT_CONFIG_KEY_0", `"safe.directory"`},
		{"GIT_CONFIG_VALUE_0", `"${containerWorkspaceFolder}"`},
	}
	msg := "git in the container sees the workspace owned by root and will refuse it"
	m, ok := c.Top("containerEnv")
	if !ok {
		fix := Fix{Message: "add safe.directory to \"containerEnv\""}
		start, end := reportSpan(c, m, false)
		after := c.lastUserKey()
		indent := c.indentOf(c.Root().Members[len(c.Root().Members)-1].Name.StartOffset)
		if after != nil {
			indent = c.indentOf(after.NameStart())
		}
		fix.Edits = c.InsertMembers(c.RootValue(), after, KV{"containerEnv", c.objectText(kvs, indent)})
		p.Report(start, end, "/containerEnv", msg+": add safe.directory to \"containerEnv\"", fix)
		return
	}
	env := m.Value().Value.(*hujson.Object)
	count, hasCount := StringIn(env, "GIT_CONFIG_COUNT")
	if hasCount {
		n, _ := strconv.Atoi(count)
		for i := 0; i < n; i++ {
			if k, _ := StringIn(env, fmt.Sprintf("GIT_CONFIG_KEY_%d", i)); k == "safe.directory" {
				return
			}
		}
		p.Reportf(m.Value().StartOffset, m.Value().EndOffset, "/containerEnv", "%s: \"containerEnv\" already sets GIT_CONFIG_COUNT; add a safe.directory entry to it", msg)
		return
	}
	fix := Fix{Message: "add safe.directory to \"containerEnv\"", Edits: c.InsertMembers(m.Value(), nil, kvs...)}
	p.Report(m.Value().StartOffset, m.Value().EndOffset, "/containerEnv", msg+": add safe.directory to \"containerEnv\"", fix)
}
