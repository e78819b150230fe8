package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/mounts"
	"github.com/devfix/devfix/shellenv"
	"github.com/spf13/afero"
	"github.com/spf13/pflag"
)

func shellenvUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintln(w, "Usage: devfix shellenv [--shell sh|bash|zsh|fish] [--install | --uninstall | --context]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Prints the lines that point the shell at your rootless Docker daemon:")
	fmt.Fprintln(w, "DOCKER_HOST, and DEVFIX_REMOTE_USER=root and DEVFIX_CONTAINER_USER=root (for")
	fmt.Fprintln(w, "configs fixed with --strategy env). --install writes them, as a managed block,")
	fmt.Fprintln(w, "into the startup files the shell VS Code starts (-i -l -c) really reads, then")
	fmt.Fprintln(w, "starts each of those shells the same way and checks that DOCKER_HOST arrives.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags:")
	fmt.Fprint(w, fs.FlagUsages())
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	fmt.Fprintln(w, `  eval "$(devfix shellenv)"`)
	fmt.Fprintln(w, "  devfix shellenv --shell fish | source")
	fmt.Fprintln(w, "  devfix shellenv --install      # for VS Code Remote-SSH")
	fmt.Fprintln(w, "  devfix shellenv --context      # local VS Code: a docker context named rootless")
}

type shellenvFlags struct {
	shell                       string
	install, uninstall, context bool
}

func runShellenv(ctx context.Context, env *Env, args []string) int {
	var f shellenvFlags
	fs := newFlagSet("shellenv", env.Stderr, shellenvUsage)
	fs.StringVar(&f.shell, "shell", "", "sh, bash, zsh or fish (default: your login shell)")
	fs.BoolVar(&f.install, "install", false, "write the lines into your shell startup files and verify them")
	fs.BoolVar(&f.uninstall, "uninstall", false, "remove what --install wrote")
	fs.BoolVar(&f.context, "context", false, "create (if needed) and select a docker CLI context \"rootless\" instead")
	if code, done := parseFlags(fs, args, env, shellenvUsage); done {
		return code
	}
	n := 0
	for _, b := range []bool{f.install, f.uninstall, f.context} {
		if b {
			n++
		}
	}
	if n > 1 || fs.NArg() > 0 {
		fmt.Fprintln(env.Stderr, "devfix shellenv: --install, --uninstall and --context exclude each other, and it takes no arguments")
		return ExitBadInput
	}
	if f.shell != "" && f.shell != "sh" && f.shell != "bash" && f.shell != "zsh" && f.shell != "fish" {
		fmt.Fprintf(env.Stderr, "devfix shellenv: --shell: unknown shell %q (want sh, bash, zsh or fish)\n", f.shell)
		return ExitBadInput
	}
	if f.uninstall {
		return uninstallBlocks(env)
	}
	sock, rootless, err := rootlessDaemon(ctx, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "devfix shellenv: %v\n", err)
		return ExitFindings
	}
	if f.context {
		return useContext(ctx, env, sock)
	}
	login := shellenv.DetectLoginShell(ctx, env.Fs, shellenv.Runner(env.Run), env.LookupEnv, env.UserName)
	if f.install {
		return installBlocks(ctx, env, login, sock, rootless, f.shell)
	}
	kind := f.shell
	if kind == "" {
		kind = shellenv.Kind(login.Effective)
	}
	for _, v := range literalVars(sock, rootless) {
		if kind == "fish" {
			fmt.Fprintf(env.Stdout, "set -gx %s %s;\n", v.Name, shellenv.Quote("fish", v.Value))
		} else {
			fmt.Fprintf(env.Stdout, "export %s=%s;\n", v.Name, shellenv.Quote("sh", v.Value))
		}
	}
	return ExitOK
}

// rootlessDaemon finds the user's rootless socket and asks the daemon
// whether it is rootless.
func rootlessDaemon(ctx context.Context, env *Env) (string, bool, error) {
	sock := env.RootlessSocket
	if sock == "" {
		return "", false, errors.New("no rootless Docker socket found ($XDG_RUNTIME_DIR/docker.sock, /run/user/<uid>/docker.sock, ~/.docker/run/docker.sock): start your rootless daemon (dockerd-rootless.sh), then run this again")
	}
	d, err := shellenv.Connect(ctx, []shellenv.Endpoint{{Host: "unix://" + sock, Source: sock}}, 2*time.Second)
	if err != nil {
		return "", false, fmt.Errorf("the daemon at %s does not answer: %v", sock, err)
	}
	defer d.Close()
	if !d.Rootless {
		return "", false, fmt.Errorf("the daemon at %s is not rootless", sock)
	}
	return sock, true, nil
}

func literalVars(sock string, rootless bool) []shellenv.Var {
	vars := []shellenv.Var{{Name: "DOCKER_HOST", Value: "unix://" + sock}}
	if rootless {
		vars = append(vars, shellenv.Var{Name: devcontainer.EnvRemoteUser, Value: "root"}, shellenv.Var{Name: devcontainer.EnvContainerUser, Value: "root"})
	}
	return vars
}

// blockVars are the variables for startup files: the socket under
// /run/user/<uid> is written with $(id -u), so one dotfile works for every
// user and machine.
func blockVars(env *Env, sock string, rootless bool) []shellenv.Var {
	host := shellenv.Var{Name: "DOCKER_HOST", Value: shellenv.Quote("sh", "unix://"+sock), FishValue: shellenv.Quote("fish", "unix://"+sock)}
	if sock == fmt.Sprintf("/run/user/%d/docker.sock", env.UID) {
		host.Value = `"unix:///run/user/$(id -u)/docker.sock"`
		host.FishValue = `"unix:///run/user/"(id -u)"/docker.sock"`
	}
	vars := []shellenv.Var{host}
	if rootless {
		for _, n := range []string{devcontainer.EnvRemoteUser, devcontainer.EnvContainerUser} {
			vars = append(vars, shellenv.Var{Name: n, Value: "root", FishValue: "root"})
		}
	}
	return vars
}

func (env *Env) home() string {
	if h, ok := env.lookup("HOME"); ok && h != "" {
		return h
	}
	return "/"
}

// installTargets are the shells (by kind) whose startup files get the block.
func installTargets(login shellenv.LoginShell, forced string) []string {
	kind := forced
	if kind == "" {
		kind = shellenv.Kind(login.Effective)
	}
	kinds := []string{kind}
	if kind != "sh" && login.FallsBackToSh() {
		kinds = append(kinds, "sh") // VS Code may start sh, which reads ~/.profile
	}
	return kinds
}

func installBlocks(ctx context.Context, env *Env, login shellenv.LoginShell, sock string, rootless bool, forced string) int {
	code := ExitOK
	home := env.home()
	kinds := installTargets(login, forced)
	owner := env.Owner
	if owner == nil {
		owner = mounts.StatOwner
	}
	done := map[string]bool{}
	for _, kind := range kinds {
		for _, path := range shellenv.StartupFiles(env.Fs, home, kind) {
			if done[path] {
				continue
			}
			done[path] = true
			old, err := afero.ReadFile(env.Fs, path)
			if err != nil && !errors.Is(err, afero.ErrFileNotFound) && !strings.Contains(err.Error(), "no such file") {
				fmt.Fprintf(env.Stderr, "%s: %v\n", path, err)
				code = ExitBadInput
				continue
			}
			if err == nil {
				if fi, serr := env.Fs.Stat(path); serr == nil {
					if uid, _, ok := owner(fi); ok && uid != env.UID {
						fmt.Fprintf(env.Stderr, "%s: owned by uid %d, not by you: not touching it\n", path, uid)
						code = ExitBadInput
						continue
					}
				}
			}
			updated := shellenv.SetBlock(string(old), shellenv.Block(kind, blockVars(env, sock, rootless)))
			if updated == string(old) {
				fmt.Fprintf(env.Stdout, "%s: up to date\n", path)
				continue
			}
			if err := env.Fs.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				fmt.Fprintf(env.Stderr, "%s: %v\n", path, err)
				code = ExitBadInput
				continue
			}
			if err := writeAtomic(env.Fs, path, []byte(updated)); err != nil {
				fmt.Fprintf(env.Stderr, "%s: %v\n", path, err)
				code = ExitBadInput
				continue
			}
			fmt.Fprintf(env.Stdout, "%s: wrote the devfix block\n", path)
		}
	}
	if code != ExitOK {
		return code
	}
	return verifyShells(ctx, env, kinds, "unix://"+sock)
}

// verifyShells starts each shell as VS Code does and checks DOCKER_HOST.
func verifyShells(ctx context.Context, env *Env, kinds []string, want string) int {
	code := ExitOK
	for _, kind := range kinds {
		shell := kind
		if kind == "sh" {
			shell = "/bin/sh"
		} else if p, err := exec.LookPath(kind); err == nil {
			shell = p
		} else {
			fmt.Fprintf(env.Stdout, "%s: not installed here, not verified\n", kind)
			continue
		}
		clean := []string{"HOME=" + env.home(), "USER=" + env.UserName, "LOGNAME=" + env.UserName,
			"PATH=/usr/local/bin:/usr/bin:/bin", "TERM=dumb", "SHELL=" + shell}
		res := shellenv.Probe(ctx, shell, clean, "DOCKER_HOST", 10*time.Second)
		switch {
		case res.Err != nil && res.Value == "":
			fmt.Fprintf(env.Stdout, "verify: %s -i -l -c: failed: %v\n", shell, res.Err)
			code = ExitFindings
		case res.Value == want:
			fmt.Fprintf(env.Stdout, "verify: %s -i -l -c sees DOCKER_HOST=%s\n", shell, res.Value)
		default:
			fmt.Fprintf(env.Stdout, "verify: %s -i -l -c sees DOCKER_HOST=%q, want %q\n", shell, res.Value, want)
			code = ExitFindings
		}
	}
	return code
}

func uninstallBlocks(env *Env) int {
	home := env.home()
	code := ExitOK
	for _, f := range []string{".bash_profile", ".bash_login", ".profile", ".zshenv", filepath.Join(".config", "fish", "conf.d", "devfix.fish")} {
		path := filepath.Join(home, f)
		old, err := afero.ReadFile(env.Fs, path)
		if err != nil {
			continue
		}
		updated := shellenv.RemoveBlock(string(old))
		if updated == string(old) {
			continue
		}
		if strings.HasSuffix(path, "devfix.fish") && strings.TrimSpace(updated) == "" {
			err = env.Fs.Remove(path)
		} else {
			err = writeAtomic(env.Fs, path, []byte(updated))
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n", path, err)
			code = ExitBadInput
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: removed the devfix block\n", path)
	}
	return code
}

// useContext creates and selects the docker CLI context "rootless", by argv.
func useContext(ctx context.Context, env *Env, sock string) int {
	if env.Run == nil {
		return ExitBadInput
	}
	if _, err := env.Run(ctx, []string{"docker", "context", "inspect", "rootless"}); err != nil {
		out, err := env.Run(ctx, []string{"docker", "context", "create", "rootless", "--docker", "host=unix://" + sock, "--description", "Rootless mode"})
		if err != nil {
			fmt.Fprintf(env.Stderr, "devfix shellenv: docker context create: %v: %s\n", err, strings.TrimSpace(string(out)))
			return ExitFindings
		}
	}
	out, err := env.Run(ctx, []string{"docker", "context", "use", "rootless"})
	if err != nil {
		fmt.Fprintf(env.Stderr, "devfix shellenv: docker context use: %v: %s\n", err, strings.TrimSpace(string(out)))
		return ExitFindings
	}
	fmt.Fprintf(env.Stdout, "docker context \"rootless\" (unix://%s) is selected; the docker CLI, and so Dev Containers in a local VS Code, use it when DOCKER_HOST is unset\n", sock)
	return ExitOK
}
