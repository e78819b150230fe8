package compose

import (
	"context"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/devfix/devfix/internal/source"
	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

const memPath = "/w/.devcontainer/compose.yml"

// loadMem loads one compose file from a memory file system.
func loadMem(t testing.TB, text string) (*Project, afero.Fs) {
	t.Helper()
	fsys := afero.NewMemMapFs()
	if err := afero.WriteFile(fsys, memPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Load(context.Background(), Options{Fs: fsys, Files: []string{memPath}})
	if err != nil {
		t.Fatal(err)
	}
	return p, fsys
}

// applyEdit splices e into its file and returns the whole file, BOM
// included.
func applyEdit(t testing.TB, e source.Edit) string {
	t.Helper()
	body, err := source.Apply(e.File.Body, []source.Edit{e})
	if err != nil {
		t.Fatal(err)
	}
	return string(e.File.WithBOM(body))
}

func TestReplaceScalar(t *testing.T) {
	user := func(p *Project) source.Loc { l, _ := p.Field("app", "user"); return l }
	cases := []struct {
		name  string
		in    string
		at    func(p *Project) source.Loc
		value string
		want  string // the file after the edit
		check func(s types.ServiceConfig) bool
	}{
		{"plain stays plain", "services:\n  app:\n    image: x\n    user: vscode # the user\n", user, "root",
			"services:\n  app:\n    image: x\n    user: root # the user\n", nil},
		{"a number is quoted", "services:\n  app:\n    image: x\n    user: vscode\n", user, "1000",
			"services:\n  app:\n    image: x\n    user: \"1000\"\n", nil},
		{"uid:gid", "services:\n  app:\n    image: x\n    user: vscode\n", user, "1000:1000",
			"services:\n  app:\n    image: x\n    user: 1000:1000\n", nil},
		{"double stays double", "services:\n  app:\n    image: x\n    user: \"vscode\"\n", user, `a"b\c`,
			"services:\n  app:\n    image: x\n    user: \"a\\\"b\\\\c\"\n", nil},
		{"single stays single", "services:\n  app:\n    image: x\n    user: 'vscode'\n", user, "it's",
			"services:\n  app:\n    image: x\n    user: 'it''s'\n", nil},
		{"colon space", "services:\n  app:\n    image: x\n    user: vscode\n", user, "a: b",
			"services:\n  app:\n    image: x\n    user: \"a: b\"\n", nil},
		{"flow indicator first", "services:\n  app:\n    image: x\n    user: vscode\n", user, "{x}",
			"services:\n  app:\n    image: x\n    user: \"{x}\"\n", nil},
		{"alias indicator first", "services:\n  app:\n    image: x\n    user: vscode\n", user, "*x",
			"services:\n  app:\n    image: x\n    user: \"*x\"\n", nil},
		{"anchor indicator first", "services:\n  app:\n    image: x\n    user: vscode\n", user, "&x",
			"services:\n  app:\n    image: x\n    user: \"&x\"\n", nil},
		{"tag indicator first", "services:\n  app:\n    image: x\n    user: vscode\n", user, "!x",
			"services:\n  app:\n    image: x\n    user: \"!x\"\n", nil},
		{"comment first", "services:\n  app:\n    image: x\n    user: vscode\n", user, "#x",
			"services:\n  app:\n    image: x\n    user: \"#x\"\n", nil},
		{"interpolation first", "services:\n  app:\n    image: x\n    user: vscode\n", user, "${UID}",
			"services:\n  app:\n    image: x\n    user: \"${UID}\"\n", func(s types.ServiceConfig) bool { return s.User == "" }},
		{"space comment", "services:\n  app:\n    image: x\n    user: vscode\n", user, "a #b",
			"services:\n  app:\n    image: x\n    user: \"a #b\"\n", nil},
		{"empty", "services:\n  app:\n    image: x\n    user: vscode\n", user, "",
			"services:\n  app:\n    image: x\n    user: \"\"\n", nil},
		{"null-looking", "services:\n  app:\n    image: x\n    user: vscode\n", user, "null",
			"services:\n  app:\n    image: x\n    user: \"null\"\n", nil},
		{"newline", "services:\n  app:\n    image: x\n    user: vscode\n", user, "a\nb",
			"services:\n  app:\n    image: x\n    user: \"a\\nb\"\n", nil},
		{"non-ASCII", "services:\n  app:\n    image: x\n    user: vscode\n", user, "jürgen",
			"services:\n  app:\n    image: x\n    user: jürgen\n", nil},
		{"in a flow list", "services:\n  app:\n    image: x\n    cap_add: [SYS_ADMIN, NET_ADMIN]\n",
			func(p *Project) source.Loc { l, _ := p.ListItem("app", "cap_add", "SYS_ADMIN"); return l }, "A,B",
			"services:\n  app:\n    image: x\n    cap_add: [\"A,B\", NET_ADMIN]\n", func(s types.ServiceConfig) bool { return s.CapAdd[0] == "A,B" }},
		{"CRLF kept", "services:\r\n  app:\r\n    image: x\r\n\r\n    user: vscode\r\n    # end\r\n", user, "root",
			"services:\r\n  app:\r\n    image: x\r\n\r\n    user: root\r\n    # end\r\n", nil},
		{"BOM kept", "\ufeffservices:\n  app:\n    image: x\n    user: vscode\n", user, "root",
			"\ufeffservices:\n  app:\n    image: x\n    user: root\n", nil},
		{"block scalar", "services:\n  app:\n    image: x\n    user: |\n      vscode\n\n    privileged: true\n", user, "root",
			"services:\n  app:\n    image: x\n    user: root\n\n    privileged: true\n", nil},
		{"block scalar's header comment kept", "services:\n  app:\n    image: x\n    user: | # keep me\n      vscode\n\n    privileged: true\n", user, "root",
			"services:\n  app:\n    image: x\n    user: root # keep me\n\n    privileged: true\n", nil},
		{"folded block scalar's header comment kept, CRLF", "services:\r\n  app:\r\n    image: x\r\n    user: >-2\t# devfix-ignore-line x \r\n      vscode\r\n", user, "1000",
			"services:\r\n  app:\r\n    image: x\r\n    user: \"1000\"\t# devfix-ignore-line x \r\n", nil},
		{"multi-line plain", "services:\n  app:\n    image: x\n    user: a\n      b\n    privileged: true\n", user, "root",
			"services:\n  app:\n    image: x\n    user: root\n    privileged: true\n", nil},
		{"null written as nothing", "services:\n  app:\n    image: x\n    environment:\n      FOO:\n",
			func(p *Project) source.Loc { l, _ := p.Field("app", "environment", "FOO"); return l }, "bar",
			"services:\n  app:\n    image: x\n    environment:\n      FOO: bar\n", func(s types.ServiceConfig) bool { return *s.Environment["FOO"] == "bar" }},
		{"null in a flow mapping", "services:\n  app:\n    image: x\n    environment: {FOO: , BAR: x}\n",
			func(p *Project) source.Loc { l, _ := p.Field("app", "environment", "FOO"); return l }, "a b",
			"services:\n  app:\n    image: x\n    environment: {FOO: a b, BAR: x}\n", func(s types.ServiceConfig) bool { return *s.Environment["FOO"] == "a b" }},
		{"anchor kept", "x-u: &u vscode\nservices:\n  app:\n    image: x\n    user: *u\n", user, "root",
			"x-u: &u root\nservices:\n  app:\n    image: x\n    user: *u\n", nil},
		{"tag kept", "services:\n  app:\n    image: !!str 123\n",
			func(p *Project) source.Loc { l, _ := p.Field("app", "image"); return l }, "456",
			"services:\n  app:\n    image: !!str 456\n", func(s types.ServiceConfig) bool { return s.Image == "456" }},
		{"boolean stays boolean", "services:\n  app:\n    image: x\n    privileged: true\n",
			func(p *Project) source.Loc { l, _ := p.Field("app", "privileged"); return l }, "false",
			"services:\n  app:\n    image: x\n    privileged: false\n", func(s types.ServiceConfig) bool { return !s.Privileged }},
		{"number to other number is quoted", "services:\n  app:\n    image: x\n    cpus: 2\n",
			func(p *Project) source.Loc { l, _ := p.Field("app", "cpus"); return l }, "1.5",
			"services:\n  app:\n    image: x\n    cpus: \"1.5\"\n", func(s types.ServiceConfig) bool { return s.CPUS == 1.5 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, fsys := loadMem(t, tc.in)
			e, err := p.replaceAt(tc.at(p), tc.value)
			if err != nil {
				t.Fatal(err)
			}
			got := applyEdit(t, e)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			// Round trip: compose reads the new value.
			if err := afero.WriteFile(fsys, memPath, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			q, err := Load(context.Background(), Options{Fs: fsys, Files: []string{memPath}})
			if err != nil {
				t.Fatalf("the edited file does not load: %v", err)
			}
			s := q.Model.Services["app"]
			if tc.check != nil {
				if !tc.check(s) {
					t.Errorf("the model does not have the new value: %+v", s)
				}
			} else if s.User != tc.value {
				t.Errorf("user %q, want %q", s.User, tc.value)
			}
		})
	}
}

func TestReplaceScalarErrors(t *testing.T) {
	p, _ := loadMem(t, "services:\n  app:\n    image: x\n    user: vscode\n")
	user, _ := p.Field("app", "user")
	if _, err := p.replaceAt(user, "a\xffb"); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
	svc, _ := p.Field("app")
	if _, err := p.replaceAt(svc, "x"); err == nil {
		t.Error("a mapping replaced as a scalar")
	}
	moved := user
	moved.Start++
	if _, err := p.replaceAt(moved, "x"); err == nil {
		t.Error("a place that is no node accepted")
	}
	other, _ := loadMem(t, "services:\n  app:\n    image: x\n    user: vscode\n")
	if _, err := p.replaceAt(func() source.Loc { l, _ := other.Field("app", "user"); return l }(), "x"); err == nil {
		t.Error("a place of another project accepted")
	}
}

func TestReplaceVolumeSource(t *testing.T) {
	const sock = "/var/run/docker.sock"
	cases := []struct {
		name, in, src, want string
		edit                string // the edit's bytes, to show it is minimal
	}{
		{"short plain", "services:\n  app:\n    image: x\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro # the socket\n",
			"/run/user/1000/docker.sock",
			"services:\n  app:\n    image: x\n    volumes:\n      - /run/user/1000/docker.sock:/var/run/docker.sock:ro # the socket\n",
			"/run/user/1000/docker.sock"},
		{"short with a default holding colons", "services:\n  app:\n    image: x\n    volumes:\n      - ${SOCK:-/var/run/docker.sock}:/var/run/docker.sock\n",
			"/run/user/1000/docker.sock",
			"services:\n  app:\n    image: x\n    volumes:\n      - /run/user/1000/docker.sock:/var/run/docker.sock\n",
			"/run/user/1000/docker.sock"},
		{"short double-quoted", "services:\n  app:\n    image: x\n    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n",
			"${XDG_RUNTIME_DIR}/docker.sock",
			"services:\n  app:\n    image: x\n    volumes: [\"${XDG_RUNTIME_DIR}/docker.sock:/var/run/docker.sock\"]\n",
			"${XDG_RUNTIME_DIR}/docker.sock"},
		{"short plain, new source needs quotes", "services:\n  app:\n    image: x\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n",
			"${XDG_RUNTIME_DIR}/docker.sock",
			"services:\n  app:\n    image: x\n    volumes:\n      - \"${XDG_RUNTIME_DIR}/docker.sock:/var/run/docker.sock\"\n",
			"\"${XDG_RUNTIME_DIR}/docker.sock:/var/run/docker.sock\""},
		{"long syntax", "services:\n  app:\n    image: x\n    volumes:\n      - type: bind\n        source: /var/run/docker.sock\n        target: /var/run/docker.sock\n",
			"${XDG_RUNTIME_DIR}/docker.sock",
			"services:\n  app:\n    image: x\n    volumes:\n      - type: bind\n        source: \"${XDG_RUNTIME_DIR}/docker.sock\"\n        target: /var/run/docker.sock\n",
			"\"${XDG_RUNTIME_DIR}/docker.sock\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := loadMem(t, tc.in)
			var at source.Loc
			for _, v := range p.Model.Services["app"].Volumes {
				if v.Target == sock {
					at, _ = p.Volume("app", v)
				}
			}
			e, err := p.ReplaceVolumeSource(at, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, applyEdit(t, e)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if e.New != tc.edit {
				t.Errorf("edit %q, want %q", e.New, tc.edit)
			}
		})
	}
	p, _ := loadMem(t, "services:\n  app:\n    image: x\n    volumes: [/data]\n")
	at, _ := p.Volume("app", p.Model.Services["app"].Volumes[0])
	if _, err := p.ReplaceVolumeSource(at, "/x"); err == nil || !strings.Contains(err.Error(), "no source") {
		t.Errorf("anonymous volume: %v", err)
	}
}
