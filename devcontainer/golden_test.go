package devcontainer

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devfix/devfix/engine"
	"github.com/devfix/devfix/mounts"
	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata/rules")

// caseOptions is the optional <case>.opts.json next to a golden input.
type caseOptions struct {
	Strategy       Strategy                `json:"strategy"`
	Engine         Engine                  `json:"engine"`
	PodmanSocket   string                  `json:"podmanSocket"`
	RootlessSocket string                  `json:"rootlessSocket"`
	PortStart      int                     `json:"portStart"`
	Daemon         *DaemonFacts            `json:"daemon"`
	Images         map[string]engine.Image `json:"images"`
	Env            map[string]string       `json:"env"`
	Host           *fakeHost               `json:"host"`
}

// fakeImages is an ImageInspector over a map; a nil map means no daemon.
type fakeImages map[string]engine.Image

func (f fakeImages) InspectImage(_ context.Context, ref string) (engine.Image, error) {
	info, ok := f[ref]
	info.Found = ok
	return info, nil
}

// ReadImageFile serves /etc/passwd and /etc/group from the image's labels
// "test.passwd" and "test.group".
func (f fakeImages) ReadImageFile(_ context.Context, ref, path string) ([]byte, error) {
	info, ok := f[ref]
	if !ok {
		return nil, fmt.Errorf("no such image: %s", ref)
	}
	if data, ok := info.Labels["test"+strings.ReplaceAll(path, "/etc/", ".")]; ok {
		return []byte(data), nil
	}
	return nil, fmt.Errorf("%s: no such file in image %s", path, ref)
}

// fakeDaemon is fakeImages plus daemon facts.
type fakeDaemon struct {
	fakeImages
	facts DaemonFacts
}

func (f fakeDaemon) DaemonFacts(context.Context) (DaemonFacts, error) { return f.facts, nil }

// fakeHost is a Host from test data.
type fakeHost struct {
	UID    int64          `json:"uid"`
	Name   string         `json:"name"`
	UIDMap string         `json:"uidMap"`
	ACLs   map[string]ACL `json:"acls"`
	NoDirs bool           `json:"noDirs"`
	// Owners maps paths relative to the case folder to their owner; -1 means
	// missing. Unlisted paths are the user's.
	Owners  map[string]int64 `json:"owners"`
	baseDir string
}

func (h *fakeHost) User() (int64, string) { return h.UID, h.Name }
func (h *fakeHost) IDMap() (mounts.IDMap, string, error) {
	m, err := mounts.ParseIDMap(h.UIDMap)
	return m, "test uid_map", err
}
func (h *fakeHost) ACL(path string) (ACL, error) {
	rel, _ := filepath.Rel(h.baseDir, path)
	return h.ACLs[filepath.ToSlash(rel)], nil
}
func (h *fakeHost) IsDir(path string) bool { return !h.NoDirs }
func (h *fakeHost) Owner(path string) (int64, error) {
	rel, _ := filepath.Rel(h.baseDir, path)
	if uid, ok := h.Owners[filepath.ToSlash(rel)]; ok {
		if uid < 0 {
			return 0, fs.ErrNotExist
		}
		return uid, nil
	}
	return h.UID, nil
}

func loadCase(t *testing.T, input string) *Options {
	o := &Options{Fs: afero.NewOsFs()}
	data, err := os.ReadFile(strings.TrimSuffix(input, ".jsonc") + ".opts.json")
	if os.IsNotExist(err) {
		return o
	}
	if err != nil {
		t.Fatal(err)
	}
	var co caseOptions
	if err := json.Unmarshal(data, &co); err != nil {
		t.Fatalf("%s.opts.json: %v", input, err)
	}
	o.Strategy, o.Engine, o.RootlessSocket, o.PodmanSocket, o.PortStart = co.Strategy, co.Engine, co.RootlessSocket, co.PodmanSocket, co.PortStart
	if co.Images != nil {
		o.Images = fakeImages(co.Images)
		if co.Daemon != nil {
			o.Images = fakeDaemon{fakeImages(co.Images), *co.Daemon}
		}
	}
	o.LookupEnv = func(k string) (string, bool) { v, ok := co.Env[k]; return v, ok }
	if co.Host != nil {
		co.Host.baseDir, _ = filepath.Abs(filepath.Dir(input))
		o.Host = co.Host
	}
	return o
}

// formatResult renders diagnostics and notes as the CLI's text output does,
// with the case folder's absolute path replaced by $DIR.
func formatResult(res Result, dir string) string {
	var b strings.Builder
	for _, d := range res.Diagnostics {
		fix := ""
		if len(d.Fixes) > 0 {
			fix = " (fix: " + d.Fixes[0].Message + ")"
		}
		line, col := d.Position()
		sev := ""
		if d.Severity != SeverityError {
			sev = d.Severity.String() + ": "
		}
		fmt.Fprintf(&b, "%s:%d:%d: %s%s [%s]%s\n", filepath.Base(d.Path()), line, col, sev, d.Message, d.RuleID, fix)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	abs, _ := filepath.Abs(dir)
	return strings.ReplaceAll(b.String(), abs, "$DIR")
}

func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("../testdata/rules/*/*.jsonc")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no golden cases found in ../testdata/rules")
	}
	for _, input := range inputs {
		if strings.HasSuffix(input, ".fixed.jsonc") {
			continue
		}
		name := strings.TrimPrefix(input, "../testdata/rules/")
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			o := loadCase(t, input)
			data, err := os.ReadFile(input)
			if err != nil {
				t.Fatal(err)
			}
			c, err := Load(ctx, o.Fs, input, o.LookupEnv)
			if err != nil {
				t.Fatal(err)
			}
			got := formatResult(Lint(ctx, c, o), filepath.Dir(input))
			fixed, err := FixConfig(ctx, c, o)
			if err != nil {
				t.Fatal(err)
			}
			wantPath := strings.TrimSuffix(input, ".jsonc") + ".want"
			fixedPath := strings.TrimSuffix(input, ".jsonc") + ".fixed.jsonc"
			// The other files a fix changed (compose files): each beside
			// its golden, NAME.fixed.EXT.
			others := map[string][]byte{}
			for _, fc := range fixed.Files[1:] {
				ext := filepath.Ext(fc.File.Path)
				golden := strings.TrimSuffix(fc.File.Path, ext) + ".fixed" + ext
				if fc.Changed() {
					others[golden] = fc.New
				} else if _, err := os.Stat(golden); err == nil && !*update {
					t.Errorf("%s: expected a change, but the fix left %s as it was", golden, fc.File.Path)
				}
				checkYAMLKept(t, fc.File.Bytes(), fc.New)
			}
			if *update {
				must(t, os.WriteFile(wantPath, []byte(got), 0o644))
				must(t, os.WriteFile(fixedPath, fixed.Output, 0o644))
				for p, data := range others {
					must(t, os.WriteFile(p, data, 0o644))
				}
				return
			}
			for p, data := range others {
				want, err := os.ReadFile(p)
				if err != nil {
					t.Fatalf("%v (run go test ./devcontainer -run TestGolden -update)", err)
				}
				if diff := cmp.Diff(string(want), string(data)); diff != "" {
					t.Errorf("fixed %s (-want +got):\n%s", p, diff)
				}
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run go test ./devcontainer -run TestGolden -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
			wantFixed, err := os.ReadFile(fixedPath)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(wantFixed), string(fixed.Output)); diff != "" {
				t.Errorf("fixed file (-want +got):\n%s", diff)
			}
			checkFixInvariants(t, c, data, fixed, o)
			// Each fix is applied once: a round reads the files as the
			// rounds before left them.
			first := map[string]int{}
			for _, d := range Lint(ctx, c, o).Diagnostics {
				if len(d.Fixes) > 0 && len(d.Fixes[0].Edits) > 0 {
					first[d.Fixes[0].Message]++
				}
			}
			applied := map[string]int{}
			for _, f := range fixed.Applied {
				if len(f.Edits) > 0 {
					applied[f.Message]++
				}
			}
			for m, n := range applied {
				if n > max(first[m], 1) {
					t.Errorf("fix %q applied %d times, found %d times", m, n, first[m])
				}
			}
		})
	}
}

// checkYAMLKept: a fix of a compose file keeps every comment line and
// changes no line but the ones it must (here: fewer than three).
func checkYAMLKept(t *testing.T, before, after []byte) {
	t.Helper()
	bl, al := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	if len(bl) != len(al) {
		t.Errorf("the fix added or removed lines of a compose file")
		return
	}
	changed := 0
	for i := range bl {
		if bl[i] != al[i] {
			changed++
			if strings.HasPrefix(strings.TrimSpace(bl[i]), "#") {
				t.Errorf("a comment line changed: %q → %q", bl[i], al[i])
			}
		}
	}
	if changed > 2 {
		t.Errorf("the fix changed %d lines of a compose file", changed)
	}
}

// checkFixInvariants: the fixed file parses, keeps every comment, adds no
// trailing comma, and a second fix changes nothing.
func checkFixInvariants(t *testing.T, c *Config, before []byte, fixed FixResult, o *Options) {
	t.Helper()
	path := c.Path
	after := fixed.Output
	if _, err := Parse(path, after); err != nil {
		t.Fatalf("fixed file does not parse: %v", err)
	}
	for _, cm := range comments(t, before) {
		if !bytes.Contains(after, []byte(cm)) {
			t.Errorf("comment lost: %q", cm)
		}
	}
	if n, m := countTrailingCommas(t, before), countTrailingCommas(t, after); m > n {
		t.Errorf("fix added trailing commas: %d before, %d after", n, m)
	}
	// Read the fixed files again, all of them (compose files too), as a
	// second apply would.
	files := map[string][]byte{}
	for _, fc := range fixed.Files {
		files[c.readPath(fc.File)] = fc.New
	}
	c2, err := Load(context.Background(), overlay(o.Fs, files), path, o.LookupEnv)
	if err != nil {
		t.Fatalf("the fixed files do not load: %v", err)
	}
	again, err := FixConfig(context.Background(), c2, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, fc := range again.Files {
		if !bytes.Equal(fc.New, fixed.Files[i].New) {
			t.Errorf("second fix changed %s:\n%s", fc.File.Path, cmp.Diff(string(fixed.Files[i].New), string(fc.New)))
		}
	}
	for _, d := range Lint(context.Background(), c2, o).Diagnostics {
		if len(d.Fixes) > 0 && len(d.Fixes[0].Edits) > 0 && d.RuleID != ruleUnusedIgnore.ID {
			t.Errorf("fixable finding left after fix: %s [%s]", d.Message, d.RuleID)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// missingHost is a host where nothing exists.
type missingHost struct{ *fakeHost }

func (missingHost) Owner(string) (int64, error) { return 0, fs.ErrNotExist }
func (missingHost) ACL(path string) (ACL, error) {
	return nil, fmt.Errorf("getfacl: %s: No such file or directory", path)
}

// One cause, one finding: a bind of a missing /var/run/docker.sock is the
// socket rule's, not also bind-source's, nor (strategy acl) a getfacl error.
func TestOneCauseOneFinding(t *testing.T) {
	cfg := `{"image": "debian:12", "remoteUser": "vscode", "updateRemoteUserUID": false,
  "mounts": ["source=/var/run/docker.sock,target=/var/run/docker.sock,type=bind", "source=/srv/data,target=/data,type=bind"]}`
	for _, s := range []Strategy{StrategyRoot, StrategyACL} {
		c, err := Parse("one.json", []byte(cfg))
		if err != nil {
			t.Fatal(err)
		}
		o := &Options{Strategy: s, RootlessSocket: "/run/user/1000/docker.sock",
			Images: fakeImages{"debian:12": {Labels: map[string]string{"test.passwd": "vscode:x:1000:1000::/home/vscode:/bin/sh\n"}}},
			Host:   missingHost{&fakeHost{UID: 1000, Name: "dev", UIDMap: "0 1000 1\n1 100000 65536"}}}
		res := Lint(context.Background(), c, o)
		var socket, bind []string
		for _, d := range res.Diagnostics {
			if strings.Contains(d.Message, "docker.sock") {
				socket = append(socket, d.RuleID)
			}
			if d.RuleID == "bind-source" && strings.Contains(d.Message, "/srv/data") {
				bind = append(bind, d.Message)
			}
		}
		if len(socket) != 1 || socket[0] != "docker-socket-mount" {
			t.Errorf("%s: findings about the socket: %v, want one from docker-socket-mount", s, socket)
		}
		if len(bind) != 1 {
			t.Errorf("%s: bind-source: %v, want one about /srv/data", s, bind)
		}
		for _, n := range res.Notes {
			if strings.Contains(n, "getfacl") {
				t.Errorf("%s: a getfacl note for a missing source: %s", s, n)
			}
		}
	}
}
