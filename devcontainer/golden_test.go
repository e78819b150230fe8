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

	"github.com/devfix/devfix/mounts"
	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata/rules")

// caseOptions is the optional <case>.opts.json next to a golden input.
type caseOptions struct {
	Strategy       Strategy             `json:"strategy"`
	Engine         Engine               `json:"engine"`
	PodmanSocket   string               `json:"podmanSocket"`
	RootlessSocket string               `json:"rootlessSocket"`
	PortStart      int                  `json:"portStart"`
	Daemon         *DaemonFacts         `json:"daemon"`
	Images         map[string]ImageInfo `json:"images"`
	Env            map[string]string    `json:"env"`
	Host           *fakeHost            `json:"host"`
}

// fakeImages is an ImageInspector over a map; a nil map means no daemon.
type fakeImages map[string]ImageInfo

func (f fakeImages) InspectImage(_ context.Context, ref string) (ImageInfo, error) {
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
			if *update {
				must(t, os.WriteFile(wantPath, []byte(got), 0o644))
				must(t, os.WriteFile(fixedPath, fixed.Output, 0o644))
				return
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
			checkFixInvariants(t, input, data, fixed.Output, o)
		})
	}
}

// checkFixInvariants: the fixed file parses, keeps every comment, adds no
// trailing comma, and a second fix changes nothing.
func checkFixInvariants(t *testing.T, path string, before, after []byte, o *Options) {
	t.Helper()
	c2, err := Parse(path, after)
	if err != nil {
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
	again, err := FixConfig(context.Background(), c2, o)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Output, after) {
		t.Errorf("second fix changed the file:\n%s", cmp.Diff(string(after), string(again.Output)))
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
