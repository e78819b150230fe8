package jsonc

import (
	"bytes"
	"testing"

	"github.com/devfix/devfix/internal/source"
)

// TestJSONCRemoveAllKeepsTrailingComma: Doc.Remove of every member of an
// object or array that ends with a trailing comma leaves the comma alone
// between the brackets, and the result does not parse. Found by
// FuzzInstallUninstall on
// `{  "containers.environment": /*…*/ {   "DOCKER_HOST": ""  },}`.
func TestJSONCRemoveAllKeepsTrailingComma(t *testing.T) {
	for _, in := range []string{
		`{"a": 1,}`,         // → "{,}"
		`{"a": /* c */ 1,}`, // → "{,}"
		"{\n  \"a\": 1,\n}", // → "{\n  ,\n}"
		`{"a": 1, "b": 2,}`, // → "{,}"
		`[1,]`,              // → "[,]"
	} {
		d, err := Parse("settings.json", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		out, err := source.Apply(d.Body, d.Remove(d.Root(), 0, d.Root().Len()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse("settings.json", out); err != nil {
			t.Errorf("Remove all of %q = %q, which does not parse: %v", in, out, err)
		}
	}
}

// TestRemoveAroundComments: Remove of any run of members, in objects with a
// BOM, line comments after members (before or after their comma), block
// comments there, and no final line break, gives text that parses and
// keeps every comment outside the members removed (and outside the gap
// between the last one's value and its comma). (A removal that takes
// the line break ending a line comment joins the comment to what follows.)
func TestRemoveAroundComments(t *testing.T) {
	seps := []string{",", ", ", ",//c\n", " //c\n,", ",/*c*/", " /*c*/,", ",\n", ", /*c\nc*/\n"}
	for _, bom := range []string{"", "\ufeff"} {
		for _, s1 := range seps {
			for _, s2 := range seps {
				for _, tail := range []string{"}", "\n}", "//c\n}", ",//c\n}", " /*c*/}"} {
					in := bom + "{//h\n\"a\": 1" + s1 + "\"b\": [2]" + s2 + "\"c\": {\"d\": 3}" + tail
					d, err := Parse("s.json", []byte(in))
					if err != nil {
						t.Fatalf("bad case %q: %v", in, err)
					}
					kids := d.Root().Children()
					for from := 0; from < len(kids); from++ {
						for to := from + 1; to <= len(kids); to++ {
							out, err := source.Apply(d.Body, d.Remove(d.Root(), from, to))
							if err != nil {
								t.Fatal(err)
							}
							got, err := Parse("s.json", out)
							if err != nil {
								t.Errorf("Remove [%d,%d) of %q = %q, which does not parse: %v", from, to, in, out, err)
								continue
							}
							if got.Root().Len() != len(kids)-(to-from) {
								t.Errorf("Remove [%d,%d) of %q = %q", from, to, in, out)
							}
							// A comment between a member's value and its comma
							// is the member's: it goes with it.
							sep := afterComments(d.Body, kids[to-1].End())
							want := 0
							for _, c := range d.Comments() {
								if c.End <= kids[from].KeyStart() || c.Start >= sep {
									want++
								}
							}
							if n := len(got.Comments()); n < want {
								t.Errorf("Remove [%d,%d) of %q = %q: %d comments left, want at least %d", from, to, in, out, n, want)
							}
						}
					}
				}
			}
		}
	}
}

// afterComments is the offset of the first byte at or after i that is
// neither blank nor in a comment.
func afterComments(b []byte, i int) int {
	for i < len(b) {
		switch {
		case b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r':
			i++
		case i+1 < len(b) && b[i] == '/' && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
		case i+1 < len(b) && b[i] == '/' && b[i+1] == '*':
			end := bytes.Index(b[i+2:], []byte("*/"))
			if end < 0 {
				return len(b)
			}
			i += 2 + end + 2
		default:
			return i
		}
	}
	return i
}
