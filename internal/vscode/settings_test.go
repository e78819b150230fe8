package vscode

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

func TestTargets(t *testing.T) {
	fsys := afero.NewMemMapFs()
	home := "/home/me"
	for _, p := range []string{
		home + "/.vscode-server/data/Machine/settings.json",
		home + "/.config/VSCodium/User/settings.json",
		home + "/.var/app/com.visualstudio.code/config/Code/User/settings.json",
	} {
		afero.WriteFile(fsys, p, []byte("{}"), 0o644)
	}
	fsys.MkdirAll(home+"/.config/Code/User/settings.json", 0o755) // a folder, not a file
	fsys.MkdirAll(home+"/.config/Code - Insiders/User", 0o755)    // an install without settings
	want := []string{
		home + "/.vscode-server/data/Machine/settings.json",
		home + "/.config/VSCodium/User/settings.json",
		home + "/.var/app/com.visualstudio.code/config/Code/User/settings.json",
	}
	if diff := cmp.Diff(want, Targets(fsys, home)); diff != "" {
		t.Errorf("Targets (-want +got):\n%s", diff)
	}
	if got := Targets(afero.NewMemMapFs(), home); got != nil {
		t.Errorf("no VS Code: %v", got)
	}
}

func TestDockerPath(t *testing.T) {
	fsys := afero.NewMemMapFs()
	home := "/home/me"
	afero.WriteFile(fsys, home+"/.vscode-server/data/Machine/settings.json", []byte(`{"a": `), 0o644) // does not parse: passed over
	afero.WriteFile(fsys, home+"/.config/Code/User/settings.json", []byte(`{"dev.containers.dockerPath": "podman"}`), 0o644)
	v, from := DockerPath(fsys, home)
	if v != "podman" || from != home+"/.config/Code/User/settings.json" {
		t.Errorf("DockerPath = %q, %q", v, from)
	}
}
