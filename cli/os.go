package cli

import (
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
	"github.com/devfix/devfix/engine"
	"github.com/devfix/devfix/internal/run"
	"github.com/devfix/devfix/mounts"
	"github.com/devfix/devfix/shellenv"
	"github.com/spf13/afero"
)

// OSEnv is the real world: the process's streams, the OS filesystem and
// environment, the container engine found the way the docker CLI (or
// VS Code's dockerPath) finds it, and helper programs run by argv. Nothing
// here costs more than a stat: the user's name (which may ask a directory
// server), /proc and the engine are read when a command first needs them.
func OSEnv() *Env {
	env := &Env{
		Stdout: os.Stdout, Stderr: os.Stderr,
		Fs: afero.NewOsFs(), LookupEnv: os.LookupEnv, Run: run.Argv, LookPath: exec.LookPath,
		ProcRoot: "/proc", Owner: mounts.StatOwner,
		Access: func(p string) error { return syscall.Access(p, 2) }, // W_OK
		Connect: func(ctx context.Context, eps []engine.Endpoint) (*engine.Daemon, error) {
			return engine.Connect(ctx, eps, 2*time.Second)
		},
	}
	env.WorkDir, _ = os.Getwd()
	env.UID, env.GID = int64(os.Getuid()), int64(os.Getgid())
	env.NameUser = func() string {
		return userName(context.Background(), os.Getuid(), user.LookupId, env.Run, env.LookupEnv)
	}
	disc := env.discovery()
	env.RootlessSocket = disc.RootlessSocket()
	env.PodmanSocket = disc.PodmanSocket()
	env.connectEngines()
	env.Host = &osHost{env: env}
	return env
}

// getentTimeout bounds the passwd lookup through NSS (an SSSD or LDAP
// server that does not answer).
const getentTimeout = 5 * time.Second

// userName names the user uid: os/user, which in the static build (no cgo)
// reads /etc/passwd alone; else `getent passwd <uid>` by argv, which asks
// NSS and so finds SSSD, LDAP and extrausers users; else $USER.
func userName(ctx context.Context, uid int, lookupID func(string) (*user.User, error), runner run.Runner, lookupEnv func(string) (string, bool)) string {
	id := strconv.Itoa(uid)
	if u, err := lookupID(id); err == nil && u.Username != "" {
		return u.Username
	}
	ctx, cancel := context.WithTimeout(ctx, getentTimeout)
	defer cancel()
	if e, ok := shellenv.Getent(ctx, runner, id); ok && e.Name != "" {
		return e.Name
	}
	name, _ := lookupEnv("USER")
	return name
}

// connectEngines wires Engine to the engine package's pool of lazy
// connections, found the way the docker CLI (or, for Podman, its socket and
// CLI) finds them.
func (env *Env) connectEngines() {
	noLayers, _ := env.lookup("DEVFIX_NO_LAYERS")
	pool := &engine.Pool{Discovery: env.discovery(), PodmanSocket: env.PodmanSocket,
		Connect: env.connect, LookPath: env.lookPath, Run: env.Run, NoLayers: noLayers == "1"}
	env.Engine = func(kind devcontainer.Engine) devcontainer.Images { return pool.Get(kind) }
}

// osHost answers host questions from /proc, /etc/subuid and getfacl. The
// UID map is looked up once, and only when a rule asks; in the live map of a
// rootless Docker daemon only when one may run (finding it may mean a scan
// of /proc), else in the subordinate ranges, as Podman maps.
type osHost struct {
	env     *Env
	mapOnce sync.Once
	maps    mounts.Maps
	mapErr  error
}

func (h *osHost) User() (int64, string) { return h.env.UID, h.env.userName() }

func (h *osHost) IDMap() (mounts.IDMap, string, error) {
	h.mapOnce.Do(func() {
		ctx := context.Background()
		if h.env.rootlessDockerMayRun() {
			h.maps, h.mapErr = mounts.LookupMaps(ctx, h.env.Fs, h.env.procRoot(), h.env.who(), h.env.Run)
		} else {
			h.maps, h.mapErr = mounts.SubIDMaps(ctx, h.env.Fs, h.env.who(), h.env.Run)
		}
	})
	return h.maps.UID, h.maps.Source, h.mapErr
}

func (h *osHost) ACL(path string) (devcontainer.ACL, error) {
	out, err := h.env.Run(context.Background(), []string{"getfacl", "--absolute-names", "--omit-header", "--numeric", "--", path})
	if err != nil {
		return nil, fmt.Errorf("getfacl: %v", err)
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
