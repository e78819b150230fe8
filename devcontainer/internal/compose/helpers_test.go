package compose

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devfix/devfix/internal/source"
	"github.com/spf13/afero"
)

// writeTree writes files (slash paths relative to a new temporary folder)
// and returns the folder. The OS file system is used because compose-go
// reads the files named by extends and include from the OS.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// load loads the named files of a tree written by writeTree.
func load(t testing.TB, dir string, env map[string]string, names ...string) (*Project, error) {
	t.Helper()
	var paths []string
	for _, n := range names {
		paths = append(paths, filepath.Join(dir, filepath.FromSlash(n)))
	}
	return Load(context.Background(), Options{
		Fs:        afero.NewOsFs(),
		Files:     paths,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
}

// where renders a place as "file:line:col pointer `text`", the file
// relative to dir.
func where(dir string, l source.Loc, ok bool) string {
	if l.File == nil {
		return fmt.Sprintf("nowhere (%v)", ok)
	}
	rel, err := filepath.Rel(dir, l.Path())
	if err != nil {
		rel = l.Path()
	}
	line, col := l.Position()
	text := string(l.File.Body[l.Start:l.End])
	if i := strings.IndexAny(text, "\r\n"); i >= 0 {
		text = text[:i] + "…"
	}
	s := fmt.Sprintf("%s:%d:%d %s `%s`", filepath.ToSlash(rel), line, col, l.Pointer(), text)
	if !ok {
		s += " (fallback)"
	}
	return s
}

// replaceAt is replaceScalar for the node at `at` (a place this project
// gave), as the fixes find it.
func (p *Project) replaceAt(at source.Loc, value string) (source.Edit, error) {
	f, n, err := p.nodeAt(at)
	if err != nil {
		return source.Edit{}, err
	}
	return f.replaceScalar(n, value)
}
