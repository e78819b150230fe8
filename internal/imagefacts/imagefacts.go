// Package imagefacts holds what devfix knows of an image and of the engine
// that holds it, with no engine client behind it: the engine kinds (Kind),
// what an image inspect says (Image), the interface that answers image
// questions (Images), and the reader of an image's /etc/passwd and
// /etc/group (LookupUser). It also keeps image facts across runs (Cache),
// keyed by the image's content-addressed ID and the engine's store.
//
// It is a leaf: the lint core (package devcontainer) and the engine client
// (package engine) both import it, so the core needs neither the moby client
// nor what that brings (OpenTelemetry). It knows nothing of devcontainer.json
// nor of how an engine is reached.
package imagefacts

import (
	"context"
	"fmt"
	"strings"
)

// Kind is a container engine.
type Kind string

// The engines devfix knows.
const (
	Docker Kind = "docker"
	Podman Kind = "podman"
)

// ParseKind reads an engine name as a user writes it (a flag, a setting).
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case Docker, Podman:
		return k, nil
	}
	return "", fmt.Errorf("unknown engine %q (want docker or podman)", s)
}

// Image is what devfix reads of an image.
type Image struct {
	Found  bool
	ID     string            // "sha256:…"
	User   string            // Config.User: "vscode", "1000:1000", "" (root)
	Labels map[string]string // Config.Labels
	// Layers are the image's layer folders on this host, topmost first,
	// when its engine stores it with overlay and says where (GraphDriver's
	// UpperDir and LowerDir); nil otherwise (vfs, a remote engine).
	Layers []string
}

// Images answers image questions: what an inspect says, and files in the
// image (/etc/passwd), read without starting anything. A missing file is an
// error that matches fs.ErrNotExist.
type Images interface {
	InspectImage(ctx context.Context, ref string) (Image, error)
	ReadImageFile(ctx context.Context, ref, path string) ([]byte, error)
}

// NoEngineError says why no engine could answer an image question; lint
// then reports the user as unknown instead of failing.
type NoEngineError struct{ Reason string }

func (e *NoEngineError) Error() string { return "no container engine is reachable: " + e.Reason }

// DaemonFacts are what the rules need to know of the daemon.
type DaemonFacts struct {
	Rootless      bool
	CgroupDriver  string
	CgroupVersion string
}
