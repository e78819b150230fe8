package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/source"
	"github.com/spf13/afero"
)

var fuzzSeeds = []string{
	"services:\n  app:\n    image: x\n    user: vscode # c\n    volumes:\n      - ${SRC:-/src}:/work\n      - type: bind\n        source: /var/run/docker.sock\n        target: /var/run/docker.sock\n    ports: [\"8080:80\", {target: 3000, published: \"3001\"}]\n",
	"x-c: &c {user: vscode, cap_add: [SYS_ADMIN]}\nservices:\n  app:\n    <<: *c\n    image: x\n    security_opt: [label=disable]\n    deploy: {resources: {limits: {memory: 1g}}}\n",
	"\ufeffservices:\r\n  app:\r\n    image: \"é\"\r\n    user: |\r\n      root\r\n    volumes: ['/données:/a']\r\n",
	"services:\n  base:\n    image: b\n    user: vscode\n  app:\n    extends: base\n    ports: !reset []\n    volumes: !override [/a:/a]\nvolumes:\n  v: {driver_opts: {type: nfs}}\n",
	"services:\n  app:\n    build: ./x\n    environment: {A: , B: x}\n---\nservices:\n  app:\n    user: \"0\"\n",
	"services:\n  app:\n    image: x\n    user: a\n      b\n    privileged: true\n",
}

// FuzzLoad: any bytes load or fail with one line; what loads can be located
// in, and an edit that is accepted parses.
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	if entries, err := filepath.Glob(filepath.Join(corpusDir, "repos", "*", "*compose*.y*ml")); err == nil {
		for _, e := range entries {
			if data, err := os.ReadFile(e); err == nil {
				f.Add(data)
			}
		}
	}
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"SRC": "/s", "HOME": "/home/dev", "XDG_RUNTIME_DIR": "/run/user/1000"}[k]
		return v, ok
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := afero.NewMemMapFs()
		if err := afero.WriteFile(fsys, memPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(context.Background(), Options{Fs: fsys, Files: []string{memPath}, LookupEnv: env})
		if err != nil {
			var se *source.Error
			if !errors.As(err, &se) {
				t.Fatalf("not a *source.Error: %T %v", err, err)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("not one line: %q", err.Error())
			}
			return
		}
		for _, file := range p.Files {
			for _, c := range file.Comments() {
				if c.Start < 0 || c.End > len(file.Src.Body) || string(file.Src.Body[c.Start:c.End]) != c.Text {
					t.Fatalf("comment %q at %d..%d", c.Text, c.Start, c.End)
				}
			}
			file.PointersByLine()
		}
		var locs []source.Loc
		for name, s := range p.Model.Services {
			p.Service(name)
			for _, k := range [][]string{{"user"}, {"image"}, {"build", "context"}, {"privileged"}, {"deploy", "resources", "limits"}} {
				if l, ok := p.Field(name, k...); ok {
					locs = append(locs, l)
				}
			}
			for _, v := range s.Volumes {
				l, ok := p.Volume(name, v)
				if !ok {
					continue
				}
				if e, err := p.ReplaceVolumeSource(l, "/run/user/1000/docker.sock"); err == nil {
					fuzzCheckEdit(t, e)
				}
			}
			for _, pc := range s.Ports {
				if l, ok := p.Port(name, pc); ok {
					locs = append(locs, l)
				}
			}
			for _, c := range s.CapAdd {
				p.ListItem(name, "cap_add", c)
			}
		}
		for name := range p.Model.Volumes {
			p.Resource("volumes", name, "driver_opts", "type")
		}
		for _, l := range locs {
			if l.Start < 0 || l.Start > l.End || l.End > len(l.File.Body) {
				t.Fatalf("place %d..%d out of the file", l.Start, l.End)
			}
			for _, v := range []string{"root", "a: b", "${X}", "", "1000", "é\n#"} {
				if e, err := p.replaceAt(l, v); err == nil {
					fuzzCheckEdit(t, e)
				}
			}
		}
	})
}

// fuzzCheckEdit: an accepted edit parses.
func fuzzCheckEdit(t *testing.T, e source.Edit) {
	t.Helper()
	body, err := source.Apply(e.File.Body, []source.Edit{e})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseFile(e.File.Path, body); err != nil {
		t.Fatalf("an accepted edit does not parse: %v\n%q", err, body)
	}
}
