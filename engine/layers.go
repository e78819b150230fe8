package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// overlayLayers turns an inspect's GraphDriver into the image's layer
// folders, topmost first: UpperDir, then LowerDir's folders in order. Only
// overlay drivers (Docker's overlay2, Podman's overlay) name them; nil for
// any other driver, or when a folder is not an absolute path.
func overlayLayers(driver string, data map[string]string) []string {
	if driver != "overlay" && driver != "overlay2" {
		return nil
	}
	var layers []string
	if up := data["UpperDir"]; up != "" {
		layers = append(layers, up)
	}
	if low := data["LowerDir"]; low != "" {
		layers = append(layers, strings.Split(low, ":")...)
	}
	for _, l := range layers {
		if !filepath.IsAbs(l) {
			return nil
		}
	}
	return layers
}

// layerReader reads files of an image straight from its overlay layer
// folders, as the overlay filesystem would show them, without a container:
// the topmost layer that has a path wins; a whiteout (a `.wh.NAME` file, or
// a character device 0/0 in the native format) hides NAME in the layers
// below; an opaque folder (`.wh..wh..opq` in it, or the xattr
// trusted.overlay.opaque or user.overlay.opaque "y") hides all of the
// folder's contents below. A rootless engine's store belongs to the user,
// so its layers can be read. Symbolic links are followed inside the image.
// Anything it cannot be sure of (a folder it cannot read, a link among the
// parents) is an error: the caller then makes a container.
type layerReader struct {
	fs     afero.Fs
	layers []string
	// opaqueXattr reads an xattr of a folder; nil means lgetxattr(2).
	opaqueXattr func(path, name string) ([]byte, error)
}

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

var errLayerUnsure = errors.New("the layers cannot answer")

func (r layerReader) lstat(p string) (fs.FileInfo, error) {
	if l, ok := r.fs.(afero.Lstater); ok {
		fi, _, err := l.LstatIfPossible(p)
		return fi, err
	}
	return r.fs.Stat(p)
}

// exists reports whether p is there; an error other than "not there" is
// returned (permission denied: unsure).
func (r layerReader) exists(p string) (fs.FileInfo, bool, error) {
	fi, err := r.lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return fi, true, nil
}

func (r layerReader) opaque(dir string) (bool, error) {
	if _, ok, err := r.exists(filepath.Join(dir, opaqueMarker)); ok || err != nil {
		return ok, err
	}
	get := r.opaqueXattr
	if get == nil {
		get = lgetxattr
	}
	for _, name := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		if v, err := get(dir, name); err == nil && string(v) == "y" {
			return true, nil
		}
	}
	return false, nil
}

func lgetxattr(p, name string) ([]byte, error) {
	buf := make([]byte, 16)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// isWhiteout reports whether fi is overlay's native whiteout: a character
// device (0/0; no image keeps another device among these files).
func isWhiteout(fi fs.FileInfo) bool { return fi.Mode()&fs.ModeCharDevice != 0 }

// ReadFiles reads absolute paths from the layers.
func (r layerReader) ReadFiles(ref string, paths []string) ([]File, error) {
	if len(r.layers) == 0 {
		return nil, errLayerUnsure
	}
	for _, l := range r.layers {
		if fi, err := r.fs.Stat(l); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("layer %s: %w", l, errLayerUnsure)
		}
	}
	var files []File
	for _, p := range paths {
		data, err := r.readFollowing(ref, p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		files = append(files, File{Data: data, Err: err})
	}
	return files, nil
}

func (r layerReader) readFollowing(ref, p string) ([]byte, error) {
	return readFollowing(ref, p, func(p string) ([]byte, string, error) {
		data, link, err := r.read(path.Clean(p))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, "", notFoundError{fmt.Sprintf("no %s in image %q", p, ref)}
		}
		return data, link, err
	})
}

// read finds p (clean, absolute) in the topmost layer that has it.
func (r layerReader) read(p string) (data []byte, link string, err error) {
	comps := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if comps[len(comps)-1] == "" {
		return nil, "", errLayerUnsure
	}
	for _, layer := range r.layers {
		data, link, found, hidesBelow, err := r.readIn(layer, comps)
		if err != nil || found {
			return data, link, err
		}
		if hidesBelow {
			break
		}
	}
	return nil, "", fs.ErrNotExist
}

// readIn looks for the path comps in one layer: found, or not there and
// whether this layer hides it in the layers below (a whiteout of it or of a
// parent, an opaque parent).
func (r layerReader) readIn(layer string, comps []string) (data []byte, link string, found, hidesBelow bool, err error) {
	dir := layer
	for i, c := range comps {
		last := i == len(comps)-1
		// A whiteout hides c in the layers below; a layer that deletes and
		// makes c again (a tar may hold both) has c itself too.
		_, wh, err := r.exists(filepath.Join(dir, whiteoutPrefix+c))
		if err != nil {
			return nil, "", false, false, err
		}
		hidesBelow = hidesBelow || wh
		fi, ok, err := r.exists(filepath.Join(dir, c))
		switch {
		case err != nil:
			return nil, "", false, false, err
		case !ok:
			return nil, "", false, hidesBelow, nil // this layer does not touch it, or deletes it
		case isWhiteout(fi):
			return nil, "", false, true, nil
		case last:
		case fi.Mode()&fs.ModeSymlink != 0:
			return nil, "", false, false, fmt.Errorf("%s is a link in a layer: %w", c, errLayerUnsure)
		case !fi.IsDir():
			return nil, "", false, true, nil // a file where a folder should be
		default:
			dir = filepath.Join(dir, c)
			op, err := r.opaque(dir)
			if err != nil {
				return nil, "", false, false, err
			}
			hidesBelow = hidesBelow || op
			continue
		}
		// The file itself.
		p := filepath.Join(dir, c)
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			lr, ok := r.fs.(afero.LinkReader)
			if !ok {
				return nil, "", false, false, errLayerUnsure
			}
			target, err := lr.ReadlinkIfPossible(p)
			return nil, target, err == nil, false, err
		case !fi.Mode().IsRegular():
			return nil, "", false, false, fmt.Errorf("%s is not a regular file: %w", p, errLayerUnsure)
		case fi.Size() > maxImageFile:
			return nil, "", false, false, fmt.Errorf("%s: %d bytes is too large (limit %d)", p, fi.Size(), maxImageFile)
		}
		data, err := afero.ReadFile(r.fs, p)
		return data, "", err == nil, false, err
	}
	return nil, "", false, hidesBelow, nil
}
