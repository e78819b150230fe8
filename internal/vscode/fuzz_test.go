package vscode

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/devfix/devfix/internal/source"
)

// FuzzInstallUninstall: on any bytes, Install and Uninstall never panic;
// Install fails only with a *source.Error or a *ConflictError, and then
// returns no data; its output parses, a second Install changes nothing, and
// Uninstall gives back the input (for a file devfix never wrote to; else
// what Uninstall makes of the input); Uninstall leaves a file devfix never
// wrote to alone.
func FuzzInstallUninstall(f *testing.F) {
	for _, dir := range []string{"testdata/install", "testdata/uninstall"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, uint8(0))
				f.Add(b, uint8(1))
				f.Add(b, uint8(2))
			}
		}
	}
	f.Add([]byte(`{"a": 1,}`), uint8(2))
	f.Add([]byte("{\r\n\t\"a\": {\"b\": [1, /* c */ 2]} // d\r\n}"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		want := []Want{dockerWant, podmanWant, bothWant}[which%3]
		written := bytes.Contains(data, []byte(markerText))
		if un, changed, err := Uninstall("settings.json", data); err == nil && !written && (changed || !bytes.Equal(un, data)) {
			t.Fatalf("Uninstall changed a file devfix never wrote to:\n%q\n%q", data, un)
		}
		out, changed, err := Install("settings.json", data, want)
		if err != nil {
			var se *source.Error
			var ce *ConflictError
			if !errors.As(err, &se) && !errors.As(err, &ce) {
				t.Fatalf("Install: unexpected error %v on %q", err, data)
			}
			if out != nil || changed {
				t.Fatalf("Install returned data with an error")
			}
			return
		}
		if changed == bytes.Equal(out, data) {
			t.Fatalf("changed = %v on %q → %q", changed, data, out)
		}
		checkInvariants(t, "settings.json", data, out, want)
	})
}
