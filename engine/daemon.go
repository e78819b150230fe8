package engine

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/moby/moby/client"
)

// Kind is a container engine (imagefacts.Kind, which the lint core shares).
type Kind = imagefacts.Kind

// The engines devfix knows.
const (
	Docker = imagefacts.Docker
	Podman = imagefacts.Podman
)

// ParseKind reads an engine name as a user writes it (a flag, a setting).
func ParseKind(s string) (Kind, error) { return imagefacts.ParseKind(s) }

// Daemon is an engine that answered on the Engine API: Docker, or Podman's
// Docker-compatible service.
type Daemon struct {
	Endpoint
	Kind    Kind
	Version string // the engine's version, from the ping ("20.10.24+dfsg1", "4.3.1"); "" when it does not say
	// Rootless reports whether the daemon runs without root: containers'
	// root is then the user, not root on the host.
	Rootless bool
	// RootlessFrom says, for people, how Rootless was learned.
	RootlessFrom string

	client *client.Client

	mu   sync.Mutex
	info *Info
}

// Info is what devfix reads of the daemon's /info.
type Info struct {
	CgroupDriver    string   // "none" under rootless Docker on cgroup v1, "systemd", "cgroupfs"
	CgroupVersion   string   // "1" or "2"
	DockerRootDir   string   // where the daemon keeps its data
	SecurityOptions []string // "name=seccomp,profile=default", "name=rootless", …
}

var errNoPeerCred = errors.New("no peer credentials")

// Connect tries the endpoints in order and returns the first that answers a
// ping (within timeout each, default 1s). The ping is all it asks: the
// engine, its version and the API version come from the ping's headers, and
// rootlessness from the unix socket's peer credentials (SO_PEERCRED) — a
// daemon whose socket is served by uid 0 is rootful, even when the socket
// was handed to the user. Only an endpoint without peer credentials (tcp)
// costs one more request: /info (Docker) or /libpod/info (Podman); so does a
// peer of uid 0 seen from inside a user namespace (devfix in a container of
// a rootless daemon, its socket mounted), where the daemon's root may be the
// user.
func Connect(ctx context.Context, eps []Endpoint, timeout time.Duration) (*Daemon, error) {
	if timeout <= 0 {
		timeout = time.Second
	}
	if len(eps) == 0 {
		return nil, errors.New("no daemon socket found")
	}
	var errs []string
	for _, ep := range eps {
		d, err := connect(ctx, ep, timeout, readSelfUIDMap)
		if err == nil {
			return d, nil
		}
		errs = append(errs, fmt.Sprintf("%s (%s): %v", ep.Host, ep.Source, err))
	}
	return nil, fmt.Errorf("no daemon answered: %s", strings.Join(errs, "; "))
}

// connect is Connect for one endpoint; selfUIDMap reads this process's
// /proc/self/uid_map (asked only when the peer is uid 0).
func connect(ctx context.Context, ep Endpoint, timeout time.Duration, selfUIDMap func() ([]byte, error)) (*Daemon, error) {
	u, err := client.ParseHostURL(ep.Host)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "ssh" {
		// The docker CLI runs `ssh … docker system dial-stdio` for these;
		// the Engine API client alone cannot.
		return nil, errors.New("ssh:// endpoints are not supported: point DOCKER_HOST at a unix socket or tcp://, or forward the remote socket with ssh -L")
	}
	var ping pingHeaders
	opts := []client.Opt{client.WithHost(ep.Host), client.WithHTTPResponseHook(ping.record)}
	var peer *peerDialer
	if u.Scheme == "unix" {
		// After WithHost, which sets the transport's own unix dialer.
		peer = &peerDialer{path: u.Host}
		opts = append(opts, client.WithDialContext(peer.dial))
	}
	c, err := client.New(opts...)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err = c.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		c.Close()
		return nil, shortError(err)
	}
	h := ping.get()
	d := &Daemon{Endpoint: ep, client: c}
	d.Kind, d.Version = kindFromPing(h)
	if peer != nil {
		if uid, pid, err := peer.cred(); err == nil {
			if rootless, from, ok := rootlessFromPeer(uid, pid, selfUIDMap); ok {
				d.Rootless, d.RootlessFrom = rootless, from
				return d, nil
			}
		}
	}
	if err := d.rootlessFromDaemon(pctx, u, h); err != nil {
		c.Close()
		return nil, shortError(err)
	}
	return d, nil
}

// rootlessFromPeer tells rootlessness from the uid and pid of the process
// serving the socket, as this process's user namespace sees them: a daemon
// served by uid 0 is rootful, any other rootless. ok is false when that does
// not tell: the peer is uid 0 and this process runs in a user namespace (its
// uid_map is not the identity map), where uid 0 may be a rootless daemon's
// root, that is, the user — the daemon must say.
func rootlessFromPeer(uid, pid int, selfUIDMap func() ([]byte, error)) (rootless bool, from string, ok bool) {
	if uid != 0 {
		return true, fmt.Sprintf("the socket is served by uid %d (pid %d), not root", uid, pid), true
	}
	if inUserNamespace(selfUIDMap) {
		return false, "", false
	}
	return false, fmt.Sprintf("the socket is served by root (pid %d)", pid), true
}

// inUserNamespace reports whether this process runs in a user namespace of
// its own: its uid_map is not the initial namespace's identity map
// ("0 0 4294967295"). A map that cannot be read (no /proc, not Linux) says
// no.
func inUserNamespace(selfUIDMap func() ([]byte, error)) bool {
	b, err := selfUIDMap()
	if err != nil {
		return false
	}
	return strings.Join(strings.Fields(string(b)), " ") != "0 0 4294967295"
}

func readSelfUIDMap() ([]byte, error) { return os.ReadFile("/proc/self/uid_map") }

// rootlessFromDaemon asks a daemon whose peer credentials do not tell
// whether it is rootless. Docker says name=rootless in /info; Podman's /info
// does not (4.3.1), its own /libpod/info does.
func (d *Daemon) rootlessFromDaemon(ctx context.Context, u *url.URL, h http.Header) error {
	if d.Kind == Podman && (u.Scheme == "tcp" || u.Scheme == "unix") {
		rootless, err := libpodRootless(ctx, u, h.Get("Libpod-Api-Version"))
		if err != nil {
			return err
		}
		d.Rootless = rootless
		d.RootlessFrom = fmt.Sprintf("/libpod/info says rootless: %v", rootless)
		return nil
	}
	info, err := d.Info(ctx)
	if err != nil {
		return err
	}
	d.Rootless = hasRootlessOption(info.SecurityOptions)
	if d.Rootless {
		d.RootlessFrom = "/info security options include name=rootless"
	} else {
		d.RootlessFrom = "/info security options lack name=rootless"
	}
	return nil
}

// libpodRootless asks Podman's /libpod/info, over tcp or its unix socket.
func libpodRootless(ctx context.Context, u *url.URL, version string) (bool, error) {
	if version == "" {
		version = "4.0.0"
	}
	hc, base := http.DefaultClient, "http://"+u.Host+u.Path
	if u.Scheme == "unix" {
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", u.Host)
		}}
		defer tr.CloseIdleConnections()
		hc, base = &http.Client{Transport: tr}, "http://podman"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v"+version+"/libpod/info", nil)
	if err != nil {
		return false, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("/libpod/info: %s", resp.Status)
	}
	var info struct {
		Host struct {
			Security struct {
				Rootless bool `json:"rootless"`
			} `json:"security"`
		} `json:"host"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return false, fmt.Errorf("/libpod/info: %w", err)
	}
	return info.Host.Security.Rootless, nil
}

// Info returns the daemon's /info, asked once and kept.
func (d *Daemon) Info(ctx context.Context) (Info, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.info == nil {
		res, err := d.client.Info(ctx, client.InfoOptions{})
		if err != nil {
			return Info{}, fmt.Errorf("%s: /info: %w", d.Host, err)
		}
		d.info = &Info{CgroupDriver: res.Info.CgroupDriver, CgroupVersion: res.Info.CgroupVersion,
			DockerRootDir: res.Info.DockerRootDir, SecurityOptions: res.Info.SecurityOptions}
	}
	info := *d.info
	info.SecurityOptions = slices.Clone(info.SecurityOptions)
	return info, nil
}

// Close releases the client.
func (d *Daemon) Close() error { return d.client.Close() }

// kindFromPing tells Podman from Docker by the ping's headers: Podman's
// service answers with Libpod-Api-Version and "Server: Libpod/4.3.1 (linux)",
// Docker with "Server: Docker/20.10.24+dfsg1 (linux)".
func kindFromPing(h http.Header) (Kind, string) {
	product, version := serverHeader(h.Get("Server"))
	if libpod := h.Get("Libpod-Api-Version"); libpod != "" || strings.EqualFold(product, "libpod") {
		if version == "" {
			version = libpod
		}
		return Podman, version
	}
	return Docker, version
}

// serverHeader splits "Docker/20.10.24+dfsg1 (linux)" into its product and
// version.
func serverHeader(s string) (product, version string) {
	first, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	product, version, _ = strings.Cut(first, "/")
	return product, version
}

// hasRootlessOption reports whether the daemon's security options include
// name=rootless (each option is CSV: "name=seccomp,profile=default").
func hasRootlessOption(securityOptions []string) bool {
	for _, opt := range securityOptions {
		fields, err := csv.NewReader(strings.NewReader(opt)).Read()
		if err != nil {
			continue
		}
		if slices.Contains(fields, "name=rootless") {
			return true
		}
	}
	return false
}

// shortError drops the client's long advice from connection errors.
func shortError(err error) error {
	var pe *os.SyscallError
	if errors.As(err, &pe) {
		return pe
	}
	return err
}

// pingHeaders keeps the headers of the last /_ping response.
type pingHeaders struct {
	mu sync.Mutex
	h  http.Header
}

func (p *pingHeaders) record(resp *http.Response) {
	if resp.Request == nil || !strings.HasSuffix(resp.Request.URL.Path, "/_ping") {
		return
	}
	p.mu.Lock()
	p.h = resp.Header.Clone()
	p.mu.Unlock()
}

func (p *pingHeaders) get() http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.h == nil {
		return http.Header{}
	}
	return p.h
}

// peerDialer dials a unix socket and keeps the peer credentials of the last
// connection it made.
type peerDialer struct {
	path string

	mu       sync.Mutex
	dialled  bool
	uid, pid int
	err      error
}

func (p *peerDialer) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", p.path)
	if err != nil {
		return nil, err
	}
	uid, pid, err := peerCred(c)
	p.mu.Lock()
	p.dialled, p.uid, p.pid, p.err = true, uid, pid, err
	p.mu.Unlock()
	return c, nil
}

func (p *peerDialer) cred() (uid, pid int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.dialled {
		return -1, 0, errNoPeerCred
	}
	return p.uid, p.pid, p.err
}
