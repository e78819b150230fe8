package devcontainer

import (
	"bytes"
	"testing"

	"github.com/tailscale/hujson"
)

// comments returns every comment in a JSONC text, found by a scanner that
// knows nothing of devfix (so it can check devfix's edits).
func comments(t testing.TB, b []byte) []string {
	var out []string
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
			j := i
			for j < len(b) && b[j] != '\n' && b[j] != '\r' {
				j++
			}
			out = append(out, string(b[i:j]))
			i = j
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			j := i + 2
			for j+1 < len(b) && !(b[j] == '*' && b[j+1] == '/') {
				j++
			}
			out = append(out, string(b[i:min(j+2, len(b))]))
			i = j + 1
		}
	}
	return out
}

// countTrailingCommas counts composites that end with a comma.
func countTrailingCommas(t testing.TB, b []byte) int {
	t.Helper()
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		b = b[3:]
	}
	v, err := hujson.Parse(append([]byte(nil), b...))
	if err != nil && !bytes.HasSuffix(b, []byte("\n")) {
		// A line comment ending the file: valid JSONC, not to hujson
		// (internal/jsonc lends it a newline the same way).
		v, err = hujson.Parse(append(append([]byte(nil), b...), '\n'))
	}
	if err != nil {
		t.Fatalf("countTrailingCommas: %v", err)
	}
	n := 0
	for x := range v.All() {
		switch c := x.Value.(type) {
		case *hujson.Object:
			if k := len(c.Members); k > 0 && c.Members[k-1].Value.AfterExtra != nil {
				n++
			}
		case *hujson.Array:
			if k := len(c.Elements); k > 0 && c.Elements[k-1].AfterExtra != nil {
				n++
			}
		}
	}
	return n
}
