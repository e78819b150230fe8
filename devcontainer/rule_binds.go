package devcontainer

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/mounts"
)

var ruleBindSource = &Rule{
	ID:       "bind-source",
	Title:    "a bind source is missing, owned by one of your subordinate UIDs, or in another user's home",
	Severity: SeverityWarning,
	Reads:    []string{"/mounts", "/workspaceMount", "/runArgs"},
	Doc: `Bind sources are checked on the host, as the rootless daemon will see them:
- a missing source makes the container fail to start (a -v in "runArgs"
  creates it instead);
- a source owned by one of your subordinate UIDs is the lock-out symptom: a
  non-root container user wrote it, and now you cannot edit it on the host.
  ` + "`devfix reclaim PATH`" + ` gives such files back to you;
- a source inside another user's home: your rootless daemon runs as you and
  can only mount what you can read, and a shared config should not point there.`,
	Bad:   `{ "mounts": ["source=/home/alice/.ssh,target=/root/.ssh,type=bind"] }   // run by bob`,
	Good:  `{ "mounts": ["source=${localEnv:HOME}/.ssh,target=/root/.ssh,type=bind,readonly"] }`,
	Check: checkBindSources,
}

func checkBindSources(p *Pass) {
	h := p.Options.Host
	if h == nil {
		return
	}
	uid, name := h.User()
	for _, b := range p.Config.bindSources(p.Options) {
		if isSystemSocket(b.Path) {
			continue // docker-socket-mount reports it: one cause, one finding
		}
		owner, err := h.Owner(b.Path)
		if errors.Is(err, fs.ErrNotExist) {
			if !b.Created {
				p.Reportf(b.At, "bind source %q does not exist: the container will not start", b.Path)
			}
			continue
		}
		if err == nil && owner != uid {
			// Only now is the UID map worth its lookup.
			if idmap, _, mapErr := h.IDMap(); mapErr == nil {
				if c, ok := idmap.ToContainer(owner); ok && c >= 1 {
					p.Reportf(b.At, "bind source %q is owned by host UID %d, container UID %d of your rootless engine, not by you: a non-root container user wrote it; run `devfix reclaim %s` to get it back", b.Path, owner, c, b.Path)
					continue
				}
			}
		}
		if other := homeOwner(b.Path); other != "" && other != name {
			p.Reportf(b.At, "bind source %q is in %s's home: your rootless engine runs as you (%s); bind a path of your own, such as ${localEnv:HOME}/…", b.Path, other, name)
		}
	}
}

// homeOwner returns <user> for a path under /home/<user>/.
func homeOwner(p string) string {
	rest, ok := strings.CutPrefix(filepath.Clean(p), "/home/")
	if !ok {
		return ""
	}
	user, _, _ := strings.Cut(rest, "/")
	return user
}

var ruleNetworkShare = &Rule{
	ID:       "network-share-volume",
	Title:    "a CIFS or NFS volume needs host root, which a rootless daemon does not have",
	Severity: SeverityWarning,
	Reads:    []string{"/mounts", "/runArgs"},
	Doc: `A volume with driver options type=cifs or type=nfs is mounted by the daemon
on the host, which needs root: under rootless Docker it fails. Ask the admin to
provision the share per user (autofs under /mnt/<user>/<share>, mode 700) and
bind that folder instead:
{"source": "/mnt/${localEnv:USER}/<share>", "target": "/<share>", "type": "bind"}.`,
	Bad:   `{ "mounts": ["type=volume,source=data,target=/data,volume-driver=local,volume-opt=type=cifs,volume-opt=device=//srv/data"] }`,
	Good:  `{ "mounts": [{ "source": "/mnt/${localEnv:USER}/data", "target": "/data", "type": "bind" }] }`,
	Check: checkNetworkShares,
}

func networkShareType(m mounts.Mount) string {
	for _, o := range m.Options {
		if o.Key == "volume-opt" {
			if t, ok := strings.CutPrefix(o.Value, "type="); ok && (t == "cifs" || t == "nfs" || t == "nfs4" || t == "smb3") {
				return t
			}
		}
	}
	return ""
}

func checkNetworkShares(p *Pass) {
	c := p.Config
	msg := "this %s volume is mounted by the engine with host root, which a rootless engine does not have: have the admin provision the share under /mnt/<user>/ and bind that folder"
	for _, m := range c.mountSettings() {
		if m.Node.Kind() == jsonc.String && m.Err == nil {
			if t := networkShareType(m.Raw); t != "" {
				p.Reportf(m.Node.Loc(), msg, t)
			}
		}
	}
	if c.compose != nil {
		c.compose.checkNetworkShares(p, msg)
		return
	}
	for _, am := range c.RunArgs().Mounts {
		if am.Err == nil {
			if t := networkShareType(am.Mount); t != "" {
				p.Reportf(c.argLoc(am.ArgRef), msg, t)
			}
		}
	}
}
