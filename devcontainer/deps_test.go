package devcontainer

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The lint core stays in its room: it reads image facts through the leaf
// package internal/imagefacts, so neither the moby Engine API client nor the
// OpenTelemetry it brings is linked into it.
func TestCoreDepsHaveNoEngineClient(t *testing.T) {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goCmd, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !strings.Contains(string(out), "github.com/devfix/devfix/internal/imagefacts") {
		t.Fatalf("go list -deps gave an unexpected list: %q", deps)
	}
	for _, d := range deps {
		if strings.Contains(d, "moby") || strings.Contains(d, "opentelemetry") || d == "github.com/devfix/devfix/engine" {
			t.Errorf("package devcontainer depends on %s", d)
		}
	}
}
