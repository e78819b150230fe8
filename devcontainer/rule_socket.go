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

func checkDockerSocket(p *Pass) {
	c := p.Config
	vc := p.Options.varContext(c)
	// fix returns the fix that binds src instead, and false when devfix
	// cannot write one.
	report := func(at source.Loc, what, raw, orig string, fix func(src string) (Fix, bool)) {
		if p.Strategy == StrategyEnv && strings.Contains(raw, "${localEnv:"+EnvDockerSocket) {
			return // already the env strategy's: the variable decides
		}
		sf := socketSource(p, orig)
		msg := fmt.Sprintf("%s binds the system Docker socket: under %s it reaches no daemon (or the rootful one, which is root on the host)", what, p.Options.engineName())
		if sf.json == "" {
			p.Reportf(at, "%s; %s", msg, sf.why)
			return
		}
		f, ok := fix(sf.json)
		if !ok {
			p.Reportf(at, "%s: bind your own socket instead (devfix cannot tell where the source ends as written)", msg)
			return
		}
		p.Report(at, msg+": bind your own socket instead", f)
	}
	for _, m := range c.mountSettings() {
		el := m.Node
		mt, err := m.resolve(vc)
		if err != nil || !isSystemSocket(mt.Source) {
			continue
		}
		switch el.Kind() {
		case jsonc.String:
			if m.Err != nil {
				continue
			}
			raw := el.Str()
			report(el.Loc(), fmt.Sprintf("the mount %q", raw), raw, mt.Source, func(src string) (Fix, bool) {
				orig := m.Raw
				orig.Source, orig.Type = src, "bind"
				return Fix{Message: "bind " + src, Edits: []source.Edit{c.doc.Replace(el, jsonc.Quote(orig.String()))}}, true
			})
		case jsonc.Object:
			srcN := el.Get("source")
			if !srcN.Exists() {
				continue
			}
			report(el.Loc(), "a mount", srcN.Str(), mt.Source, func(src string) (Fix, bool) {
				edits := []source.Edit{c.doc.Replace(srcN, jsonc.Quote(src))}
				if t := el.Get("type"); !t.Exists() {
					edits = append(edits, c.doc.Insert(el, jsonc.Node{}, jsonc.KV{Key: "type", JSON: `"bind"`})...)
				} else if t.Str() != "bind" {
					edits = append(edits, c.doc.Replace(t, `"bind"`))
				}
				return Fix{Message: "bind " + src, Edits: edits}, true
			})
		}
	}
	if c.compose == nil {
		els := c.top("runArgs").Children()
		for _, am := range c.RunArgs().Mounts {
			mt, isVolume, err := resolveArgMount(am, vc)
			if err != nil || !isSystemSocket(mt.Source) {
				continue
			}
			report(c.argLoc(am.ArgRef), fmt.Sprintf("%s %q in \"runArgs\"", am.Flag, am.Value), am.Value, mt.Source, func(src string) (Fix, bool) {
				var newVal string
				if isVolume {
					end, ok := volumeSourceEnd(am.Value)
					if !ok {
						return Fix{}, false
					}
					newVal = src + am.Value[end:]
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
				return Fix{Message: "bind " + src, Edits: []source.Edit{c.doc.Replace(last, jsonc.Quote(elem))}}, true
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

// volumeSourceEnd is where the source of a -v value as written ends: at
// its first ":" outside ${…}, whose default may hold colons of its own
// (the env strategy writes ${localEnv:DEVFIX_DOCKER_SOCKET:/var/run/docker.sock}).
// ok is false when there is no such ":".
func volumeSourceEnd(raw string) (end int, ok bool) {
	from := 0
	for _, v := range append(mounts.FindVars(raw), mounts.VarRef{Start: len(raw), End: len(raw)}) {
		if i := strings.IndexByte(raw[from:v.Start], ':'); i >= 0 {
			return from + i, true
		}
		from = v.End
	}
	return 0, false
}

// hasMountTarget reports whether "mounts" has a mount with target t (as
// written).
func (c *Config) hasMountTarget(t string) bool {
	for _, m := range c.mountSettings() {
		if m.Err == nil && filepath.Clean(m.Raw.Target) == filepath.Clean(t) {
			return true
		}
	}
	return false
}
