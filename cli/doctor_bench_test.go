package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/devfix/devfix/engine/enginetest"
	"github.com/devfix/devfix/internal/run"
	"github.com/spf13/afero"
)

// BenchmarkDoctor: a whole doctor run against a (fake) rootless daemon on a
// unix socket, with the real shell probe and the real /proc and /sys. The
// target is well under 250ms an op: one daemon ping, one shell probe.
func BenchmarkDoctor(b *testing.B) {
	eng := enginetest.Start(b, enginetest.Config{Rootless: true, TCP: true})
	home := b.TempDir()
	lookup := func(k string) (string, bool) {
		switch k {
		case "DOCKER_HOST":
			return eng.Host, true
		case "HOME":
			return home, true
		case "SHELL":
			return "/bin/bash", true
		}
		return "", false
	}
	for i := 0; i < b.N; i++ {
		fs := afero.NewOsFs()
		env := testEnv(fs)
		env.Stdout, env.Stderr, env.LookupEnv, env.Run, env.Connect = io.Discard, io.Discard, lookup, run.Argv, dial
		env.UID, env.GID, env.UserName = int64(os.Getuid()), int64(os.Getgid()), "bench"
		env.connectEngines()
		Run(context.Background(), []string{"doctor"}, env)
	}
	if n := eng.Requests()["/_ping"]; n != b.N {
		b.Errorf("%d pings for %d runs: doctor should ping once", n, b.N)
	}
}

// BenchmarkLintCorpusCLI lints the whole corpus through the real CLI wiring
// (OS filesystem, /proc, the host's UID map), as `devfix lint FILE...` does;
// per-config host lookups must be cached (a /proc scan per config made this
// 35x slower once).
func BenchmarkLintCorpusCLI(b *testing.B) {
	files, _ := filepath.Glob("../../shared/corpus/files/*.jsonc")
	if len(files) == 0 {
		b.Skip("SKIPPED: no corpus beside the repo")
	}
	for i := 0; i < b.N; i++ {
		env := OSEnv()
		env.Stdout, env.Stderr = io.Discard, io.Discard
		Run(context.Background(), append([]string{"lint"}, files...), env)
	}
}
