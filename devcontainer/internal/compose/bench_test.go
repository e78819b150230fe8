package compose

import (
	"context"
	"testing"

	"github.com/spf13/afero"
)

// BenchmarkLoad loads compose dev containers of the corpus and locates
// every volume: a typical template (0009, docker-outside-of-docker-compose:
// one file, 26 lines), a service extending one in another file (0207), and
// three files with ten services and !reset (0168).
func BenchmarkLoad(b *testing.B) {
	for _, bc := range []struct{ name, id string }{
		{"template", "0009"},
		{"extends", "0207"},
		{"three-files", "0168"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var files []string
			for _, e := range corpusCompose(b) {
				if e.id == bc.id {
					files = e.files
				}
			}
			if files == nil {
				b.Skipf("SKIPPED: corpus entry %s not found", bc.id)
			}
			ctx := context.Background()
			// Read the files once into memory: the benchmark measures
			// parsing and loading, not the disk.
			fsys := afero.NewCacheOnReadFs(afero.NewOsFs(), afero.NewMemMapFs(), 0)
			b.ReportAllocs()
			for b.Loop() {
				p, err := Load(ctx, Options{Fs: fsys, Files: files, LookupEnv: corpusEnv})
				if err != nil {
					b.Fatal(err)
				}
				for name, s := range p.Model.Services {
					for _, v := range s.Volumes {
						p.Volume(name, v)
					}
				}
			}
		})
	}
}
