package devcontainer

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/tailscale/hujson"
)

// BenchmarkLintVsFloor lints the whole corpus (root strategy, no daemon) and,
// in the same run, does the least any JSONC linter must do to the same bytes:
// hujson.Parse + Standardize + json.Unmarshal. It reports lint/floor, the
// ratio the project holds itself to (goal: ≤ 2).
func BenchmarkLintVsFloor(b *testing.B) {
	files := corpusFiles(b)
	var inputs [][]byte
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, data)
	}
	ctx := context.Background()
	o := &Options{}
	var floor, lint time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		for _, data := range inputs {
			v, err := hujson.Parse(append([]byte(nil), data...))
			if err != nil {
				b.Fatal(err)
			}
			v.Standardize()
			var m map[string]any
			if err := json.Unmarshal(v.Pack(), &m); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		for j, data := range inputs {
			c, err := Parse(files[j], data)
			if err != nil {
				b.Fatal(err)
			}
			Lint(ctx, c, o)
		}
		t2 := time.Now()
		floor += t1.Sub(t0)
		lint += t2.Sub(t1)
	}
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns/op")
	b.ReportMetric(float64(lint.Nanoseconds())/float64(b.N), "lint-ns/op")
	b.ReportMetric(float64(lint)/float64(floor), "lint/floor")
}

// BenchmarkFixCorpus applies the root strategy's fixes to every corpus file.
func BenchmarkFixCorpus(b *testing.B) {
	files := corpusFiles(b)
	var cs []*Config
	for _, p := range files {
		data, _ := os.ReadFile(p)
		c, err := Parse(p, data)
		if err != nil {
			b.Fatal(err)
		}
		cs = append(cs, c)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range cs {
			if _, err := FixConfig(context.Background(), c, &Options{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkLintComposeVsImage reads and lints a compose config (one service,
// its YAML through compose-go) and, in the same run, an image config, and
// reports compose/image: what reading the YAML the way compose does costs.
func BenchmarkLintComposeVsImage(b *testing.B) {
	dir := b.TempDir()
	files := map[string]string{
		"image/.devcontainer/devcontainer.json":   `{"image": "mcr.microsoft.com/devcontainers/base:debian", "remoteUser": "vscode"}`,
		"compose/.devcontainer/devcontainer.json": `{"dockerComposeFile": "docker-compose.yml", "service": "app", "workspaceFolder": "/workspaces/app"}`,
		"compose/.devcontainer/docker-compose.yml": `services:
  app:
    image: mcr.microsoft.com/devcontainers/base:debian
    user: vscode
    command: sleep infinity
    volumes:
      - ..:/workspaces/app:cached
      - /var/run/docker.sock:/var/run/docker.sock
`,
	}
	for p, data := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	fs := afero.NewOsFs()
	o := &Options{Fs: fs}
	lint := func(p string) {
		c, err := Load(ctx, fs, filepath.Join(dir, p, ".devcontainer", "devcontainer.json"), nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(Lint(ctx, c, o).Diagnostics) == 0 {
			b.Fatal("no findings: the rules did not run")
		}
	}
	var img, cmp time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		lint("image")
		t1 := time.Now()
		lint("compose")
		img, cmp = img+t1.Sub(t0), cmp+time.Since(t1)
	}
	b.ReportMetric(float64(img.Nanoseconds())/float64(b.N), "image-ns/op")
	b.ReportMetric(float64(cmp.Nanoseconds())/float64(b.N), "compose-ns/op")
	b.ReportMetric(float64(cmp)/float64(img), "compose/image")
}
