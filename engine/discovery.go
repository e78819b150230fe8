package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/spf13/afero"
)

// Endpoint is a daemon address and where it came from.
type Endpoint struct {
	Host   string // unix:///… or tcp://…
	Source string // for people: "DOCKER_HOST", "docker context \"rootless\" (from …)", …
}

// Discovery finds daemon endpoints. A nil Fs holds no files and a nil
// LookupEnv no variables (the caller passes the OS's: a test that forgets
// one never reads the machine); Home "" means $HOME from LookupEnv, else
// "/". UID is the user's (for /run/user/<uid>).
type Discovery struct {
	Fs        afero.Fs
	LookupEnv func(string) (string, bool)
	UID       int
	Home      string

	current *currentOnce // see ReadOnce
}

// currentOnce holds the docker context, read once.
type currentOnce struct {
	once sync.Once
	cur  DockerContext
	err  error
}

// ReadOnce returns d reading the docker context (CurrentContext, which
// Endpoints and detection ask for too) at most once: every copy of the
// result shares the one answer, so a run reads config.json and the
// context's metadata once.
func (d Discovery) ReadOnce() Discovery {
	d.current = &currentOnce{}
	return d
}

func (d Discovery) env(k string) string {
	if d.LookupEnv == nil {
		return ""
	}
	v, _ := d.LookupEnv(k)
	return v
}

func (d Discovery) fs() afero.Fs {
	if d.Fs == nil {
		return afero.NewReadOnlyFs(afero.NewMemMapFs())
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
	return "/"
}

// isSocket reports whether path is a unix socket: by its mode on the OS
// filesystem; on another (a memory filesystem has no sockets), whether a
// file is there.
func (d Discovery) isSocket(path string) bool {
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
	cur, err := d.CurrentContext()
	if err != nil {
		return nil, err
	}
	if cur.Host != "" {
		return []Endpoint{{Host: cur.Host, Source: fmt.Sprintf("docker context %q (from %s)", cur.Name, cur.From)}}, nil
	}
	var out []Endpoint
	seen := map[string]bool{}
	for _, c := range append(d.rootlessCandidates(), socketCandidate{"/var/run/docker.sock", "/var/run/docker.sock"}) {
		if seen[c.path] || !d.isSocket(c.path) {
			continue
		}
		seen[c.path] = true
		out = append(out, Endpoint{Host: "unix://" + c.path, Source: c.source})
	}
	return out, nil
}

// socketCandidate is a place a daemon's socket may be, and its name for
// people.
type socketCandidate struct{ path, source string }

// rootlessCandidates are the places of a rootless Docker socket, in the
// docker CLI's order: $XDG_RUNTIME_DIR/docker.sock (when it is set),
// /run/user/<uid>/docker.sock and ~/.docker/run/docker.sock.
func (d Discovery) rootlessCandidates() []socketCandidate {
	var out []socketCandidate
	if x := d.env("XDG_RUNTIME_DIR"); x != "" {
		out = append(out, socketCandidate{filepath.Join(x, "docker.sock"), "$XDG_RUNTIME_DIR/docker.sock"})
	}
	perUID := fmt.Sprintf("/run/user/%d/docker.sock", d.UID)
	return append(out, socketCandidate{perUID, perUID},
		socketCandidate{filepath.Join(d.home(), ".docker", "run", "docker.sock"), "~/.docker/run/docker.sock"})
}

// RootlessSocket returns the first existing rootless Docker socket among
// $XDG_RUNTIME_DIR/docker.sock, /run/user/<uid>/docker.sock and
// ~/.docker/run/docker.sock; "" when there is none.
func (d Discovery) RootlessSocket() string {
	for _, c := range d.rootlessCandidates() {
		if d.isSocket(c.path) {
			return c.path
		}
	}
	return ""
}

// PodmanSocket returns the first existing socket of a rootless Podman API
// service ("podman system service", or the podman.socket user unit) among
// $XDG_RUNTIME_DIR/podman/podman.sock and /run/user/<uid>/podman/podman.sock;
// "" when there is none.
func (d Discovery) PodmanSocket() string {
	var cands []string
	if x := d.env("XDG_RUNTIME_DIR"); x != "" {
		cands = append(cands, filepath.Join(x, "podman", "podman.sock"))
	}
	cands = append(cands, fmt.Sprintf("/run/user/%d/podman/podman.sock", d.UID))
	for _, c := range cands {
		if d.isSocket(c) {
			return c
		}
	}
	return ""
}

// contextMetaDir is where the docker CLI keeps a context's meta.json: the
// folder is named by the SHA-256 of the context's name.
func contextMetaDir(configDir, name string) string {
	sum := sha256.Sum256([]byte(name))
	return filepath.Join(configDir, "contexts", "meta", hex.EncodeToString(sum[:]))
}

func (d Discovery) configDir() string {
	if c := d.env("DOCKER_CONFIG"); c != "" {
		return c
	}
	return filepath.Join(d.home(), ".docker")
}

// DockerContext is the docker CLI context chosen by DOCKER_CONTEXT or by
// currentContext in the CLI's config.json.
type DockerContext struct {
	Name string // "" when none is chosen; "default" is the built-in one
	From string // "DOCKER_CONTEXT" or the config.json path
	Host string // its docker endpoint; "" for none and for "default"
}

// CurrentContext returns the docker CLI's current context and its endpoint,
// whether or not DOCKER_HOST is set (the docker CLI lets DOCKER_HOST win;
// Endpoints does the same). It is an error when a context is named but its
// metadata is missing or has no docker endpoint: the docker CLI fails then.
func (d Discovery) CurrentContext() (DockerContext, error) {
	if c := d.current; c != nil {
		c.once.Do(func() { c.cur, c.err = d.readCurrentContext() })
		return c.cur, c.err
	}
	return d.readCurrentContext()
}

func (d Discovery) readCurrentContext() (DockerContext, error) {
	cur := DockerContext{Name: d.env("DOCKER_CONTEXT"), From: "DOCKER_CONTEXT"}
	cfgPath := filepath.Join(d.configDir(), "config.json")
	if cur.Name == "" {
		b, err := afero.ReadFile(d.fs(), cfgPath)
		if err != nil {
			return DockerContext{}, nil
		}
		var cfg struct {
			CurrentContext string `json:"currentContext"`
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return DockerContext{}, fmt.Errorf("%s: %w", cfgPath, err)
		}
		if cfg.CurrentContext == "" {
			return DockerContext{}, nil
		}
		cur = DockerContext{Name: cfg.CurrentContext, From: cfgPath}
	}
	if cur.Name == "default" {
		return cur, nil
	}
	meta := filepath.Join(contextMetaDir(d.configDir(), cur.Name), "meta.json")
	b, err := afero.ReadFile(d.fs(), meta)
	if err != nil {
		return cur, fmt.Errorf("docker context %q (from %s) has no metadata at %s", cur.Name, cur.From, meta)
	}
	var m struct {
		Endpoints map[string]struct {
			Host string `json:"Host"`
		} `json:"Endpoints"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return cur, fmt.Errorf("%s: %w", meta, err)
	}
	cur.Host = m.Endpoints["docker"].Host
	if cur.Host == "" {
		return cur, fmt.Errorf("docker context %q (%s) has no docker endpoint", cur.Name, meta)
	}
	return cur, nil
}
