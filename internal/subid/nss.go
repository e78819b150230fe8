package subid

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"strings"

	"github.com/spf13/afero"
)

// NSSSource is where shadow (newuidmap, useradd, usermod, getsubids) looks
// up subordinate IDs: the first word of nsswitch.conf's first non-empty
// "subid:" line. "" (no such line) and "files" mean /etc/subuid and
// /etc/subgid; any other word is a module (libsubid_WORD.so), the only
// source then, with no fallback to the files.
type NSSSource struct {
	Source string
	Where  string // "path:LINE" of the subid: line ("" when none)
}

// Files reports whether the files are what programs read.
func (s NSSSource) Files() bool { return s.Source == "" || s.Source == "files" }

// ParseNSSSource finds the subid: line as shadow's nss_init does: a line
// starting (in any case) with "subid:", its first word.
func ParseNSSSource(path string, data []byte) NSSSource {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if len(line) < 6 || !strings.EqualFold(line[:6], "subid:") {
			continue
		}
		f := strings.Fields(line[6:])
		if len(f) == 0 {
			continue
		}
		return NSSSource{Source: f[0], Where: path + ":" + itoa(n)}
	}
	return NSSSource{}
}

// ReadNSSSource reads path (missing: the files).
func ReadNSSSource(fsys afero.Fs, path string) (NSSSource, error) {
	data, err := afero.ReadFile(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		return NSSSource{}, nil
	}
	if err != nil {
		return NSSSource{}, err
	}
	return ParseNSSSource(path, data), nil
}
