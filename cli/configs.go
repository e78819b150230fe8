package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/devfix/devfix/devcontainer"
	"github.com/spf13/pflag"
)

// common holds the flags lint and apply share.
type common struct {
	strategy        string
	noInlineIgnores bool
	settings        map[string]*devcontainer.Settings // by folder
}

func (c *common) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.strategy, "strategy", "", "how to fix: root, env or acl (default: .devfix.jsonc's, else env for a config that already uses its variables, else root)")
	fs.BoolVar(&c.noInlineIgnores, "no-inline-ignores", false, "let devfix-ignore comments silence nothing (for CI policy)")
}

// newFlagSet makes a FlagSet that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer, usage func(w io.Writer, fs *pflag.FlagSet)) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(stderr, fs) }
	return fs
}

// parseFlags parses args; done is true when the command should return code.
func parseFlags(fs *pflag.FlagSet, args []string, env *Env, usage func(w io.Writer, fs *pflag.FlagSet)) (code int, done bool) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			usage(env.Stdout, fs)
			return ExitOK, true
		}
		msg := err.Error()
		if flag := unknownFlag(msg); flag != "" {
			var names []string
			fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
			if s := nearest(flag, names); s != "" {
				msg += fmt.Sprintf(" (did you mean --%s?)", s)
			}
		}
		fmt.Fprintf(env.Stderr, "devfix %s: %s\n", fs.Name(), msg)
		fmt.Fprintf(env.Stderr, "run 'devfix %s --help' for usage\n", fs.Name())
		return ExitBadInput, true
	}
	return 0, false
}

// unknownFlag extracts the flag name from pflag's "unknown flag: --x".
func unknownFlag(msg string) string {
	const p = "unknown flag: --"
	if len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return ""
}

// loaded is one config ready for rules, or the error that stopped it.
type loaded struct {
	path   string
	config *devcontainer.Config
	err    error
}

// loadConfigs finds and parses the configs the paths name. Errors are kept
// per path so one bad file does not hide the rest.
func loadConfigs(env *Env, paths []string) []loaded {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var out []loaded
	seen := map[string]bool{}
	for _, p := range paths {
		found, err := devcontainer.Find(env.Fs, p)
		if err != nil {
			out = append(out, loaded{path: p, err: err})
			continue
		}
		for _, f := range found {
			if seen[f] {
				continue
			}
			seen[f] = true
			c, err := devcontainer.ReadConfig(env.Fs, f)
			out = append(out, loaded{path: f, config: c, err: err})
		}
	}
	return out
}

// options builds lint options for one config, with the settings found
// upward from it.
func (c *common) options(ctx context.Context, env *Env, cfg *devcontainer.Config) (*devcontainer.Options, string, error) {
	o := &devcontainer.Options{Images: env.Images, Fs: env.Fs, LookupEnv: env.LookupEnv, Host: env.Host,
		RootlessSocket: env.RootlessSocket, PortStart: env.PortStart, NoInlineIgnores: c.noInlineIgnores}
	dir := filepath.Dir(cfg.Path)
	if c.settings == nil {
		c.settings = map[string]*devcontainer.Settings{}
	}
	st, ok := c.settings[dir]
	if !ok {
		var err error
		if st, err = devcontainer.FindSettings(env.Fs, dir); err != nil {
			return nil, "", err
		}
		c.settings[dir] = st
	}
	var note string
	switch {
	case c.strategy != "":
		o.Strategy = devcontainer.Strategy(c.strategy)
	case st != nil && st.Strategy != "":
		o.Strategy = st.Strategy
	case cfg.UsesEnvStrategy():
		o.Strategy = devcontainer.StrategyEnv
		note = "uses DEVFIX_* variables: checked with strategy env"
	default:
		o.Strategy = devcontainer.StrategyRoot
	}
	if st != nil {
		o.Severities = st.Rules
	}
	return o, note, nil
}

func (c *common) validate(env *Env, cmd string) bool {
	if c.strategy == "" {
		return true
	}
	if _, err := devcontainer.ParseStrategy(c.strategy); err != nil {
		fmt.Fprintf(env.Stderr, "devfix %s: --strategy: %v\n", cmd, err)
		return false
	}
	return true
}
