package devcontainer

import (
	"fmt"
	"strings"

	"github.com/tailscale/hujson"
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
	var walk func(v *hujson.Value, ptr string)
	walk = func(v *hujson.Value, ptr string) {
		switch t := v.Value.(type) {
		case *hujson.Object:
			last := map[string]int{}
			for i := range t.Members {
				last[memberName(&t.Members[i])] = i
			}
			for i := range t.Members {
				name := memberName(&t.Members[i])
				if j := last[name]; j != i {
					line, _ := p.Config.Position(t.Members[j].Name.StartOffset)
					n := &t.Members[i].Name
					p.Reportf(n.StartOffset, n.EndOffset, ptr+"/"+escapePointer(name),
						"duplicate key %q: only the last one (line %d) is used", name, line)
				}
				walk(&t.Members[i].Value, ptr+"/"+escapePointer(name))
			}
		case *hujson.Array:
			for i := range t.Elements {
				walk(&t.Elements[i], fmt.Sprintf("%s/%d", ptr, i))
			}
		}
	}
	walk(p.Config.RootValue(), "")
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(key string) string {
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
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
	var walk func(v *hujson.Value, ptr string)
	walk = func(v *hujson.Value, ptr string) {
		var last *hujson.Value
		switch t := v.Value.(type) {
		case *hujson.Object:
			for i := range t.Members {
				walk(&t.Members[i].Value, ptr+"/"+escapePointer(memberName(&t.Members[i])))
			}
			if n := len(t.Members); n > 0 {
				last = &t.Members[n-1].Value
			}
		case *hujson.Array:
			for i := range t.Elements {
				walk(&t.Elements[i], fmt.Sprintf("%s/%d", ptr, i))
			}
			if n := len(t.Elements); n > 0 {
				last = &t.Elements[n-1]
			}
		}
		if last == nil || last.AfterExtra == nil {
			return
		}
		comma := last.EndOffset + len(last.AfterExtra)
		if comma >= len(p.Config.Body) || p.Config.Body[comma] != ',' {
			return
		}
		p.Report(comma, comma+1, ptr, "trailing comma: the devcontainer schema does not allow it",
			Fix{Message: "delete the trailing comma", Edits: []Edit{{Start: comma, End: comma + 1}}})
	}
	walk(p.Config.RootValue(), "")
}
