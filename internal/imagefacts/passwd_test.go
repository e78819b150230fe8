package imagefacts

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLookupUser(t *testing.T) {
	passwd := []byte(`root:x:0:0:root:/root:/bin/bash
# a comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin

vscode:x:1000:1000:,,,:/home/vscode:/bin/zsh
node:x:1000:1000::/home/node:/bin/sh
+nisuser::::::
broken:x
2000:x:3000:3000::/home/numeric:/bin/sh
`)
	group := []byte(`root:x:0:
vscode:x:1000:
dev:x:2000:vscode
docker:x:999:vscode
`)
	tests := []struct {
		spec  string
		want  Account
		found bool
	}{
		{spec: "vscode", want: Account{Name: "vscode", UID: 1000, GID: 1000}, found: true},
		{spec: "1000", want: Account{Name: "vscode", UID: 1000, GID: 1000}, found: true},
		{spec: "node", want: Account{Name: "node", UID: 1000, GID: 1000}, found: true},
		{spec: "", want: Account{Name: "root", UID: 0, GID: 0}, found: true},
		{spec: "root", want: Account{Name: "root", UID: 0, GID: 0}, found: true},
		{spec: "vscode:dev", want: Account{Name: "vscode", UID: 1000, GID: 2000}, found: true},
		{spec: "vscode:999", want: Account{Name: "vscode", UID: 1000, GID: 999}, found: true},
		{spec: "1000:1000", want: Account{Name: "vscode", UID: 1000, GID: 1000}, found: true},
		{spec: "vscode:", want: Account{Name: "vscode", UID: 1000, GID: 1000}, found: true},
		// A user spec matches a line by name as well as by UID.
		{spec: "2000", want: Account{Name: "2000", UID: 3000, GID: 3000}, found: true},
		// Docker runs a UID that /etc/passwd lacks, as group 0.
		{spec: "4242", want: Account{UID: 4242, GID: 0}, found: false},
		{spec: "4242:4242", want: Account{UID: 4242, GID: 4242}, found: false},
		{spec: "4242:dev", want: Account{UID: 4242, GID: 2000}, found: false},
		// Names that are not there: Docker refuses to start.
		{spec: "ghost", want: Account{UID: -1, GID: -1}, found: false},
		{spec: "vscode:ghosts", want: Account{Name: "vscode", UID: 1000, GID: -1}, found: false},
		{spec: "nisuser", want: Account{UID: -1, GID: -1}, found: false},
		{spec: "broken", want: Account{UID: -1, GID: -1}, found: false},
	}
	for _, tc := range tests {
		got, found := LookupUser(passwd, group, tc.spec)
		if found != tc.found {
			t.Errorf("%q: found %v, want %v", tc.spec, found, tc.found)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.spec, diff)
		}
	}
}

func TestLookupUserEmptyFiles(t *testing.T) {
	got, found := LookupUser(nil, nil, "1000:1000")
	if found || got != (Account{UID: 1000, GID: 1000}) {
		t.Errorf("got %+v, %v", got, found)
	}
	got, found = LookupUser(nil, nil, "")
	if found || got != (Account{UID: 0, GID: 0}) {
		t.Errorf("root without /etc/passwd: %+v, %v", got, found)
	}
}
