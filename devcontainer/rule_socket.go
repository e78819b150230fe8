package devcontainer

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
	"github.com/devfix/devfix/mounts"
)

var ruleDockerSocket = &Rule{
	ID:       "docker-socket-mount",
	Title:    "a bind of /var/run/docker.sock reaches no daemon, or the rootful one",
	Severity: SeverityError,
	Reads:    []string{"/mounts", "/runArgs", "/features", "/dockerComposeFile"},
	Doc: `Under rootless Docker the daemon's socket is $XDG_RUNTIME_DIR/docker.sock
(often /run/user/<uid>/docker.sock), under rootless Podman its API socket is
$XDG_RUNTIME_DIR/podman/podman.sock; not /var/run/docker.sock. A bind of
/var/run/docker.sock then fails ("bind source path does not exist") or, where a
system daemon still runs, hands the container the rootful daemon: root on the
host. The docker-outside-of-docker feature mounts /var/run/docker.sock to
/var/run/docker-host.sock itself; a devcontainer.json mount with that target
overrides it (the last mount for a target wins). Compose volumes are checked
for the services the dev container starts.

The fix points the source at your socket, keeps the target and writes
type=bind: ${localEnv:XDG_RUNTIME_DIR}/docker.sock when XDG_RUNTIME_DIR is set,
else the literal path; in a compose file ${XDG_RUNTIME_DIR}/docker.sock, by a
minimal edit of the YAML value. Strategy env writes
${localEnv:DEVFIX_DOCKER_SOCKET:/var/run/docker.sock} (compose:
${DEVFIX_DOCKER_SOCKET:-/var/run/docker.sock}): unchanged for rootful
teammates, your socket where ` + "`devfix shellenv`" + ` exports the variable. It never
adds consistency=.`,
	Bad:   `{ "mounts": ["source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind"] }`,
	Good:  `{ "mounts": ["source=${localEnv:XDG_RUNTIME_DIR}/docker.sock,target=/var/run/docker.sock,type=bind"] }`,
	Check: checkDockerSocket,
}

func isSystemSocket(p string) bool {
	p = filepath.Clean(p)
	return p == "/var/run/docker.sock" || p == "/run/docker.sock"
}

// socketFix is what the socket fixes write as the new source, for
// devcontainer.json (localEnv) and for compose files (compose's own
// interpolation); why says why there is none.
type socketFix struct {
	json, compose string
	why           string
}

// socketSource decides the new source of a bind of the system socket orig.
func socketSource(p *Pass, orig string) socketFix {
	o := p.Options
	if p.Strategy == StrategyEnv {
		return socketFix{
			json:    "${localEnv:" + EnvDockerSocket + ":" + orig + "}",
			compose: "${" + EnvDockerSocket + ":-" + orig + "}",
		}
	}
	sock, rel := o.RootlessSocket, "docker.sock"
	if o.engine() == EnginePodman {
		sock, rel = o.PodmanSocket, "podman/podman.sock"
	}
	if sock == "" {
		if o.engine() == EnginePodman {
			return socketFix{why: "no Podman API socket was found (start it: systemctl --user enable --now podman.socket, or podman system service --time=0 &), then run devfix again"}
		}
		return socketFix{why: "no rootless Docker socket was found (start your rootless daemon, then run devfix again)"}
	}
	if x, ok := o.lookup("XDG_RUNTIME_DIR"); ok && x != "" && filepath.Join(x, rel) == filepath.Clean(sock) {
		return socketFix{json: "${localEnv:XDG_RUNTIME_DIR}/" + rel, compose: "${XDG_RUNTIME_DIR}/" + rel}
	}
	return socketFix{json: sock, compose: sock}
}

func (o *Options) varContext(c *Config) mounts.VarContext {
	local, _ := filepath.Abs(c.localFolder())
	return mounts.VarContext{LookupEnv: o.LookupEnv, LocalWorkspaceFolder: local}
}

func checkDockerSocket(p *Pass) {
	c := p.Config
	vc := p.Options.varContext(c)
	report := func(at source.Loc, what, raw, orig string, fix func(src string) Fix) {
		if p.Strategy == StrategyEnv && strings.Contains(raw, "${localEnv:"+EnvDockerSocket) {
			return // already the env strategy's: the variable decides
		}
		sf := socketSource(p, orig)
		msg := fmt.Sprintf("%s binds the system Docker socket: under %s it reaches no daemon (or the rootful one, which is root on the host)", what, p.Options.engineName())
		if sf.json == "" {
			p.Reportf(at, "%s; %s", msg, sf.why)
			return
		}
		p.Report(at, msg+": bind your own socket instead", fix(sf.json))
	}
	for _, el := range c.top("mounts").Children() {
		switch el.Kind() {
		case jsonc.String:
			raw := el.Str()
			sub, _ := mounts.Substitute(raw, vc)
			mt, err := mounts.ParseMountString(sub)
			if err != nil || !isSystemSocket(mt.Source) {
				continue
			}
			orig, err := mounts.ParseMountString(raw)
			if err != nil {
				continue
			}
			report(el.Loc(), fmt.Sprintf("the mount %q", raw), raw, mt.Source, func(src string) Fix {
				orig.Source, orig.Type = src, "bind"
				return Fix{Message: "bind " + src, Edits: []source.Edit{c.doc.Replace(el, jsonc.Quote(orig.String()))}}
			})
		case jsonc.Object:
			srcN := el.Get("source")
			sub, _ := mounts.Substitute(srcN.Str(), vc)
			if !srcN.Exists() || !isSystemSocket(sub) {
				continue
			}
			report(el.Loc(), "a mount", srcN.Str(), sub, func(src string) Fix {
				edits := []source.Edit{c.doc.Replace(srcN, jsonc.Quote(src))}
				if t := el.Get("type"); !t.Exists() {
					edits = append(edits, c.doc.Insert(el, jsonc.Node{}, jsonc.KV{Key: "type", JSON: `"bind"`})...)
				} else if t.Str() != "bind" {
					edits = append(edits, c.doc.Replace(t, `"bind"`))
				}
				return Fix{Message: "bind " + src, Edits: edits}
			})
		}
	}
	if c.compose == nil {
		els := c.top("runArgs").Children()
		for _, am := range c.RunArgs().Mounts {
			sub, _ := mounts.Substitute(am.Value, vc)
			isVolume := am.Flag == "-v" || am.Flag == "--volume"
			var mt mounts.Mount
			var err error
			if isVolume {
				mt, err = mounts.ParseVolumeFlag(sub)
			} else {
				mt, err = mounts.ParseMountString(sub)
			}
			if err != nil || !isSystemSocket(mt.Source) {
				continue
			}
			report(c.argLoc(am.ArgRef), fmt.Sprintf("%s %q in \"runArgs\"", am.Flag, am.Value), am.Value, mt.Source, func(src string) Fix {
				var newVal string
				if isVolume {
					_, rest, _ := strings.Cut(am.Value, ":")
					newVal = src + ":" + rest
				} else {
					orig, _ := mounts.ParseMountString(am.Value)
					orig.Source, orig.Type = src, "bind"
					newVal = orig.String()
				}
				last := els[am.Index+am.Count-1]
				elem := newVal
				if am.Joined {
					elem = strings.TrimSuffix(last.Str(), am.Value) + newVal
				}
				return Fix{Message: "bind " + src, Edits: []source.Edit{c.doc.Replace(last, jsonc.Quote(elem))}}
			})
		}
	}
	if c.compose != nil {
		checkComposeSockets(p)
	}
	checkDockerOutsideOfDocker(p)
}

// checkDockerOutsideOfDocker: the feature mounts /var/run/docker.sock to
// its socketPath itself; only a devcontainer.json mount with that target
// overrides it.
func checkDockerOutsideOfDocker(p *Pass) {
	c := p.Config
	for _, f := range c.top("features").Children() {
		id := f.Key()
		if !strings.Contains(id, "docker-outside-of-docker") && !strings.Contains(id, "docker-from-docker") {
			continue
		}
		target := "/var/run/docker-host.sock"
		if s := f.Get("socketPath").Str(); s != "" {
			target = s
		}
		if c.hasMountTarget(target) {
			return
		}
		msg := fmt.Sprintf("the docker-outside-of-docker feature binds /var/run/docker.sock to %s, which under %s reaches no daemon (or the rootful one)", target, p.Options.engineName())
		sf := socketSource(p, "/var/run/docker.sock")
		if sf.json == "" {
			p.Reportf(f.MemberLoc(), "%s; %s", msg, sf.why)
			return
		}
		if strings.ContainsAny(target+sf.json, ",\"\r\n") {
			// A mount string splits at commas (Podman's parser knows no
			// quotes): such a path cannot be written as a mount.
			p.Reportf(f.MemberLoc(), "%s; devfix cannot write a mount of it (the path holds a comma, quote or line break)", msg)
			return
		}
		mount := jsonc.Quote(fmt.Sprintf("source=%s,target=%s,type=bind", sf.json, target))
		fix := Fix{Message: fmt.Sprintf("add a mount of your socket to %s", target)}
		if m := c.top("mounts"); m.Exists() {
			fix.Edits = c.doc.Append(m, mount)
		} else {
			fix.Edits = c.doc.Insert(c.root(), jsonc.Node{}, jsonc.KV{Key: "mounts", JSON: "[" + mount + "]"})
		}
		p.Report(f.MemberLoc(), msg+": add a devcontainer.json mount with that target (it overrides the feature's)", fix)
		return
	}
}

// hasMountTarget reports whether "mounts" has a mount with target t.
func (c *Config) hasMountTarget(t string) bool {
	for _, el := range c.top("mounts").Children() {
		switch el.Kind() {
		case jsonc.String:
			if mt, err := mounts.ParseMountString(el.Str()); err == nil && filepath.Clean(mt.Target) == filepath.Clean(t) {
				return true
			}
		case jsonc.Object:
			if filepath.Clean(el.Get("target").Str()) == filepath.Clean(t) {
				return true
			}
		}
	}
	return false
}
