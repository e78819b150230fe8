package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/aymanbagabas/go-udiff"
	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/engine"
	"github.com/devfix/devfix/internal/fserr"
	"github.com/devfix/devfix/internal/hostcheck"
	"github.com/devfix/devfix/internal/vscode"
	"github.com/devfix/devfix/shellenv"
	"github.com/spf13/afero"
	"github.com/spf13/pflag"
)

func shellenvCommand() command {
	return command{
		name: "shellenv", summary: "print (or --install) what your engine needs: DOCKER_HOST, DEVFIX_* variables",
		about: `Prints the lines that point the shell at your rootless engine and set the
variables configs fixed with --strategy env read:
  rootless Docker: DOCKER_HOST, DEVFIX_REMOTE_USER=root, DEVFIX_CONTAINER_USER=root,
                   DEVFIX_DOCKER_SOCKET (your socket, for socket mounts)
  rootless Podman: nothing where the CLI's own keep-id and UID update work for you;
                   for a host UID your subordinate range cannot hold (a domain user)
                   DEVFIX_USERNS=--userns=keep-id:uid=1000,gid=1000 and
                   DEVFIX_REMOTE_USER=1000 (the official images' user is 1000:1000);
                   DEVFIX_DOCKER_SOCKET when Podman's API socket runs
--install writes them, as a managed block, into the startup files the shell VS Code
starts (-i -l -c) really reads, then starts each of those shells the same way and
checks that they arrive. It also writes the VS Code settings files you have (local
Code, Insiders, VSCodium, Flatpak, and Remote-SSH's machine settings): for Docker
DOCKER_HOST under "containers.environment" and "docker.environment", for Podman
"dev.containers.dockerPath": "podman" — comments and your other settings kept, each
member devfix adds marked so --uninstall takes out exactly that. --diff shows every
change and writes nothing. A VS Code server that is already running keeps its old
environment: restart it (devfix doctor says which).`,
		examples: []string{`eval "$(devfix shellenv)"`, "devfix shellenv --shell fish | source", "devfix shellenv --install --diff   # what --install would change", "devfix shellenv --install      # shells and VS Code settings, for local and Remote-SSH", "devfix shellenv --context      # local VS Code: a docker context named rootless"},
		setup: func(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
			var f shellenvFlags
			fs.StringVar(&f.shell, "shell", "", "sh, bash, zsh or fish (default: your login shell)")
			engineFlag(fs, &f.engine)
			fs.BoolVar(&f.install, "install", false, "write the lines into your shell startup files and verify them")
			fs.BoolVar(&f.uninstall, "uninstall", false, "remove what --install wrote")
			fs.BoolVar(&f.context, "context", false, "create (if needed) and select a docker CLI context \"rootless\" instead (Docker only)")
			fs.BoolVar(&f.diff, "diff", false, "with --install or --uninstall: print every change instead of writing it")
			return func(ctx context.Context, env *Env, args []string) int {
				return runShellenv(ctx, env, f, args)
			}
		},
	}
}

type shellenvFlags struct {
	shell, engine                     string
	install, uninstall, context, diff bool
}

func runShellenv(ctx context.Context, env *Env, f shellenvFlags, args []string) int {
	n := 0
	for _, b := range []bool{f.install, f.uninstall, f.context} {
		if b {
			n++
		}
	}
	if n > 1 || len(args) > 0 {
		fmt.Fprintln(env.Stderr, "devfix shellenv: --install, --uninstall and --context exclude each other, and it takes no arguments")
		return ExitBadInput
	}
	if f.shell != "" && f.shell != "sh" && f.shell != "bash" && f.shell != "zsh" && f.shell != "fish" {
		fmt.Fprintf(env.Stderr, "devfix shellenv: --shell: unknown shell %q (want sh, bash, zsh or fish)\n", f.shell)
		return ExitBadInput
	}
	if f.diff && !f.install && !f.uninstall {
		fmt.Fprintln(env.Stderr, "devfix shellenv: --diff goes with --install or --uninstall")
		return ExitBadInput
	}
	if f.uninstall {
		code := uninstallBlocks(env, f.diff)
		return max(code, editSettings(env, f.diff, "took out what devfix had added", vscode.Uninstall))
	}
	s := newSession(env, lintFlags{engine: f.engine})
	if err := s.flags.validate(); err != nil {
		fmt.Fprintf(env.Stderr, "devfix shellenv: %v\n", err)
		return ExitBadInput
	}
	// The engine lint decides for configs here: .devfix.jsonc counts.
	st, err := s.settingsHere()
	if err != nil {
		fmt.Fprintf(env.Stderr, "devfix shellenv: %v\n", err)
		return ExitBadInput
	}
	kind, why := s.engineFor(ctx, st)
	vars, err := engineVars(ctx, env, kind)
	if err != nil {
		fmt.Fprintf(env.Stderr, "devfix shellenv: %v\n", err)
		return ExitFindings
	}
	if f.context {
		if kind != devcontainer.EngineDocker {
			fmt.Fprintf(env.Stderr, "devfix shellenv: --context is for Docker; your engine is %s (%s)\n", kind, why)
			return ExitBadInput
		}
		return useContext(ctx, env, strings.TrimPrefix(vars.dockerHost, "unix://"))
	}
	login := shellenv.DetectLoginShell(ctx, env.Fs, env.Run, env.LookupEnv, env.userName())
	if f.install {
		fmt.Fprintf(env.Stdout, "engine %s: %s\n", kind, why)
		want := hostcheck.VSCodeWant(kind, vars.dockerHost)
		code := editSettings(env, f.diff, "wrote what VS Code needs", func(path string, data []byte) ([]byte, bool, error) {
			return vscode.Install(path, data, want)
		})
		if len(vars.literal) == 0 {
			fmt.Fprintln(env.Stdout, "shell startup files: nothing to set (the Dev Containers CLI's own keep-id works for you)")
			return code
		}
		return max(code, installBlocks(ctx, env, login, vars, f.shell, f.diff))
	}
	if len(vars.literal) == 0 {
		fmt.Fprintf(env.Stderr, "devfix shellenv: nothing to set for %s (%s): the Dev Containers CLI's own keep-id works for you\n", kind, why)
		return ExitOK
	}
	kindOf := f.shell
	if kindOf == "" {
		kindOf = shellenv.Kind(login.Effective)
	}
	for _, v := range vars.literal {
		if kindOf == "fish" {
			fmt.Fprintf(env.Stdout, "set -gx %s %s;\n", v.Name, shellenv.Quote("fish", v.Value))
		} else {
			fmt.Fprintf(env.Stdout, "export %s=%s;\n", v.Name, shellenv.Quote("sh", v.Value))
		}
	}
	return ExitOK
}

// shellVars are the variables for one engine: literal (to print) and for
// startup files (where /run/user/<uid> is written with $(id -u), so one
// dotfile works for every user and machine).
type shellVars struct {
	literal, block []shellenv.Var
	dockerHost     string // "" under Podman
}

func (sv *shellVars) add(name, literal, block, fish string) {
	sv.literal = append(sv.literal, shellenv.Var{Name: name, Value: literal})
	sv.block = append(sv.block, shellenv.Var{Name: name, Value: block, FishValue: fish})
}

func (sv *shellVars) addLiteral(name, value string) {
	sv.add(name, value, shellenv.Quote("sh", value), shellenv.Quote("fish", value))
}

// engineVars works out what the user's shells need for the engine.
func engineVars(ctx context.Context, env *Env, kind devcontainer.Engine) (*shellVars, error) {
	sv := &shellVars{}
	if kind == devcontainer.EnginePodman {
		if arg, remote := podmanUserns(env); arg != "" {
			sv.addLiteral(devcontainer.EnvUserns, arg)
			sv.addLiteral(devcontainer.EnvRemoteUser, remote)
		}
		if env.PodmanSocket != "" {
			sv.addLiteral(devcontainer.EnvDockerSocket, env.PodmanSocket)
		}
		return sv, nil
	}
	sock, err := rootlessDaemon(ctx, env)
	if err != nil {
		return nil, err
	}
	sv.dockerHost = "unix://" + sock
	if sock == fmt.Sprintf("/run/user/%d/docker.sock", env.UID) {
		sv.add("DOCKER_HOST", sv.dockerHost, `"unix:///run/user/$(id -u)/docker.sock"`, `"unix:///run/user/"(id -u)"/docker.sock"`)
		sv.add(devcontainer.EnvDockerSocket, sock, `"/run/user/$(id -u)/docker.sock"`, `"/run/user/"(id -u)"/docker.sock"`)
	} else {
		sv.addLiteral("DOCKER_HOST", sv.dockerHost)
		sv.addLiteral(devcontainer.EnvDockerSocket, sock)
	}
	sv.addLiteral(devcontainer.EnvRemoteUser, "root")
	sv.addLiteral(devcontainer.EnvContainerUser, "root")
	return sv, nil
}

// podmanUserns is the runArg the env strategy's DEVFIX_USERNS gives a Podman
// user: none when the CLI's own keep-id and UID update give the image user
// the host UID (the subordinate range holds it); else keep-id with the
// official images' user 1000:1000, and that user, numeric, as the remote
// user (a numeric remote user skips the UID update that fails).
func podmanUserns(env *Env) (arg, remoteUser string) {
	if env.Host != nil {
		if m, _, err := env.Host.IDMap(); err == nil && devcontainer.UIDUpdateFits(env.UID, m) {
			return "", ""
		}
	}
	return "--userns=keep-id:uid=1000,gid=1000", "1000"
}

// rootlessDaemon finds the user's rootless socket and asks it whether it is
// rootless.
func rootlessDaemon(ctx context.Context, env *Env) (string, error) {
	sock := env.RootlessSocket
	if sock == "" {
		return "", errors.New("no rootless Docker socket found ($XDG_RUNTIME_DIR/docker.sock, /run/user/<uid>/docker.sock, ~/.docker/run/docker.sock): start your rootless daemon (dockerd-rootless.sh), then run this again")
	}
	d, err := env.connect(ctx, []engine.Endpoint{{Host: "unix://" + sock, Source: sock}})
	if err != nil {
		return "", fmt.Errorf("the daemon at %s does not answer: %v", sock, err)
	}
	defer d.Close()
	if !d.Rootless {
		return "", fmt.Errorf("the daemon at %s is not rootless (%s)", sock, d.RootlessFrom)
	}
	return sock, nil
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

func installBlocks(ctx context.Context, env *Env, login shellenv.LoginShell, vars *shellVars, forced string, diff bool) int {
	code := ExitOK
	home := env.home()
	kinds := installTargets(login, forced)
	done := map[string]bool{}
	for _, kind := range kinds {
		for _, path := range shellenv.StartupFiles(env.Fs, home, kind) {
			if done[path] {
				continue
			}
			done[path] = true
			old, err := afero.ReadFile(env.Fs, path)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(env.Stderr, "%s: %v\n", path, fserr.Cause(err))
				code = ExitBadInput
				continue
			}
			if err == nil {
				if fi, serr := env.Fs.Stat(path); serr == nil {
					if uid, _, ok := env.owner(fi); ok && uid != env.UID {
						fmt.Fprintf(env.Stderr, "%s: owned by uid %d, not by you: not touching it\n", path, uid)
						code = ExitBadInput
						continue
					}
				}
			}
			updated := shellenv.SetBlock(string(old), shellenv.Block(kind, vars.block))
			if updated == string(old) {
				fmt.Fprintf(env.Stdout, "%s: up to date\n", path)
				continue
			}
			if diff {
				fmt.Fprint(env.Stdout, udiff.Unified(path, path, string(old), updated))
				continue
			}
			if err := env.writeInHome(path, []byte(updated)); err != nil {
				fmt.Fprintln(env.Stderr, err)
				code = ExitBadInput
				continue
			}
			fmt.Fprintf(env.Stdout, "%s: wrote the devfix block\n", path)
		}
	}
	if code != ExitOK || diff {
		return code
	}
	return verifyShells(ctx, env, kinds, vars.literal[0])
}

// verifyShells starts each shell as VS Code does and checks the first
// variable arrived.
func verifyShells(ctx context.Context, env *Env, kinds []string, want shellenv.Var) int {
	code := ExitOK
	for _, kind := range kinds {
		shell := kind
		if kind == "sh" {
			shell = "/bin/sh"
		} else if p, err := env.lookPath(kind); err == nil {
			shell = p
		} else {
			fmt.Fprintf(env.Stdout, "%s: not installed here, not verified\n", kind)
			continue
		}
		clean := []string{"HOME=" + env.home(), "USER=" + env.userName(), "LOGNAME=" + env.userName(),
			"PATH=/usr/local/bin:/usr/bin:/bin", "TERM=dumb", "SHELL=" + shell}
		res := shellenv.Probe(ctx, shell, clean, want.Name, 10*time.Second)
		switch {
		case res.Err != nil && res.Value == "":
			fmt.Fprintf(env.Stdout, "verify: %s -i -l -c: failed: %v\n", shell, res.Err)
			code = ExitFindings
		case res.Value == want.Value:
			fmt.Fprintf(env.Stdout, "verify: %s -i -l -c sees %s=%s\n", shell, want.Name, res.Value)
		default:
			fmt.Fprintf(env.Stdout, "verify: %s -i -l -c sees %s=%q, want %q\n", shell, want.Name, res.Value, want.Value)
			code = ExitFindings
		}
	}
	return code
}

func uninstallBlocks(env *Env, diff bool) int {
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
		if diff {
			fmt.Fprint(env.Stdout, udiff.Unified(path, path, string(old), updated))
			continue
		}
		if strings.HasSuffix(path, "devfix.fish") && strings.TrimSpace(updated) == "" {
			err = env.Fs.Remove(path)
		} else {
			err = env.writeInHome(path, []byte(updated))
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
		if _, err := env.Run(ctx, []string{"docker", "context", "create", "rootless", "--docker", "host=unix://" + sock, "--description", "Rootless mode"}); err != nil {
			fmt.Fprintf(env.Stderr, "devfix shellenv: docker context create: %v\n", err)
			return ExitFindings
		}
	}
	if _, err := env.Run(ctx, []string{"docker", "context", "use", "rootless"}); err != nil {
		fmt.Fprintf(env.Stderr, "devfix shellenv: docker context use: %v\n", err)
		return ExitFindings
	}
	fmt.Fprintf(env.Stdout, "docker context \"rootless\" (unix://%s) is selected; the docker CLI, and so Dev Containers in a local VS Code, use it when DOCKER_HOST is unset\n", sock)
	return ExitOK
}
