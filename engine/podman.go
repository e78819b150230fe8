package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/devfix/devfix/internal/run"
)

// PodmanCLI answers image questions through the podman command, for Podman
// without its API service. It runs podman by argv, never through a shell.
//
// Podman names a local image localhost/NAME; it finds it by the short NAME
// too, as `podman run NAME` does.
type PodmanCLI struct {
	// Run runs argv and returns its standard output alone (ReadImageFile
	// reads a tar from it); standard error belongs in the error. Nil means
	// run.Argv.
	Run run.Runner
	// Path is the podman program; "" means "podman" on PATH.
	Path string
}

func (p PodmanCLI) run(ctx context.Context, args ...string) ([]byte, error) {
	prog := p.Path
	if prog == "" {
		prog = "podman"
	}
	argv := append([]string{prog}, args...)
	runner := p.Run
	if runner == nil {
		runner = run.Argv
	}
	return runner(ctx, argv)
}

// Version returns podman's version ("4.3.1").
func (p PodmanCLI) Version(ctx context.Context) (string, error) {
	out, err := p.run(ctx, "--version")
	if err != nil {
		return "", fmt.Errorf("podman --version: %w", err)
	}
	// "podman version 4.3.1"
	fields := strings.Fields(string(out))
	if len(fields) < 3 || !strings.EqualFold(fields[0], "podman") || fields[1] != "version" {
		return "", fmt.Errorf("podman --version: unexpected output %q", strings.TrimSpace(string(out)))
	}
	return fields[2], nil
}

// imageNotKnown is how podman says an image does not exist: "Error:
// inspecting object: nope:1: image not known" (4.3.1), "no such image".
var imageNotKnown = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)image not known|no such image`) })

// InspectImage runs `podman image inspect`; a missing image is Found false,
// not an error.
func (p PodmanCLI) InspectImage(ctx context.Context, ref string) (Image, error) {
	out, err := p.run(ctx, "image", "inspect", "--", ref)
	if err != nil {
		if says(err, out, imageNotKnown()) {
			return Image{}, nil
		}
		return Image{}, fmt.Errorf("podman image inspect %q: %w", ref, err)
	}
	var res []struct {
		ID     string `json:"Id"`
		Config struct {
			User   string
			Labels map[string]string
		}
		GraphDriver struct {
			Name string
			Data map[string]string
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return Image{}, fmt.Errorf("podman image inspect %q: %w", ref, err)
	}
	if len(res) == 0 {
		return Image{}, nil
	}
	img := Image{Found: true, ID: res[0].ID, User: res[0].Config.User, Labels: res[0].Config.Labels,
		Layers: overlayLayers(res[0].GraphDriver.Name, res[0].GraphDriver.Data)}
	if img.ID != "" && !strings.Contains(img.ID, ":") {
		img.ID = "sha256:" + img.ID // as the Engine API says it
	}
	return img, nil
}

// fileNotFound is how podman cp says a file does not exist: "Error:
// \"/etc/nope\" could not be found on container …: no such file or directory".
var fileNotFound = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)could not be found|no such file or directory`) })

// says reports whether a failed podman said re, in its error (standard error,
// as run.Argv puts it there) or its output (a runner that mixes the two).
func says(err error, out []byte, re *regexp.Regexp) bool {
	return re.MatchString(err.Error()) || re.Match(out)
}

// containerID is the ID podman create prints.
var containerID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^[0-9a-f]{64}$`) })

// ReadImageFile reads a file (such as /etc/passwd) out of an image without
// starting anything: `podman create` (command "true", for images that have
// none; never pulling), `podman cp ID:PATH -` (a tar on standard output),
// and `podman rm -f ID`, which runs also when the copy fails or ctx is
// cancelled. A missing image or file is an error that matches
// fs.ErrNotExist.
func (p PodmanCLI) ReadImageFile(ctx context.Context, ref, path string) ([]byte, error) {
	files, err := p.ReadImageFiles(ctx, ref, path)
	if err != nil {
		return nil, err
	}
	return files[0].Data, files[0].Err
}

// ReadImageFiles reads several files out of one container: one create, one
// cp each, one rm.
func (p PodmanCLI) ReadImageFiles(ctx context.Context, ref string, paths ...string) (files []File, err error) {
	what := strings.Join(paths, ", ")
	out, err := p.run(ctx, "create", "--pull=never", "--label", readFileLabel+"="+what, "--", ref, "true")
	if err != nil {
		if says(err, out, imageNotKnown()) {
			return nil, notFoundError{fmt.Sprintf("no such image %q", ref)}
		}
		return nil, fmt.Errorf("read %s from image %q: podman create: %w", what, ref, err)
	}
	ids := containerID().FindAll(out, -1)
	if len(ids) == 0 {
		return nil, fmt.Errorf("read %s from image %q: podman create printed no container ID: %q", what, ref, strings.TrimSpace(string(out)))
	}
	id := string(ids[len(ids)-1])
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
		defer cancel()
		if _, rerr := p.run(rctx, "rm", "-f", "--", id); rerr != nil {
			files, err = nil, fmt.Errorf("podman rm -f %s (made to read %s from image %q): %w", shortID(id), what, ref, rerr)
		}
	}()
	files = readFiles(ref, paths, func(path string) (io.ReadCloser, error) {
		out, err := p.run(ctx, "cp", "--", id+":"+path, "-")
		if err != nil {
			if says(err, out, fileNotFound()) {
				return nil, notFoundError{fmt.Sprintf("no %s in image %q", path, ref)}
			}
			return nil, fmt.Errorf("read %s from image %q: podman cp: %w", path, ref, err)
		}
		return io.NopCloser(bytes.NewReader(out)), nil
	})
	return files, nil
}
