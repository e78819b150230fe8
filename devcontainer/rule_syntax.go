package devcontainer

import (
	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
)

var ruleDuplicateKey = &Rule{
	ID:       "duplicate-key",
	Title:    "a key appears twice in one object; only the last one counts",
	Severity: SeverityWarning,
	Doc: `The reference CLI (jsonc-parser) keeps the last of duplicate keys, and so do
devfix's fixes. An earlier copy is dead text that misleads readers: a
"remoteUser": "root" above a later "remoteUser": "vscode" does nothing.
Delete the copy that does not count.`,
	Bad:   `{ "remoteUser": "root", "image": "debian", "remoteUser": "vscode" }`,
	Good:  `{ "image": "debian", "remoteUser": "root" }`,
	Check: checkDuplicateKeys,
}

func checkDuplicateKeys(p *Pass) {
	for _, n := range p.Config.doc.Nodes() {
		if n.Kind() != jsonc.Object || n.Len() < 2 {
			continue
		}
		for _, m := range n.Children() {
			if last := n.Get(m.Key()); last != m {
				line, _ := last.KeyLoc().Position()
				p.Reportf(m.KeyLoc(), "duplicate key %q: only the last one (line %d) is used", m.Key(), line)
			}
		}
	}
}

var ruleTrailingComma = &Rule{
	ID:       "trailing-comma",
	Title:    "a trailing comma, which the devcontainer schema forbids",
	Severity: SeverityWarning,
	Doc: `The devcontainer.json schema says "allowTrailingCommas": false. The reference
CLI tolerates them, but VS Code warns and other tools (DevPod, JSON parsers in
CI) have broken on them. The fix deletes the comma and keeps every comment.`,
	Bad:   "{\n  \"image\": \"debian\",\n}",
	Good:  "{\n  \"image\": \"debian\"\n}",
	Check: checkTrailingCommas,
}

func checkTrailingCommas(p *Pass) {
	c := p.Config
	for _, n := range c.doc.Nodes() {
		if k := n.Kind(); k != jsonc.Object && k != jsonc.Array {
			continue
		}
		if comma, ok := n.HasTrailingComma(); ok {
			// About the member or element the comma follows (on its line).
			kids := n.Children()
			at := source.Loc{File: c.File(), Start: comma, End: comma + 1, Ptrs: []string{kids[len(kids)-1].Ptr()}}
			p.Report(at, "trailing comma: the devcontainer schema does not allow it",
				Fix{Message: "delete the trailing comma", Edits: []source.Edit{{File: c.File(), Start: comma, End: comma + 1}}})
		}
	}
}
