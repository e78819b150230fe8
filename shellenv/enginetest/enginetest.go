// Package enginetest is a fake Docker Engine API on a unix socket, for tests
// of code that talks to the daemon: /_ping, /info, /version and image
// inspect, with a count of the requests it served.
package enginetest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Image is what the fake knows of an image.
type Image struct {
	ID     string
	User   string
	Labels map[string]string
}

// Config sets up the fake daemon.
type Config struct {
	Rootless      bool
	CgroupDriver  string // default "none" when rootless, else "systemd"
	CgroupVersion string // default "2"
	DockerRootDir string
	APIVersion    string // default "1.41", as Debian's Docker 20.10
	Images        map[string]Image
}

// Server is a running fake daemon.
type Server struct {
	Host     string // unix:///…/docker.sock
	mu       sync.Mutex
	requests map[string]int
}

// Requests returns how many requests each path (without version prefix)
// got, e.g. "/_ping", "/info", "/images/json".
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

var versionPrefix = regexp.MustCompile(`^/v[0-9.]+`)

// Start serves the fake until the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.APIVersion == "" {
		cfg.APIVersion = "1.41"
	}
	if cfg.CgroupDriver == "" {
		cfg.CgroupDriver = "systemd"
		if cfg.Rootless {
			cfg.CgroupDriver = "none"
		}
	}
	if cfg.CgroupVersion == "" {
		cfg.CgroupVersion = "2"
	}
	// Unix socket paths are short (108 bytes): t.TempDir() can be too long.
	dir, err := os.MkdirTemp("", "eng")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: "unix://" + sock, requests: map[string]int{}}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := versionPrefix.ReplaceAllString(r.URL.EscapedPath(), "")
		key := path
		if strings.HasPrefix(path, "/images/") && strings.HasSuffix(path, "/json") {
			key = "/images/json"
		}
		s.mu.Lock()
		s.requests[key]++
		s.mu.Unlock()
		w.Header().Set("Api-Version", cfg.APIVersion)
		w.Header().Set("Ostype", "linux")
		w.Header().Set("Content-Type", "application/json")
		switch {
		case path == "/_ping":
			w.Write([]byte("OK"))
		case path == "/version":
			json.NewEncoder(w).Encode(map[string]string{"ApiVersion": cfg.APIVersion, "MinAPIVersion": "1.12", "Version": "20.10.24", "Os": "linux"})
		case path == "/info":
			opts := []string{"name=seccomp,profile=default"}
			if cfg.Rootless {
				opts = append(opts, "name=rootless")
			}
			json.NewEncoder(w).Encode(map[string]any{
				"SecurityOptions": opts, "CgroupDriver": cfg.CgroupDriver,
				"CgroupVersion": cfg.CgroupVersion, "DockerRootDir": cfg.DockerRootDir,
			})
		case key == "/images/json":
			name, _ := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(path, "/images/"), "/json"))
			img, ok := cfg.Images[name]
			if !ok {
				w.WriteHeader(http.StatusNotFound)
				json.NewEncoder(w).Encode(map[string]string{"message": "No such image: " + name})
				return
			}
			id := img.ID
			if id == "" {
				id = "sha256:0000"
			}
			json.NewEncoder(w).Encode(map[string]any{"Id": id, "Config": map[string]any{"User": img.User, "Labels": img.Labels}})
		default:
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"message": "page not found"})
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		os.RemoveAll(dir)
	})
	return s
}
