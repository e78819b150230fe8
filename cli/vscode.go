package cli

import "github.com/devfix/devfix/internal/vscode"

// vscodeDockerPath is VS Code's dev.containers.dockerPath and the settings
// file that set it.
func (env *Env) vscodeDockerPath() (string, string) {
	return vscode.DockerPath(env.Fs, env.home())
}

// ide checks VS Code's side: its settings and its running servers.
func (d doctor) ide() []check { return nil }
