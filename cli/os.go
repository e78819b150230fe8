package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/mounts"
	"github.com/devfix/devfix/shellenv"
	"github.com/spf13/afero"
)

// OSEnv is the real world: the process's streams, the OS filesystem and
// environment, the Docker daemon found the way the docker CLI finds it, and
// helper programs run by argv.
func OSEnv() *Env {
	fsys := afero.NewOsFs()
	env := &Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Fs: fsys, LookupEnv: os.LookupEnv, Run: runArgv,
	}
	home, _ := os.UserHomeDir()
	disc := shellenv.Discovery{Fs: fsys, LookupEnv: os.LookupEnv, UID: os.Getuid(), Home: home}
	env.Images = &lazyDaemon{discovery: disc}
	env.UID, env.GID = int64(os.Getuid()), int64(os.Getgid())
	if u, err := user.LookupId(strconv.Itoa(os.Getuid())); err == nil {
		env.UserName = u.Username
	} else {
		env.UserName = os.Getenv("USER")
	}
	env.Host = &osHost{env: env}
	env.RootlessSocket = disc.RootlessSocket()
	if b, err := afero.ReadFile(fsys, "/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
		env.PortStart, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	return env
}

// runArgv runs a helper program by argv (never through a shell).
func runArgv(ctx context.Context, argv []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// lazyDaemon connects on the first image question, so configs that need no
// daemon never wait for one, and caches every answer.
type lazyDaemon struct {
	discovery shellenv.Discovery
	once      sync.Once
	daemon    *shellenv.Daemon
	err       error
	cache     map[string]devcontainer.ImageInfo
}

func (l *lazyDaemon) connect(ctx context.Context) error {
	l.once.Do(func() {
		eps, err := l.discovery.Endpoints()
		if err != nil {
			l.err = err
			return
		}
		if len(eps) == 0 {
			l.err = fmt.Errorf("no socket found; set DOCKER_HOST or start your rootless daemon")
			return
		}
		l.daemon, l.err = shellenv.Connect(ctx, eps, 2*time.Second)
	})
	return l.err
}

func (l *lazyDaemon) InspectImage(ctx context.Context, ref string) (devcontainer.ImageInfo, error) {
	if info, ok := l.cache[ref]; ok {
		return info, nil
	}
	if err := l.connect(ctx); err != nil {
		return devcontainer.ImageInfo{}, &devcontainer.NoDaemonError{Reason: err.Error()}
	}
	img, err := l.daemon.InspectImage(ctx, ref)
	if err != nil {
		return devcontainer.ImageInfo{}, err
	}
	info := devcontainer.ImageInfo{Found: img.Found, User: img.User, Labels: img.Labels}
	if l.cache == nil {
		l.cache = map[string]devcontainer.ImageInfo{}
	}
	l.cache[ref] = info
	return info, nil
}

// Daemon returns the connected daemon (connecting on first use).
func (l *lazyDaemon) Daemon(ctx context.Context) (*shellenv.Daemon, error) {
	if err := l.connect(ctx); err != nil {
		return nil, err
	}
	return l.daemon, nil
}

// DaemonFacts describes the daemon (connecting on first use).
func (l *lazyDaemon) DaemonFacts(ctx context.Context) (devcontainer.DaemonFacts, error) {
	if err := l.connect(ctx); err != nil {
		return devcontainer.DaemonFacts{}, &devcontainer.NoDaemonError{Reason: err.Error()}
	}
	return devcontainer.DaemonFacts{Rootless: l.daemon.Rootless, CgroupDriver: l.daemon.Info.CgroupDriver, CgroupVersion: l.daemon.Info.CgroupVersion}, nil
}

// osHost answers host questions from /proc, /etc/subuid and getfacl. The
// UID map is looked up once (it means a scan of /proc).
type osHost struct {
	env     *Env
	mapOnce sync.Once
	maps    mounts.Maps
	mapErr  error
}

func (h *osHost) User() (int64, string) { return h.env.UID, h.env.UserName }

func (h *osHost) IDMap() (mounts.IDMap, string, error) {
	h.mapOnce.Do(func() {
		h.maps, h.mapErr = mounts.LookupMaps(context.Background(), h.env.Fs, h.env.procRoot(), h.env.who(), mounts.Runner(h.env.Run))
	})
	return h.maps.UID, h.maps.Source, h.mapErr
}

func (h *osHost) ACL(path string) (devcontainer.ACL, error) {
	out, err := h.env.Run(context.Background(), []string{"getfacl", "--absolute-names", "--omit-header", "--numeric", "--", path})
	if err != nil {
		return nil, fmt.Errorf("getfacl: %v: %s", err, strings.TrimSpace(string(out)))
	}
	var acl devcontainer.ACL
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			acl = append(acl, line)
		}
	}
	return acl, nil
}

func (h *osHost) Owner(path string) (int64, error) {
	fi, err := h.env.Fs.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("%s: no owner information", path)
	}
	return int64(st.Uid), nil
}

func (h *osHost) IsDir(path string) bool {
	fi, err := h.env.Fs.Stat(path)
	return err == nil && fi.IsDir()
}
