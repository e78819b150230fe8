package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path"
	"strings"
	"time"

	"github.com/devfix/devfix/internal/run"
	"github.com/moby/moby/client"
	"github.com/spf13/afero"
)

// DetectInput is what Detect looks at. Everything is injected: Detect reads
// no settings file and runs nothing but Run. An engine the user chose (a
// flag, devfix's settings) is the caller's to honour before it asks.
type DetectInput struct {
	// DockerPath is VS Code's dev.containers.dockerPath ("podman",
	// "/usr/bin/podman", a wrapper…); "" when unset. DockerPathFrom names
	// the settings file that set it.
	DockerPath     string
	DockerPathFrom string
	// Discovery gives DOCKER_HOST, the current docker context and the
	// rootless Docker socket.
	Discovery Discovery
	// LookPath finds a program on PATH; nil finds none (the caller passes
	// exec.LookPath: a test that forgets it never searches the machine).
	LookPath func(string) (string, error)
	// Run runs a program by argv and returns its output; nil runs none.
	// Detect runs only `<docker> -v`.
	Run run.Runner
	// Timeout bounds each `<docker> -v`; 0 means 2s.
	Timeout time.Duration
}

// Detection is the engine the user's dev containers run on, and why devfix
// thinks so.
type Detection struct {
	Kind   Kind
	Reason string // for people: "docker on PATH (/usr/bin/docker) is Podman's: …"
}

// Detect tells which engine the user's dev containers run on, the way the
// Dev Containers CLI would pick it, first answer wins:
//
//  1. VS Code's dev.containers.dockerPath: the CLI runs `<dockerPath> -v`
//     and takes Podman when the output says "podman";
//  2. a docker on PATH that is Podman's shim (`docker -v` says "podman");
//  3. DOCKER_HOST, else the current docker context: Podman when it points at
//     Podman's socket (…/podman/podman.sock), else Docker — the daemon the
//     docker CLI will use is named there;
//  4. a rootless Docker socket: Docker;
//  5. podman on PATH: Podman;
//  6. Docker.
func Detect(ctx context.Context, in DetectInput) Detection {
	lookPath := in.LookPath
	if lookPath == nil {
		lookPath = notFound
	}
	if in.DockerPath != "" {
		from := "dev.containers.dockerPath"
		if in.DockerPathFrom != "" {
			from += " in " + in.DockerPathFrom
		}
		isPodman, what, err := in.version(ctx, in.DockerPath)
		switch {
		case err == nil && isPodman:
			return Detection{Kind: Podman, Reason: fmt.Sprintf("%s is %q, and %s", from, in.DockerPath, what)}
		case err == nil:
			return Detection{Kind: Docker, Reason: fmt.Sprintf("%s is %q, and %s", from, in.DockerPath, what)}
		case saysPodman(path.Base(in.DockerPath)):
			return Detection{Kind: Podman, Reason: fmt.Sprintf("%s is %q (%s -v failed: %v)", from, in.DockerPath, in.DockerPath, err)}
		default:
			return Detection{Kind: Docker, Reason: fmt.Sprintf("%s is %q (%s -v failed: %v)", from, in.DockerPath, in.DockerPath, err)}
		}
	}
	if docker, err := lookPath("docker"); err == nil {
		if isPodman, what, err := in.version(ctx, docker); err == nil && isPodman {
			return Detection{Kind: Podman, Reason: fmt.Sprintf("docker on PATH (%s) is Podman's: %s", docker, what)}
		}
	}
	if h := in.Discovery.env("DOCKER_HOST"); h != "" {
		return hostDetection(h, "DOCKER_HOST")
	}
	if cur, err := in.Discovery.CurrentContext(); err == nil && cur.Host != "" {
		return hostDetection(cur.Host, fmt.Sprintf("docker context %q (from %s)", cur.Name, cur.From))
	}
	if sock := in.Discovery.RootlessSocket(); sock != "" {
		return Detection{Kind: Docker, Reason: fmt.Sprintf("a rootless Docker socket is at %s", sock)}
	}
	if podman, err := lookPath("podman"); err == nil {
		return Detection{Kind: Podman, Reason: fmt.Sprintf("no rootless Docker socket, and podman is on PATH (%s)", podman)}
	}
	return Detection{Kind: Docker, Reason: "nothing points at Podman"}
}

func hostDetection(host, from string) Detection {
	if IsPodmanHost(host) {
		return Detection{Kind: Podman, Reason: fmt.Sprintf("%s is %s, Podman's socket", from, host)}
	}
	return Detection{Kind: Docker, Reason: fmt.Sprintf("%s is %s, not Podman's socket", from, host)}
}

// IsPodmanHost reports whether a daemon address is a Podman API socket
// ($XDG_RUNTIME_DIR/podman/podman.sock, /run/podman/podman.sock, …).
func IsPodmanHost(host string) bool {
	u, err := client.ParseHostURL(host)
	if err != nil || u.Scheme != "unix" {
		return false
	}
	return path.Base(u.Host) == "podman.sock" || strings.Contains(u.Host, "/podman/")
}

// version tells what `<prog> -v` says: without running it when the program
// itself tells (a link to podman, a script that execs podman, a compiled
// program not named podman: lint must not pay a process per run), else by
// running it within the timeout; its first line.
func (in DetectInput) version(ctx context.Context, prog string) (podman bool, what string, err error) {
	if podman, what, known := in.fileSays(prog); known {
		return podman, what, nil
	}
	out, err := in.runVersion(ctx, prog)
	if err != nil {
		return false, "", err
	}
	return saysPodman(out), fmt.Sprintf("%s -v says %q", prog, out), nil
}

// fileSays reads what a program is from the file: a name (after symbolic
// links) or a script naming podman is Podman's shim; a compiled program
// (ELF) not named podman is not. known is false when only running it tells.
func (in DetectInput) fileSays(prog string) (podman bool, what string, known bool) {
	p := prog
	if !strings.Contains(p, "/") {
		lookPath := in.LookPath
		if lookPath == nil {
			lookPath = notFound
		}
		found, err := lookPath(p)
		if err != nil {
			return false, "", false
		}
		p = found
	}
	fsys := in.Discovery.fs()
	rd, okR := fsys.(afero.LinkReader)
	for hops := 0; okR && hops < 8; hops++ {
		target, err := rd.ReadlinkIfPossible(p)
		if err != nil {
			break
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(p), target)
		}
		p = target
	}
	if saysPodman(path.Base(p)) {
		return true, fmt.Sprintf("%s is podman itself (%s)", prog, p), true
	}
	f, err := fsys.Open(p)
	if err != nil {
		return false, "", false
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return false, fmt.Sprintf("%s is a compiled program not named podman (%s)", prog, p), true
	case bytes.HasPrefix(head, []byte("#!")) && saysPodman(string(head)):
		return true, fmt.Sprintf("%s is a script that runs podman (%s)", prog, p), true
	}
	return false, "", false
}

// runVersion runs `<prog> -v` within the timeout and returns its first line.
func (in DetectInput) runVersion(ctx context.Context, prog string) (string, error) {
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if in.Run == nil {
		return "", errors.New("no program runs here")
	}
	out, err := in.Run(ctx, []string{prog, "-v"})
	if err != nil {
		return "", err
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(first), nil
}

func saysPodman(s string) bool { return strings.Contains(strings.ToLower(s), "podman") }

func notFound(string) (string, error) { return "", exec.ErrNotFound }
