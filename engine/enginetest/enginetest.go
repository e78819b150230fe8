// Package enginetest is a fake Engine API for tests of code that talks to
// the container engine. It answers as Docker 20.10 or as Podman 4.3's
// Docker-compatible service, with the headers those send (seen on the real
// daemons): /_ping, /info, /libpod/info, image inspect, and the
// container create / archive / delete that reading a file out of an image
// takes. It counts the requests it served.
//
// On a unix socket, devfix learns whether the daemon is rootless from the
// socket's peer credentials, which are the test process's own: rootful when
// the test runs as root, rootless otherwise, whatever Config.Rootless says.
// Listen on TCP (Config.TCP) for a daemon whose rootlessness the test
// chooses: it is then read from /info (or Podman's /libpod/info).
package enginetest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Image is what the fake knows of an image.
type Image struct {
	ID     string // default "sha256:0000"
	User   string
	Labels map[string]string
	// Files are the image's files by absolute path (/etc/passwd), and Links
	// its symbolic links (path → target), for the archive endpoint.
	Files map[string]string
	Links map[string]string
	// Layers are overlay layer folders, topmost first, that the inspect
	// names in GraphDriver (UpperDir, LowerDir); none means the vfs driver
	// (Data null).
	Layers []string
}

// graphDriver is the inspect's GraphDriver for img, as overlay (Podman's
// name; Docker says overlay2) or vfs gives it.
func graphDriver(img Image, overlay string) map[string]any {
	if len(img.Layers) == 0 {
		return map[string]any{"Name": "vfs", "Data": nil}
	}
	data := map[string]string{"UpperDir": img.Layers[0], "WorkDir": path.Join(path.Dir(img.Layers[0]), "work")}
	if len(img.Layers) > 1 {
		data["LowerDir"] = strings.Join(img.Layers[1:], ":")
	}
	return map[string]any{"Name": overlay, "Data": data}
}

// Config sets up the fake daemon. Its zero value is a rootful Docker 20.10
// on a unix socket.
type Config struct {
	Podman        bool // answer as Podman 4.3.1's service, else as Docker 20.10.24
	Rootless      bool // what /info (Docker) or /libpod/info (Podman) says
	TCP           bool // listen on 127.0.0.1 instead of a unix socket
	CgroupDriver  string
	CgroupVersion string // default "2"
	DockerRootDir string
	APIVersion    string // the ping's Api-Version; default "1.41", as both daemons above
	// MinAPIVersion refuses requests for an older API version, as Docker 29
	// refuses anything below 1.44; "" accepts all.
	MinAPIVersion string
	Version       string // default "20.10.24+dfsg1" (Docker) or "4.3.1" (Podman)
	Images        map[string]Image
	// Hook, when set, is called with a request's kind (as Requests counts
	// it) before it is answered.
	Hook func(kind string)
}

// Server is a running fake daemon.
type Server struct {
	Host string // unix:///…/docker.sock or tcp://127.0.0.1:…
	cfg  Config

	mu         sync.Mutex
	requests   map[string]int
	versions   map[string]int
	containers map[string]string // ID → image name
	created    int
}

// Versions returns how many requests asked for each API version ("1.41");
// the ping has none.
func (s *Server) Versions() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.versions)
}

// Requests returns how many requests each kind got: "/_ping", "/info",
// "/libpod/info", "/images/json" (any image inspect),
// "/containers/create", "/containers/archive" and "/containers/delete".
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.requests)
}

// Containers returns the IDs of the containers created and not yet removed.
func (s *Server) Containers() []string { return containerIDs(&s.mu, &s.containers) }

// containerIDs returns the IDs of a fake's containers, read under its lock.
func containerIDs(mu *sync.Mutex, containers *map[string]string) []string {
	mu.Lock()
	defer mu.Unlock()
	return slices.Collect(maps.Keys(*containers))
}

var (
	versionPrefix = regexp.MustCompile(`^/v[0-9.]+`)
	containerPath = regexp.MustCompile(`^/containers/([0-9a-f]+)(/archive)?$`)
)

// Start serves the fake until the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.APIVersion == "" {
		cfg.APIVersion = "1.41"
	}
	if cfg.Version == "" {
		cfg.Version = "20.10.24+dfsg1"
		if cfg.Podman {
			cfg.Version = "4.3.1"
		}
	}
	if cfg.CgroupDriver == "" {
		switch {
		case cfg.Podman:
			cfg.CgroupDriver = "cgroupfs"
		case cfg.Rootless:
			cfg.CgroupDriver = "none"
		default:
			cfg.CgroupDriver = "systemd"
		}
	}
	if cfg.CgroupVersion == "" {
		cfg.CgroupVersion = "2"
	}
	s := &Server{cfg: cfg, requests: map[string]int{}, versions: map[string]int{}, containers: map[string]string{}}
	var ln net.Listener
	var err error
	dir := ""
	if cfg.TCP {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.Host = "tcp://" + ln.Addr().String()
	} else {
		// Unix socket paths are short (108 bytes): t.TempDir() can be too long.
		dir, err = os.MkdirTemp("", "eng")
		if err != nil {
			t.Fatal(err)
		}
		sock := filepath.Join(dir, "docker.sock")
		ln, err = net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		s.Host = "unix://" + sock
	}
	srv := &http.Server{Handler: http.HandlerFunc(s.serve)}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		if dir != "" {
			os.RemoveAll(dir)
		}
	})
	return s
}

func (s *Server) count(key string) {
	s.mu.Lock()
	s.requests[key]++
	s.mu.Unlock()
	if s.cfg.Hook != nil {
		s.cfg.Hook(key)
	}
}

// headers are what the real daemons send: Docker on every response; Podman
// its Libpod headers on every response and the rest on /_ping.
func (s *Server) headers(w http.ResponseWriter, ping bool) {
	h := w.Header()
	h.Set("Api-Version", s.cfg.APIVersion)
	if s.cfg.Podman {
		h.Set("Libpod-Api-Version", s.cfg.Version)
		h.Set("Server", "Libpod/"+s.cfg.Version+" (linux)")
		if ping {
			h.Set("Builder-Version", "")
			h.Set("Buildkit-Version", "")
			h.Set("Cache-Control", "no-cache")
			h.Set("Docker-Experimental", "true")
			h.Set("Libpod-Buildah-Version", "1.28.2")
			h.Set("Pragma", "no-cache")
		}
		return
	}
	h.Set("Docker-Experimental", "false")
	h.Set("Ostype", "linux")
	h.Set("Server", "Docker/"+s.cfg.Version+" (linux)")
	if ping {
		h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
		h.Set("Pragma", "no-cache")
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	version := strings.TrimPrefix(versionPrefix.FindString(r.URL.EscapedPath()), "/v")
	p := versionPrefix.ReplaceAllString(r.URL.EscapedPath(), "")
	s.headers(w, p == "/_ping")
	if version != "" {
		s.mu.Lock()
		s.versions[version]++
		s.mu.Unlock()
		if s.cfg.MinAPIVersion != "" && !strings.HasPrefix(p, "/libpod/") && olderThan(version, s.cfg.MinAPIVersion) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": fmt.Sprintf("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", version, s.cfg.MinAPIVersion)})
			return
		}
	}
	switch m := containerPath.FindStringSubmatch(p); {
	case p == "/_ping":
		s.count("/_ping")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("OK"))
	case p == "/info":
		s.count("/info")
		opts := []string{"name=seccomp,profile=default"}
		if s.cfg.Rootless && !s.cfg.Podman { // Podman 4.3.1 does not say
			opts = append(opts, "name=rootless")
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"SecurityOptions": opts, "CgroupDriver": s.cfg.CgroupDriver,
			"CgroupVersion": s.cfg.CgroupVersion, "DockerRootDir": s.cfg.DockerRootDir,
			"ServerVersion": s.cfg.Version,
		})
	case p == "/libpod/info" && s.cfg.Podman:
		s.count("/libpod/info")
		writeJSON(w, http.StatusOK, map[string]any{"host": map[string]any{"security": map[string]any{"rootless": s.cfg.Rootless}}})
	case strings.HasPrefix(p, "/images/") && strings.HasSuffix(p, "/json"):
		s.count("/images/json")
		name, _ := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(p, "/images/"), "/json"))
		img, ok := s.image(name)
		if !ok {
			s.noSuchImage(w, name)
			return
		}
		driver := "overlay2"
		if s.cfg.Podman {
			driver = "overlay"
		}
		writeJSON(w, http.StatusOK, map[string]any{"Id": img.ID, "Config": map[string]any{"User": img.User, "Labels": img.Labels},
			"GraphDriver": graphDriver(img, driver)})
	case p == "/containers/create" && r.Method == http.MethodPost:
		s.count("/containers/create")
		var req struct {
			Image string
			Cmd   []string
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
			return
		}
		if _, ok := s.image(req.Image); !ok {
			s.noSuchImage(w, req.Image)
			return
		}
		if len(req.Cmd) == 0 {
			// As Docker says for an image with no CMD.
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "No command specified"})
			return
		}
		s.mu.Lock()
		s.created++
		sum := sha256.Sum256([]byte(fmt.Sprint(s.created)))
		id := hex.EncodeToString(sum[:])
		s.containers[id] = req.Image
		s.mu.Unlock()
		writeJSON(w, http.StatusCreated, map[string]any{"Id": id, "Warnings": []string{}})
	case m != nil && m[2] == "/archive" && r.Method == http.MethodGet:
		s.count("/containers/archive")
		s.archive(w, m[1], r.URL.Query().Get("path"))
	case m != nil && m[2] == "" && r.Method == http.MethodDelete:
		s.count("/containers/delete")
		s.mu.Lock()
		_, ok := s.containers[m[1]]
		delete(s.containers, m[1])
		s.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "No such container: " + m[1]})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "page not found"})
	}
}

// SetImage tags img as name, as `docker tag` (or a pull, or a build) does:
// a tag that named another image moves.
func (s *Server) SetImage(name string, img Image) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Images = maps.Clone(s.cfg.Images)
	if s.cfg.Images == nil {
		s.cfg.Images = map[string]Image{}
	}
	s.cfg.Images[name] = img
}

// image finds an image by name; Podman also by its short name, as it finds
// localhost/NAME for NAME.
func (s *Server) image(name string) (Image, bool) {
	s.mu.Lock()
	images := s.cfg.Images
	s.mu.Unlock()
	img, ok := images[name]
	if !ok && s.cfg.Podman {
		img, ok = images["localhost/"+name]
	}
	if ok && img.ID == "" {
		img.ID = "sha256:0000"
	}
	return img, ok
}

func (s *Server) noSuchImage(w http.ResponseWriter, name string) {
	if s.cfg.Podman {
		writeJSON(w, http.StatusNotFound, map[string]any{"cause": "image not known", "message": "no such image: " + name + ": image not known", "response": 404})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "No such image: " + name})
}

// archive answers GET /containers/{id}/archive?path=P with a tar of one
// entry: Docker sends a symbolic link as it is, Podman follows it.
func (s *Server) archive(w http.ResponseWriter, id, p string) {
	s.mu.Lock()
	name, ok := s.containers[id]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "No such container: " + id})
		return
	}
	img, _ := s.image(name)
	archive, hdr, ok := fileTar(img, p, s.cfg.Podman)
	if !ok {
		if s.cfg.Podman {
			writeJSON(w, http.StatusNotFound, map[string]any{"cause": "no such file or directory", "message": "no such file or directory", "response": 404})
		} else {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": fmt.Sprintf("Could not find the file %s in container %s", p, id)})
		}
		return
	}
	stat, _ := json.Marshal(map[string]any{"name": hdr.Name, "size": hdr.Size, "mode": hdr.Mode, "mtime": hdr.ModTime, "linkTarget": hdr.Linkname})
	w.Header().Set("X-Docker-Container-Path-Stat", base64.StdEncoding.EncodeToString(stat))
	w.Header().Set("Content-Type", "application/x-tar")
	w.Write(archive)
}

// fileTar makes the tar of one entry that copying p out of img gives,
// following symbolic links when follow is set (podman does, Docker does
// not); ok is false when there is no such file.
func fileTar(img Image, p string, follow bool) (archive []byte, hdr *tar.Header, ok bool) {
	hdr = &tar.Header{Name: path.Base(p), Mode: 0o644, ModTime: time.Unix(0, 0)}
	for range 8 {
		target, isLink := img.Links[p]
		if !isLink || !follow {
			break
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(p), target)
		}
		p = target
	}
	if dirTar, ok := folderTar(img, p); ok {
		return dirTar, &tar.Header{Name: path.Base(p), Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)}, true
	}
	var body []byte
	if target, isLink := img.Links[p]; isLink {
		hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, target, 0o777
	} else if data, isFile := img.Files[p]; isFile {
		hdr.Typeflag, hdr.Size, body = tar.TypeReg, int64(len(data)), []byte(data)
	} else {
		return nil, nil, false
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(hdr)
	tw.Write(body)
	tw.Close()
	return buf.Bytes(), hdr, true
}

// folderTar is the archive of folder p, as both engines give it: the
// folder, then its entries under its base name; links as links (neither
// engine follows a link inside a folder it copies).
func folderTar(img Image, p string) ([]byte, bool) {
	prefix := strings.TrimSuffix(p, "/") + "/"
	var names []string
	for name := range img.Files {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	for name := range img.Links {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, false
	}
	slices.Sort(names)
	base := path.Base(p)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: base + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(0, 0)})
	for _, name := range names {
		rel := base + "/" + strings.TrimPrefix(name, prefix)
		if target, isLink := img.Links[name]; isLink {
			tw.WriteHeader(&tar.Header{Name: rel, Typeflag: tar.TypeSymlink, Linkname: target, Mode: 0o777, ModTime: time.Unix(0, 0)})
			continue
		}
		data := img.Files[name]
		tw.WriteHeader(&tar.Header{Name: rel, Typeflag: tar.TypeReg, Size: int64(len(data)), Mode: 0o644, ModTime: time.Unix(0, 0)})
		tw.Write([]byte(data))
	}
	tw.Close()
	return buf.Bytes(), true
}

// olderThan compares API versions ("1.41" < "1.44", "1.9" < "1.10").
func olderThan(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// PodmanCLI is a fake podman command for engine.PodmanCLI.Run, answering
// from its images as podman 4.3.1 does: --version, image inspect, create,
// cp ID:PATH - and rm. Like the fake daemon, it keeps the containers it made.
type PodmanCLI struct {
	Version string           // default "4.3.1"
	Images  map[string]Image // by name; found by the short name for localhost/NAME too

	mu         sync.Mutex
	containers map[string]string
	created    int
	calls      [][]string
}

// Calls returns the argv of every run, in order.
func (p *PodmanCLI) Calls() [][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]string(nil), p.calls...)
}

// Containers returns the IDs of the containers created and not yet removed.
func (p *PodmanCLI) Containers() []string { return containerIDs(&p.mu, &p.containers) }

// SetImage tags img as name: a tag that named another image moves.
func (p *PodmanCLI) SetImage(name string, img Image) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Images = maps.Clone(p.Images)
	if p.Images == nil {
		p.Images = map[string]Image{}
	}
	p.Images[name] = img
}

func (p *PodmanCLI) image(name string) (Image, bool) {
	p.mu.Lock()
	images := p.Images
	p.mu.Unlock()
	img, ok := images[name]
	if !ok {
		img, ok = images["localhost/"+name]
	}
	if ok && img.ID == "" {
		img.ID = "sha256:0000"
	}
	return img, ok
}

// failed is how a failed podman looks through a runner that puts standard
// error into the error.
func failed(msg string) error { return errors.New("exit status 125: Error: " + msg) }

// Run answers argv as podman does: standard output, and standard error in
// the error.
func (p *PodmanCLI) Run(ctx context.Context, argv []string) ([]byte, error) {
	p.mu.Lock()
	p.calls = append(p.calls, append([]string(nil), argv...))
	if p.containers == nil {
		p.containers = map[string]string{}
	}
	p.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	args := argv[1:]
	// operands drops flags (and their values, for those listed) and "--".
	operands := func(args []string, withValue ...string) []string {
		var out []string
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case a == "--":
				return append(out, args[i+1:]...)
			case strings.HasPrefix(a, "-") && a != "-":
				if slices.Contains(withValue, a) {
					i++
				}
			default:
				out = append(out, a)
			}
		}
		return out
	}
	switch {
	case len(args) == 1 && args[0] == "--version":
		v := p.Version
		if v == "" {
			v = "4.3.1"
		}
		return []byte("podman version " + v + "\n"), nil
	case len(args) >= 2 && args[0] == "image" && args[1] == "inspect":
		refs := operands(args[2:], "--format", "-f")
		if len(refs) != 1 {
			return nil, failed("want one image")
		}
		img, ok := p.image(refs[0])
		if !ok {
			return []byte("[]\n"), failed("inspecting object: " + refs[0] + ": image not known")
		}
		return json.MarshalIndent([]map[string]any{{
			"Id": strings.TrimPrefix(img.ID, "sha256:"), "Config": map[string]any{"User": img.User, "Labels": img.Labels},
			"User": img.User, "Labels": img.Labels, "GraphDriver": graphDriver(img, "overlay"),
		}}, "", "     ")
	case len(args) >= 1 && args[0] == "create":
		ops := operands(args[1:], "--label", "-l", "--name", "--pull", "--entrypoint", "-u", "--user")
		if len(ops) == 0 {
			return nil, failed("create requires an image")
		}
		if _, ok := p.image(ops[0]); !ok {
			return nil, failed(ops[0] + ": image not known")
		}
		if len(ops) == 1 {
			return nil, failed("no command or entrypoint provided, and no CMD or ENTRYPOINT from image")
		}
		p.mu.Lock()
		p.created++
		sum := sha256.Sum256([]byte(fmt.Sprint("podman", p.created)))
		id := hex.EncodeToString(sum[:])
		p.containers[id] = ops[0]
		p.mu.Unlock()
		return []byte(id + "\n"), nil
	case len(args) >= 1 && args[0] == "cp":
		ops := operands(args[1:])
		if len(ops) != 2 || ops[1] != "-" {
			return nil, failed("want cp ID:PATH -")
		}
		id, src, _ := strings.Cut(ops[0], ":")
		p.mu.Lock()
		name, ok := p.containers[id]
		p.mu.Unlock()
		if !ok {
			return nil, failed("no container with name or ID \"" + id + "\" found: no such container")
		}
		img, _ := p.image(name)
		archive, _, ok := fileTar(img, src, true)
		if !ok {
			return nil, failed(fmt.Sprintf("%q could not be found on container %s: no such file or directory", src, id))
		}
		return archive, nil
	case len(args) >= 1 && args[0] == "rm":
		var out []byte
		for _, id := range operands(args[1:]) {
			p.mu.Lock()
			_, ok := p.containers[id]
			delete(p.containers, id)
			p.mu.Unlock()
			if !ok {
				return out, failed("no container with ID or name \"" + id + "\" found: no such container")
			}
			out = append(out, id+"\n"...)
		}
		return out, nil
	}
	return nil, failed(fmt.Sprintf("unknown command %q for \"podman\"", strings.Join(args, " ")))
}
