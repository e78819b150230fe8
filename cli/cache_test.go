package cli

import (
	"strings"
	"testing"

	"github.com/devfix/devfix/devcontainer"
	"github.com/devfix/devfix/engine/enginetest"
	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
)

// domainHost is a domain user's host: a UID above the subordinate range.
type domainHost struct{}

func (domainHost) User() (int64, string) { return 1551001108, "jdoe" }
func (domainHost) IDMap() (mounts.IDMap, string, error) {
	m, err := mounts.ParseIDMap("0 1551001108 1\n1 296608 65536")
	return m, "test", err
}
func (domainHost) ACL(string) (devcontainer.ACL, error) { return nil, nil }
func (domainHost) IsDir(string) bool                    { return true }
func (domainHost) Owner(string) (int64, error)          { return 1551001108, nil }

// Lint under the podman CLI reads the image's /etc/passwd once: the next
// run costs one `podman image inspect`; --no-cache and DEVFIX_NO_CACHE=1
// neither read nor write the cache; a cache that cannot be written (a file
// where its folder should be, as a full disk fails a write) changes nothing
// in what lint says. Every run reports the same.
func TestLintImageCache(t *testing.T) {
	podman := &enginetest.PodmanCLI{Images: map[string]enginetest.Image{"localhost/labbox:1": {ID: "sha256:5555", Files: map[string]string{
		"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nvscode:x:1000:1000::/home/vscode:/bin/sh\n",
		"/etc/group":  "root:x:0:\nvscode:x:1000:\n",
	}}}}
	cfg := "{\n  \"image\": \"localhost/labbox:1\",\n  \"remoteUser\": \"vscode\"\n}\n"
	env := memEnv(t, map[string]string{"/r/.devcontainer.json": cfg, "/home/jdoe/.cache": "a file, not a folder"})
	vars := map[string]string{"HOME": "/home/jdoe", "XDG_CACHE_HOME": "/home/jdoe/cache"}
	env.LookupEnv = func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	env.Run, env.Host = podman.Run, domainHost{}
	env.LookPath = func(name string) (string, error) { return "/usr/bin/" + name, nil }

	lint := func(args ...string) (result, []string) {
		t.Helper()
		env.connectEngines() // a fresh process
		before := len(podman.Calls())
		r := devfix(t, env, append(append([]string{"lint", "--engine", "podman"}, args...), "/r")...)
		var ran []string
		for _, argv := range podman.Calls()[before:] {
			ran = append(ran, argv[1])
		}
		if r.code != ExitFindings || !strings.Contains(r.stdout, `"--userns=keep-id:uid=1000,gid=1000"`) {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return r, ran
	}
	entries := func() int {
		names, _ := afero.Glob(env.Fs, "/home/jdoe/cache/devfix/images/*.json")
		return len(names)
	}

	cold, ran := lint()
	if strings.Join(ran, " ") != "image create cp rm" || entries() != 1 {
		t.Fatalf("cold run ran %q, %d entries; want one container and one cp (of /etc) for both files, and one entry", ran, entries())
	}
	if fi, err := env.Fs.Stat("/home/jdoe/cache/devfix"); err != nil || !fi.IsDir() {
		t.Fatalf("cache folder: %v", err)
	}
	warm, ran := lint()
	if strings.Join(ran, " ") != "image" {
		t.Errorf("warm run ran %q; want the inspect alone", ran)
	}
	if warm != cold {
		t.Errorf("the cache changed what lint says:\n%s\n----\n%s", cold.stdout, warm.stdout)
	}
	if _, ran := lint("--no-cache"); strings.Join(ran, " ") != "image create cp rm" {
		t.Errorf("--no-cache ran %q; want a container, as without a cache", ran)
	}
	vars["DEVFIX_NO_CACHE"] = "1"
	env.Fs.RemoveAll("/home/jdoe/cache")
	if _, ran := lint(); strings.Join(ran, " ") != "image create cp rm" || entries() != 0 {
		t.Errorf("DEVFIX_NO_CACHE=1 ran %q, %d entries", ran, entries())
	}
	delete(vars, "DEVFIX_NO_CACHE")
	delete(vars, "XDG_CACHE_HOME") // ~/.cache, where a file sits: every write fails
	if r, _ := lint(); r != cold {
		t.Errorf("with a cache that cannot be written:\n%s%s", r.stdout, r.stderr)
	}
}
