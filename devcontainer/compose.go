package devcontainer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devfix/devfix/devcontainer/internal/compose"
	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
	"github.com/spf13/afero"
)

// composeSide is a compose config's compose files, read as compose reads
// them (compose-go: interpolation, .env, extends, include, all profiles),
// with every node's place in the YAML.
type composeSide struct {
	service     string   // the dev container's service
	runServices []string // "runServices", nil when not set
	proj        *compose.Project
	yaml        []*compose.File         // the files read, also when compose could not load them
	abs         map[*source.File]string // each file's absolute path, as compose-go read it
	dir, absDir string                  // the config's folder, as given and absolute
	notLoaded   error                   // why compose could not load them here
	started     []types.ServiceConfig   // the services `devcontainer up` starts
}

// Load reads a config, and for a compose config the compose files it names
// (interpolated with lookupEnv and the .env file, as compose does). Bad input
// is one line: "path:line:col: what is wrong". Compose files that parse but
// that compose cannot load here (a file missing, a variable unset) are not
// bad input: the compose checks are skipped with a note.
//
// The compose files are named in messages as the config is: relative to the
// config's folder as given (compose-go itself reads them by absolute path).
func Load(ctx context.Context, fsys afero.Fs, path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	data, err := afero.ReadFile(fsys, path)
	if err != nil {
		return nil, DescribeFileError(fsys, path, err)
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	dcf := c.top("dockerComposeFile")
	if !dcf.Exists() {
		return c, nil
	}
	cs := &composeSide{service: c.top("service").Str()}
	for _, s := range c.top("runServices").Children() {
		cs.runServices = append(cs.runServices, s.Str())
	}
	if c.top("runServices").Exists() && cs.runServices == nil {
		cs.runServices = []string{}
	}
	c.compose = cs
	var files []string
	cs.dir = filepath.Dir(path)
	cs.absDir, _ = filepath.Abs(cs.dir)
	for _, f := range append([]jsonc.Node{dcf}, dcf.Children()...) {
		if f.Kind() == jsonc.String {
			files = append(files, filepath.Join(cs.absDir, f.Str()))
		}
	}
	if len(files) == 0 {
		cs.notLoaded = errors.New(`"dockerComposeFile" names no file (the CLI then looks at COMPOSE_FILE and docker-compose.yml): not read`)
		return c, nil
	}
	proj, err := compose.Load(ctx, compose.Options{Fs: fsys, Files: files, LookupEnv: lookupEnv})
	var nl *compose.NotLoadedError
	var se *source.Error
	switch {
	case errors.As(err, &nl):
		if errors.As(nl.Err, &se) {
			se.Path = cs.shown(se.Path)
		}
		cs.notLoaded, cs.yaml = nl.Err, nl.Files
	case err != nil:
		if errors.As(err, &se) {
			se.Path = cs.shown(se.Path)
		}
		return nil, err
	default:
		cs.proj, cs.yaml = proj, proj.Files
		cs.started = cs.startedServices()
	}
	cs.abs = map[*source.File]string{}
	for _, f := range cs.yaml {
		cs.abs[f.Src] = f.Src.Path
		f.Src.Path = cs.shown(f.Src.Path)
	}
	return c, nil
}

// shown names an absolute path (as compose-go gives them) the way the user
// named the config: from its folder as given.
func (cs *composeSide) shown(p string) string {
	if rel, err := filepath.Rel(cs.absDir, p); err == nil {
		return filepath.Join(cs.dir, rel)
	}
	return p
}

// readPath is the name the filesystem knows f by: the config's path as
// given, a compose file's absolute path.
func (c *Config) readPath(f *source.File) string {
	if c.compose != nil {
		if p, ok := c.compose.abs[f]; ok {
			return p
		}
	}
	return f.Path
}

func (cs *composeSide) files() []*source.File {
	var out []*source.File
	for _, f := range cs.yaml {
		out = append(out, f.Src)
	}
	return out
}

// svc is the dev service in compose's model (nil when unknown).
func (cs *composeSide) svc() *types.ServiceConfig {
	if cs.proj == nil {
		return nil
	}
	s, ok := cs.proj.Model.Services[cs.service]
	if !ok {
		return nil
	}
	return &s
}

// startedServices are the services `devcontainer up` starts: runServices
// and the service, else every service not behind a profile; sorted by name.
func (cs *composeSide) startedServices() []types.ServiceConfig {
	var names []string
	if cs.runServices != nil {
		names = append(slices.Clone(cs.runServices), cs.service)
	} else {
		for name, s := range cs.proj.Model.Services {
			if len(s.Profiles) == 0 || name == cs.service {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	var out []types.ServiceConfig
	for i, n := range names {
		if i > 0 && names[i-1] == n {
			continue
		}
		if s, ok := cs.proj.Model.Services[n]; ok {
			out = append(out, s)
		}
	}
	return out
}

func (cs *composeSide) serviceUser() (string, source.Loc) {
	s := cs.svc()
	if s == nil || s.User == "" {
		return "", source.Loc{}
	}
	at, _ := cs.proj.Field(cs.service, "user")
	return s.User, at
}

func (cs *composeSide) resolveImage(ctx context.Context, c *Config, o *Options, f *Facts) imageSide {
	if cs.notLoaded != nil {
		f.Notes = append(f.Notes, "the compose files were not loaded, so their checks are skipped: "+cs.notLoaded.Error())
		return imageSide{why: "the compose files were not loaded"}
	}
	s := cs.svc()
	if s == nil {
		return imageSide{why: fmt.Sprintf("service %q is not in the compose files", cs.service)}
	}
	if s.Build != nil {
		at, _ := cs.proj.Field(cs.service, "build")
		f.ImageAt = at
		if s.Build.DockerfileInline != "" {
			return imageSide{why: fmt.Sprintf("service %q builds from an inline Dockerfile", cs.service)}
		}
		df := s.Build.Dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		if !filepath.IsAbs(df) {
			df = filepath.Join(s.Build.Context, df)
		}
		args := map[string]string{}
		for k, v := range s.Build.Args {
			if v != nil {
				args[k] = *v
			}
		}
		return dockerfileSide(ctx, o, f, df, cs.shown(df), s.Build.Target, args)
	}
	if s.Image == "" {
		return imageSide{why: fmt.Sprintf("service %q names no image and no build", cs.service)}
	}
	f.Image = s.Image
	f.ImageAt, _ = cs.proj.Field(cs.service, "image")
	return inspectImage(ctx, o, s.Image)
}

func (cs *composeSide) commentSources() []commentSource {
	var out []commentSource
	for _, f := range cs.yaml {
		if !strings.Contains(string(f.Src.Body), "devfix-ignore-") {
			continue
		}
		out = append(out, commentSource{file: f.Src, lines: f.PointersByLine(), comments: f.Comments()})
	}
	return out
}

func (cs *composeSide) bindSources() []bindSource {
	s := cs.svc()
	if s == nil {
		return nil
	}
	var out []bindSource
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind || !filepath.IsAbs(v.Source) {
			continue
		}
		at, _ := cs.proj.Volume(cs.service, v)
		out = append(out, bindSource{Path: v.Source, ReadOnly: v.ReadOnly, At: at})
	}
	return out
}

func (cs *composeSide) checkNetworkShares(p *Pass, msg string) {
	if cs.proj == nil {
		return
	}
	var names []string
	for name := range cs.proj.Model.Volumes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t := cs.proj.Model.Volumes[name].DriverOpts["type"]
		if t == "cifs" || t == "nfs" || t == "nfs4" || t == "smb3" {
			at, _ := cs.proj.Resource("volumes", name, "driver_opts", "type")
			p.Reportf(at, msg, t)
		}
	}
}

func (cs *composeSide) checkPorts(p *Pass) {
	for _, s := range cs.started {
		for _, port := range s.Ports {
			h, _, _ := strings.Cut(port.Published, "-")
			n, err := strconv.Atoi(h)
			if err != nil {
				continue
			}
			at, _ := cs.proj.Port(s.Name, port)
			p.checkPort(at, n, fmt.Sprintf("service %q", s.Name))
		}
	}
}

func (cs *composeSide) resourceLimits() []limit {
	var out []limit
	for _, s := range cs.started {
		add := func(set bool, what string, keys ...string) {
			if set {
				at, _ := cs.proj.Field(s.Name, keys...)
				out = append(out, limit{at, fmt.Sprintf("%s of service %q", what, s.Name)})
			}
		}
		add(s.MemLimit > 0, "mem_limit", "mem_limit")
		add(s.CPUS > 0, "cpus", "cpus")
		add(s.PidsLimit > 0, "pids_limit", "pids_limit")
		if s.Deploy != nil && s.Deploy.Resources.Limits != nil {
			add(true, "deploy.resources.limits", "deploy", "resources", "limits")
		}
	}
	return out
}

// reportField reports the field key of each started service for which msg
// says what is wrong ("" for nothing).
func (cs *composeSide) reportField(p *Pass, key string, msg func(s *types.ServiceConfig) string) {
	for i := range cs.started {
		s := &cs.started[i]
		if m := msg(s); m != "" {
			at, _ := cs.proj.Field(s.Name, key)
			p.Report(at, m)
		}
	}
}

func (cs *composeSide) checkHostNetwork(p *Pass, msg string) {
	cs.reportField(p, "network_mode", func(s *types.ServiceConfig) string {
		if s.NetworkMode != "host" {
			return ""
		}
		return fmt.Sprintf(msg, fmt.Sprintf("network_mode: host of service %q", s.Name))
	})
}

func (cs *composeSide) checkAppArmor(p *Pass, msg string) {
	for _, s := range cs.started {
		for _, o := range s.SecurityOpt {
			if strings.HasPrefix(o, "apparmor") {
				at, _ := cs.proj.ListItem(s.Name, "security_opt", o)
				p.Reportf(at, msg, o)
			}
		}
	}
}

func (cs *composeSide) checkPrivileged(p *Pass, msg string) {
	cs.reportField(p, "privileged", func(s *types.ServiceConfig) string {
		if !s.Privileged {
			return ""
		}
		return fmt.Sprintf(msg, fmt.Sprintf("privileged: true of service %q", s.Name))
	})
}

// usernsKeepID reports a Podman userns_mode under Docker.
func (cs *composeSide) usernsKeepID(p *Pass) {
	cs.reportField(p, "userns_mode", func(s *types.ServiceConfig) string {
		if !strings.HasPrefix(s.UserNSMode, "keep-id") {
			return ""
		}
		return fmt.Sprintf("userns_mode: %s of service %q is Podman's: Docker fails with \"invalid USER mode\"; remove it", s.UserNSMode, s.Name)
	})
}

// editable reports whether a fix may edit the YAML at loc: only the files
// dockerComposeFile names (compose-go itself reads the files extends and
// include name, so an edit there would not be seen until written).
func (cs *composeSide) editable(at source.Loc) bool {
	for _, f := range cs.proj.Given() {
		if f.Src == at.File {
			return true
		}
	}
	return false
}

// checkComposeSockets reports binds of the system Docker socket in the
// services the dev container starts, with a fix that edits the volume's
// source in the YAML: the dev service's volume is also overridden by a
// devcontainer.json mount with its target (the CLI's override file comes
// last, compose merges volumes by target), which then counts instead.
func checkComposeSockets(p *Pass) {
	c := p.Config
	cs := c.compose
	for _, s := range cs.started {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind || !isSystemSocket(v.Source) {
				continue
			}
			if s.Name == cs.service && c.hasMountTarget(v.Target) {
				continue
			}
			at, located := cs.proj.Volume(s.Name, v)
			msg := fmt.Sprintf("service %q binds the system Docker socket %s to %s: under %s it reaches no daemon (or the rootful one, which is root on the host)", s.Name, v.Source, v.Target, p.Options.engineName())
			sf := socketSource(p, v.Source)
			switch {
			case sf.compose == "":
				p.Reportf(at, "%s; %s", msg, sf.why)
			case !located || !cs.editable(at):
				p.Reportf(at, "%s: bind %s instead (devfix edits only the files dockerComposeFile names)", msg, sf.compose)
			default:
				edit, err := cs.proj.ReplaceVolumeSource(at, sf.compose)
				if err != nil {
					p.Reportf(at, "%s: bind %s instead (%v)", msg, sf.compose, err)
					continue
				}
				if string(at.File.Body[edit.Start:edit.End]) == edit.New {
					continue // already written so: the variable decides (strategy env)
				}
				p.Report(at, msg+": bind your own socket instead", Fix{Message: "bind " + sf.compose, Edits: []source.Edit{edit}})
			}
		}
	}
}
