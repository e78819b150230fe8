package devcontainer

import (
	"fmt"
	"strings"

	"github.com/tailscale/hujson"
)

// settingKinds lists the top-level settings devfix reads, with the JSON kinds
// the devcontainer schema allows for each. A setting of another kind is bad
// input: devfix would otherwise misread it.
var settingKinds = map[string]string{
	"image":               `"`,
	"dockerFile":          `"`,
	"context":             `"`,
	"build":               `{`,
	"dockerComposeFile":   `"[`,
	"service":             `"`,
	"remoteUser":          `"`,
	"containerUser":       `"`,
	"updateRemoteUserUID": `tf`,
	"runArgs":             `[`,
	"mounts":              `[`,
	"workspaceMount":      `"`,
	"workspaceFolder":     `"`,
	"containerEnv":        `{`,
	"remoteEnv":           `{`,
	"appPort":             `0"[`,
	"privileged":          `tf`,
	"features":            `{`,
	"securityOpt":         `[`,
}

// elementKinds lists array settings whose elements have a fixed kind.
var elementKinds = map[string]string{
	"runArgs":     `"`,
	"mounts":      `"{`,
	"securityOpt": `"`,
}

func (c *Config) checkTypes() error {
	for i := range c.Root().Members {
		name := memberName(&c.Root().Members[i])
		want, ok := settingKinds[name]
		if !ok || c.top[name] != i {
			continue // not a setting devfix reads, or a dead duplicate
		}
		m := Member{Name: name, Index: i, m: &c.Root().Members[i]}
		v := m.Value()
		if err := c.checkKind(m.Name, v, want); err != nil {
			return err
		}
		if ek, ok := elementKinds[m.Name]; ok {
			arr := v.Value.(*hujson.Array)
			for i := range arr.Elements {
				if err := c.checkKind(fmt.Sprintf("%s[%d]", m.Name, i), &arr.Elements[i], ek); err != nil {
					return err
				}
			}
		}
	}
	if b, ok := c.Object("build"); ok {
		for _, name := range []string{"dockerfile", "context", "target"} {
			if m, ok := Lookup(b, name); ok {
				if err := c.checkKind("build."+name, m.Value(), `"`); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (c *Config) checkKind(name string, v *hujson.Value, want string) error {
	k := v.Value.Kind()
	if strings.IndexByte(want, byte(k)) >= 0 {
		return nil
	}
	var names []string
	for i := 0; i < len(want); i++ {
		n := kindName(hujson.Kind(want[i]))
		if len(names) == 0 || names[len(names)-1] != n {
			names = append(names, n)
		}
	}
	line, col := c.Position(v.StartOffset)
	return &ParseError{Path: c.Path, Line: line, Col: col,
		Msg: fmt.Sprintf("%q must be a %s, not a %s", name, strings.Join(names, " or "), kindName(k))}
}
