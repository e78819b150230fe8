package mounts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/devfix/devfix/internal/run"
	"github.com/spf13/afero"
)

// Owner reads a file's owner from its FileInfo; ok is false when the
// filesystem keeps none.
type Owner func(fi fs.FileInfo) (uid, gid int64, ok bool)

// StatOwner reads the owner of an OS file.
func StatOwner(fi fs.FileInfo) (int64, int64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int64(st.Uid), int64(st.Gid), true
}

// Reclaimed is one file given back (or, in a dry run, to give back).
type Reclaimed struct {
	Path               string
	UID, GID           int64 // host IDs before
	ContainerUID, CGID int64 // the same IDs inside the daemon's namespace
	Mode               fs.FileMode
}

// Chowner gives paths to container root (= the host user) inside the
// rootless daemon's user namespace, without following symlinks.
type Chowner func(ctx context.Context, paths []string) error

// NsenterChowner runs `nsenter -U --preserve-credentials -t PID chown -h 0:0`
// by argv, in batches.
func NsenterChowner(run run.Runner, pid int) Chowner {
	return func(ctx context.Context, paths []string) error {
		for len(paths) > 0 {
			n := min(len(paths), 200)
			argv := append([]string{"nsenter", "-U", "--preserve-credentials", "-t", fmt.Sprint(pid), "chown", "-h", "0:0", "--"}, paths[:n]...)
			if out, err := run(ctx, argv); err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			paths = paths[n:]
		}
		return nil
	}
}

// ReclaimOptions says what to give back and how.
type ReclaimOptions struct {
	Fs      afero.Fs
	Owner   Owner
	Maps    Maps
	HostUID int64
	HostGID int64
	DryRun  bool
	Chown   Chowner // nil in a dry run
}

// subordinate reports whether a host ID is one of the user's subordinate IDs
// (container ID ≥ 1 in the map).
func subordinate(m IDMap, id int64) (int64, bool) {
	c, ok := m.ToContainer(id)
	return c, ok && c >= 1
}

// Reclaim gives the files under root that belong to the user's subordinate
// UIDs or GIDs back to the user. It never follows a symbolic link (links
// themselves are given back with chown -h), touches nothing else, and keeps
// contents and modes (chown clears set-user-ID bits; they are put back).
// A directory the user cannot read is given back first, then entered.
func Reclaim(ctx context.Context, root string, o ReclaimOptions) ([]Reclaimed, error) {
	fi, err := Lstat(o.Fs, root)
	if err != nil {
		return nil, err
	}
	uid, _, ok := o.Owner(fi)
	if !ok {
		return nil, fmt.Errorf("%s: the filesystem keeps no owners", root)
	}
	if _, sub := subordinate(o.Maps.UID, uid); uid != o.HostUID && !sub {
		return nil, fmt.Errorf("%s is owned by uid %d, neither you (%d) nor one of your subordinate UIDs: not touching it", root, uid, o.HostUID)
	}
	var out []Reclaimed
	var batch []string
	flush := func() error {
		if len(batch) == 0 || o.DryRun {
			batch = nil
			return nil
		}
		err := o.Chown(ctx, batch)
		batch = nil
		return err
	}
	var visit func(path string, fi fs.FileInfo) error
	visit = func(path string, fi fs.FileInfo) error {
		uid, gid, _ := o.Owner(fi)
		cu, subU := subordinate(o.Maps.UID, uid)
		cg, subG := subordinate(o.Maps.GID, gid)
		if subU || subG {
			out = append(out, Reclaimed{Path: path, UID: uid, GID: gid, ContainerUID: cu, CGID: cg, Mode: fi.Mode()})
			if fi.IsDir() {
				// Give a directory back before entering it: it may not be
				// readable by the user until then.
				if !o.DryRun {
					if err := o.Chown(ctx, []string{path}); err != nil {
						return err
					}
				}
			} else {
				batch = append(batch, path)
				if len(batch) >= 200 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if !fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0 {
			return nil
		}
		entries, err := afero.ReadDir(o.Fs, path)
		if err != nil {
			if o.DryRun && errors.Is(err, fs.ErrPermission) {
				return nil // listed above; its contents cannot be seen yet
			}
			return err
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			child := filepath.Join(path, e.Name())
			cfi, err := Lstat(o.Fs, child)
			if err != nil {
				return err
			}
			if err := visit(child, cfi); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(root, fi); err != nil {
		return out, err
	}
	if err := flush(); err != nil {
		return out, err
	}
	if o.DryRun {
		return out, nil
	}
	// chown cleared set-user-ID and set-group-ID bits: put the modes back.
	for _, r := range out {
		if r.Mode&(fs.ModeSetuid|fs.ModeSetgid) != 0 && r.Mode&fs.ModeSymlink == 0 {
			if err := o.Fs.Chmod(r.Path, r.Mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// Lstat is Lstat where the filesystem has it, else Stat.
func Lstat(fsys afero.Fs, p string) (fs.FileInfo, error) {
	if l, ok := fsys.(afero.Lstater); ok {
		fi, _, err := l.LstatIfPossible(p)
		return fi, err
	}
	return fsys.Stat(p)
}
