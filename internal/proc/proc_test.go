package proc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

func TestParseStatus(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Status
	}{
		{"Name:\trootlesskit\nUmask:\t0022\nState:\tS (sleeping)\nPPid:\t17\nUid:\t1000\t1000\t1000\t1000\n", Status{Name: "rootlesskit", UID: 1000, PPID: 17}},
		{"Name:\tx\n", Status{Name: "x", UID: -1}},
		{"Uid:\t\nPPid:\tnope\n", Status{UID: -1}},
		{"Name:\tweird: name\nUid:\t0\t0\t0\t0\n", Status{Name: "weird: name", UID: 0}},
	} {
		if diff := cmp.Diff(tt.want, ParseStatus(tt.in)); diff != "" {
			t.Errorf("ParseStatus(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestPIDsAndReadStatus(t *testing.T) {
	fs := afero.NewMemMapFs()
	for _, p := range []string{"/p/12/status", "/p/3/status", "/p/self/status", "/p/sys/x", "/p/0/status"} {
		afero.WriteFile(fs, p, []byte("Name:\tn\nUid:\t5\t5\t5\t5\nPPid:\t1\n"), 0o444)
	}
	pids, err := PIDs(fs, "/p")
	if err != nil || !cmp.Equal(pids, []int{3, 12}) {
		t.Errorf("PIDs = %v, %v", pids, err)
	}
	st, err := ReadStatus(fs, "/p", 12)
	if err != nil || st != (Status{Name: "n", UID: 5, PPID: 1}) {
		t.Errorf("ReadStatus = %+v, %v", st, err)
	}
	if _, err := ReadStatus(fs, "/p", 99); err == nil {
		t.Error("ReadStatus of a missing process: no error")
	}
	if _, err := PIDs(fs, ""); err == nil {
		t.Error("PIDs of a missing /proc: no error")
	}
}
