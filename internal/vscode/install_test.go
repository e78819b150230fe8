package vscode

import (
	"bytes"
	"errors"
	"flag"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/install and testdata/uninstall")

const testHost = "unix:///run/user/1000/docker.sock"

var (
	dockerWant = Want{DockerHost: testHost}
	podmanWant = Want{DockerPath: "podman"}
	bothWant   = Want{DockerHost: testHost, DockerPath: "podman"}
)

// wantFor picks a case's Want by its name: podman-*, both-*, else Docker.
func wantFor(name string) Want {
	switch {
	case strings.HasPrefix(name, "podman"):
		return podmanWant
	case strings.HasPrefix(name, "both"):
		return bothWant
	}
	return dockerWant
}

// TestInstallGolden runs Install on testdata/install/<case>.jsonc and
// compares with <case>.golden; then Install again changes nothing, and
// Uninstall gives back the input (or, for an input devfix had written to,
// what Uninstall makes of the input).
func TestInstallGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/install/*.jsonc")
	if len(files) == 0 {
		t.Fatal("no cases")
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".jsonc")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			want := wantFor(name)
			got, changed, err := Install(in, data, want)
			if err != nil {
				t.Fatalf("Install: %v", err)
			}
			compareGolden(t, "Install", in, got)
			if changed != !bytes.Equal(got, data) {
				t.Errorf("changed = %v, but the bytes say otherwise", changed)
			}
			checkInvariants(t, in, data, got, want)
		})
	}
}

// checkInvariants: the output parses, a second Install changes nothing, and
// Uninstall(Install(x)) == x when devfix never wrote to x. When it had (x
// holds markers, maybe in shapes Install never writes), Uninstall of the
// output is clean instead: it parses, a second Uninstall changes nothing,
// and no marker of devfix's settings is left.
func checkInvariants(t *testing.T, path string, data, got []byte, want Want) {
	t.Helper()
	if _, err := jsonc.Parse(path, got); err != nil {
		t.Fatalf("the output does not parse: %v\n%s", err, got)
	}
	again, changed, err := Install(path, got, want)
	if err != nil || changed || !bytes.Equal(again, got) {
		t.Errorf("second Install: changed=%v err=%v\n%s", changed, err, again)
	}
	undone, _, err := Uninstall(path, got)
	if err != nil {
		t.Fatalf("Uninstall: %v", err)
	}
	if !bytes.Contains(data, []byte(markerText)) {
		if !bytes.Equal(undone, data) {
			t.Errorf("Uninstall(Install(x)) != x:\n got %q\nwant %q", undone, data)
		}
		return
	}
	if _, err := jsonc.Parse(path, undone); err != nil && !isTrivia(undone) {
		t.Fatalf("Uninstall(Install(x)) does not parse: %v\n%q", err, undone)
	}
	if again, changed, err := Uninstall(path, undone); err != nil || changed || !bytes.Equal(again, undone) {
		t.Errorf("second Uninstall: changed=%v err=%v\n%q\n%q", changed, err, undone, again)
	}
	if d, err := jsonc.Parse(path, undone); err == nil {
		m := newMarks(d)
		for _, n := range d.Root().Children() {
			if ourRootKey(n.Key()) && m.marked(n) || m.root {
				t.Errorf("a marker is left in %q", undone)
			}
		}
	}
}

// TestUninstallGolden runs Uninstall on files devfix wrote to and the user
// edited afterwards (testdata/uninstall/<case>.jsonc → <case>.golden).
func TestUninstallGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/uninstall/*.jsonc")
	if len(files) == 0 {
		t.Fatal("no cases")
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".jsonc")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := Uninstall(in, data)
			if err != nil {
				t.Fatalf("Uninstall: %v", err)
			}
			compareGolden(t, "Uninstall", in, got)
			if bytes.Contains(got, []byte(markerText)) {
				t.Errorf("a marker is left:\n%s", got)
			}
			if _, err := jsonc.Parse(in, got); err != nil && !isTrivia(got) {
				t.Errorf("the output does not parse: %v", err)
			}
			again, changed, err := Uninstall(in, got)
			if err != nil || changed || !bytes.Equal(again, got) {
				t.Errorf("second Uninstall: changed=%v err=%v", changed, err)
			}
		})
	}
}

// TestRoundTrip: Install then Uninstall gives back the original bytes, for
// every Want, on small files of every shape.
func TestRoundTrip(t *testing.T) {
	inputs := map[string]string{
		"empty":                    ``,
		"blank":                    " \n\t\n",
		"crlf blank":               "\r\n",
		"comment only":             "// hi",
		"block comment only":       "/* a */\n",
		"empty object":             `{}`,
		"empty object spaced":      `{ }`,
		"empty object comment":     "{ // nothing yet\n}",
		"empty object block":       "{/* x */}",
		"indented empty":           "  {}\n",
		"one line":                 `{"a": 1}`,
		"one line trailing":        `{"a": 1,}`,
		"one line trailing spaced": `{"a": 1 , }`,
		"lines":                    "{\n  \"a\": 1\n}\n",
		"lines trailing":           "{\n  \"a\": 1,\n}\n",
		"lines trailing comment":   "{\n  \"a\": 1, // one\n}\n",
		"comment after value":      "{\n  \"a\": 1 // one\n}",
		"block after value":        "{\n  \"a\": 1 /* one */\n}",
		"multiline block after":    "{\n  \"a\": 1 /* one\n two */\n}",
		"comma on next line":       "{\n  \"a\": 1\n  ,\"b\": 2\n}",
		"tabs":                     "{\n\t\"a\": {\n\t\t\"b\": [1, 2]\n\t}\n}",
		"crlf":                     "{\r\n    \"a\": 1\r\n}\r\n",
		"mixed eol":                "{\r\n    \"a\": 1\n}\n",
		"bom":                      "\ufeff{\"a\": 1}\n",
		"brace on value line":      "{\"a\": 1\n}",
		"env empty":                `{"containers.environment": {}, "docker.environment": {}}`,
		"env lines":                "{\n  \"containers.environment\": {\n    \"X\": \"1\"\n  },\n  \"docker.environment\": {\n    \"Y\": \"2\",\n  },\n}",
		"env trailing comment":     "{\n  \"containers.environment\": {\n    \"X\": \"1\" // x\n  }\n}",
		"env nested last":          "{\"x\": 1, \"docker.environment\": {\"Y\": \"2\"}}",
		"duplicate keys":           `{"containers.environment": 1, "containers.environment": {}}`,
		"trailing text":            "{\"a\": 1}\n\n// the end\n",
	}
	for name, in := range inputs {
		for _, want := range []Want{dockerWant, podmanWant, bothWant} {
			out, changed, err := Install("settings.json", []byte(in), want)
			if err != nil {
				t.Errorf("%s %+v: Install: %v", name, want, err)
				continue
			}
			if !changed {
				t.Errorf("%s %+v: Install changed nothing", name, want)
			}
			back, changed, err := Uninstall("settings.json", out)
			if err != nil || !changed {
				t.Errorf("%s %+v: Uninstall: changed=%v err=%v", name, want, changed, err)
			}
			if string(back) != in {
				t.Errorf("%s %+v: Install then Uninstall:\n got %q\nwant %q\n via %q", name, want, back, in, out)
			}
			checkInvariants(t, "settings.json", []byte(in), out, want)
		}
	}
}

func TestInstallConflicts(t *testing.T) {
	tests := []struct {
		name, in string
		want     Want
		errs     []string
	}{
		{
			name: "dockerPath is docker",
			in:   "{\n  \"dev.containers.dockerPath\": \"docker\"\n}",
			want: podmanWant,
			errs: []string{`settings.json:2:32: "dev.containers.dockerPath" is "docker", not "podman": change or remove it, then run devfix shellenv --install again`},
		},
		{
			name: "dockerPath is a wrapper",
			in:   `{"dev.containers.dockerPath": "/home/me/bin/docker-wrapper"}`,
			want: podmanWant,
			errs: []string{`settings.json:1:31: "dev.containers.dockerPath" is "/home/me/bin/docker-wrapper", not "podman": change or remove it, then run devfix shellenv --install again`},
		},
		{
			name: "rootful DOCKER_HOST",
			in:   `{"containers.environment": {"DOCKER_HOST": "unix:///var/run/docker.sock"}}`,
			want: dockerWant,
			errs: []string{`settings.json:1:44: "containers.environment" sets DOCKER_HOST to "unix:///var/run/docker.sock", not "unix:///run/user/1000/docker.sock": change or remove it, then run devfix shellenv --install again`},
		},
		{
			name: "both differ",
			in:   "{\n\"containers.environment\": {\"DOCKER_HOST\": \"tcp://a:2375\"},\n\"docker.environment\": {\"DOCKER_HOST\": 5}\n}",
			want: dockerWant,
			errs: []string{
				`settings.json:2:43: "containers.environment" sets DOCKER_HOST to "tcp://a:2375", not "unix:///run/user/1000/docker.sock": change or remove it, then run devfix shellenv --install again`,
				`settings.json:3:39: "docker.environment" sets DOCKER_HOST to 5, not "unix:///run/user/1000/docker.sock": change or remove it, then run devfix shellenv --install again`,
			},
		},
		{
			name: "environment is not an object",
			in:   `{"docker.environment": null}`,
			want: dockerWant,
			errs: []string{`settings.json:1:24: "docker.environment" is null, not an object of environment variables: change or remove it, then run devfix shellenv --install again`},
		},
		{
			name: "DOCKER_CONTEXT",
			in:   `{"containers.environment": {"DOCKER_CONTEXT": "colima"}}`,
			want: dockerWant,
			errs: []string{`settings.json:1:47: "containers.environment" sets DOCKER_CONTEXT to "colima", which a DOCKER_HOST would override: change or remove it, then run devfix shellenv --install again`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := Install("settings.json", []byte(tt.in), tt.want)
			if out != nil || changed {
				t.Errorf("Install returned data on a conflict: %q", out)
			}
			var ce *ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConflictError", err)
			}
			var got []string
			for _, c := range ce.Conflicts {
				got = append(got, c.Error())
			}
			if diff := cmp.Diff(tt.errs, got); diff != "" {
				t.Errorf("conflicts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstallBadInput(t *testing.T) {
	tests := []struct{ in, err string }{
		{"{\n  \"a\": 1,,\n}", "settings.json:2:10: "},
		{"{\n  \"a\": tru\n}", `settings.json:2:8: invalid value "tru"`},
		{"[1, 2]", "settings.json:1:1: VS Code settings are an object, not array"},
		{"{\"a\": \"\xff\"}", "settings.json:1:8: invalid UTF-8"},
	}
	for _, tt := range tests {
		out, changed, err := Install("settings.json", []byte(tt.in), dockerWant)
		var se *source.Error
		if !errors.As(err, &se) || out != nil || changed {
			t.Errorf("Install(%q) = %q, %v, %v; want a *source.Error and no data", tt.in, out, changed, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), tt.err) {
			t.Errorf("Install(%q): %v, want %s…", tt.in, err, tt.err)
		}
		if _, _, err := Uninstall("settings.json", []byte(tt.in)); err == nil && !strings.HasPrefix(tt.in, "[") {
			t.Errorf("Uninstall(%q) did not fail", tt.in)
		}
	}
	if _, _, err := Install("settings.json", []byte("{}"), Want{DockerHost: "/run/user/1000/docker.sock"}); err == nil {
		t.Error("a DOCKER_HOST without a scheme was taken")
	}
}

func TestInstallNothingWanted(t *testing.T) {
	in := []byte("not even json")
	out, changed, err := Install("settings.json", in, Want{})
	if err != nil || changed || !bytes.Equal(out, in) {
		t.Errorf("Install with the zero Want = %q, %v, %v", out, changed, err)
	}
}

// TestUninstallLeavesTheUsers: what devfix did not mark stays, even with the
// very values devfix writes; a marker on a key devfix never writes is
// ignored.
func TestUninstallLeavesTheUsers(t *testing.T) {
	for _, in := range []string{
		`{"containers.environment": {"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}, "dev.containers.dockerPath": "podman"}`,
		`{"editor.fontSize": /* added by devfix shellenv --install */ 14}`,
		`{"containers.environment": {"OTHER": /* added by devfix shellenv --install */ "1"}}`,
		"",
		"  // nothing\n",
	} {
		out, changed, err := Uninstall("settings.json", []byte(in))
		if err != nil || changed || out == nil || string(out) != in {
			t.Errorf("Uninstall(%q) = %q, %v, %v", in, out, changed, err)
		}
	}
	// The root marker above settings that are all the user's goes.
	in := "// added by devfix shellenv --install\r\n{\"editor.fontSize\": 14}"
	out, changed, err := Uninstall("settings.json", []byte(in))
	if err != nil || !changed || string(out) != `{"editor.fontSize": 14}` {
		t.Errorf("Uninstall(%q) = %q, %v, %v", in, out, changed, err)
	}
}

// TestRoundTripGenerated checks Install then Uninstall byte for byte on
// generated settings files: random layouts (one line or many, tabs or
// spaces, LF or CRLF, a BOM or none), comments in every gap, trailing commas, and
// environment objects that are missing, empty or hold other variables.
func TestRoundTripGenerated(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	pick := func(s ...string) string { return s[r.Intn(len(s))] }
	gap := func(eol, ind string) string {
		return pick("", " ", "", " /* c */ ", " // c"+eol+ind, eol+ind+"// c"+eol+ind, eol+ind)
	}
	var object func(depth int, eol, ind, unit string, keys []string) string
	object = func(depth int, eol, ind, unit string, keys []string) string {
		oneLine := r.Intn(3) == 0
		sep, in, out := ", ", "", ""
		if !oneLine {
			sep, in, out = ","+eol+ind+unit, eol+ind+unit, eol+ind
		}
		var members []string
		for _, k := range keys {
			var v string
			switch {
			case isEnvKey(k):
				v = object(depth+1, eol, ind+unit, unit, []string{pick("HTTPS_PROXY", "DOCKER_BUILDKIT", "X")}[:r.Intn(2)])
			case depth < 2 && r.Intn(4) == 0:
				v = object(depth+1, eol, ind+unit, unit, []string{"a", "b"}[:r.Intn(3)])
			default:
				v = pick(`1`, `"s"`, `true`, `null`, `[1, 2]`, `[]`)
			}
			m := jsonc.Quote(k) + ":" + pick(" ", "", " /* c */ ") + v + pick("", "", " /* c */")
			members = append(members, m)
		}
		// Line comments go after the comma that follows a member.
		body := ""
		for i, m := range members {
			body += m
			if i < len(members)-1 || r.Intn(4) == 0 {
				body += ","
			}
			if !oneLine && r.Intn(4) == 0 {
				body += " // c"
			}
			if i < len(members)-1 {
				body += strings.TrimPrefix(sep, ",")
			}
		}
		if len(members) == 0 {
			return "{" + pick("", " ", in+out, " /* c */ ") + "}"
		}
		g := ""
		if !oneLine {
			g = pick("", gap(eol, ind+unit))
		}
		return "{" + in + body + g + out + "}"
	}
	for i := 0; i < 3000; i++ {
		eol, unit := pick("\n", "\r\n"), pick("\t", "  ", "    ")
		var keys []string
		for _, k := range []string{"editor.fontSize", keyContainersEnv, "files.exclude", keyDockerEnv, "z"} {
			if r.Intn(2) == 0 {
				keys = append(keys, k)
			}
		}
		in := pick("", "\ufeff") + pick("", "// head"+eol) + object(0, eol, "", unit, keys) + pick("", eol, eol+eol, eol+"// tail")
		if i < 4 && testing.Verbose() {
			t.Logf("sample:\n%s", in)
		}
		if _, err := jsonc.Parse("gen.json", []byte(in)); err != nil {
			t.Fatalf("generator made bad JSONC: %v\n%s", err, in)
		}
		for _, want := range []Want{dockerWant, podmanWant, bothWant} {
			out, _, err := Install("gen.json", []byte(in), want)
			if err != nil {
				t.Fatalf("Install: %v\n%s", err, in)
			}
			checkInvariants(t, "gen.json", []byte(in), out, want)
			if t.Failed() {
				t.Fatalf("on\n%s\n→\n%s", in, out)
			}
		}
	}
}

// compareGolden compares got, what fn made of the case file in, with
// <case>.golden beside it, which -update rewrites first.
func compareGolden(t *testing.T, fn, in string, got []byte) {
	t.Helper()
	golden := strings.TrimSuffix(in, ".jsonc") + ".golden"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-golden +got):\n%s", fn, diff)
	}
}

// TestCommentAndBOMClasses: settings with a BOM, line comments after
// members (before or after their comma), block comments there, and the
// file's last line without a line break. Install then Uninstall gives the
// bytes back; Uninstall of devfix's members placed after such members (as
// a user's edit leaves them, so not in Install's exact shape) succeeds,
// parses and leaves no marker. Two fuzz finds were of these classes: a
// marked member after `"": "",//` and a BOM before such settings.
func TestCommentAndBOMClasses(t *testing.T) {
	const mark = "/*" + markerText + "*/"
	afters := map[string]string{
		"line comment after comma":  ",//",
		"line comment before comma": " // c\n,",
		"block after comma":         ", /* c */",
		"block before comma":        " /* c */,",
		"multiline block":           ", /* c\n c */",
		"plain":                     ",",
	}
	ours := map[string]string{
		"empty env":  `"containers.environment":` + mark + `{}`,
		"env":        `"containers.environment": ` + mark + ` {"DOCKER_HOST": "x"}`,
		"dockerPath": `"dev.containers.dockerPath":` + mark + `"podman"`,
		"inner host": `"docker.environment": {"A": "1",//` + "\n" + `"DOCKER_HOST":` + mark + `"x"}`,
	}
	for _, bom := range []string{"", "\ufeff"} {
		for an, after := range afters {
			for _, tail := range []string{"", "\n", " // end", "\n// end"} {
				// The same settings without devfix's: a trailing comma
				// only where a comment follows it.
				base := bom + "{//\n\"a\": \"\"" + strings.TrimSuffix(after, ",") + "\n}" + tail
				for _, want := range []Want{dockerWant, podmanWant, bothWant} {
					out, _, err := Install("settings.json", []byte(base), want)
					if err != nil {
						t.Errorf("%s, bom=%v: Install(%q): %v", an, bom != "", base, err)
						continue
					}
					checkInvariants(t, "settings.json", []byte(base), out, want)
				}
				for on, our := range ours {
					for _, end := range []string{"}", "\n}", ",}", ",\n}", " // x\n}"} {
						in := bom + "{//\n\"a\": \"\"" + after + "\n" + our + end + tail
						if _, err := jsonc.Parse("settings.json", []byte(in)); err != nil {
							t.Fatalf("bad case %q: %v", in, err)
						}
						got, changed, err := Uninstall("settings.json", []byte(in))
						if err != nil || !changed {
							t.Errorf("%s after %s, bom=%v: Uninstall(%q): changed=%v %v", on, an, bom != "", in, changed, err)
							continue
						}
						if bytes.Contains(got, []byte(markerText)) || bytes.HasPrefix(got, []byte("\ufeff")) != (bom != "") {
							t.Errorf("Uninstall(%q) = %q: a marker left or the BOM changed", in, got)
						}
						if _, err := jsonc.Parse("settings.json", got); err != nil {
							t.Errorf("Uninstall(%q) = %q does not parse: %v", in, got, err)
						}
						if again, ch, err := Uninstall("settings.json", got); err != nil || ch || !bytes.Equal(again, got) {
							t.Errorf("second Uninstall of %q: changed=%v %v", got, ch, err)
						}
					}
				}
			}
		}
	}
}
