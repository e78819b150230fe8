package compose

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/source"
	"github.com/spf13/afero"
)

func TestLoadErrors(t *testing.T) {
	one := func(src string) map[string]string { return map[string]string{"compose.yml": src} }
	cases := []struct {
		name  string
		files map[string]string
		load  []string // default compose.yml
		want  string   // DIR stands for the folder
	}{
		{"wrong type", one("services:\n  app:\n    image: x\n    user: [a]\n"),
			nil, "DIR/compose.yml:4:11: services.app.user must be a string"},
		{"unknown key", one("services:\n  app:\n    imagex: a\n"),
			nil, `DIR/compose.yml:3:5: services.app.imagex: key "imagex" is not allowed here`},

		{"not a mapping", one("services: []\n"),
			nil, "DIR/compose.yml:1:11: services must be a mapping"},
		{"null service", one("services:\n  app:\n"),
			nil, "DIR/compose.yml:2:3: services.app must be a mapping"},

		{"required variable", one("services:\n  app:\n    image: ${FOO:?need foo}\n"),
			nil, "DIR/compose.yml:3:12: error while interpolating services.app.image: required variable FOO is missing a value: need foo"},
		{"bad interpolation, multi-line message", one("services:\n  app:\n    image: ${FOO\n"),
			nil, `DIR/compose.yml:3:12: invalid interpolation format for services.app.image: "${FOO" (write a literal $ as $$)`},
		{"cast", one("services:\n  app:\n    image: x\n    cpus: lots\n"),
			nil, `DIR/compose.yml:4:11: error while interpolating services.app.cpus: failed to cast to expected type: strconv.ParseFloat: parsing "lots": invalid syntax`},
		{"decoding, multi-line message", one("services:\n  app:\n    image: x\n    mem_limit: lots\n"),
			nil, "DIR/compose.yml:4:16: services.app.mem_limit: invalid size: 'lots'"},
		{"undefined network", one("services:\n  app:\n    image: x\n    networks: [foo]\n"),
			nil, `DIR/compose.yml:2:3: service "app" refers to undefined network foo`},
		{"volume without target", one("services:\n  app:\n    image: x\n    volumes: [{type: bind}]\n"),
			nil, "DIR/compose.yml:4:15: service volume services.app.volumes.[0] is missing a mount target"},
		{"extends unknown", one("services:\n  app:\n    extends: nope\n"),
			nil, `DIR/compose.yml:3:14: cannot extend service "app": service "nope" not found`},
		{"extends cycle, multi-line message", one("services:\n  app:\n    image: x\n    extends: app\n"),
			nil, "DIR/compose.yml:4:14: extends cycle: app in DIR/compose.yml extends app in DIR/compose.yml"},
		{"include missing", one("include: [nope.yml]\nservices:\n  app:\n    image: x\n"),
			nil, "DIR/compose.yml:1:11: cannot read DIR/nope.yml: no such file or directory"},
		{"extends file missing", one("services:\n  app:\n    image: x\n    extends: {file: nope.yml, service: a}\n"),
			nil, "DIR/compose.yml:4:21: cannot read DIR/nope.yml: no such file or directory"},
		{"duplicate key", one("services:\n  app:\n    image: x\n    image: y\n"),
			nil, `DIR/compose.yml:4:5: mapping key "image" already defined at line 3`},
		{"unknown anchor", one("services:\n  app: &x\n    image: x\n  b: *x\n  c: *y\n"),
			nil, "DIR/compose.yml:5:6: unknown anchor 'y' referenced"},
		{"anchor inside itself (compose-go spends ~30 s on it)", one("services:\n  app: &a\n    image: x\n    <<: *a\n"),
			nil, "DIR/compose.yml:4:9: anchor 'a' value contains itself"},
		{"syntax", one("services:\n  app:\n    image: x\n  user: y\n    ports: []\n"),
			nil, "DIR/compose.yml:5:10: mapping values are not allowed in this context"},
		{"syntax after non-ASCII", one("services:\n  app: {image: \"é\", user: ü: x}\n"),
			nil, "DIR/compose.yml:2:30: did not find expected ',' or '}' while parsing a flow mapping at 2:8"},
		{"unterminated quote", one("services:\n  app:\n    image: 'x\n"),
			nil, "DIR/compose.yml:4:1: found unexpected end of stream while scanning a quoted scalar at 3:12"},
		{"invalid UTF-8", one("services:\n  app:\n    image: a\xffb\n"),
			nil, "DIR/compose.yml:3:13: invalid UTF-8"},
		{"control character", one("services:\n  app:\n    image: \"é\x01\"\n"),
			nil, "DIR/compose.yml:3:15: control characters are not allowed"},
		{"empty", one(""),
			nil, "DIR/compose.yml: empty compose file"},
		{"not a mapping at the top", one("- a\n"),
			nil, "DIR/compose.yml: top-level object must be a mapping"},
		{"missing file", one(""),
			[]string{"nope.yml"}, "DIR/nope.yml: cannot read: no such file or directory"},
		{"error in the second file", map[string]string{
			"compose.yml": "services:\n  app:\n    image: x\n",
			"over.yml":    "services:\n  app:\n    privileged: maybe\n",
		}, []string{"compose.yml", "over.yml"}, "DIR/over.yml:3:17: error while interpolating services.app.privileged: failed to cast to expected type: invalid boolean: maybe"},
		{"schema error in the second file", map[string]string{
			"compose.yml": "services:\n  app:\n    image: x\n",
			"over.yml":    "services:\n  app:\n    ports: {a: b}\n",
		}, []string{"compose.yml", "over.yml"}, "DIR/over.yml:3:12: services.app.ports must be a array"},
		{"syntax error in an included file", map[string]string{
			"compose.yml":     "include:\n  - inc/compose.yml\n",
			"inc/compose.yml": "services:\n  db: {image: [}\n",
		}, nil, "DIR/inc/compose.yml:2:16: did not find expected node content while parsing a flow node"},
		{"invalid UTF-8 in an included file", map[string]string{
			"compose.yml": "include:\n  - inc.yml\n",
			"inc.yml":     "services:\n  db:\n    image: \xfe\n",
		}, nil, "DIR/inc.yml:3:12: invalid UTF-8"},
		{"include names a folder", map[string]string{
			"compose.yml": "include:\n  - sub\n",
			"sub/x.yml":   "services: {}\n",
		}, nil, "DIR/compose.yml:2:5: cannot read DIR/sub: not a regular file"},
		{"include's env_file missing", map[string]string{
			"compose.yml":     "include:\n  - path: inc/compose.yml\n    env_file: [inc/missing.env]\n",
			"inc/compose.yml": "services:\n  db:\n    image: x\n",
		}, nil, "DIR/compose.yml:3:16: cannot read DIR/inc/missing.env: no such file or directory"},
		{"syntax error in .env", map[string]string{
			"compose.yml": "services:\n  app:\n    image: x\n",
			".env":        "A=1\nB C=2\n",
		}, nil, "DIR/.env:2:1: key cannot contain a space"},
		{"syntax error in an include's env_file", map[string]string{
			"compose.yml":     "include:\n  - path: inc/compose.yml\n    env_file: [inc/bad.env]\n",
			"inc/compose.yml": "services:\n  db:\n    image: x\n",
			"inc/bad.env":     "A=1\n\nexport B=\"x\nC=2\n",
		}, nil, "DIR/inc/bad.env:3:10: unterminated quoted value \"x"},
		{"unterminated quote in .env, the same text escaped after it", map[string]string{
			"compose.yml": "services:\n  app:\n    image: x\n",
			".env":        "A=\"x\n  \\\"x\nB=1\n",
		}, nil, "DIR/.env:1:3: unterminated quoted value \"x"},
		{"include's env_file fails without a line", map[string]string{
			"compose.yml":     "include:\n  - path: inc/compose.yml\n    env_file: [inc/bad.env]\n",
			"inc/compose.yml": "services:\n  db:\n    image: x\n",
			"inc/bad.env":     "A=${B:?need b}\n",
		}, nil, "DIR/compose.yml:3:16: cannot read DIR/inc/bad.env: required variable B is missing a value: need b"},
		{"error in an extended file", map[string]string{
			"compose.yml": "services:\n  app:\n    extends: {file: base.yml, service: base}\n",
			"base.yml":    "services:\n  base:\n    image: x\n    user: [1]\n",
		}, nil, "DIR/base.yml:4:11: services.app.user must be a string"},
	}
	// What compose's schema alone rejects loads: devfix checks what its
	// rules need and leaves validating the file to compose. (The schema is
	// compiled only when the load without it fails: it would cost every
	// run tens of milliseconds.)
	for _, ok := range []string{"x: 1\n", "services:\n  app:\n    image: x\n    labels:\n      com.example.x: [1]\n"} {
		if _, err := load(t, writeTree(t, map[string]string{"compose.yml": ok}), nil, "compose.yml"); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			names := tc.load
			if names == nil {
				names = []string{"compose.yml"}
			}
			_, err := load(t, dir, nil, names...)
			var se *source.Error
			if !errors.As(err, &se) {
				t.Fatalf("want a *source.Error, got %T %v", err, err)
			}
			got := strings.ReplaceAll(err.Error(), dir, "DIR")
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("not one line: %q", err.Error())
			}
		})
	}
}

func TestLoadNoFiles(t *testing.T) {
	if _, err := Load(context.Background(), Options{}); err == nil {
		t.Error("no error without files")
	}
}

// TestLoadMemFs: the given files and .env come from the afero.Fs.
func TestLoadMemFs(t *testing.T) {
	fsys := afero.NewMemMapFs()
	dir := filepath.FromSlash("/ws/.devcontainer")
	afero.WriteFile(fsys, filepath.Join(dir, "compose.yml"), []byte("services:\n  app:\n    image: ${IMG}\n"), 0o644)
	afero.WriteFile(fsys, filepath.Join(dir, ".env"), []byte("IMG=from-memfs\n"), 0o644)
	p, err := Load(context.Background(), Options{Fs: fsys, Files: []string{filepath.Join(dir, "compose.yml")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Model.Services["app"].Image; got != "from-memfs" {
		t.Errorf("image %q", got)
	}
	if p.Model.Name != "devcontainer" {
		t.Errorf("project name %q", p.Model.Name)
	}
}

// TestLoadReferenceNotOnOS: compose-go reads the files that include and
// extends name from the OS; one that is only in the afero.Fs is an error
// at the entry that names it.
func TestLoadReferenceNotOnOS(t *testing.T) {
	const dir = "/nowhere/.devcontainer"
	for _, tc := range []struct{ name, compose, want string }{
		{"include", "services:\n  app:\n    image: x\ninclude:\n  - other.yml\n",
			dir + "/compose.yml:5:5: cannot read " + dir + "/other.yml: no such file or directory"},
		{"extends", "services:\n  app:\n    extends: {service: b, file: other.yml}\n",
			dir + "/compose.yml:3:33: cannot read " + dir + "/other.yml: no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := afero.NewMemMapFs()
			afero.WriteFile(fsys, dir+"/compose.yml", []byte(tc.compose), 0o644)
			afero.WriteFile(fsys, dir+"/other.yml", []byte("services:\n  b:\n    image: y\n"), 0o644)
			_, err := Load(context.Background(), Options{Fs: fsys, Files: []string{dir + "/compose.yml"}})
			var nl *NotLoadedError
			if !errors.As(err, &nl) || err.Error() != tc.want {
				t.Errorf("got  %T %v\nwant %s", err, err, tc.want)
			}
		})
	}
}

// TestLoadEnvSyntaxIsBadInput: a syntax error in an include's env_file is
// bad input at its line, as one in the .env beside the first file is, not
// a file compose cannot load here.
func TestLoadEnvSyntaxIsBadInput(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"compose.yml":     "include:\n  - path: inc/compose.yml\n    env_file: inc/bad.env\n",
		"inc/compose.yml": "services:\n  db:\n    image: x\n",
		"inc/bad.env":     "# vars\nA=1\n  B C=2\n",
	})
	_, err := load(t, dir, nil, "compose.yml")
	var nl *NotLoadedError
	if err == nil || errors.As(err, &nl) {
		t.Fatalf("want bad input, got %T %v", err, err)
	}
	if got, want := strings.ReplaceAll(err.Error(), dir, "DIR"), "DIR/inc/bad.env:3:3: key cannot contain a space"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
