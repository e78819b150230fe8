package mounts

import (
	"cmp"
	"context"
	"fmt"

	"github.com/devfix/devfix/internal/run"
	"github.com/devfix/devfix/internal/subid"
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
// uid_map/gid_map of its RootlessKit child when it runs, else SubIDMaps.
// Finding the child may mean reading the status of every process; where no
// rootless Docker daemon can be (Podman has none), call SubIDMaps.
func LookupMaps(ctx context.Context, fs afero.Fs, procRoot string, w Who, run run.Runner) (Maps, error) {
	if pid, err := findRootlessChildPID(fs, procRoot, w.XDGRuntimeDir, w.UID); err == nil {
		um, err1 := readIDMap(fs, procRoot, pid, "uid_map")
		gm, err2 := readIDMap(fs, procRoot, pid, "gid_map")
		if err1 == nil && err2 == nil {
			return Maps{UID: um, GID: gm, ChildPID: pid, Source: fmt.Sprintf("the live uid_map and gid_map of your rootless daemon (pid %d)", pid)}, nil
		}
	}
	m, err := SubIDMaps(ctx, fs, w, run)
	if err != nil {
		return Maps{}, fmt.Errorf("no rootless daemon of uid %d is running, and %w", w.UID, err)
	}
	m.Source += " (no rootless daemon is running)"
	return m, nil
}

// SubIDMaps builds the maps a rootless engine sets up from the user's
// subordinate ranges: /etc/subuid and /etc/subgid, else getsubids (NSS, for
// domain users) when run is not nil. It is how Podman maps a container, and
// how RootlessKit maps a Docker daemon that is not running yet; it looks at
// no process.
func SubIDMaps(ctx context.Context, fs afero.Fs, w Who, run run.Runner) (Maps, error) {
	read := func(path string, id int64) ([]SubIDRange, error) {
		if _, err := fs.Stat(path); err != nil {
			return nil, err // a missing file is said so (subid.Read takes it for empty)
		}
		f, err := subid.Read(fs, path)
		if err != nil {
			return nil, err
		}
		var out []SubIDRange
		for _, e := range f.Of(w.Name, id) {
			out = append(out, SubIDRange{Start: e.Start, Count: e.Count})
		}
		return out, nil
	}
	us, errU := read("/etc/subuid", w.UID)
	gs, errG := read("/etc/subgid", w.UID)
	if errU == nil && errG == nil && len(us) > 0 && len(gs) > 0 {
		return Maps{UID: rootlessMap(w.UID, us), GID: rootlessMap(w.GID, gs), Source: "/etc/subuid and /etc/subgid"}, nil
	}
	if run != nil && w.Name != "" {
		us, err1 := subIDsFromGetsubids(ctx, run, w.Name, false)
		gs, err2 := subIDsFromGetsubids(ctx, run, w.Name, true)
		if err1 == nil && err2 == nil && len(us) > 0 && len(gs) > 0 {
			return Maps{UID: rootlessMap(w.UID, us), GID: rootlessMap(w.GID, gs), Source: "getsubids"}, nil
		}
	}
	if err := cmp.Or(errU, errG); err != nil {
		return Maps{}, err
	}
	return Maps{}, fmt.Errorf("/etc/subuid or /etc/subgid has no range for %s (uid %d): run devfix doctor", w.Name, w.UID)
}
