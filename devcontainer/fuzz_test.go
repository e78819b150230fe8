package devcontainer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLintApply: parse → lint → fix never panics, the fix re-parses, keeps
// comments, adds no trailing comma and is idempotent, for every strategy.
func FuzzLintApply(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/rules/*/*.jsonc")
	corpus, _ := filepath.Glob(filepath.Join(corpusDir, "files", "00[0-4]*.jsonc"))
	for _, p := range append(seeds, corpus...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"remoteUser":"a","remoteUser":"b","runArgs":["-u","x","--user=y"]}`))
	f.Add([]byte("\xef\xbb\xbf{\r\n}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.json", data)
		if err != nil {
			return
		}
		for _, s := range strategies() {
			o := corpusOptions(s)
			Lint(context.Background(), c, o)
			res, err := FixConfig(context.Background(), c, o)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			c2, err := Parse("fuzz.json", res.Output)
			if err != nil {
				t.Fatalf("%s: fixed output does not parse: %v\n%q", s, err, res.Output)
			}
			again, err := FixConfig(context.Background(), c2, o)
			if err != nil {
				t.Fatalf("%s: second fix: %v", s, err)
			}
			if !bytes.Equal(again.Output, res.Output) {
				t.Fatalf("%s: not idempotent:\n%q\n%q", s, res.Output, again.Output)
			}
			for _, cm := range comments(t, data) {
				if !bytes.Contains(res.Output, []byte(cm)) {
					t.Fatalf("%s: comment lost: %q", s, cm)
				}
			}
			if countTrailingCommas(t, res.Output) > countTrailingCommas(t, data) {
				t.Fatalf("%s: trailing comma added", s)
			}
		}
	})
}
