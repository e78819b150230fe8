package devcontainer

import (
	"context"

	"github.com/devfix/devfix/internal/source"
	"github.com/spf13/afero"
)

// composeSide is a compose config's compose files, read as compose reads
// them, with every node's place in the YAML.
type composeSide struct {
	service string
}

func (cs *composeSide) files() []*source.File { return nil }

func (cs *composeSide) serviceUser() (string, source.Loc) { return "", source.Loc{} }

func (cs *composeSide) resolveImage(ctx context.Context, c *Config, o *Options, f *Facts) imageSide {
	return imageSide{why: "the user of a Docker Compose service is not read"}
}

func (cs *composeSide) commentSources() []commentSource { return nil }

func (cs *composeSide) bindSources() []BindSource { return nil }

func (cs *composeSide) checkNetworkShares(p *Pass, msg string) {}

func (cs *composeSide) checkPorts(p *Pass) {}

type composeLimit struct {
	at   source.Loc
	what string
}

func (cs *composeSide) resourceLimits() []composeLimit { return nil }

func (cs *composeSide) checkHostNetwork(p *Pass, msg string) {}

func (cs *composeSide) checkAppArmor(p *Pass, msg string) {}

func (cs *composeSide) checkPrivileged(p *Pass, msg string) {}

func checkComposeSockets(p *Pass) {}

// load reads and parses a config and, for a compose config, its compose
// files.
func load(ctx context.Context, fsys afero.Fs, path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	data, err := afero.ReadFile(fsys, path)
	if err != nil {
		return nil, DescribeFileError(fsys, path, err)
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if c.top("dockerComposeFile").Exists() {
		c.compose = &composeSide{service: c.top("service").Str()}
	}
	return c, nil
}

// Load reads a config, and for a compose config the compose files it names
// (interpolated with lookupEnv and the .env file, as compose does). Bad input
// is one line: "path:line:col: what is wrong".
func Load(ctx context.Context, fsys afero.Fs, path string, lookupEnv func(string) (string, bool)) (*Config, error) {
	return load(ctx, fsys, path, lookupEnv)
}
