package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/devfix/devfix/engine/enginetest"
	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/spf13/afero"
)

// BenchmarkImageFacts reads an image's /etc/passwd and /etc/group as one
// lint does, each op a fresh connection (a new devfix process), over a fake
// Engine API on a unix socket, three ways in the same run: a cache miss
// under vfs (a container is created, both files copied out, the container
// removed, the entry written), a cold read from overlay layer folders (no
// container), and a cache hit (the inspect alone, then the entry). It
// reports hit/miss and layers/miss, the ratios the cache and the layer read
// are held to: the hit makes no container, the layer read none either.
func BenchmarkImageFacts(b *testing.B) {
	top := filepath.Join(b.TempDir(), "diff")
	os.MkdirAll(filepath.Join(top, "etc"), 0o755)
	img := imageWithVscode("sha256:8888", 1000)
	for p, data := range img.Files {
		os.WriteFile(filepath.Join(top, p), []byte(data), 0o644)
	}
	layered := img
	layered.ID, layered.Layers = "sha256:9999", []string{top}
	eng := enginetest.Start(b, enginetest.Config{Rootless: true, Images: map[string]enginetest.Image{"vfs:1": img, "overlay:1": layered}})
	disc := Discovery{Fs: afero.NewOsFs(), LookupEnv: func(k string) (string, bool) {
		if k == "DOCKER_HOST" {
			return eng.Host, true
		}
		return "", false
	}}
	cache := &imagefacts.Cache{Fs: afero.NewOsFs(), Dir: filepath.Join(b.TempDir(), "images")}
	ctx := context.Background()
	read := func(ref string, c *imagefacts.Cache) time.Duration {
		t0 := time.Now()
		p := &Pool{Discovery: disc}
		imgs := p.Get(Docker).Cached(c)
		for _, f := range userFiles {
			if _, err := imgs.ReadImageFile(ctx, ref, f); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(t0)
	}
	var miss, layers, hit time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		os.RemoveAll(cache.Dir)
		miss += read("vfs:1", cache)
		layers += read("overlay:1", nil)
		hit += read("vfs:1", cache)
	}
	b.ReportMetric(float64(miss.Nanoseconds())/float64(b.N), "miss-ns/op")
	b.ReportMetric(float64(layers.Nanoseconds())/float64(b.N), "layers-ns/op")
	b.ReportMetric(float64(hit.Nanoseconds())/float64(b.N), "hit-ns/op")
	b.ReportMetric(float64(hit)/float64(miss), "hit/miss")
	b.ReportMetric(float64(layers)/float64(miss), "layers/miss")
}
