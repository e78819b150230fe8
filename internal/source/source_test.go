package source

import (
	"strings"
	"testing"
)

// TestErrorOneLine: control characters are escaped in the path as well as
// in the message, so an error is always one line.
func TestErrorOneLine(t *testing.T) {
	cases := []struct {
		e    *Error
		want string
	}{
		{&Error{Path: "/w/a\nb.yml", Msg: "cannot read: no such file or directory"},
			`/w/a\nb.yml: cannot read: no such file or directory`},
		{&Error{Path: "/w/a\rb\t.yml", Line: 2, Col: 3, Msg: "bad\nvalue"},
			`/w/a\rb\t.yml:2:3: bad\nvalue`},
		{&Error{Path: "/w/é.yml", Line: 1, Col: 1, Msg: "x"}, "/w/é.yml:1:1: x"},
	}
	for _, tc := range cases {
		got := tc.e.Error()
		if got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
		if strings.ContainsAny(got, "\n\r") {
			t.Errorf("not one line: %q", got)
		}
	}
}
