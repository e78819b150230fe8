package subid

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/spf13/afero"
)

// Window is where shadow allocates a file's ranges: starts from Min, the
// last ID at most Max (both inclusive, as in find_free_range), Count IDs
// each. Count 0 turns automatic ranges off (useradd adds none).
type Window struct{ Min, Max, Count int64 }

// LoginDefs is what login.defs says about IDs, shadow's defaults where it
// is silent.
type LoginDefs struct {
	UIDMin, GIDMin int64
	SubUID, SubGID Window
}

// DefaultLoginDefs is shadow's built-in defaults (lib/find_new_sub_uids.c,
// login.defs(5)), which Debian's login.defs also sets.
func DefaultLoginDefs() LoginDefs {
	return LoginDefs{
		UIDMin: 1000, GIDMin: 1000,
		SubUID: Window{Min: 100000, Max: 600100000, Count: 65536},
		SubGID: Window{Min: 100000, Max: 600100000, Count: 65536},
	}
}

// ParseLoginDefs reads "NAME VALUE" lines; the last setting of a name wins
// and numbers take C's forms (0x hex, leading-0 octal), as shadow's getdef.
// A value that is not a number is an error "path:LINE: …".
func ParseLoginDefs(path string, data []byte) (LoginDefs, error) {
	d := DefaultLoginDefs()
	fields := map[string]*int64{
		"UID_MIN": &d.UIDMin, "GID_MIN": &d.GIDMin,
		"SUB_UID_MIN": &d.SubUID.Min, "SUB_UID_MAX": &d.SubUID.Max, "SUB_UID_COUNT": &d.SubUID.Count,
		"SUB_GID_MIN": &d.SubGID.Min, "SUB_GID_MAX": &d.SubGID.Max, "SUB_GID_COUNT": &d.SubGID.Count,
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") {
			continue
		}
		p, ok := fields[f[0]]
		if !ok {
			continue
		}
		v, err := cNumber(strings.Trim(f[1], `"`))
		if err != nil || v < 0 || v > MaxID {
			return d, &LineError{Path: path, Line: n, What: fmt.Sprintf("%s %q is not a number from 0 to %d", f[0], f[1], MaxID)}
		}
		*p = v
	}
	return d, sc.Err()
}

// cNumber parses as strtoul with base 0.
func cNumber(s string) (int64, error) {
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	return strconv.ParseInt(s, base, 64)
}

// ReadLoginDefs reads path (a missing file gives the defaults).
func ReadLoginDefs(fsys afero.Fs, path string) (LoginDefs, error) {
	data, err := afero.ReadFile(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultLoginDefs(), nil
	}
	if err != nil {
		return DefaultLoginDefs(), err
	}
	return ParseLoginDefs(path, data)
}
