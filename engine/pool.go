package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
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
	// NoLayers turns off reading image files straight from overlay layer
	// folders (a container is made instead).
	NoLayers bool

	// xattr reads a folder's xattr (nil: lgetxattr(2)); for tests.
	xattr func(path, name string) ([]byte, error)
	// clock is the time (nil: time.Now); for tests.
	clock func() time.Time

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
	store  string // names the engine and its image store, for the cache
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
				c.store = fmt.Sprintf("%s api %s", c.daemon.Kind, c.daemon.Host)
				return
			}
		}
		if c.kind == Podman && p.LookPath != nil {
			if path, err := p.LookPath("podman"); err == nil {
				c.images, c.err = PodmanCLI{Run: p.Run, Path: path}, nil
				c.store = podmanStore(path, p.Discovery)
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
	if info, ok, err := c.seen(ctx, ref); ok || err != nil {
		return info, err
	}
	info, err := c.images.InspectImage(ctx, ref)
	if err != nil {
		return Image{}, err
	}
	c.keep(ref, info)
	return info, nil
}

// seen returns what this run already learned of ref (ok), else connects:
// an error means no engine answers.
func (c *Conn) seen(ctx context.Context, ref string) (info Image, ok bool, err error) {
	c.mu.Lock()
	info, ok = c.inspected[ref]
	c.mu.Unlock()
	if ok {
		return info, true, nil
	}
	if err := c.connect(ctx); err != nil {
		return Image{}, false, &imagefacts.NoEngineError{Reason: err.Error()}
	}
	return Image{}, false, nil
}

// keep remembers what ref is for the rest of the run.
func (c *Conn) keep(ref string, info Image) {
	c.mu.Lock()
	if c.inspected == nil {
		c.inspected = map[string]Image{}
	}
	c.inspected[ref] = info
	c.mu.Unlock()
}

// ReadImageFile reads a file of ref, once a run.
func (c *Conn) ReadImageFile(ctx context.Context, ref, path string) ([]byte, error) {
	return c.readFile(ctx, ref, path, nil)
}

// podmanStore names the store the podman CLI uses: the user's, chosen by
// these variables (containers-storage.conf(5), containers.conf(5)).
func podmanStore(path string, d Discovery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "podman cli %s uid %d", path, d.UID)
	for _, k := range []string{"CONTAINERS_STORAGE_CONF", "CONTAINERS_CONF", "CONTAINER_HOST", "CONTAINER_CONNECTION", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "HOME"} {
		fmt.Fprintf(&b, " %s=%q", k, d.env(k))
	}
	return b.String()
}

// userFiles are the files the cache keeps, read together on a miss.
var userFiles = [...]string{"/etc/passwd", "/etc/group"}

// filesReader reads several files of an image in one pass.
type filesReader interface {
	ReadImageFiles(ctx context.Context, ref string, paths ...string) ([]File, error)
}

// Cached returns the connection seen through a cache of image facts: the
// image's /etc/passwd and /etc/group come from the cache when its ID (from
// the one inspect the run makes anyway) is there, else both are read in one
// pass and kept. A nil cache gives the connection itself.
func (c *Conn) Cached(cache *imagefacts.Cache) Images {
	if cache == nil {
		return c
	}
	return cachedConn{c, cache}
}

type cachedConn struct {
	*Conn
	cache *imagefacts.Cache
}

func (cc cachedConn) InspectImage(ctx context.Context, ref string) (Image, error) {
	return cc.inspect(ctx, ref, cc.cache)
}

func (cc cachedConn) ReadImageFile(ctx context.Context, ref, path string) ([]byte, error) {
	return cc.readFile(ctx, ref, path, cc.cache)
}

func (c *Conn) memo(ref, path string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.files[ref+"\x00"+path]
	return data, ok
}

func (c *Conn) remember(ref, path string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files == nil {
		c.files = map[string][]byte{}
	}
	c.files[ref+"\x00"+path] = data
}

func (c *Conn) readFile(ctx context.Context, ref, path string, cache *imagefacts.Cache) ([]byte, error) {
	if data, ok := c.memo(ref, path); ok {
		if data == nil {
			return nil, notFoundError{fmt.Sprintf("no %s in image %q", path, ref)}
		}
		return data, nil
	}
	if err := c.connect(ctx); err != nil {
		return nil, &imagefacts.NoEngineError{Reason: err.Error()}
	}
	if cache != nil && slices.Contains(userFiles[:], path) {
		if img, err := c.inspect(ctx, ref, cache); err == nil && img.Found && img.ID != "" {
			return c.readUserFiles(ctx, ref, path, img, cache)
		}
	}
	if files, ok := c.readFromLayers(ctx, ref, path); ok {
		if files[0].Err == nil {
			c.remember(ref, path, nonNil(files[0].Data))
		}
		return files[0].Data, files[0].Err
	}
	data, err := c.images.ReadImageFile(ctx, ref, path)
	if err != nil {
		return nil, err
	}
	c.remember(ref, path, nonNil(data))
	return data, nil
}

// readUserFiles answers path (one of userFiles) from the cache, or reads
// both files in one pass and keeps them.
func (c *Conn) readUserFiles(ctx context.Context, ref, path string, img Image, cache *imagefacts.Cache) ([]byte, error) {
	f, hit := cache.Get(c.store, img.ID)
	if !hit {
		files, err := c.readWithContainer(ctx, ref)
		if err != nil {
			return nil, err
		}
		for i, file := range files {
			if file.Err != nil && !errors.Is(file.Err, fs.ErrNotExist) {
				// Not a clean answer: give this run what was read, keep nothing.
				for j, p := range userFiles {
					if p == path {
						if files[j].Err == nil {
							c.remember(ref, path, nonNil(files[j].Data))
						}
						return files[j].Data, files[j].Err
					}
				}
				return nil, files[i].Err
			}
		}
		f = imagefacts.Facts{ID: img.ID, User: img.User, Metadata: img.Labels["devcontainer.metadata"],
			Passwd: files[0].Data, Group: files[1].Data, NoPasswd: files[0].Err != nil, NoGroup: files[1].Err != nil}
		cache.Put(c.store, f)
	}
	c.remember(ref, userFiles[0], orNil(f.Passwd, f.NoPasswd))
	c.remember(ref, userFiles[1], orNil(f.Group, f.NoGroup))
	data, _ := c.memo(ref, path)
	if data == nil {
		return nil, notFoundError{fmt.Sprintf("no %s in image %q", path, ref)}
	}
	return data, nil
}

// readFromLayers reads paths straight from the image's overlay layer
// folders, with no container, when the inspect named them and they can be
// read (a rootless engine's store is the user's); ok is false otherwise, and
// the caller makes a container.
func (c *Conn) readFromLayers(ctx context.Context, ref string, paths ...string) (files []File, ok bool) {
	if c.pool.NoLayers || c.pool.Discovery.env("CONTAINER_HOST") != "" || c.pool.Discovery.env("CONTAINER_CONNECTION") != "" {
		return nil, false // a remote Podman's folders are not on this host
	}
	img, err := c.InspectImage(ctx, ref)
	if err != nil || !img.Found || len(img.Layers) == 0 {
		return nil, false
	}
	files, err = layerReader{fs: c.pool.Discovery.fs(), layers: img.Layers, opaqueXattr: c.pool.xattr}.ReadFiles(ref, paths)
	return files, err == nil
}

// readWithContainer reads userFiles from the layers when it can, else
// from one container.
func (c *Conn) readWithContainer(ctx context.Context, ref string) ([]File, error) {
	if files, ok := c.readFromLayers(ctx, ref, userFiles[:]...); ok {
		return files, nil
	}
	if fr, ok := c.images.(filesReader); ok {
		return fr.ReadImageFiles(ctx, ref, userFiles[:]...)
	}
	var files []File
	for _, p := range userFiles {
		data, err := c.images.ReadImageFile(ctx, ref, p)
		files = append(files, File{Data: data, Err: err})
	}
	return files, nil
}

// orNil is data, or nil (missing) when absent; an empty file stays empty,
// not missing.
func orNil(data []byte, absent bool) []byte {
	if absent {
		return nil
	}
	return nonNil(data)
}

func nonNil(data []byte) []byte {
	if data == nil {
		return []byte{}
	}
	return data
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
