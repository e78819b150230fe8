package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/devfix/devfix/internal/run"
)

// Pool hands out one connection per engine kind, each made on its first
// question, so a config that needs no engine never waits for one. It decides
// how an engine is reached: Docker at the endpoints Discovery finds (as the
// docker CLI does); Podman at its API socket when the service runs, else
// through the podman CLI by argv. The zero value reaches nothing; set what
// is known.
type Pool struct {
	// Discovery finds Docker's endpoints.
	Discovery Discovery
	// PodmanSocket is the user's Podman API socket ("" when it does not run).
	PodmanSocket string
	// Connect connects to an engine's API; nil means Connect, 2 s a try.
	Connect func(ctx context.Context, eps []Endpoint) (*Daemon, error)
	// LookPath finds podman on PATH; nil means it is not found.
	LookPath func(string) (string, error)
	// Run runs the podman CLI; nil means run.Argv.
	Run run.Runner

	mu sync.Mutex
	by map[Kind]*Conn
}

// Get returns the connection to the engine of kind, the same one each time.
func (p *Pool) Get(kind Kind) *Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.by[kind]; ok {
		return c
	}
	if p.by == nil {
		p.by = map[Kind]*Conn{}
	}
	c := &Conn{pool: p, kind: kind}
	p.by[kind] = c
	return c
}

// Conn is a lazy connection to one engine: it connects on the first
// question and remembers every answer for the rest of the run. A question
// it cannot ask because no engine is reachable fails with
// *imagefacts.NoEngineError.
type Conn struct {
	pool *Pool
	kind Kind

	once   sync.Once
	daemon *Daemon
	images Images
	err    error

	mu        sync.Mutex
	inspected map[string]Image
	files     map[string][]byte
}

var _ Images = (*Conn)(nil)

func (c *Conn) connect(ctx context.Context) error {
	c.once.Do(func() {
		p := c.pool
		var eps []Endpoint
		if c.kind == Podman {
			if sock := p.PodmanSocket; sock != "" {
				eps = []Endpoint{{Host: "unix://" + sock, Source: sock}}
			}
		} else {
			eps, c.err = p.Discovery.Endpoints()
			if c.err != nil {
				return
			}
		}
		if len(eps) > 0 {
			connect := p.Connect
			if connect == nil {
				connect = func(ctx context.Context, eps []Endpoint) (*Daemon, error) { return Connect(ctx, eps, 2*time.Second) }
			}
			c.daemon, c.err = connect(ctx, eps)
			if c.err == nil {
				c.images = c.daemon
				return
			}
		}
		if c.kind == Podman && p.LookPath != nil {
			if path, err := p.LookPath("podman"); err == nil {
				c.images, c.err = PodmanCLI{Run: p.Run, Path: path}, nil
				return
			}
		}
		if c.err == nil {
			if c.kind == Podman {
				c.err = errors.New("no Podman API socket and no podman on PATH")
			} else {
				c.err = errors.New("no socket found; set DOCKER_HOST or start your rootless daemon")
			}
		}
	})
	return c.err
}

// InspectImage inspects ref, once a run.
func (c *Conn) InspectImage(ctx context.Context, ref string) (Image, error) {
	c.mu.Lock()
	info, ok := c.inspected[ref]
	c.mu.Unlock()
	if ok {
		return info, nil
	}
	if err := c.connect(ctx); err != nil {
		return Image{}, &imagefacts.NoEngineError{Reason: err.Error()}
	}
	info, err := c.images.InspectImage(ctx, ref)
	if err != nil {
		return Image{}, err
	}
	c.mu.Lock()
	if c.inspected == nil {
		c.inspected = map[string]Image{}
	}
	c.inspected[ref] = info
	c.mu.Unlock()
	return info, nil
}

// ReadImageFile reads a file of ref, once a run.
func (c *Conn) ReadImageFile(ctx context.Context, ref, path string) ([]byte, error) {
	key := ref + "\x00" + path
	c.mu.Lock()
	data, ok := c.files[key]
	c.mu.Unlock()
	if ok {
		return data, nil
	}
	if err := c.connect(ctx); err != nil {
		return nil, &imagefacts.NoEngineError{Reason: err.Error()}
	}
	data, err := c.images.ReadImageFile(ctx, ref, path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.files == nil {
		c.files = map[string][]byte{}
	}
	c.files[key] = data
	c.mu.Unlock()
	return data, nil
}

// Daemon returns the connected API daemon (connecting on first use); an
// error when there is none (also for Podman answered by its CLI).
func (c *Conn) Daemon(ctx context.Context) (*Daemon, error) {
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	if c.daemon == nil {
		return nil, errors.New("the Podman API service is not running (devfix used the podman CLI)")
	}
	return c.daemon, nil
}

// DaemonFacts describes the daemon (connecting on first use).
func (c *Conn) DaemonFacts(ctx context.Context) (imagefacts.DaemonFacts, error) {
	d, err := c.Daemon(ctx)
	if err != nil {
		return imagefacts.DaemonFacts{}, &imagefacts.NoEngineError{Reason: err.Error()}
	}
	info, err := d.Info(ctx)
	if err != nil {
		return imagefacts.DaemonFacts{}, err
	}
	return imagefacts.DaemonFacts{Rootless: d.Rootless, CgroupDriver: info.CgroupDriver, CgroupVersion: info.CgroupVersion}, nil
}
