// Package vscode knows VS Code's side of a dev container host: where its
// settings files are (local user settings of Code, Insiders, VSCodium and
// the Flatpak, and Remote-SSH's machine settings), what devfix reads and
// writes in them, and the VS Code servers running for the user.
package vscode

import (
	"path/filepath"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/spf13/afero"
)

// MachineSettings are Remote-SSH's machine settings files under home, which
// win over the laptop's user settings.
func MachineSettings(home string) []string {
	return []string{
		filepath.Join(home, ".vscode-server", "data", "Machine", "settings.json"),
		filepath.Join(home, ".vscode-server-insiders", "data", "Machine", "settings.json"),
	}
}

// UserSettings are the local user settings files of the VS Code builds.
func UserSettings(home string) []string {
	return []string{
		filepath.Join(home, ".config", "Code", "User", "settings.json"),
		filepath.Join(home, ".config", "Code - Insiders", "User", "settings.json"),
		filepath.Join(home, ".config", "VSCodium", "User", "settings.json"),
		filepath.Join(home, ".var", "app", "com.visualstudio.code", "config", "Code", "User", "settings.json"),
	}
}

// DockerPath returns dev.containers.dockerPath from the first settings file
// that sets it (machine settings first), and that file's path. A file that
// does not parse is passed over.
func DockerPath(fs afero.Fs, home string) (value, from string) {
	for _, p := range append(MachineSettings(home), UserSettings(home)...) {
		data, err := afero.ReadFile(fs, p)
		if err != nil {
			continue
		}
		doc, err := jsonc.Parse(p, data)
		if err != nil {
			continue
		}
		if v := doc.Root().Get("dev.containers.dockerPath"); v.Kind() == jsonc.String && v.Str() != "" {
			return v.Str(), p
		}
	}
	return "", ""
}
