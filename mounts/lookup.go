package mounts

import (
	"context"
	"fmt"
	"github.com/devfix/devfix/internal/run"

	"github.com/spf13/afero"
)

// Who is the host user whose maps are looked up.
type Who struct {
	UID, GID      int64
	Name          string
	XDGRuntimeDir string
}

// Maps are a user's UID and GID maps and where they came from.
type Maps struct {
	UID, GID IDMap
	Source   string
	ChildPID int // the rootless daemon's namespace, 0 when none runs
}

// LookupMaps finds the maps a user's rootless daemon uses: the live
// uid_map/gid_map of its RootlessKit child when it runs, else /etc/subuid and
// /etc/subgid, else getsubids (NSS, for domain users) when run is not nil.
func LookupMaps(ctx context.Context, fs afero.Fs, procRoot string, w Who, run run.Runner) (Maps, error) {
	if pid, err := findRootlessChildPID(fs, procRoot, w.XDGRuntimeDir, w.UID); err == nil {
		um, err1 := readIDMap(fs, procRoot, pid, "uid_map")
		gm, err2 := readIDMap(fs, procRoot, pid, "gid_map")
		if err1 == nil && err2 == nil {
			return Maps{UID: um, GID: gm, ChildPID: pid, Source: fmt.Sprintf("the live uid_map and gid_map of your rootless daemon (pid %d)", pid)}, nil
		}
	}
	read := func(path string, id int64) ([]SubIDRange, error) {
		f, err := fs.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		es, err := ParseSubIDFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s:%w", path, err)
		}
		return RangesFor(es, w.Name, id), nil
	}
	us, errU := read("/etc/subuid", w.UID)
	gs, errG := read("/etc/subgid", w.UID)
	if errU == nil && errG == nil && len(us) > 0 && len(gs) > 0 {
		return Maps{UID: rootlessMap(w.UID, us), GID: rootlessMap(w.GID, gs), Source: "/etc/subuid and /etc/subgid (no rootless daemon is running)"}, nil
	}
	if run != nil && w.Name != "" {
		us, err1 := subIDsFromGetsubids(ctx, run, w.Name, false)
		gs, err2 := subIDsFromGetsubids(ctx, run, w.Name, true)
		if err1 == nil && err2 == nil && len(us) > 0 && len(gs) > 0 {
			return Maps{UID: rootlessMap(w.UID, us), GID: rootlessMap(w.GID, gs), Source: "getsubids (no rootless daemon is running)"}, nil
		}
	}
	for _, err := range []error{errU, errG} {
		if err != nil {
			return Maps{}, fmt.Errorf("no rootless daemon of uid %d is running and %v", w.UID, err)
		}
	}
	return Maps{}, fmt.Errorf("no rootless daemon of uid %d is running, and /etc/subuid or /etc/subgid has no range for %s (uid %d): run devfix doctor", w.UID, w.Name, w.UID)
}
