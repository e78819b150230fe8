package devcontainer

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// docs/rules.md must be what the registry generates (make docs rewrites it;
// so does go test ./devcontainer -run TestRulesDoc -update).
func TestRulesDoc(t *testing.T) {
	const path = "../docs/rules.md"
	want := RulesMarkdown()
	if *update {
		must(t, os.WriteFile(path, []byte(want), 0o644))
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make docs)", err)
	}
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Errorf("docs/rules.md is stale; run make docs (-want +got):\n%s", d)
	}
}

func TestRulesAreComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("duplicate rule ID %s", r.ID)
		}
		seen[r.ID] = true
		if r.Title == "" || r.Doc == "" || r.Bad == "" || r.Good == "" || r.Check == nil {
			t.Errorf("%s: title, doc, examples and check are all required", r.ID)
		}
		if _, err := os.Stat("../testdata/rules/" + r.ID); err != nil {
			t.Errorf("%s: no golden cases in testdata/rules/%s", r.ID, r.ID)
		}
	}
}
