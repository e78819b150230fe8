package devcontainer

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/devfix/devfix/mounts"
	"github.com/tailscale/hujson"
)

var ruleDockerSocket = &Rule{
	ID:       "docker-socket-mount",
	Title:    "a bind of /var/run/docker.sock reaches no daemon, or the rootful one",
	Severity: SeverityError,
	Reads:    []string{"/mounts", "/runArgs", "/features"},
	Doc: `Under rootless Docker the daemon's socket is $XDG_RUNTIME_DIR/docker.sock
(often /run/user/<uid>/docker.sock), not /var/run/docker.sock. A bind of
/var/run/docker.sock then fails ("bind source path does not exist") or, where a
system daemon still runs, hands the container the rootful daemon: root on the
host. The docker-outside-of-docker feature mounts /var/run/docker.sock to
/var/run/docker-host.sock itself; a devcontainer.json mount with that target
overrides it (the last mount for a target wins).

The fix points the source at your rootless socket, keeps the target and writes
type=bind: ${localEnv:XDG_RUNTIME_DIR}/docker.sock when XDG_RUNTIME_DIR is set,
else the literal path. It never adds consistency=.`,
	Bad:   `{ "mounts": ["source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind"] }`,
	Good:  `{ "mounts": ["source=${localEnv:XDG_RUNTIME_DIR}/docker.sock,target=/var/run/docker.sock,type=bind"] }`,
	Check: checkDockerSocket,
}

func isSystemSocket(p string) bool {
	p = filepath.Clean(p)
	return p == "/var/run/docker.sock" || p == "/run/docker.sock"
}

// socketSource is what the fix writes as the source, or "" with why.
func socketSource(o *Options) (string, string) {
	if o.RootlessSocket == "" {
		return "", "no rootless Docker socket was found (start your rootless daemon, then run devfix again)"
	}
	if x, ok := o.lookup("XDG_RUNTIME_DIR"); ok && x != "" && filepath.Join(x, "docker.sock") == filepath.Clean(o.RootlessSocket) {
		return "${localEnv:XDG_RUNTIME_DIR}/docker.sock", ""
	}
	return o.RootlessSocket, ""
}

func (o *Options) lookup(k string) (string, bool) {
	if o.LookupEnv == nil {
		return "", false
	}
	return o.LookupEnv(k)
}

func (o *Options) varContext(c *Config) mounts.VarContext {
	local, _ := filepath.Abs(c.LocalFolder())
	return mounts.VarContext{LookupEnv: o.LookupEnv, LocalWorkspaceFolder: local}
}

func checkDockerSocket(p *Pass) {
	c, o := p.Config, p.Options
	src, why := socketSource(o)
	vc := o.varContext(c)
	report := func(start, end int, ptr, what string, fix func() Fix) {
		msg := fmt.Sprintf("%s binds the system Docker socket: under rootless Docker it reaches no daemon (or the rootful one, which is root on the host)", what)
		if src == "" {
			p.Reportf(start, end, ptr, "%s; %s", msg, why)
			return
		}
		p.Report(start, end, ptr, msg+": bind your rootless socket instead", fix())
	}
	if m, ok := c.Top("mounts"); ok {
		arr := m.Value().Value.(*hujson.Array)
		for i := range arr.Elements {
			el := &arr.Elements[i]
			ptr := fmt.Sprintf("/mounts/%d", i)
			switch v := el.Value.(type) {
			case hujson.Literal:
				raw := v.String()
				sub, _ := mounts.Substitute(raw, vc)
				mt, err := mounts.ParseMountString(sub)
				if err != nil || !isSystemSocket(mt.Source) {
					continue
				}
				orig, err := mounts.ParseMountString(raw)
				if err != nil {
					continue
				}
				report(el.StartOffset, el.EndOffset, ptr, fmt.Sprintf("the mount %q", raw), func() Fix {
					orig.Source, orig.Type = src, "bind"
					return Fix{Message: "bind the rootless socket (" + src + ")", Edits: []Edit{ReplaceValue(el, jsonString(orig.String()))}}
				})
			case *hujson.Object:
				srcM, ok := Lookup(v, "source")
				s, _ := StringIn(v, "source")
				if sub, _ := mounts.Substitute(s, vc); !ok || !isSystemSocket(sub) {
					continue
				}
				report(el.StartOffset, el.EndOffset, ptr, "a mount", func() Fix {
					edits := []Edit{ReplaceValue(srcM.Value(), jsonString(src))}
					if tm, ok := Lookup(v, "type"); ok {
						if t, _ := StringIn(v, "type"); t != "bind" {
							edits = append(edits, ReplaceValue(tm.Value(), `"bind"`))
						}
					} else {
						edits = append(edits, c.InsertMember(el, nil, "type", `"bind"`)...)
					}
					return Fix{Message: "bind the rootless socket (" + src + ")", Edits: edits}
				})
			}
		}
	}
	args, vals, ra := c.RunArgs()
	for _, am := range ra.Mounts {
		last := am.Index + am.Count - 1
		sub, _ := mounts.Substitute(am.Value, vc)
		var mt mounts.Mount
		var err error
		isVolume := am.Flag == "-v" || am.Flag == "--volume"
		if isVolume {
			mt, err = mounts.ParseVolumeFlag(sub)
		} else {
			mt, err = mounts.ParseMountString(sub)
		}
		if err != nil || !isSystemSocket(mt.Source) {
			continue
		}
		report(vals[am.Index].StartOffset, vals[last].EndOffset, "/runArgs", fmt.Sprintf("%s %q in \"runArgs\"", am.Flag, am.Value), func() Fix {
			var newVal string
			if isVolume {
				_, rest, _ := strings.Cut(am.Value, ":")
				newVal = src + ":" + rest
			} else {
				orig, _ := mounts.ParseMountString(am.Value)
				orig.Source, orig.Type = src, "bind"
				newVal = orig.String()
			}
			elem := args[last]
			if am.Joined {
				elem = strings.TrimSuffix(elem, am.Value) + newVal
			} else {
				elem = newVal
			}
			return Fix{Message: "bind the rootless socket (" + src + ")", Edits: []Edit{ReplaceValue(vals[last], jsonString(elem))}}
		})
	}
	checkDockerOutsideOfDocker(p, src, why)
}

// checkDockerOutsideOfDocker: the feature mounts /var/run/docker.sock to
// its socketPath itself; only a devcontainer.json mount with that target
// overrides it.
func checkDockerOutsideOfDocker(p *Pass, src, why string) {
	c := p.Config
	feats, ok := c.Object("features")
	if !ok {
		return
	}
	for _, f := range Members(feats) {
		id := f.Name
		if !strings.Contains(id, "docker-outside-of-docker") && !strings.Contains(id, "docker-from-docker") {
			continue
		}
		target := "/var/run/docker-host.sock"
		if opts, ok := f.Value().Value.(*hujson.Object); ok {
			if s, ok := StringIn(opts, "socketPath"); ok && s != "" {
				target = s
			}
		}
		if c.hasMountTarget(target) {
			return
		}
		start, end := f.NameStart(), f.Value().EndOffset
		ptr := "/features/" + escapePointer(id)
		msg := fmt.Sprintf("the docker-outside-of-docker feature binds /var/run/docker.sock to %s, which under rootless Docker reaches no daemon (or the rootful one)", target)
		if src == "" {
			p.Reportf(start, end, ptr, "%s; %s", msg, why)
			return
		}
		mount := jsonString(fmt.Sprintf("source=%s,target=%s,type=bind", src, target))
		fix := Fix{Message: fmt.Sprintf("add a mount of the rootless socket to %s", target)}
		if m, ok := c.Top("mounts"); ok {
			fix.Edits = c.AppendElement(m.Value(), mount)
		} else {
			fix.Edits = c.InsertMember(c.RootValue(), nil, "mounts", "["+mount+"]")
		}
		p.Report(start, end, ptr, msg+": add a devcontainer.json mount with that target (it overrides the feature's)", fix)
		return
	}
}

// hasMountTarget reports whether "mounts" has a mount with target t.
func (c *Config) hasMountTarget(t string) bool {
	m, ok := c.Top("mounts")
	if !ok {
		return false
	}
	arr := m.Value().Value.(*hujson.Array)
	for i := range arr.Elements {
		switch v := arr.Elements[i].Value.(type) {
		case hujson.Literal:
			if mt, err := mounts.ParseMountString(v.String()); err == nil && filepath.Clean(mt.Target) == filepath.Clean(t) {
				return true
			}
		case *hujson.Object:
			if s, _ := StringIn(v, "target"); filepath.Clean(s) == filepath.Clean(t) {
				return true
			}
		}
	}
	return false
}
