package devcontainer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"
)

// Findings in compose files name them as devcontainer.json is named: from
// the folder the user gave; fixes still read and re-read them.
func TestComposePathsAsGiven(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "ws", ".devcontainer"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "ws", ".devcontainer", "devcontainer.json"),
		[]byte(`{"dockerComposeFile": "compose.yml", "service": "app", "remoteUser": "root", "updateRemoteUserUID": false}`), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "ws", ".devcontainer", "compose.yml"),
		[]byte("services:\n  app:\n    build: .\n    privileged: true\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "ws", ".devcontainer", "Dockerfile"), []byte("FROM debian:12\nUSER node\n"), 0o644))
	t.Chdir(dir)
	ctx := context.Background()
	for _, path := range []string{filepath.Join("ws", ".devcontainer", "devcontainer.json"), filepath.Join(dir, "ws", ".devcontainer", "devcontainer.json")} {
		o := &Options{Fs: afero.NewOsFs(), Images: fakeImages{"debian:12": {}}, RootlessSocket: "/run/user/1000/docker.sock"}
		c, err := Load(ctx, o.Fs, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Join(filepath.Dir(path), "compose.yml")
		wantPaths := map[string]string{
			rulePrivileged.ID:    want,
			ruleDockerSocket.ID:  want,
			ruleContainerUser.ID: filepath.Join(filepath.Dir(path), "Dockerfile"),
		}
		res := Lint(ctx, c, o)
		for _, d := range res.Diagnostics {
			if d.Path() != wantPaths[d.RuleID] {
				t.Errorf("%s: finding in %s, want %s: %s", path, d.Path(), wantPaths[d.RuleID], d)
			}
			delete(wantPaths, d.RuleID)
		}
		if len(wantPaths) > 0 {
			t.Errorf("%s: no finding of %v", path, wantPaths)
		}
		fixed, err := FixConfig(ctx, c, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(fixed.Files) != 2 || fixed.Files[1].File.Path != want || !fixed.Files[1].Changed() {
			var got []string
			for _, fc := range fixed.Files {
				got = append(got, fmt.Sprintf("%s (changed: %v)", fc.File.Path, fc.Changed()))
			}
			t.Fatalf("%s: fixed files %q, want %s changed", path, got, want)
		}
		for _, d := range fixed.Final.Diagnostics {
			if d.RuleID == ruleDockerSocket.ID {
				t.Errorf("%s: the socket fix was not seen by the next round: %s", path, d)
			}
		}
	}
}
