package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/devfix/devfix/internal/fserr"
	"github.com/spf13/afero"
)

// maxLinks bounds symbolic link chains, as the kernel does.
const maxLinks = 40

// realPath resolves symbolic links in every element of path, as
// filepath.EvalSymlinks does, through fsys; a missing tail is kept (a file,
// and its folders, about to be created).
func realPath(fsys afero.Fs, path string) (string, error) {
	lst, okL := fsys.(afero.Lstater)
	rd, okR := fsys.(afero.LinkReader)
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if !okL || !okR {
		return abs, nil
	}
	parts := strings.Split(strings.TrimPrefix(abs, "/"), "/")
	resolved := "/"
	for hops := 0; len(parts) > 0; {
		p := parts[0]
		parts = parts[1:]
		if p == "" || p == "." {
			continue
		}
		next := filepath.Join(resolved, p)
		fi, _, err := lst.LstatIfPossible(next)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return filepath.Join(append([]string{next}, parts...)...), nil
			}
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if hops++; hops > maxLinks {
			return "", syscall.ELOOP
		}
		target, err := rd.ReadlinkIfPossible(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			resolved = "/"
		}
		parts = append(strings.Split(strings.TrimPrefix(filepath.Clean(target), "/"), "/"), parts...)
	}
	return resolved, nil
}

// writeAtomic replaces target's contents with data (or creates it, mode
// 0644): a temp file in the same folder, fsync, the old mode (and owner,
// where it can), rename. A read-only file is refused rather than replaced
// behind its owner's back. Temp files a killed devfix left beside it are
// removed first. path is the name the user knows, for messages; uid is the
// user devfix runs as (Env.UID): as root it gives the new file the old
// one's owner.
func writeAtomic(fsys afero.Fs, uid int64, path, target string, data []byte) error {
	mode := fs.FileMode(0o644)
	fi, err := fsys.Stat(target)
	switch {
	case err == nil:
		if fi.Mode().Perm()&0o222 == 0 {
			return fmt.Errorf("%s: the file is read-only; not written", path)
		}
		mode = fi.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(target)
	pattern := "." + filepath.Base(target) + ".devfix-"
	removeStale(fsys, dir, pattern)
	tmp, err := afero.TempFile(fsys, dir, pattern+"*")
	if err != nil {
		return fmt.Errorf("%s: cannot write in %s: %w", path, dir, fserr.Cause(err))
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			fsys.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := fsys.Chmod(tmpName, mode); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if st, isUnix := statT(fi); isUnix && uid == 0 {
		// Root fixing someone's file must not make it root's.
		_ = fsys.Chown(tmpName, int(st.Uid), int(st.Gid))
	}
	if err := fsys.Rename(tmpName, target); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	ok = true
	syncDir(fsys, dir)
	return nil
}

// removeStale removes regular files named pattern* in dir: the temp files
// of an apply that was killed before its rename.
func removeStale(fsys afero.Fs, dir, pattern string) {
	entries, err := afero.ReadDir(fsys, dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), pattern) && e.Mode().IsRegular() {
			_ = fsys.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// syncDir makes the rename durable on filesystems that need it.
func syncDir(fsys afero.Fs, dir string) {
	if _, isOS := fsys.(*afero.OsFs); !isOS {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func statT(fi fs.FileInfo) (*syscall.Stat_t, bool) {
	if fi == nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return st, ok
}
