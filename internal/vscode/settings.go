// Package vscode knows VS Code's side of a dev container host: where its
// settings files are (local user settings of Code, Insiders, VSCodium and
// the Flatpak, and Remote-SSH's machine settings), what devfix reads and
// writes in them (edits as pure functions over bytes), the VS Code servers
// running for the user (read from a /proc tree), returned as data. Judging
// them is internal/hostcheck's (the doctor's checks).
//
// It knows nothing of shells, of Docker's API or of how files are written:
// it reads through the afero filesystem it is given; the CLI writes the
// edited files (atomically).
package vscode

import (
	"path/filepath"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/spf13/afero"
)

// machineSettings are Remote-SSH's machine settings files under home, which
// win over the laptop's user settings.
func machineSettings(home string) []string {
	return []string{
		filepath.Join(home, ".vscode-server", "data", "Machine", "settings.json"),
		filepath.Join(home, ".vscode-server-insiders", "data", "Machine", "settings.json"),
	}
}

// userSettings are the local user settings files of the VS Code builds.
func userSettings(home string) []string {
	return []string{
		filepath.Join(home, ".config", "Code", "User", "settings.json"),
		filepath.Join(home, ".config", "Code - Insiders", "User", "settings.json"),
		filepath.Join(home, ".config", "VSCodium", "User", "settings.json"),
		filepath.Join(home, ".var", "app", "com.visualstudio.code", "config", "Code", "User", "settings.json"),
	}
}

// Targets returns the settings files of the user's VS Code installs that
// exist, machine settings (Remote-SSH) first. devfix edits only these: it
// never creates a file or a folder of an install that is not there.
func Targets(fs afero.Fs, home string) []string {
	var out []string
	for _, p := range append(machineSettings(home), userSettings(home)...) {
		if fi, err := fs.Stat(p); err == nil && fi.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}

// DockerPath returns dev.containers.dockerPath from the first settings file
// that sets it (machine settings first), and that file's path. A file that
// does not parse is passed over.
func DockerPath(fs afero.Fs, home string) (value, from string) {
	for _, p := range append(machineSettings(home), userSettings(home)...) {
		data, err := afero.ReadFile(fs, p)
		if err != nil {
			continue
		}
		doc, err := jsonc.Parse(p, data)
		if err != nil {
			continue
		}
		if v := doc.Root().Get(keyDockerPath); v.Kind() == jsonc.String && v.Str() != "" {
			return v.Str(), p
		}
	}
	return "", ""
}

// Place is where a settings file sets DOCKER_HOST.
type Place struct {
	Path      string // the settings file
	Line, Col int    // where the value is
	Setting   string // "containers.environment" or "docker.environment"
}

// HostSetting is a DOCKER_HOST a settings file sets: its place and its
// value, or, when the value is not a string, the JSON it is (NotString).
type HostSetting struct {
	Place
	Value     string
	NotString string
}

// ReadDockerHosts reads the DOCKER_HOSTs a settings file sets under
// "containers.environment" and "docker.environment", in that order; an
// empty value is unset (the docker CLI uses its context) and left out. A
// file of only blanks and comments sets none; one that does not parse is
// the error, at its line and column.
func ReadDockerHosts(path string, data []byte) ([]HostSetting, error) {
	d, err := jsonc.Parse(path, data)
	if err != nil {
		if isTrivia(data) {
			return nil, nil
		}
		return nil, err
	}
	var out []HostSetting
	for _, key := range envKeys() {
		v := d.Root().Get(key).Get(varDockerHost)
		if !v.Exists() {
			continue
		}
		line, col := d.Position(v.Start())
		at := Place{Path: path, Line: line, Col: col, Setting: key}
		switch {
		case v.Kind() != jsonc.String:
			out = append(out, HostSetting{Place: at, NotString: v.Raw()})
		case v.Str() != "":
			out = append(out, HostSetting{Place: at, Value: v.Str()})
		}
	}
	return out, nil
}
