package hostcheck

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

// Only Python's docker-compose v1 is warned about: compose v2 also ships as
// a docker-compose program.
func TestDoctorComposeV1(t *testing.T) {
	for _, tc := range []struct {
		name, file, version string
		v1                  bool
	}{
		{"python script", "#!/usr/bin/python3\n# -*- coding: utf-8 -*-\nimport re\n", "", true},
		{"v1 binary", "\x7fELF\x02\x01\x01", "1.29.2\n", true},
		{"v2 binary", "\x7fELF\x02\x01\x01", "2.24.5\n", false},
		{"v2 binary, v prefix", "\x7fELF\x02\x01\x01", "v2.29.1\n", false},
		{"cannot tell", "\x7fELF\x02\x01\x01", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := afero.NewMemMapFs()
			afero.WriteFile(fsys, "/usr/bin/docker-compose", []byte(tc.file), 0o755)
			d := &Doctor{Fs: fsys}
			d.LookPath = func(p string) (string, error) {
				if p == "docker-compose" {
					return "/usr/bin/docker-compose", nil
				}
				return "", exec.ErrNotFound
			}
			ran := false
			d.Run = func(_ context.Context, argv []string) ([]byte, error) {
				ran = true
				if tc.version == "" || strings.Join(argv, " ") != "/usr/bin/docker-compose version --short" {
					return nil, errors.New("exit status 1")
				}
				return []byte(tc.version), nil
			}
			ctx := context.Background()
			if got := d.composeIsV1(ctx, "/usr/bin/docker-compose"); got != tc.v1 {
				t.Errorf("composeIsV1 = %v, want %v", got, tc.v1)
			}
			if strings.HasPrefix(tc.file, "#!") && ran {
				t.Error("ran a Python script to learn what the file says")
			}
			if c := d.composeProvider(ctx); (c.Status == Warn) != tc.v1 {
				t.Errorf("composeProvider: %+v", c)
			}
		})
	}
}
