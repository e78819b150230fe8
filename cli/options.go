package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/engine"
	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/spf13/afero"
	"github.com/spf13/pflag"
)

// lintFlags are the flags lint and apply share; doctor and shellenv set
// only engine, and all of them decide through one session.
type lintFlags struct {
	strategy, engine string
	noInlineIgnores  bool
	strict           bool
	noCache          bool
}

// noCacheUsage is the --no-cache flag's help, shared by lint, apply and doctor.
const noCacheUsage = "neither read nor write the cache of image facts (also DEVFIX_NO_CACHE=1)"

func (f *lintFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.strategy, "strategy", "", "how to fix: root, env, acl or keepid (default: .devfix.jsonc's, else env for a config that already reads DEVFIX_* variables, else keepid under Podman, else root)")
	engineFlag(fs, &f.engine)
	fs.BoolVar(&f.noInlineIgnores, "no-inline-ignores", false, "let devfix-ignore comments silence nothing (for CI policy)")
	fs.BoolVar(&f.noCache, "no-cache", false, noCacheUsage)
	fs.BoolVar(&f.strict, "strict", false, "a user devfix could not learn (no engine, image not pulled) fails lint too (also \"strict\": true in .devfix.jsonc)")
}

// engineFlag registers --engine, with one help text for every command that
// takes it (lint, apply, doctor, shellenv); the session decides with it.
func engineFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "engine", "", "the engine the dev containers run on: docker or podman (default: .devfix.jsonc's, else detected)")
}

func (f *lintFlags) validate() error {
	if f.strategy != "" {
		if _, err := devcontainer.ParseStrategy(f.strategy); err != nil {
			return fmt.Errorf("--strategy: %v", err)
		}
	}
	if f.engine != "" {
		k, err := engine.ParseKind(f.engine)
		if err != nil {
			return fmt.Errorf("--engine: %v", err)
		}
		f.engine = string(k) // "Podman" means podman, everywhere after this
	}
	return nil
}

// session is one run's shared state: the flags, the settings found per
// folder, and the engine decision. lint, apply and doctor build every
// config's options through it, so they always agree.
type session struct {
	env   *Env
	flags lintFlags
	// fs is where configs, the files they name and .devfix.jsonc are read:
	// env.Fs, or for a dry-run apply the memory layer over it that holds
	// the fixes so far. Loading and linting read this one.
	fs       afero.Fs
	settings map[string]*devcontainer.Settings // by folder
	detected *engine.Detection
	cache    *imagefacts.Cache // nil: off or nowhere to keep it
	cacheSet bool
}

func newSession(env *Env, flags lintFlags) *session {
	return &session{env: env, flags: flags, fs: env.Fs, settings: map[string]*devcontainer.Settings{}}
}

// load reads one config from the session's filesystem.
func (s *session) load(ctx context.Context, path string) (*devcontainer.Config, error) {
	return devcontainer.Load(ctx, s.fs, path, s.env.LookupEnv)
}

// configOptions are what lint and apply need for one config.
type configOptions struct {
	*devcontainer.Options
	strict bool
	notes  []string
}

// settingsFor finds the .devfix.jsonc that governs a config.
func (s *session) settingsFor(path string) (*devcontainer.Settings, error) {
	return s.settingsIn(filepath.Dir(path))
}

// settingsHere finds the .devfix.jsonc that governs the working directory,
// for the commands that take no config path (doctor, shellenv).
func (s *session) settingsHere() (*devcontainer.Settings, error) {
	dir := s.env.WorkDir
	if dir == "" {
		dir = "."
	}
	return s.settingsIn(dir)
}

// settingsIn finds the .devfix.jsonc that governs a folder.
func (s *session) settingsIn(dir string) (*devcontainer.Settings, error) {
	st, ok := s.settings[dir]
	if !ok {
		var err error
		if st, err = devcontainer.FindSettings(s.fs, dir); err != nil {
			return nil, err
		}
		s.settings[dir] = st
	}
	return st, nil
}

// engineFor decides the engine: the flag, else the settings, else detected
// (once per run).
func (s *session) engineFor(ctx context.Context, st *devcontainer.Settings) (devcontainer.Engine, string) {
	switch {
	case s.flags.engine != "":
		return devcontainer.Engine(s.flags.engine), "the --engine flag"
	case st != nil && st.Engine != "":
		return st.Engine, st.Path
	}
	if s.detected == nil {
		d := s.env.detectEngine(ctx)
		s.detected = &d
	}
	return devcontainer.Engine(s.detected.Kind), s.detected.Reason
}

// imageCache is the cache of image facts, under $XDG_CACHE_HOME/devfix
// (else ~/.cache/devfix); nil when --no-cache or DEVFIX_NO_CACHE=1 turn it
// off, or no home is known.
func (s *session) imageCache() *imagefacts.Cache {
	if !s.cacheSet {
		s.cacheSet = true
		off, _ := s.env.lookup("DEVFIX_NO_CACHE")
		xdg, _ := s.env.lookup("XDG_CACHE_HOME")
		home, _ := s.env.lookup("HOME")
		if dir := imagefacts.CacheDir(xdg, home); dir != "" && !s.flags.noCache && (off == "" || off == "0") && s.env.Fs != nil {
			s.cache = &imagefacts.Cache{Fs: s.env.Fs, Dir: filepath.Join(dir, "images")}
		}
	}
	return s.cache
}

// options builds one config's lint options: flags win over .devfix.jsonc,
// which wins over what devfix detects.
func (s *session) options(ctx context.Context, cfg *devcontainer.Config) (configOptions, error) {
	env := s.env
	st, err := s.settingsFor(cfg.Path)
	if err != nil {
		return configOptions{}, err
	}
	kind, why := s.engineFor(ctx, st)
	port, _ := env.portStart()
	o := &devcontainer.Options{
		Engine: kind, EngineWhy: why,
		Fs: s.fs, LookupEnv: env.LookupEnv, Host: env.Host,
		RootlessSocket: env.RootlessSocket, PodmanSocket: env.PodmanSocket, PortStart: port,
		NoInlineIgnores: s.flags.noInlineIgnores,
	}
	if env.Engine != nil {
		if conn := env.Engine(kind); conn != nil {
			o.Images = conn
			if c, ok := conn.(interface {
				Cached(*imagefacts.Cache) engine.Images
			}); ok && s.imageCache() != nil {
				o.Images = c.Cached(s.imageCache())
			}
		}
	}
	co := configOptions{Options: o, strict: s.flags.strict || (st != nil && st.Strict)}
	switch {
	case s.flags.strategy != "":
		o.Strategy = devcontainer.Strategy(s.flags.strategy)
	case st != nil && st.Strategy != "":
		o.Strategy = st.Strategy
	default:
		var note string
		if o.Strategy, note = devcontainer.DefaultStrategy(cfg, kind); note != "" {
			co.notes = append(co.notes, note)
		}
	}
	if st != nil {
		o.Severities = st.Rules
	}
	return co, nil
}

// loaded is one config ready for rules, or the error that stopped it.
type loaded struct {
	path   string
	config *devcontainer.Config
	err    error
}

// found is one config a path names (arg: the path the user gave), or the
// error that stopped finding them.
type found struct {
	path, arg string
	err       error
}

// findConfigs finds the configs the paths name, each once. Errors are kept
// per path so one bad path does not hide the rest.
func findConfigs(env *Env, paths []string) []found {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var out []found
	seen := map[string]bool{}
	for _, p := range paths {
		files, err := devcontainer.Find(env.Fs, p)
		if err != nil {
			out = append(out, found{path: p, arg: p, err: err})
			continue
		}
		for _, f := range files {
			if !seen[f] {
				seen[f] = true
				out = append(out, found{path: f, arg: p})
			}
		}
	}
	return out
}

// loadConfigs finds and reads the configs the paths name.
func loadConfigs(ctx context.Context, env *Env, paths []string) []loaded {
	var out []loaded
	for _, f := range findConfigs(env, paths) {
		l := loaded{path: f.path, err: f.err}
		if f.err == nil {
			l.config, l.err = newSession(env, lintFlags{}).load(ctx, f.path)
		}
		out = append(out, l)
	}
	return out
}

// countsFailure reports whether a finding fails lint: errors and warnings
// do; info (what devfix could not learn) only in strict mode.
func countsFailure(d devcontainer.Diagnostic, strict bool) bool {
	return d.Severity == devcontainer.SeverityError || d.Severity == devcontainer.SeverityWarning || (strict && d.Severity == devcontainer.SeverityInfo)
}
