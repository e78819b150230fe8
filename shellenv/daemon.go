package shellenv

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/client"
	"github.com/spf13/afero"
)

// Endpoint is a daemon address and where it came from.
type Endpoint struct {
	Host   string // unix:///… or tcp://…
	Source string // for people: "DOCKER_HOST", "context \"rootless\"", …
}

// Discovery finds daemon endpoints. Nil Fs and LookupEnv mean the OS
// filesystem and the process environment; Home "" means $HOME. UID is the
// user's (for /run/user/<uid>).
type Discovery struct {
	Fs        afero.Fs
	LookupEnv func(string) (string, bool)
	UID       int
	Home      string
	// IsSocket reports whether path is a unix socket; nil checks the mode
	// (on a memory filesystem, which has no sockets, any existing file).
	IsSocket func(path string) bool
}

func (d Discovery) env(k string) string {
	lookup := d.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v, _ := lookup(k)
	return v
}

func (d Discovery) fs() afero.Fs {
	if d.Fs == nil {
		return afero.NewOsFs()
	}
	return d.Fs
}

func (d Discovery) home() string {
	if d.Home != "" {
		return d.Home
	}
	if h := d.env("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

func (d Discovery) isSocket(path string) bool {
	if d.IsSocket != nil {
		return d.IsSocket(path)
	}
	fi, err := d.fs().Stat(path)
	if err != nil {
		return false
	}
	if _, isOS := d.fs().(*afero.OsFs); isOS {
		return fi.Mode()&fs.ModeSocket != 0
	}
	return !fi.IsDir()
}

// Endpoints returns where the daemon is, in the docker CLI's order. When
// DOCKER_HOST or a context names one, it is the only one, as for the docker
// CLI (and so for the devcontainer CLI); otherwise the existing sockets among
// $XDG_RUNTIME_DIR/docker.sock, /run/user/<uid>/docker.sock,
// ~/.docker/run/docker.sock and /var/run/docker.sock.
func (d Discovery) Endpoints() ([]Endpoint, error) {
	if h := d.env("DOCKER_HOST"); h != "" {
		return []Endpoint{{Host: h, Source: "DOCKER_HOST"}}, nil
	}
	ep, ok, err := d.contextEndpoint()
	if err != nil {
		return nil, err
	}
	if ok {
		return []Endpoint{ep}, nil
	}
	var out []Endpoint
	seen := map[string]bool{}
	add := func(path, source string) {
		if path == "" || seen[path] || !d.isSocket(path) {
			return
		}
		seen[path] = true
		out = append(out, Endpoint{Host: "unix://" + path, Source: source})
	}
	if x := d.env("XDG_RUNTIME_DIR"); x != "" {
		add(filepath.Join(x, "docker.sock"), "$XDG_RUNTIME_DIR/docker.sock")
	}
	add(fmt.Sprintf("/run/user/%d/docker.sock", d.UID), fmt.Sprintf("/run/user/%d/docker.sock", d.UID))
	add(filepath.Join(d.home(), ".docker", "run", "docker.sock"), "~/.docker/run/docker.sock")
	add("/var/run/docker.sock", "/var/run/docker.sock")
	return out, nil
}

// RootlessSocket returns the first existing rootless socket among
// $XDG_RUNTIME_DIR/docker.sock, /run/user/<uid>/docker.sock and
// ~/.docker/run/docker.sock; "" when there is none.
func (d Discovery) RootlessSocket() string {
	var cands []string
	if x := d.env("XDG_RUNTIME_DIR"); x != "" {
		cands = append(cands, filepath.Join(x, "docker.sock"))
	}
	cands = append(cands, fmt.Sprintf("/run/user/%d/docker.sock", d.UID), filepath.Join(d.home(), ".docker", "run", "docker.sock"))
	for _, c := range cands {
		if d.isSocket(c) {
			return c
		}
	}
	return ""
}

// ContextMetaDir is where the docker CLI keeps a context's meta.json.
func ContextMetaDir(configDir, name string) string {
	sum := sha256.Sum256([]byte(name))
	return filepath.Join(configDir, "contexts", "meta", hex.EncodeToString(sum[:]))
}

func (d Discovery) configDir() string {
	if c := d.env("DOCKER_CONFIG"); c != "" {
		return c
	}
	return filepath.Join(d.home(), ".docker")
}

// contextEndpoint resolves DOCKER_CONTEXT or the config's currentContext.
func (d Discovery) contextEndpoint() (Endpoint, bool, error) {
	name, from := d.env("DOCKER_CONTEXT"), "DOCKER_CONTEXT"
	cfgPath := filepath.Join(d.configDir(), "config.json")
	if name == "" {
		b, err := afero.ReadFile(d.fs(), cfgPath)
		if err != nil {
			return Endpoint{}, false, nil
		}
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return Endpoint{}, false, fmt.Errorf("%s: %v", cfgPath, err)
		}
		name, from = cfg.CurrentContext, cfgPath
	}
	if name == "" || name == "default" {
		return Endpoint{}, false, nil
	}
	meta := filepath.Join(ContextMetaDir(d.configDir(), name), "meta.json")
	b, err := afero.ReadFile(d.fs(), meta)
	if err != nil {
		return Endpoint{}, false, fmt.Errorf("docker context %q (from %s) has no metadata at %s", name, from, meta)
	}
	var m struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return Endpoint{}, false, fmt.Errorf("%s: %v", meta, err)
	}
	host := m.Endpoints["docker"].Host
	if host == "" {
		return Endpoint{}, false, fmt.Errorf("docker context %q (%s) has no docker endpoint", name, meta)
	}
	return Endpoint{Host: host, Source: fmt.Sprintf("docker context %q (from %s)", name, from)}, true, nil
}

// Daemon is a reachable Docker daemon.
type Daemon struct {
	Endpoint
	Client   *client.Client
	Rootless bool
	Info     system.Info
}

// Close releases the client.
func (d *Daemon) Close() error { return d.Client.Close() }

// IsRootless reports whether the daemon's security options include
// name=rootless (each option is CSV: "name=seccomp,profile=default").
func IsRootless(securityOptions []string) bool {
	for _, opt := range securityOptions {
		fields, err := csv.NewReader(strings.NewReader(opt)).Read()
		if err != nil {
			continue
		}
		for _, f := range fields {
			if f == "name=rootless" {
				return true
			}
		}
	}
	return false
}

// Connect tries the endpoints in order and returns the first that answers a
// ping (within timeout each, default 1s), with its /info.
func Connect(ctx context.Context, eps []Endpoint, timeout time.Duration) (*Daemon, error) {
	if timeout <= 0 {
		timeout = time.Second
	}
	if len(eps) == 0 {
		return nil, errors.New("no daemon socket found")
	}
	var errs []string
	for _, ep := range eps {
		d, err := connect(ctx, ep, timeout)
		if err == nil {
			return d, nil
		}
		errs = append(errs, fmt.Sprintf("%s (%s): %v", ep.Host, ep.Source, err))
	}
	return nil, fmt.Errorf("no daemon answered: %s", strings.Join(errs, "; "))
}

func connect(ctx context.Context, ep Endpoint, timeout time.Duration) (*Daemon, error) {
	c, err := client.New(client.WithHost(ep.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := c.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		c.Close()
		return nil, shortError(err)
	}
	info, err := c.Info(pctx, client.InfoOptions{})
	if err != nil {
		c.Close()
		return nil, shortError(err)
	}
	return &Daemon{Endpoint: ep, Client: c, Info: info.Info, Rootless: IsRootless(info.Info.SecurityOptions)}, nil
}

// shortError drops the client's long advice from connection errors.
func shortError(err error) error {
	var pe *os.SyscallError
	if errors.As(err, &pe) {
		return pe
	}
	return err
}

// ImageInfo is what devfix reads of an image.
type ImageInfo struct {
	Found  bool
	ID     string
	User   string
	Labels map[string]string
}

// InspectImage reads an image's Config.User and labels; a missing image is
// Found false, not an error.
func (d *Daemon) InspectImage(ctx context.Context, ref string) (ImageInfo, error) {
	res, err := d.Client.ImageInspect(ctx, ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return ImageInfo{}, nil
		}
		return ImageInfo{}, err
	}
	info := ImageInfo{Found: true, ID: res.ID}
	if res.Config != nil {
		info.User, info.Labels = res.Config.User, res.Config.Labels
	}
	return info, nil
}
