package compose

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestComments(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string // line:col text
	}{
		{"head, line and foot",
			"# devfix-ignore-file docker-socket-mount -- we need it\n\nservices:   # the services  \n  app:\n    # devfix-ignore-next-line rootless-user\n    user: vscode # devfix-ignore-line rootless-user -- why\n    image: x\n    volumes:\n      # before the item\n      - /a:/a # after the item\n      - /b:/b\n      # after the items\n    # end of app\n  # end of services\n# end\n",
			[]string{
				"1:1 # devfix-ignore-file docker-socket-mount -- we need it",
				"3:13 # the services  ",
				"5:5 # devfix-ignore-next-line rootless-user",
				"6:18 # devfix-ignore-line rootless-user -- why",
				"9:7 # before the item",
				"10:15 # after the item",
				"12:7 # after the items",
				"13:5 # end of app",
				"14:3 # end of services",
				"15:1 # end",
			}},
		{"CRLF, and not in scalars",
			"services:\r\n  app:\r\n    image: x\r\n    command: |\r\n      # not a comment\r\n      echo\r\n    # not a comment\r\n    entrypoint: \"a\r\n      # not a comment either\"\r\n    user: 'a # b' # a comment\r\n",
			[]string{
				"7:5 # not a comment",
				"10:19 # a comment",
			}},
		{"flow", "services:\n  app:\n    image: x\n    cap_add: [SYS_ADMIN, # first\n      NET_ADMIN] # last\n",
			[]string{
				"4:26 # first",
				"5:18 # last",
			}},
		{"a block scalar's header line",
			"services:\r\n  app:\r\n    image: x\r\n    user: |-  # devfix-ignore-line rootless-container-user\r\n      vscode\r\n    command: >\r\n      # not a comment\r\n    entrypoint: |2 # two\r\n       echo # not one\r\n",
			[]string{
				"4:15 # devfix-ignore-line rootless-container-user",
				"8:20 # two",
			}},
		{"non-ASCII before", "services:\n  app:\n    image: \"é\" # après\n",
			[]string{"3:17 # après"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := loadMem(t, tc.in)
			f := p.Files[0]
			var got []string
			for _, c := range f.Comments() {
				if string(f.Src.Body[c.Start:c.End]) != c.Text {
					t.Errorf("span %d..%d is %q, not %q", c.Start, c.End, f.Src.Body[c.Start:c.End], c.Text)
				}
				l, col := f.Src.Position(c.Start)
				got = append(got, fmt.Sprintf("%d:%d %s", l, col, c.Text))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPointersByLine(t *testing.T) {
	p, _ := loadMem(t, "services:\n  app:\n    image: x\n    volumes:\n      - /a:/a\n      - type: bind\n        source: /b\n        target: /b\n    cap_add: [A, B]\n")
	got := p.Files[0].PointersByLine()
	want := map[int][]string{
		1: {"/services"},
		2: {"/services/app"},
		3: {"/services/app/image"},
		4: {"/services/app/volumes"},
		5: {"/services/app/volumes/0"},
		6: {"/services/app/volumes/1", "/services/app/volumes/1/type"},
		7: {"/services/app/volumes/1/source"},
		8: {"/services/app/volumes/1/target"},
		9: {"/services/app/cap_add", "/services/app/cap_add/0", "/services/app/cap_add/1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
