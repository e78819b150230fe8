package devcontainer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/source"
	"github.com/spf13/afero"
)

// corpusDir holds real devcontainer.json files from public repositories
// (see ../shared/corpus/README.md). It lives beside the repo, not in it.
const corpusDir = "../../shared/corpus"

func corpusFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join(corpusDir, "files", "*.jsonc"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("SKIPPED: no corpus at %s (it sits beside the repo in the project's shared folder)", corpusDir)
	}
	return files
}

// corpusHost maps vscode to a subuid, so the acl strategy has work to do.
func corpusOptions(s Strategy) *Options {
	o := &Options{Strategy: s}
	if s == StrategyACL {
		o.Host = &fakeHost{UID: 1000, Name: "dev", UIDMap: "0 1000 1\n1 100000 65536"}
	}
	return o
}

func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	ctx := context.Background()
	changed := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Parse(path, data)
		if err != nil {
			t.Errorf("parse: %v", err)
			continue
		}
		if !bytes.Equal(c.Bytes(), data) {
			t.Errorf("%s: Bytes() is not the input", path)
		}
		for _, s := range strategies() {
			o := corpusOptions(s)
			Lint(ctx, c, o)
			res, err := FixConfig(ctx, c, o)
			if err != nil {
				t.Errorf("%s (%s): %v", path, s, err)
				continue
			}
			if !bytes.Equal(res.Output, data) {
				changed++
			}
			t.Run(filepath.Base(path)+"/"+string(s), func(t *testing.T) {
				checkFixInvariants(t, c, data, res, o)
				if c.File().BOM != bytes.HasPrefix(res.Output, []byte("\xef\xbb\xbf")) {
					t.Error("BOM not kept")
				}
				if strings.Contains(string(data), "\r\n") && strings.Count(string(res.Output), "\n") != strings.Count(string(res.Output), "\r\n") {
					t.Error("a CRLF file got a bare LF")
				}
			})
		}
	}
	if changed == 0 {
		t.Error("no corpus file needed a fix: the rules are not running")
	}
}

func TestCorpusBroken(t *testing.T) {
	corpusFiles(t)
	path := filepath.Join(corpusDir, "broken", "0297.jsonc")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(path, data)
	pe, ok := err.(*source.Error)
	if !ok {
		t.Fatalf("want a *source.Error, got %v", err)
	}
	if pe.Line == 0 || pe.Col == 0 {
		t.Errorf("no position: %v", pe)
	}
	if strings.Contains(pe.Error(), "\n") || !strings.HasPrefix(pe.Error(), path+":") {
		t.Errorf("not one path:line:col line: %q", pe.Error())
	}
}

// TestCorpusRepos lints and fixes every corpus config inside its miniature
// repository (with its Dockerfiles, compose files and .env), for every
// strategy and both engines: each loads (or is the one broken file), every
// fix re-parses, keeps comments, and a second fix changes nothing — compose
// files included.
func TestCorpusRepos(t *testing.T) {
	corpusFiles(t)
	rows, err := os.ReadFile(filepath.Join(corpusDir, "repos", "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("SKIPPED: no corpus repos at %s/repos", corpusDir)
	}
	ctx := context.Background()
	var compose, loaded, notLoaded int
	for _, row := range strings.Split(strings.TrimSpace(string(rows)), "\n")[1:] {
		f := strings.Split(row, "\t")
		name := strings.TrimSuffix(f[0], ".jsonc")
		path := filepath.Join(corpusDir, "repos", name, f[2])
		if _, err := os.Stat(path); err != nil {
			continue
		}
		base := afero.NewReadOnlyFs(afero.NewOsFs())
		c, err := Load(ctx, base, path, nil)
		if name == "0297" {
			if err == nil {
				t.Errorf("%s: the broken config loaded", path)
			}
			continue
		}
		if err != nil {
			t.Errorf("load: %v", err)
			continue
		}
		data, _ := os.ReadFile(path)
		if c.compose != nil {
			compose++
			if c.compose.notLoaded != nil {
				notLoaded++
			} else {
				loaded++
			}
		}
		for _, e := range []Engine{EngineDocker, EnginePodman} {
			for _, s := range strategies() {
				o := corpusOptions(s)
				o.Fs, o.Engine = base, e
				res, err := FixConfig(ctx, c, o)
				if err != nil {
					t.Errorf("%s (%s, %s): %v", path, e, s, err)
					continue
				}
				t.Run(name+"/"+string(e)+"/"+string(s), func(t *testing.T) {
					checkFixInvariants(t, c, data, res, o)
				})
			}
		}
	}
	t.Logf("%d compose configs: %d loaded, %d not loadable here (noted)", compose, loaded, notLoaded)
	if compose < 50 || loaded < 45 {
		t.Errorf("only %d of %d compose configs loaded", loaded, compose)
	}
}

// TestCorpusOfflineUnknownIsNotAnError lints every corpus repository as a
// new user would, offline (no engine answers), under each engine with its
// default strategy: no finding that fails lint (error or warning) may rest
// on a user or UID-update fact devfix could not learn. The one exception is
// a UID too high for the subordinate range, which fails whatever the
// image's label says.
func TestCorpusOfflineUnknownIsNotAnError(t *testing.T) {
	corpusFiles(t)
	rows, err := os.ReadFile(filepath.Join(corpusDir, "repos", "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("SKIPPED: no corpus repos at %s/repos", corpusDir)
	}
	ctx := context.Background()
	hosts := map[string]*fakeHost{
		"regular": {UID: 1001, Name: "dev", UIDMap: "0 1001 1\n1 165536 65536"},
		"domain":  {UID: 1551001108, Name: "jdoe", UIDMap: "0 1551001108 1\n1 296608 65536"},
	}
	base := afero.NewReadOnlyFs(afero.NewOsFs())
	checked := map[string]int{}
	for _, row := range strings.Split(strings.TrimSpace(string(rows)), "\n")[1:] {
		f := strings.Split(row, "\t")
		path := filepath.Join(corpusDir, "repos", strings.TrimSuffix(f[0], ".jsonc"), f[2])
		c, err := Load(ctx, base, path, nil)
		if err != nil {
			continue // the broken one, or a file not copied
		}
		for _, e := range []Engine{EngineDocker, EnginePodman} {
			s := StrategyRoot
			if e == EnginePodman {
				s = StrategyKeepID
			}
			for hn, h := range hosts {
				o := &Options{Engine: e, Strategy: s, Fs: base, Host: h}
				res := Lint(ctx, c, o)
				for _, d := range res.Diagnostics {
					if d.Severity == SeverityInfo {
						continue
					}
					var unknown string
					fa := res.Facts
					switch d.RuleID {
					case ruleRemoteUser.ID, ruleACLWorkspace.ID, ruleACLGitSafeDirectory.ID:
						if !fa.Remote.Known {
							unknown = "the remote user"
						}
					case ruleContainerUser.ID:
						if !fa.Container.Known && !strings.Contains(d.Message, "runArgs") {
							unknown = "the container user"
						}
					case ruleUpdateRemoteUserUID.ID, rulePodmanKeepIDUID.ID:
						switch {
						case !fa.Remote.Known:
							unknown = "the remote user"
						case c.compose != nil:
							// No keep-id for compose: a non-root user is a
							// subordinate UID whatever the UID update does.
						case !fa.UpdateUIDKnown && !strings.Contains(d.Message, "higher than your subordinate range"):
							unknown = "the UID update"
						}
					}
					checked[d.RuleID]++
					if unknown != "" {
						t.Errorf("%s (%s, %s host): %s is unknown, yet a %s: %s", path, e, hn, unknown, d.Severity, d)
					}
				}
			}
		}
	}
	if checked[ruleRemoteUser.ID] == 0 || checked[rulePodmanKeepIDUID.ID] == 0 {
		t.Errorf("no user findings checked: %v", checked)
	}
}
