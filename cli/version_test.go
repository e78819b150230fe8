package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionFrom(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.modified", Value: "true"},
	}}
	for _, tc := range []struct {
		name, version, revision string
		bi                      *debug.BuildInfo
		want                    string
	}{
		{"make dist: the link-time values win", "1.2.0", "feedface", vcs, "1.2.0 (feedface)"},
		{"a checkout build: the recorded revision", "", "", vcs, "(devel) (0123456789abcdef0123456789abcdef01234567, modified)"},
		{"go install …@v1.2.0: the module version", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0"},
		{"a version without a revision (-buildvcs=false)", "1.2.0", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "1.2.0"},
		{"no build information", "", "", nil, "unknown"},
	} {
		if got := versionFrom(tc.version, tc.revision, tc.bi).String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
