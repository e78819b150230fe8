package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/engine"
	"github.com/devfix/devfix/internal/fserr"
	"github.com/devfix/devfix/internal/run"
	"github.com/devfix/devfix/internal/subid"
	"github.com/devfix/devfix/internal/vscode"
	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
)

// Env is everything the CLI touches. A nil or zero field means absent: no
// files, no variables, no engine, no program, no answer; never the real
// machine. OSEnv fills in the real OS; tests build theirs with testEnv.
// An Env serves one run: what it reads once (the docker context, VS Code's
// dockerPath, the unprivileged port start, the user's name) it keeps.
// Every method of Env is in this file (connectEngines, which makes the
// engine connections, is in os.go).
type Env struct {
	Stdout, Stderr io.Writer
	// Fs holds every file devfix reads or writes (nil: none).
	Fs        afero.Fs
	LookupEnv func(string) (string, bool)
	// Engine returns the connection to the engine of a kind, made on first
	// use; nil (or a nil result) means none is reachable.
	Engine func(kind devcontainer.Engine) devcontainer.Images
	// Host answers host questions (UID map, ACLs, owners); nil skips the
	// checks that need it.
	Host devcontainer.Host
	// UID and GID are the host user running devfix.
	UID, GID int64
	// UserName is that user's name. When it is "", NameUser (if set) names
	// the user on first use: OSEnv's may ask a directory server (getent),
	// which a command that never needs the name does not wait for.
	UserName string
	NameUser func() string
	// ProcRoot is where /proc is in Fs ("" means /proc).
	ProcRoot string
	// Owner reads file owners (nil: owners are unknown).
	Owner mounts.Owner
	// Access checks write access to path as the user (nil: unknown, an
	// error).
	Access func(path string) error
	// RootlessSocket is the user's rootless Docker socket, PodmanSocket its
	// Podman API socket ("" if none).
	RootlessSocket, PodmanSocket string
	// PortStart is net.ipv4.ip_unprivileged_port_start; 0 means read it
	// from ProcRoot on first use (unreadable: the kernel's default, 1024).
	PortStart int
	// Run runs a helper program by argv and returns its standard output
	// (nil: none runs).
	Run run.Runner
	// LookPath finds a program on PATH (nil: not found).
	LookPath func(string) (string, error)
	// WorkDir is the working directory ("" when unknown), for diff paths
	// and the .devfix.jsonc of commands that take no path.
	WorkDir string
	// HostRoot prefixes the host's files that `host` reads and writes
	// (/etc/subuid, login.defs, sssd.conf, the PAM profile): "" is /.
	HostRoot string
	// Connect connects to an engine's API (nil: none connects).
	Connect func(ctx context.Context, eps []engine.Endpoint) (*engine.Daemon, error)

	lazy *envOnce
}

// envOnce holds what a run reads once, on first use.
type envOnce struct {
	user     sync.Once
	userName string

	disc      sync.Once
	discovery engine.Discovery

	dockerPath                      sync.Once
	dockerPathValue, dockerPathFrom string

	port   sync.Once
	portN  int
	portOK bool
}

// once is the Env's store of what is read once. Run makes it before any
// command starts, so goroutines a command starts share it.
func (env *Env) once() *envOnce {
	if env.lazy == nil {
		env.lazy = &envOnce{}
	}
	return env.lazy
}

// errAbsent is the answer of a capability the Env does not have.
var errAbsent = errors.New("not available here")

func (env *Env) connect(ctx context.Context, eps []engine.Endpoint) (*engine.Daemon, error) {
	if env.Connect == nil {
		return nil, fmt.Errorf("no engine connection: %w", errAbsent)
	}
	return env.Connect(ctx, eps)
}

// userName is the host user's name: UserName, else NameUser's answer (asked
// once), else "".
func (env *Env) userName() string {
	if env.UserName != "" || env.NameUser == nil {
		return env.UserName
	}
	l := env.once()
	l.user.Do(func() { l.userName = env.NameUser() })
	return l.userName
}

func (env *Env) who() mounts.Who {
	xdg, _ := env.lookup("XDG_RUNTIME_DIR")
	return mounts.Who{UID: env.UID, GID: env.GID, Name: env.userName(), XDGRuntimeDir: xdg}
}

func (env *Env) lookup(k string) (string, bool) {
	if env.LookupEnv == nil {
		return "", false
	}
	return env.LookupEnv(k)
}

// lookPath finds a program on PATH through Env.LookPath (none: not found).
func (env *Env) lookPath(name string) (string, error) {
	if env.LookPath == nil {
		return "", exec.ErrNotFound
	}
	return env.LookPath(name)
}

// owner reads a file's owner through Env.Owner (none: unknown).
func (env *Env) owner(fi fs.FileInfo) (uid, gid int64, ok bool) {
	if env.Owner == nil {
		return 0, 0, false
	}
	return env.Owner(fi)
}

// access checks write access through Env.Access (none: an error).
func (env *Env) access(path string) error {
	if env.Access == nil {
		return fmt.Errorf("%s: write access: %w", path, errAbsent)
	}
	return env.Access(path)
}

func (env *Env) procRoot() string {
	if env.ProcRoot == "" {
		return "/proc"
	}
	return env.ProcRoot
}

// portStart is net.ipv4.ip_unprivileged_port_start: Env.PortStart, else
// read from ProcRoot once a run (lint and doctor ask); false when unknown.
func (env *Env) portStart() (int, bool) {
	if env.PortStart != 0 {
		return env.PortStart, true
	}
	l := env.once()
	l.port.Do(func() {
		if b, err := afero.ReadFile(env.Fs, env.procRoot()+"/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
			l.portN, err = strconv.Atoi(strings.TrimSpace(string(b)))
			l.portOK = err == nil
		}
	})
	return l.portN, l.portOK
}

func (env *Env) home() string {
	if h, ok := env.lookup("HOME"); ok && h != "" {
		return h
	}
	return "/"
}

// rootlessDockerMayRun reports whether a rootless Docker daemon may serve
// the user, so that its RootlessKit child, whose live map is the one to
// trust, is worth looking for (without dockerd-rootless.sh's child_pid file
// that means reading the status of every process): a rootless Docker socket
// is in one of its usual places, or DOCKER_HOST or the docker context names
// a daemon that is not Podman's. A Podman user has none of these; neither
// does a rootless Docker user whose daemon is not there to be found.
func (env *Env) rootlessDockerMayRun() bool {
	if env.RootlessSocket != "" {
		return true
	}
	host, _ := env.lookup("DOCKER_HOST")
	if host == "" {
		cur, err := env.discovery().CurrentContext()
		if err != nil {
			return true // a broken context: look, as before
		}
		host = cur.Host
	}
	return host != "" && !engine.IsPodmanHost(host)
}

// discovery finds the daemon's endpoints; it reads the docker context once
// a run, for every question (detection, connections, doctor).
func (env *Env) discovery() engine.Discovery {
	l := env.once()
	l.disc.Do(func() {
		l.discovery = engine.Discovery{Fs: env.Fs, LookupEnv: env.LookupEnv, UID: int(env.UID), Home: env.home()}.ReadOnce()
	})
	return l.discovery
}

// detectEngine decides which engine the user's dev containers run on.
func (env *Env) detectEngine(ctx context.Context) engine.Detection {
	in := engine.DetectInput{Discovery: env.discovery(), Run: env.Run, LookPath: env.LookPath}
	in.DockerPath, in.DockerPathFrom = env.vscodeDockerPath()
	return engine.Detect(ctx, in)
}

// vscodeDockerPath is VS Code's dev.containers.dockerPath and the settings
// file that set it, read once a run (detection and doctor ask).
func (env *Env) vscodeDockerPath() (string, string) {
	l := env.once()
	l.dockerPath.Do(func() { l.dockerPathValue, l.dockerPathFrom = vscode.DockerPath(env.Fs, env.home()) })
	return l.dockerPathValue, l.dockerPathFrom
}

// diffPath names a file in a diff so that git apply takes it: relative to
// the working directory when the file is under it, else to the repository.
func (env *Env) diffPath(path, root string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.ToSlash(path)
	}
	if wd := env.WorkDir; wd != "" {
		if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
	}
	if rel, err := filepath.Rel(root, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(strings.TrimPrefix(abs, "/"))
}

// repoRoot is the repository a config belongs to: the nearest folder upward
// holding .git, else the folder the user named (arg) — for a config file
// named, the folder it belongs to (the parent of .devcontainer/) —
// resolved through symbolic links.
func (env *Env) repoRoot(configPath, arg string) string {
	root, ok := devcontainer.RepoRoot(env.Fs, filepath.Dir(configPath))
	if !ok {
		root = arg
		if fi, err := env.Fs.Stat(arg); err == nil && !fi.IsDir() {
			root = devcontainer.LocalFolder(arg)
		}
	}
	if r, err := realPath(env.Fs, root); err == nil {
		return r
	}
	abs, _ := filepath.Abs(root)
	return abs
}

// writeTarget is where a write to path lands (through symbolic links), or an
// error when that is outside root (what names it: "the repository"): devfix
// never writes outside the repository, whatever a link in it says.
func (env *Env) writeTarget(path, root, what string) (string, error) {
	target, err := realPath(env.Fs, path)
	if err != nil {
		return "", devcontainer.DescribeFileError(env.Fs, path, err)
	}
	if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		if fi, lerr := mounts.Lstat(env.Fs, path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("%s: a symbolic link to %s, outside %s %s: not written", path, target, what, root)
		}
		return "", fmt.Errorf("%s: resolves to %s, outside %s %s: not written", path, target, what, root)
	}
	return target, nil
}

// writeInRepo writes data to path atomically, but only inside the
// repository that holds start.
func (env *Env) writeInRepo(path string, data []byte, start string) error {
	return env.writeInside(path, data, env.repoRoot(path, start), "the repository")
}

// writeInHome writes a file of the user's atomically, but only inside the
// home folder.
func (env *Env) writeInHome(path string, data []byte) error {
	root, err := realPath(env.Fs, env.home())
	if err != nil {
		root = env.home()
	}
	return env.writeInside(path, data, root, "your home")
}

// writeInside writes data to path atomically, creating missing folders, when
// its real place is inside root; nothing is created otherwise.
func (env *Env) writeInside(path string, data []byte, root, what string) error {
	target, err := env.writeTarget(path, root, what)
	if err != nil {
		return err
	}
	if err := env.Fs.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("%s: %w", path, fserr.Cause(err))
	}
	return writeAtomic(env.Fs, env.UID, path, target, data)
}

// hostPaths places the host's files under HostRoot.
func (env *Env) hostPaths() subid.Paths { return subid.Paths{Root: env.HostRoot} }

// getentPath finds getent by absolute path in Fs: a PAM session has no
// PATH.
func (env *Env) getentPath() string {
	return subid.GetentPath(func(p string) bool {
		if env.Fs == nil {
			return false
		}
		fi, err := env.Fs.Stat(p)
		return err == nil && !fi.IsDir()
	})
}
