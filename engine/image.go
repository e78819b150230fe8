package engine

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Image is what devfix reads of an image.
type Image = imagefacts.Image

// Images is what both Daemon (the Engine API) and PodmanCLI answer.
type Images = imagefacts.Images

var (
	_ Images = (*Daemon)(nil)
	_ Images = PodmanCLI{}
)

// maxImageFile bounds what ReadImageFile reads: /etc/passwd and /etc/group
// are small, and a file that is not should not fill memory.
const maxImageFile = 16 << 20

// maxLinks bounds how many symbolic links ReadImageFile follows.
const maxLinks = 8

// readFileLabel marks the containers ReadImageFile creates, so a leftover
// one (a killed devfix) can be found: docker ps -a --filter label=devfix.read-image-file
const readFileLabel = "devfix.read-image-file"

// removeTimeout bounds the removal of ReadImageFile's container, which runs
// even when the caller's context is cancelled.
const removeTimeout = 10 * time.Second

// notFoundError says an image, or a file in one, does not exist. It matches
// fs.ErrNotExist.
type notFoundError struct{ msg string }

func (e notFoundError) Error() string        { return e.msg }
func (e notFoundError) Is(target error) bool { return target == fs.ErrNotExist }

// InspectImage reads an image's ID, Config.User and labels; a missing image
// is Found false, not an error. Podman's service finds a local image by its
// short name too ("labbox" for localhost/labbox).
func (d *Daemon) InspectImage(ctx context.Context, ref string) (Image, error) {
	res, err := d.client.ImageInspect(ctx, ref)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return Image{}, nil
		}
		return Image{}, fmt.Errorf("inspect image %q: %w", ref, err)
	}
	img := Image{Found: true, ID: res.ID}
	if res.Config != nil {
		img.User, img.Labels = res.Config.User, res.Config.Labels
	}
	if res.GraphDriver != nil && strings.HasPrefix(d.Host, "unix://") {
		// Its folders are on this host only when the daemon is.
		img.Layers = overlayLayers(res.GraphDriver.Name, res.GraphDriver.Data)
	}
	return img, nil
}

// ReadImageFile reads a file (such as /etc/passwd) out of an image without
// starting anything: it creates a container (with command "true", for images
// that have none), copies the file out through the archive endpoint, and
// removes the container again, also when the copy fails or ctx is cancelled.
// Symbolic links are followed inside the image. A missing image or file is an
// error that matches fs.ErrNotExist.
func (d *Daemon) ReadImageFile(ctx context.Context, ref, p string) ([]byte, error) {
	files, err := d.ReadImageFiles(ctx, ref, p)
	if err != nil {
		return nil, err
	}
	return files[0].Data, files[0].Err
}

// File is one file read out of an image, or why it could not be.
type File struct {
	Data []byte
	Err  error // matches fs.ErrNotExist for a file the image lacks
}

// ReadImageFiles reads several files out of one container, as ReadImageFile
// reads one: one create and one removal for all of them. The error is for
// what fails them all (no such image, no container); each file has its own.
func (d *Daemon) ReadImageFiles(ctx context.Context, ref string, paths ...string) (files []File, err error) {
	what := strings.Join(paths, ", ")
	created, err := d.client.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{
		Image: ref, Cmd: []string{"true"}, Labels: map[string]string{readFileLabel: what},
	}})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, notFoundError{fmt.Sprintf("no such image %q", ref)}
		}
		return nil, fmt.Errorf("read %s from image %q: create a container: %w", what, ref, err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
		defer cancel()
		if _, rerr := d.client.ContainerRemove(rctx, created.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); rerr != nil {
			files, err = nil, fmt.Errorf("remove container %s (made to read %s from image %q): %w", shortID(created.ID), what, ref, rerr)
		}
	}()
	archive := func(p string) (io.ReadCloser, error) {
		res, err := d.client.CopyFromContainer(ctx, created.ID, client.CopyFromContainerOptions{SourcePath: p})
		if err != nil {
			if cerrdefs.IsNotFound(err) {
				return nil, notFoundError{fmt.Sprintf("no %s in image %q", p, ref)}
			}
			return nil, fmt.Errorf("read %s from image %q: %w", p, ref, err)
		}
		return res.Content, nil
	}
	files = readFiles(ref, paths, archive)
	return files, nil
}

// readFiles reads paths through archive: files of one folder (/etc/passwd
// and /etc/group) from one archive of the folder, so the podman CLI runs one
// cp, not one per file; a file that is a link there, or that the folder's
// archive cannot answer, on its own.
func readFiles(ref string, paths []string, archive func(p string) (io.ReadCloser, error)) []File {
	files := make([]File, len(paths))
	done := make([]bool, len(paths))
	if dir := path.Dir(paths[0]); len(paths) > 1 && dir != "/" && allIn(paths, dir) {
		if rc, err := archive(dir); err == nil {
			found, err := filesFromDirTar(rc, path.Base(dir))
			rc.Close()
			if err == nil {
				for i, p := range paths {
					if data, ok := found[path.Base(p)]; ok {
						files[i], done[i] = File{Data: data}, true
					} else if _, listed := found["\x00"+path.Base(p)]; !listed {
						// Not in the folder at all.
						files[i], done[i] = File{Err: notFoundError{fmt.Sprintf("no %s in image %q", p, ref)}}, true
					}
				}
			}
		}
	}
	for i, p := range paths {
		if !done[i] {
			data, err := followLinks(ref, p, archive)
			files[i] = File{Data: data, Err: err}
		}
	}
	return files
}

func allIn(paths []string, dir string) bool {
	for _, p := range paths {
		if !path.IsAbs(p) || path.Dir(p) != dir {
			return false
		}
	}
	return true
}

// filesFromDirTar reads the archive of a folder named base: the regular
// files directly in it by name, and for every other entry (a link, a
// folder) the name with a NUL before it, so the caller reads those alone.
func filesFromDirTar(r io.Reader, base string) (map[string][]byte, error) {
	out := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		name := strings.TrimPrefix(path.Clean(strings.TrimPrefix(hdr.Name, "./")), base+"/")
		if name == "" || strings.Contains(name, "/") || name == base || name == "." {
			continue
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Size > maxImageFile {
			out["\x00"+name] = nil
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
		out[name] = data
	}
}

// followLinks reads p through archive, which returns a tar of one entry;
// when that entry is a symbolic link, it reads the link's target instead.
func followLinks(ref, p string, archive func(p string) (io.ReadCloser, error)) ([]byte, error) {
	return readFollowing(ref, p, func(p string) ([]byte, string, error) {
		rc, err := archive(p)
		if err != nil {
			return nil, "", err
		}
		defer rc.Close()
		data, link, err := fileFromTar(rc)
		if err != nil {
			return nil, "", fmt.Errorf("read %s from image %q: %w", p, ref, err)
		}
		return data, link, nil
	})
}

// readFollowing reads p with read, which returns a file's bytes or, for a
// symbolic link, its target; it follows up to maxLinks links, a relative
// one from the link's folder.
func readFollowing(ref, p string, read func(p string) (data []byte, link string, err error)) ([]byte, error) {
	for range maxLinks {
		data, link, err := read(p)
		if err != nil {
			return nil, err
		}
		if link == "" {
			return data, nil
		}
		if !path.IsAbs(link) {
			link = path.Join(path.Dir(p), link)
		}
		p = link
	}
	return nil, fmt.Errorf("read %s from image %q: more than %d symbolic links", p, ref, maxLinks)
}

// fileFromTar returns the contents of the first entry of a tar stream, or
// the target when it is a symbolic link.
func fileFromTar(r io.Reader) (data []byte, link string, err error) {
	tr := tar.NewReader(r)
	hdr, err := tr.Next()
	if err == io.EOF {
		return nil, "", errors.New("empty archive")
	}
	if err != nil {
		return nil, "", fmt.Errorf("archive: %w", err)
	}
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		return nil, hdr.Linkname, nil
	case tar.TypeReg:
	case tar.TypeDir:
		return nil, "", errors.New("is a directory")
	default:
		return nil, "", fmt.Errorf("not a regular file (tar type %q)", hdr.Typeflag)
	}
	if hdr.Size > maxImageFile {
		return nil, "", fmt.Errorf("%d bytes is too large (limit %d)", hdr.Size, maxImageFile)
	}
	data, err = io.ReadAll(io.LimitReader(tr, hdr.Size))
	if err != nil {
		return nil, "", fmt.Errorf("archive: %w", err)
	}
	return data, "", nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
