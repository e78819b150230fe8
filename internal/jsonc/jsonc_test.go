package jsonc

import (
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/source"
	"github.com/google/go-cmp/cmp"
)

func mustParse(t *testing.T, s string) *Doc {
	t.Helper()
	d, err := Parse("t.json", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func apply(t *testing.T, d *Doc, edits []source.Edit) string {
	t.Helper()
	out, err := source.Apply(d.Body, edits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("t.json", out); err != nil {
		t.Fatalf("edited text does not parse: %v\n%s", err, out)
	}
	return string(out)
}

func TestAtAndPointers(t *testing.T) {
	d := mustParse(t, `{"a": 1, "features": {"ghcr.io/x/y:1": {"o": [true, "s"]}}, "a": {"b": 2}}`)
	for ptr, want := range map[string]string{
		"":                              `{"a": 1, "features": {"ghcr.io/x/y:1": {"o": [true, "s"]}}, "a": {"b": 2}}`,
		"/a":                            `{"b": 2}`, // the last duplicate
		"/a/b":                          "2",
		"/features/ghcr.io~1x~1y:1/o/1": `"s"`,
		"/features/ghcr.io~1x~1y:1/o/2": "",
		"/nope":                         "",
	} {
		if got := d.At(ptr).Raw(); got != want {
			t.Errorf("At(%q) = %q, want %q", ptr, got, want)
		}
	}
	n := d.At("/features/ghcr.io~1x~1y:1/o/0")
	if n.Ptr() != "/features/ghcr.io~1x~1y:1/o/0" || !n.IsTrue() || n.Parent().Key() != "o" {
		t.Errorf("node: %q %v %q", n.Ptr(), n.IsTrue(), n.Parent().Key())
	}
}

func TestComments(t *testing.T) {
	src := "// head\n{\n  /* a */ \"a\" /* b */: /* c */ 1 /* d */, // e\n  \"x\": [ /* f */ ] // g\n  // h\n}\n// tail"
	d := mustParse(t, src)
	var got []string
	for _, c := range d.Comments() {
		if src[c.Start:c.End] != c.Text {
			t.Errorf("comment %q is not at %d..%d", c.Text, c.Start, c.End)
		}
		got = append(got, c.Text)
	}
	want := []string{"// head", "/* a */", "/* b */", "/* c */", "/* d */", "// e", "/* f */", "// g", "// h", "// tail"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("comments (-want +got):\n%s", d)
	}
}

func TestInsert(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty object", "{}", "{\n\t\"k\": 1\n}"},
		{"one line", `{"a": 1}`, `{"a": 1, "k": 1}`},
		{"multi line", "{\n  \"a\": 1\n}\n", "{\n  \"a\": 1,\n  \"k\": 1\n}\n"},
		{"comment after the last", "{\n  \"a\": 1 // one\n}\n", "{\n  \"a\": 1, // one\n  \"k\": 1\n}\n"},
		{"trailing comma kept where it was", "{\n  \"a\": 1,\n}\n", "{\n  \"a\": 1,\n  \"k\": 1\n}\n"},
		{"crlf and tabs", "{\r\n\t\"a\": 1\r\n}\r\n", "{\r\n\t\"a\": 1,\r\n\t\"k\": 1\r\n}\r\n"},
		{"after a middle member", "{\n  \"a\": 1,\n  \"b\": 2\n}", "{\n  \"a\": 1,\n  \"k\": 1,\n  \"b\": 2\n}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := mustParse(t, tc.in)
			after := Node{}
			if strings.Contains(tc.name, "middle") {
				after = d.At("/a")
			}
			if got := apply(t, d, d.Insert(d.Root(), after, KV{"k", "1"})); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestAppendAndRemove(t *testing.T) {
	d := mustParse(t, "{\n  \"r\": [\n    \"-a\", // why\n    \"-b\"\n  ]\n}\n")
	if got, want := apply(t, d, d.Append(d.At("/r"), `"-c"`)), "{\n  \"r\": [\n    \"-a\", // why\n    \"-b\",\n    \"-c\"\n  ]\n}\n"; got != want {
		t.Errorf("append: %q, want %q", got, want)
	}
	if got, want := apply(t, d, d.Remove(d.At("/r"), 1, 2)), "{\n  \"r\": [\n    \"-a\" // why\n  ]\n}\n"; got != want {
		t.Errorf("remove last: %q, want %q", got, want)
	}
	m := mustParse(t, "{\n  \"a\": 1, // keep me\n  \"b\": 2,\n  \"c\": 3\n}\n")
	if got, want := apply(t, m, m.Remove(m.Root(), 1, 2)), "{\n  \"a\": 1, // keep me\n  \"c\": 3\n}\n"; got != want {
		t.Errorf("remove member: %q, want %q", got, want)
	}
	if got, want := apply(t, m, m.Remove(m.Root(), 2, 3)), "{\n  \"a\": 1, // keep me\n  \"b\": 2\n}\n"; got != want {
		t.Errorf("remove last member: %q, want %q", got, want)
	}
}

// TestParseKeepsEverything: the file's bytes are kept, and so is the tree
// read from them: packed, it is the body again (plus the newline lent to a
// line comment that ends the file).
func TestParseKeepsEverything(t *testing.T) {
	for _, tc := range []struct {
		in   string
		lent bool // a newline lent to the tree
	}{
		{"\xef\xbb\xbf{}", false},
		{"{} // no final newline", true},
		{"{\r\n}\r\n", false},
		{"[1,2,]", false},
		{"{\"a\": [1, {\"b\": null}] /* c */}", false},
	} {
		d := mustParse(t, tc.in)
		if string(d.Bytes()) != tc.in {
			t.Errorf("Bytes() = %q, want %q", d.Bytes(), tc.in)
		}
		want := string(d.Body)
		if tc.lent {
			want += "\n"
		}
		if got := string(d.root.Pack()); got != want {
			t.Errorf("%q: the tree packs to %q, want %q", tc.in, got, want)
		}
	}
}

func TestQuote(t *testing.T) {
	if got := Quote("a<b>&\"c\"\n\x01"); got != `"a<b>&\"c\"\n\u0001"` {
		t.Errorf("Quote = %s", got)
	}
}
