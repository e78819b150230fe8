package devcontainer

import (
	"path/filepath"

	"github.com/devfix/devfix/internal/source"
	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
)

// localFolder is the folder the config belongs to.
func (c *Config) localFolder() string { return LocalFolder(c.Path) }

// LocalFolder is the folder a config at path belongs to: the parent of
// .devcontainer/ or the folder holding .devcontainer.json.
func LocalFolder(path string) string {
	dir := filepath.Dir(path)
	switch {
	case filepath.Base(dir) == ".devcontainer": // .devcontainer/devcontainer.json
		return filepath.Dir(dir)
	case filepath.Base(filepath.Dir(dir)) == ".devcontainer": // .devcontainer/<name>/devcontainer.json
		return filepath.Dir(filepath.Dir(dir))
	}
	return dir // .devcontainer.json
}

// RepoRoot is the nearest folder upward from dir that holds .git, as the
// CLI's default --mount-workspace-git-root finds it; ok is false when there
// is none.
func RepoRoot(fs afero.Fs, dir string) (string, bool) {
	if fs == nil {
		return dir, false
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir, false
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := fs.Stat(filepath.Join(d, ".git")); err == nil {
			return d, true
		}
		if filepath.Dir(d) == d {
			return dir, false
		}
	}
}

// bindSource is a host folder or file the container will bind-mount, and
// the node that asks for it.
type bindSource struct {
	Path     string
	ReadOnly bool
	// Created says docker run creates the source when it is missing (a -v
	// in "runArgs"), rather than failing to start.
	Created bool
	At      source.Loc
}

// bindSources returns the workspace mount's source (the CLI's default when
// "workspaceMount" is absent), every bind in "mounts" and every -v or
// --mount bind in "runArgs" (for a compose config: the dev service's bind
// volumes), with variables resolved as the reference CLI and compose
// resolve them.
func (c *Config) bindSources(o *Options) []bindSource {
	vc := o.varContext(c)
	var out []bindSource
	if c.compose != nil {
		out = append(out, c.compose.bindSources()...)
	} else if m := c.top("workspaceMount"); m.Exists() {
		if s := m.Str(); s != "" {
			sub, _ := mounts.Substitute(s, vc)
			if mt, err := mounts.ParseMountString(sub); err == nil && mt.Type == "bind" {
				out = append(out, bindSource{Path: mt.Source, ReadOnly: mt.ReadOnly, At: m.Loc()})
			}
		}
	} else {
		root, _ := RepoRoot(o.Fs, vc.LocalWorkspaceFolder)
		out = append(out, bindSource{Path: root, At: c.rootLoc()})
	}
	for _, m := range c.mountSettings() {
		mt, err := m.resolve(vc)
		if err != nil || mt.Type != "bind" || !filepath.IsAbs(mt.Source) {
			continue
		}
		out = append(out, bindSource{Path: mt.Source, ReadOnly: mt.ReadOnly, At: m.Node.Loc()})
	}
	if c.compose == nil { // the CLI passes no runArgs to compose
		for _, am := range c.RunArgs().Mounts {
			mt, isVolume, err := resolveArgMount(am, vc)
			if err != nil || mt.Type != "bind" || !filepath.IsAbs(mt.Source) {
				continue
			}
			out = append(out, bindSource{Path: mt.Source, ReadOnly: mt.ReadOnly, Created: isVolume, At: c.argLoc(am.ArgRef)})
		}
	}
	return out
}

// varContext is what variables in "mounts", "runArgs" and "workspaceMount"
// resolve against.
func (o *Options) varContext(c *Config) mounts.VarContext {
	local, _ := filepath.Abs(c.localFolder())
	return mounts.VarContext{LookupEnv: o.LookupEnv, LocalWorkspaceFolder: local}
}
