package subid

import (
	"bytes"
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/spf13/afero"
)

// LocalID is a user of /etc/passwd or a group of /etc/group. For a user,
// GID is the primary group's.
type LocalID struct {
	Name    string
	ID, GID int64
	Line    int
}

// ParsePasswd reads name:x:uid:gid:… lines; other lines are skipped (this
// is about which IDs are taken, not a passwd checker).
func ParsePasswd(data []byte) []LocalID { return parseIDs(data, 7, true) }

// ParseGroup reads name:x:gid:members lines.
func ParseGroup(data []byte) []LocalID { return parseIDs(data, 4, false) }

func parseIDs(data []byte, fields int, passwd bool) []LocalID {
	var out []LocalID
	for n, line := range bytes.Split(data, []byte("\n")) {
		f := strings.Split(string(line), ":")
		if len(f) != fields || f[0] == "" || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
			continue
		}
		id, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || id < 0 {
			continue
		}
		l := LocalID{Name: f[0], ID: id, GID: -1, Line: n + 1}
		if passwd {
			if g, err := strconv.ParseInt(f[3], 10, 64); err == nil && g >= 0 {
				l.GID = g
			}
		}
		out = append(out, l)
	}
	return out
}

func readIDs(fsys afero.Fs, path string, parse func([]byte) []LocalID) ([]LocalID, error) {
	data, err := afero.ReadFile(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parse(data), nil
}

func itoa(n int) string { return strconv.Itoa(n) }
