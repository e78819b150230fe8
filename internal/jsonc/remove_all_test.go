package jsonc

import (
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
