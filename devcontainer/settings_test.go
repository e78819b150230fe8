package devcontainer

import "testing"

// "engine" is read as the --engine flag is (engine.ParseKind).
func TestSettingsEngine(t *testing.T) {
	for in, want := range map[string]Engine{`"podman"`: EnginePodman, `"Podman"`: EnginePodman, `" docker "`: EngineDocker} {
		s, err := parseSettings(SettingsFile, []byte(`{"engine": `+in+`}`))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if s.Engine != want {
			t.Errorf("%s: engine %q, want %q", in, s.Engine, want)
		}
	}
	for _, in := range []string{`"podmn"`, `1`, `""`} {
		if _, err := parseSettings(SettingsFile, []byte(`{"engine": `+in+`}`)); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}
