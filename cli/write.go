package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/spf13/afero"
)

// resolveLinks follows symbolic links from path to the file they name, so a
// write through a link replaces the target and keeps the link.
func resolveLinks(fsys afero.Fs, path string) (string, error) {
	lst, okL := fsys.(afero.Lstater)
	rd, okR := fsys.(afero.LinkReader)
	if !okL || !okR {
		return path, nil
	}
	for i := 0; i < 40; i++ {
		fi, _, err := lst.LstatIfPossible(path)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		target, err := rd.ReadlinkIfPossible(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", fmt.Errorf("%s: symbolic link loop", path)
}

// writeAtomic replaces path's contents with data (or creates it, mode
// 0644): a temp file in the same folder, fsync, the old mode (and owner,
// where it can), rename. A read-only file is refused rather than replaced
// behind its owner's back.
func writeAtomic(fsys afero.Fs, path string, data []byte) error {
	target, err := resolveLinks(fsys, path)
	if errors.Is(err, fs.ErrNotExist) {
		target, err = path, nil
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
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
	tmp, err := afero.TempFile(fsys, dir, "."+filepath.Base(target)+".devfix-*")
	if err != nil {
		return fmt.Errorf("%s: cannot write in %s: %w", path, dir, unwrapPathError(err))
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
	if st, isUnix := statT(fi); isUnix && os.Getuid() == 0 {
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

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func statT(fi fs.FileInfo) (*syscall.Stat_t, bool) {
	if fi == nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return st, ok
}
