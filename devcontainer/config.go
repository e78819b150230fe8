package devcontainer

import (
	"fmt"
	"strings"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
	"github.com/devfix/devfix/mounts"
)

// Config is one parsed devcontainer.json, and what it refers to that devfix
// reads: the compose files of a compose config. Its bytes are never changed.
type Config struct {
	Path string // as given, used in messages

	doc       *jsonc.Doc
	runArgs   *mounts.RunArgs // parsed on first use
	mountList *[]mountSetting // parsed on first use
	compose   *composeSide    // nil unless the config names dockerComposeFile
}

// File is the devcontainer.json as read.
func (c *Config) File() *source.File { return c.doc.File }

// Bytes returns the whole file as it was read, BOM included.
func (c *Config) Bytes() []byte { return c.doc.Bytes() }

// Files are every file of the config that fixes may edit: devcontainer.json
// first, then the compose files.
func (c *Config) Files() []*source.File {
	out := []*source.File{c.doc.File}
	if c.compose != nil {
		out = append(out, c.compose.files()...)
	}
	return out
}

// root is the top-level object.
func (c *Config) root() jsonc.Node { return c.doc.Root() }

// top is the top-level member name (the last one if duplicated).
func (c *Config) top(name string) jsonc.Node { return c.doc.Root().Get(name) }

// boolean returns a top-level boolean setting, and whether it is set.
func (c *Config) boolean(name string) (value, set bool) {
	n := c.top(name)
	return n.IsTrue(), n.Exists()
}

// RunArgs returns what docker run makes of "runArgs" (parsed once).
func (c *Config) RunArgs() mounts.RunArgs {
	if c.runArgs == nil {
		ra := mounts.RunArgs{}
		if args := c.top("runArgs").Strings(); len(args) > 0 {
			ra = mounts.ParseRunArgs(args)
		}
		c.runArgs = &ra
	}
	return *c.runArgs
}

// mountSetting is one element of "mounts", a mount string or an object.
type mountSetting struct {
	Node jsonc.Node
	// Raw is the mount as written; for an object, its type, source and
	// target. Err says why a string does not parse (Raw is then zero).
	Raw mounts.Mount
	Err error
}

// mountSettings returns the elements of "mounts", parsed once as RunArgs
// is; elements that are neither strings nor objects are left out.
func (c *Config) mountSettings() []mountSetting {
	if c.mountList == nil {
		var ms []mountSetting
		for _, el := range c.top("mounts").Children() {
			switch el.Kind() {
			case jsonc.String:
				mt, err := mounts.ParseMountString(el.Str())
				ms = append(ms, mountSetting{Node: el, Raw: mt, Err: err})
			case jsonc.Object:
				ms = append(ms, mountSetting{Node: el, Raw: mounts.Mount{
					Type: el.Get("type").Str(), Source: el.Get("source").Str(), Target: el.Get("target").Str()}})
			}
		}
		c.mountList = &ms
	}
	return *c.mountList
}

// resolve is the mount as the CLI passes it on: variables substituted, then
// parsed (a string) or read (an object).
func (m mountSetting) resolve(vc mounts.VarContext) (mounts.Mount, error) {
	if m.Node.Kind() == jsonc.String {
		sub, _ := mounts.Substitute(m.Node.Str(), vc)
		return mounts.ParseMountString(sub)
	}
	mt := m.Raw
	mt.Source, _ = mounts.Substitute(mt.Source, vc)
	mt.Target, _ = mounts.Substitute(mt.Target, vc)
	return mt, nil
}

// resolveArgMount is a -v/--volume or --mount of "runArgs" as docker run
// gets it: variables substituted, then parsed.
func resolveArgMount(am mounts.ArgMount, vc mounts.VarContext) (mt mounts.Mount, isVolume bool, err error) {
	sub, _ := mounts.Substitute(am.Value, vc)
	if am.Flag == "-v" || am.Flag == "--volume" {
		mt, err = mounts.ParseVolumeFlag(sub)
		return mt, true, err
	}
	mt, err = mounts.ParseMountString(sub)
	return mt, false, err
}

// argLoc is the place of the runArgs elements holding one flag.
func (c *Config) argLoc(r mounts.ArgRef) source.Loc {
	els := c.top("runArgs").Children()
	return els[r.Index].Loc().Through(els[r.Index+r.Count-1].Loc())
}

// settingKinds lists the top-level settings devfix reads, with the JSON kinds
// the devcontainer schema allows for each. A setting of another kind is bad
// input: devfix would otherwise misread it.
var settingKinds = map[string][]jsonc.Kind{
	"image":               {jsonc.String},
	"dockerFile":          {jsonc.String},
	"context":             {jsonc.String},
	"build":               {jsonc.Object},
	"dockerComposeFile":   {jsonc.String, jsonc.Array},
	"service":             {jsonc.String},
	"runServices":         {jsonc.Array},
	"remoteUser":          {jsonc.String},
	"containerUser":       {jsonc.String},
	"updateRemoteUserUID": {jsonc.Bool},
	"runArgs":             {jsonc.Array},
	"mounts":              {jsonc.Array},
	"workspaceMount":      {jsonc.String},
	"workspaceFolder":     {jsonc.String},
	"containerEnv":        {jsonc.Object},
	"remoteEnv":           {jsonc.Object},
	"appPort":             {jsonc.Number, jsonc.String, jsonc.Array},
	"privileged":          {jsonc.Bool},
	"features":            {jsonc.Object},
	"securityOpt":         {jsonc.Array},
}

// elementKinds lists array settings whose elements have a fixed kind.
var elementKinds = map[string][]jsonc.Kind{
	"runArgs":           {jsonc.String},
	"mounts":            {jsonc.String, jsonc.Object},
	"securityOpt":       {jsonc.String},
	"dockerComposeFile": {jsonc.String},
	"runServices":       {jsonc.String},
}

// Parse parses a devcontainer.json. The root must be an object, and the
// settings devfix reads must have the right type; otherwise the error is a
// *source.Error at the place.
func Parse(path string, data []byte) (*Config, error) {
	doc, err := jsonc.Parse(path, data)
	if err != nil {
		return nil, err
	}
	c := &Config{Path: path, doc: doc}
	if k := doc.Root().Kind(); k != jsonc.Object {
		return nil, doc.Errorf(doc.Root().Start(), "the top level must be an object, not a %s", k)
	}
	if err := c.checkTypes(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) checkTypes() error {
	for _, m := range c.root().Children() {
		want, ok := settingKinds[m.Key()]
		if !ok || c.top(m.Key()) != m {
			continue // not a setting devfix reads, or a dead duplicate
		}
		if err := c.checkKind(m.Key(), m, want); err != nil {
			return err
		}
		if ek, ok := elementKinds[m.Key()]; ok && m.Kind() == jsonc.Array {
			for i, el := range m.Children() {
				if err := c.checkKind(fmt.Sprintf("%s[%d]", m.Key(), i), el, ek); err != nil {
					return err
				}
			}
		}
	}
	b := c.top("build")
	for _, name := range []string{"dockerfile", "dockerFile", "context", "target"} {
		if m := b.Get(name); m.Exists() {
			if err := c.checkKind("build."+name, m, []jsonc.Kind{jsonc.String}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Config) checkKind(name string, n jsonc.Node, want []jsonc.Kind) error {
	k := n.Kind()
	var names []string
	for _, w := range want {
		if w == k {
			return nil
		}
		names = append(names, w.String())
	}
	return c.doc.Errorf(n.Start(), "%q must be a %s, not a %s", name, strings.Join(names, " or "), k)
}
