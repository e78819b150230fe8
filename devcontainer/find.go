package devcontainer

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
)

// locations are where configs live in a folder, as the spec lists them. The
// reference CLI itself only looks at the first two; the third needs --config.
var locations = []string{
	".devcontainer/devcontainer.json",
	".devcontainer.json",
	".devcontainer/*/devcontainer.json",
}

// ErrNoConfig is returned (wrapped) when a folder holds no config.
var ErrNoConfig = errors.New("no devcontainer.json found")

// Find returns the configs a path names: the path itself when it is a file,
// else every config in the folder's Locations, in that order.
func Find(fsys afero.Fs, path string) ([]string, error) {
	info, err := fsys.Stat(path)
	if err != nil {
		return nil, DescribeFileError(fsys, path, err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var found []string
	for _, loc := range locations {
		matches, err := afero.Glob(fsys, filepath.Join(path, filepath.FromSlash(loc)))
		if err != nil {
			return nil, err
		}
		sort.Strings(matches)
		for _, m := range matches {
			if st, err := fsys.Stat(m); err == nil && !st.IsDir() {
				found = append(found, m)
			} else if err != nil {
				// A dangling or looping link is still a config someone meant.
				if _, lerr := mounts.Lstat(fsys, m); lerr == nil {
					found = append(found, m)
				}
			}
		}
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%s: %w (looked for %s, %s and %s)", path, ErrNoConfig, locations[0], locations[1], locations[2])
	}
	return found, nil
}

// DescribeFileError turns an error about path into one line:
// "path: what is wrong".
func DescribeFileError(fsys afero.Fs, path string, err error) error {
	switch {
	case errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("%s: symbolic link loop", path)
	case errors.Is(err, fs.ErrNotExist):
		if fi, lerr := mounts.Lstat(fsys, path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s: dangling symbolic link", path)
		}
		return fmt.Errorf("%s: no such file or folder", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: permission denied", path)
	case errors.Is(err, syscall.EISDIR):
		return fmt.Errorf("%s: is a folder, not a file", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", path, pe.Err)
	}
	return fmt.Errorf("%s: %v", path, err)
}
