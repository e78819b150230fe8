package subid

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseKeepsEveryLine(t *testing.T) {
	data := "# ranges\n\nalice:100000:65536\n  # indented comment\nbob@corp.example.com:165536:65536\nCORP\\carol:231072:65536\n1551001108:400000:65536"
	f, err := Parse("/etc/subuid", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"alice", Range{100000, 65536}, 3},
		{"bob@corp.example.com", Range{165536, 65536}, 5},
		{`CORP\carol`, Range{231072, 65536}, 6},
		{"1551001108", Range{400000, 65536}, 7},
	}
	if d := cmp.Diff(want, f.Entries); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if string(f.Data) != data {
		t.Errorf("data changed")
	}
}

func TestParseMalformed(t *testing.T) {
	for line, want := range map[string]string{
		"alice:100000":                  `/etc/subuid:2: expected owner:start:count, got "alice:100000"`,
		"alice:1:2:3":                   `/etc/subuid:2: expected owner:start:count, got "alice:1:2:3"`,
		":100000:65536":                 `/etc/subuid:2: empty owner in ":100000:65536"`,
		"alice:-1:65536":                `/etc/subuid:2: start "-1" is not a decimal number`,
		"alice:0x10:65536":              `/etc/subuid:2: start "0x10" is not a decimal number`,
		"alice:100000:65536 ":           `/etc/subuid:2: count "65536 " is not a decimal number`,
		"alice:100000:65536\r":          `/etc/subuid:2: line ends in a carriage return (\r): save the file with Unix line endings`,
		"alice:100000:0":                `/etc/subuid:2: count is 0`,
		"alice:4294967295:2":            `/etc/subuid:2: range 4294967295+2 ends past the last ID, 4294967295`,
		"a" + strings.Repeat("x", 1100): `/etc/subuid:2: line is 1101 bytes long: shadow ignores lines of 1024 bytes or more`,
	} {
		f, err := Parse("/etc/subuid", []byte("ok:1:1\n"+line+"\nlater:5:5\n"))
		if err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %s", line, err, want)
		}
		if len(f.Entries) != 2 || f.Entries[1].Line != 3 {
			t.Errorf("%q: the good lines are kept: %+v", line, f.Entries)
		}
	}
}

func TestOwnsAndLongest(t *testing.T) {
	f, _ := Parse("/etc/subuid", []byte("alice:100000:1000\n1000:101000:1000\nbob:102000:65536\nalice:200000:500\n"))
	mine := f.Of("alice", 1000)
	if len(mine) != 3 {
		t.Fatalf("by name or UID: %+v", mine)
	}
	if n := Longest(mine); n != 2000 {
		t.Errorf("adjacent ranges chain: %d, want 2000", n)
	}
	if n := Longest(f.Of("carol", 1001)); n != 0 {
		t.Errorf("carol has %d", n)
	}
}

func TestOverlaps(t *testing.T) {
	f, _ := Parse("/etc/subuid", []byte("alice:100000:65536\nbob:165536:65536\ncarol:100000:65536\nalice:120000:10\ndave:231071:1\n"))
	var got []string
	for _, o := range Overlaps(f.Entries) {
		got = append(got, o.A.Owner+"/"+o.B.Owner)
	}
	want := []string{"alice/carol", "bob/dave", "carol/alice"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestAppendOnly(t *testing.T) {
	f, _ := Parse("/etc/subuid", []byte("# keep\nzed:300000:65536")) // no final newline
	n, err := f.Append("alice", Range{100000, 65536})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(n.Data); got != "# keep\nzed:300000:65536\nalice:100000:65536\n" {
		t.Errorf("got %q", got)
	}
	if string(f.Data) != "# keep\nzed:300000:65536" {
		t.Errorf("the old file changed")
	}
	if p, err := Parse(n.Path, n.Data); err != nil || cmp.Diff(p.Entries, n.Entries) != "" {
		t.Errorf("entries do not match a re-parse: %v\n%+v\n%+v", err, p.Entries, n.Entries)
	}
}

// A name from the directory can never make a line of someone else's.
func TestValidNameRefusesLinesForOthers(t *testing.T) {
	bad := []string{"", "evil:0:4294967295", "x\nroot:100000:65536", "x\rroot", "#root", " alice", "alice ", "1000", "0",
		"a\x00b", "a\x7fb", "a\u0085b", strings.Repeat("n", 1000)}
	for _, name := range bad {
		if ValidName(name) == nil {
			t.Errorf("%q accepted", name)
		}
		f, _ := Parse("/etc/subuid", []byte("root:100000:65536\n"))
		if _, err := f.Append(name, Range{200000, 65536}); err == nil {
			t.Errorf("%q appended", name)
		}
	}
	for _, name := range []string{"alice", "user@corp.example.com", `CORP\user`, "John Smith", "dom.user", "1x", "ünïcode"} {
		if err := ValidName(name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
}
