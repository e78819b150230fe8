package devcontainer

import (
	"context"
	"testing"

	"github.com/spf13/afero"
)

func TestDefaultStrategy(t *testing.T) {
	fs := afero.NewMemMapFs()
	files := map[string]string{
		"/plain/.devcontainer/devcontainer.json": `{"image": "debian:12", "remoteUser": "vscode"}`,
		"/env/.devcontainer/devcontainer.json":   `{"image": "debian:12", "remoteUser": "${localEnv:DEVFIX_REMOTE_USER:vscode}"}`,
	}
	for p, data := range files {
		afero.WriteFile(fs, p, []byte(data), 0o644)
	}
	for _, tt := range []struct {
		path   string
		engine Engine
		want   Strategy
		note   bool
	}{
		{"/plain/.devcontainer/devcontainer.json", EngineDocker, StrategyRoot, false},
		{"/plain/.devcontainer/devcontainer.json", "", StrategyRoot, false},
		{"/plain/.devcontainer/devcontainer.json", EnginePodman, StrategyKeepID, false},
		{"/env/.devcontainer/devcontainer.json", EngineDocker, StrategyEnv, true},
		{"/env/.devcontainer/devcontainer.json", EnginePodman, StrategyEnv, true},
	} {
		c, err := Load(context.Background(), fs, tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, note := DefaultStrategy(c, tt.engine)
		if got != tt.want || (note != "") != tt.note {
			t.Errorf("%s under %q: %q, note %q; want %q (note: %v)", tt.path, tt.engine, got, note, tt.want, tt.note)
		}
	}
}
