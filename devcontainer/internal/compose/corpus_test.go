package compose

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/source"
	"github.com/spf13/afero"
	"github.com/tailscale/hujson"
	"go.yaml.in/yaml/v4"
)

// corpusDir holds real repositories in miniature (see its README.md). It
// lives beside the repository, not in it.
const corpusDir = "../../../../shared/corpus"

type corpusEntry struct {
	id     string   // NNNN
	files  []string // absolute compose files, in dockerComposeFile order
	config string
}

// corpusCompose lists the corpus configs that name dockerComposeFile.
func corpusCompose(t testing.TB) []corpusEntry {
	t.Helper()
	manifest, err := os.Open(filepath.Join(corpusDir, "repos", "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("SKIPPED: no corpus at %s (it sits beside the repository in the project's shared folder): %v", corpusDir, err)
	}
	defer manifest.Close()
	var out []corpusEntry
	sc := bufio.NewScanner(manifest)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 4 || cols[0] == "file" || cols[3] == "unavailable" {
			continue
		}
		id := strings.TrimSuffix(cols[0], ".jsonc")
		config := filepath.Join(corpusDir, "repos", id, filepath.FromSlash(cols[2]))
		data, err := os.ReadFile(config)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		std, err := hujson.Standardize(data)
		if err != nil {
			continue // broken on purpose; the devcontainer package reports it
		}
		var c struct {
			DockerComposeFile json.RawMessage `json:"dockerComposeFile"`
		}
		if err := json.Unmarshal(std, &c); err != nil || len(c.DockerComposeFile) == 0 {
			continue
		}
		var names []string
		if err := json.Unmarshal(c.DockerComposeFile, &names); err != nil {
			var one string
			if err := json.Unmarshal(c.DockerComposeFile, &one); err != nil {
				t.Errorf("%s: dockerComposeFile %s", id, c.DockerComposeFile)
				continue
			}
			names = []string{one}
		}
		e := corpusEntry{id: id, config: config}
		for _, n := range names {
			abs, err := filepath.Abs(filepath.Join(filepath.Dir(config), n))
			if err != nil {
				t.Fatal(err)
			}
			e.files = append(e.files, abs)
		}
		if len(e.files) > 0 {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		t.Skipf("SKIPPED: no compose config in the corpus at %s", corpusDir)
	}
	return out
}

// corpusEnv is what the corpus is loaded with: an environment a dev
// container host has.
func corpusEnv(k string) (string, bool) {
	v, ok := map[string]string{"HOME": "/home/dev", "USER": "dev", "PWD": "/home/dev/src", "XDG_RUNTIME_DIR": "/run/user/1000"}[k]
	return v, ok
}

// corpusFailures are the configs whose compose files do not load, and
// the error; docker compose config fails on them the same way.
var corpusFailures = map[string]string{
	// The compose file is not in the repository: the template's
	// placeholder for the user's own file, or one initializeCommand writes.
	"0006": "docker-existing-docker-compose/docker-compose.yml: cannot read: no such file or directory",
	"0070": "docker-existing-docker-compose/docker-compose.yml: cannot read: no such file or directory",
	"0170": "docker-compose.auto-mounts.yml: cannot read: no such file or directory",
	// name: ${COMPOSE_PROJECT_NAME:?error} wants a .env the user copies
	// from a template (.env is not committed).
	"0097": "compose.yaml:1:7: error while interpolating name: required variable COMPOSE_PROJECT_NAME is missing a value: error",
	"0098": "compose.yaml:1:7: error while interpolating name: required variable COMPOSE_PROJECT_NAME is missing a value: error",
	// ${HF_HOME}:/home/ray/.cache/huggingface with HF_HOME unset.
	"0143": "docker-compose.yaml:97:9: invalid spec: :/home/ray/.cache/huggingface: empty section between colons",
	// The include's env_file is not in the corpus (it copies the env_file
	// of services, not of includes).
	"0287": ".devcontainer/default/compose.yaml:3:15: cannot read ", // …/environments/default.env: no such file or directory
}

func TestCorpus(t *testing.T) {
	entries := corpusCompose(t)
	ctx := context.Background()
	loaded := 0
	for _, e := range entries {
		p, err := Load(ctx, Options{Fs: afero.NewOsFs(), Files: e.files, LookupEnv: corpusEnv})
		if err != nil {
			var se *source.Error
			if !errors.As(err, &se) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s: not a one-line *source.Error: %v", e.id, err)
			}
			if want, ok := corpusFailures[e.id]; !ok || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v", e.id, err)
			}
			continue
		}
		if _, ok := corpusFailures[e.id]; ok {
			t.Errorf("%s: loads, but is listed as failing", e.id)
		}
		loaded++
		t.Run(e.id, func(t *testing.T) { checkProject(t, p) })
	}
	t.Logf("%d of %d compose configs loaded", loaded, len(entries))
}

// checkProject checks what holds for any project: everything the model
// has is located, the places are real nodes, edits re-parse, comments are
// comments.
func checkProject(t *testing.T, p *Project) {
	t.Helper()
	for name, s := range p.Model.Services {
		if _, ok := p.Service(name); !ok {
			t.Errorf("service %s not located", name)
			continue
		}
		for _, k := range [][]string{{"user"}, {"image"}, {"build", "context"}, {"build", "dockerfile"}, {"privileged"}, {"network_mode"}} {
			l, ok := p.Field(name, k...)
			checkLoc(t, p, l)
			if !ok {
				continue
			}
			if _, err := p.replaceAt(l, "root"); err != nil && k[0] != "build" {
				t.Errorf("%s %v: %v", name, k, err)
			}
		}
		for _, v := range s.Volumes {
			l, ok := p.Volume(name, v)
			if !ok {
				t.Errorf("%s: volume %s not located", name, v.Target)
				continue
			}
			checkLoc(t, p, l)
			if v.Type == "bind" && v.Source != "" {
				e, err := p.ReplaceVolumeSource(l, "${XDG_RUNTIME_DIR}/x")
				if err != nil {
					t.Errorf("%s: volume %s: %v", name, v.Target, err)
				} else {
					checkEdit(t, e)
				}
			}
		}
		for _, pc := range s.Ports {
			if l, ok := p.Port(name, pc); !ok {
				t.Errorf("%s: port %+v not located", name, pc)
			} else {
				checkLoc(t, p, l)
			}
		}
		for key, list := range map[string][]string{"security_opt": s.SecurityOpt, "cap_add": s.CapAdd} {
			for _, v := range list {
				if l, ok := p.ListItem(name, key, v); !ok {
					t.Errorf("%s: %s %q not located", name, key, v)
				} else {
					checkLoc(t, p, l)
				}
			}
		}
	}
	for name := range p.Model.Volumes {
		if _, ok := p.Resource("volumes", name); !ok && !strings.HasPrefix(name, "default") {
			l, _ := p.Resource("volumes", name)
			if l.File == nil {
				t.Errorf("top-level volume %s not located", name)
			}
		}
	}
	for _, f := range p.Files {
		checkComments(t, f)
	}
}

// checkLoc: a place is a node of a file of the project, with its pointer.
func checkLoc(t *testing.T, p *Project, l source.Loc) {
	t.Helper()
	if _, _, err := p.nodeAt(l); err != nil {
		t.Errorf("%s: %v", l.Pointer(), err)
	}
}

// checkEdit: an edited file parses.
func checkEdit(t *testing.T, e source.Edit) {
	t.Helper()
	body, err := source.Apply(e.File.Body, []source.Edit{e})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseFile(e.File.Path, body); err != nil {
		t.Errorf("edited file: %v", err)
	}
}

// checkComments compares the comments found with the lines that are
// nothing but a comment (outside multi-line scalars): all must be found.
func checkComments(t *testing.T, f *File) {
	t.Helper()
	found := map[int]bool{}
	for _, c := range f.Comments() {
		if string(f.Src.Body[c.Start:c.End]) != c.Text || c.Text[0] != '#' {
			t.Errorf("%s: comment %q at %d..%d", f.Src.Path, c.Text, c.Start, c.End)
		}
		l, _ := f.Src.Position(c.Start)
		found[l] = true
	}
	var inside [][2]int
	for n, s := range f.spans {
		if n.Kind == yaml.ScalarNode && strings.ContainsAny(string(f.Src.Body[s[0]:s[1]]), "\r\n") {
			inside = append(inside, s)
		}
	}
	for l := 1; l <= f.Src.Lines(); l++ {
		if !strings.HasPrefix(strings.TrimLeft(f.Src.LineText(l), " \t"), "#") {
			continue
		}
		off := f.Src.LineStart(l)
		in := false
		for _, s := range inside {
			in = in || (off >= s[0] && off < s[1])
		}
		if !in && !found[l] && len(f.Docs) > 0 {
			t.Errorf("%s:%d: comment not found: %q", f.Src.Path, l, f.Src.LineText(l))
		}
	}
}
