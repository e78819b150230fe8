package devcontainer

import (
	"path/filepath"
	"strconv"

	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
	"github.com/tailscale/hujson"
)

// LocalFolder is the folder the config belongs to: the parent of
// .devcontainer/ or the folder holding .devcontainer.json.
func (c *Config) LocalFolder() string {
	dir := filepath.Dir(c.Path)
	switch {
	case filepath.Base(dir) == ".devcontainer": // .devcontainer/devcontainer.json
		return filepath.Dir(dir)
	case filepath.Base(filepath.Dir(dir)) == ".devcontainer": // .devcontainer/<name>/devcontainer.json
		return filepath.Dir(filepath.Dir(dir))
	}
	return dir // .devcontainer.json
}

// gitRoot walks up from dir to the folder holding .git, as the CLI's default
// --mount-workspace-git-root does; dir itself when there is none.
func gitRoot(fs afero.Fs, dir string) string {
	if fs == nil {
		return dir
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := fs.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// BindSource is a host folder or file the container will bind-mount.
type BindSource struct {
	Path     string
	ReadOnly bool
	// Start and End locate the setting it comes from (the top-level brace
	// for the default workspace mount).
	Start, End int
	Pointer    string
}

// BindSources returns the workspace mount's source (the CLI's default when
// "workspaceMount" is absent) and every bind in "mounts", with variables
// resolved as the reference CLI resolves them.
func (c *Config) BindSources(fs afero.Fs, lookupEnv func(string) (string, bool)) []BindSource {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	local, _ := filepath.Abs(c.LocalFolder())
	vc := mounts.VarContext{LookupEnv: lookupEnv, LocalWorkspaceFolder: local}
	var out []BindSource
	if _, compose := c.Top("dockerComposeFile"); !compose {
		if m, ok := c.Top("workspaceMount"); ok {
			s, _ := c.String("workspaceMount")
			if s != "" {
				sub, _ := mounts.Substitute(s, vc)
				if mt, err := mounts.ParseMountString(sub); err == nil && mt.Type == "bind" {
					out = append(out, BindSource{Path: mt.Source, ReadOnly: mt.ReadOnly, Start: m.Value().StartOffset, End: m.Value().EndOffset, Pointer: "/workspaceMount"})
				}
			}
		} else {
			start := c.RootValue().StartOffset
			out = append(out, BindSource{Path: gitRoot(fs, local), Start: start, End: start + 1, Pointer: ""})
		}
	}
	if m, ok := c.Top("mounts"); ok {
		arr := m.Value().Value.(*hujson.Array)
		for i := range arr.Elements {
			el := &arr.Elements[i]
			var mt mounts.Mount
			switch v := el.Value.(type) {
			case hujson.Literal:
				sub, _ := mounts.Substitute(v.String(), vc)
				parsed, err := mounts.ParseMountString(sub)
				if err != nil {
					continue
				}
				mt = parsed
			case *hujson.Object:
				typ, _ := StringIn(v, "type")
				src, _ := StringIn(v, "source")
				src, _ = mounts.Substitute(src, vc)
				mt = mounts.Mount{Type: typ, Source: src}
			}
			if mt.Type != "bind" || !filepath.IsAbs(mt.Source) {
				continue
			}
			out = append(out, BindSource{Path: mt.Source, ReadOnly: mt.ReadOnly, Start: el.StartOffset, End: el.EndOffset, Pointer: "/mounts/" + strconv.Itoa(i)})
		}
	}
	return out
}
