package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/spf13/afero"
)

// The name index lets a Podman CLI user's run learn which image a reference
// names without running podman: a run that learns it from `podman image
// inspect` records ref → ID with the stamps of every file that decides what
// ref resolves to (Podman's image index of the store, which podman rewrites
// on pull, tag, untag, rm and load, and the files that decide short-name
// resolution and where the store is), and what the inspect said (user,
// label, layer folders). A later run whose fresh stats match every stamp
// exactly (the image index is stamped last) knows all that, and with the
// image's /etc/passwd and /etc/group cached it runs no podman at all. Anything else (a mismatch, a stat error, a corrupt
// entry) is a miss, and the run asks podman as before.

// ctimeSlack is how much older than the inspect the image index must be
// before its stamp is taken for the state the inspect saw: its ctime (set
// by the rename that put it in place, from the kernel's coarse clock) must
// be older than the inspect's start by more than a clock tick. A file
// system that keeps whole seconds gets more.
const (
	ctimeSlack       = 100 * time.Millisecond
	ctimeSlackCoarse = 2 * time.Second
)

// resolutionFiles are the files (and folders of files) that decide what a
// reference resolves to and where the store is: registries.conf(.d),
// storage.conf, containers.conf(.d) and the short-name aliases podman
// records, the user's and the system's, and those the environment names
// (containers-registries.conf(5), containers-storage.conf(5),
// containers.conf(5)).
func resolutionFiles(d Discovery) []string {
	var dirs []string
	if x := d.env("XDG_CONFIG_HOME"); filepath.IsAbs(x) {
		dirs = append(dirs, filepath.Join(x, "containers"))
	}
	home := d.home()
	if filepath.IsAbs(home) {
		dirs = append(dirs, filepath.Join(home, ".config", "containers"))
	}
	dirs = append(dirs, "/etc/containers", "/usr/share/containers")
	var files []string
	for _, dir := range dirs {
		for _, name := range []string{"registries.conf", "registries.conf.d", "storage.conf", "containers.conf", "containers.conf.d"} {
			files = append(files, filepath.Join(dir, name))
		}
	}
	if x := d.env("XDG_CACHE_HOME"); filepath.IsAbs(x) {
		files = append(files, filepath.Join(x, "containers", "short-name-aliases.conf"))
	}
	if filepath.IsAbs(home) {
		files = append(files, filepath.Join(home, ".cache", "containers", "short-name-aliases.conf"))
	}
	for _, k := range []string{"CONTAINERS_REGISTRIES_CONF", "CONTAINERS_STORAGE_CONF", "CONTAINERS_CONF", "CONTAINERS_CONF_OVERRIDE"} {
		if v := d.env(k); v != "" {
			files = append(files, v)
		}
	}
	return files
}

// stampFiles stamps paths; a folder is stamped with each entry in it. ok is
// false when any stat failed other than with "not there", or the file
// system cannot say what a stamp needs.
func stampFiles(fsys afero.Fs, paths []string) (stamps []imagefacts.FileStamp, ok bool) {
	for _, p := range paths {
		fi, err := fsys.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			stamps = append(stamps, imagefacts.FileStamp{Path: p})
			continue
		}
		if err != nil {
			return nil, false
		}
		s, ok := statStamp(p, fi)
		if !ok {
			return nil, false
		}
		stamps = append(stamps, s)
		if fi.IsDir() {
			entries, err := afero.ReadDir(fsys, p)
			if err != nil {
				return nil, false
			}
			var inner []string
			for _, e := range entries {
				inner = append(inner, filepath.Join(p, e.Name()))
			}
			more, ok := stampFiles(fsys, inner)
			if !ok {
				return nil, false
			}
			stamps = append(stamps, more...)
		}
	}
	return stamps, true
}

// stampsHold reports whether paths (stamped as stampFiles does) are as
// want says, by fresh stats: an entry added to or removed from a stamped
// folder changes the list.
func stampsHold(fsys afero.Fs, paths []string, want []imagefacts.FileStamp) bool {
	got, ok := stampFiles(fsys, paths)
	return ok && slices.Equal(got, want)
}

// inspect learns what ref is: through the name index when cache has an
// entry whose stamps hold and the image's facts, else from the engine (and,
// for the local Podman CLI, it records an entry for the next run).
func (c *Conn) inspect(ctx context.Context, ref string, cache *imagefacts.Cache) (Image, error) {
	if cache == nil {
		return c.InspectImage(ctx, ref)
	}
	if info, ok, err := c.seen(ctx, ref); ok || err != nil {
		return info, err
	}
	cli, isCLI := c.images.(PodmanCLI)
	d := c.pool.Discovery
	if !isCLI || d.env("CONTAINER_HOST") != "" || d.env("CONTAINER_CONNECTION") != "" {
		return c.InspectImage(ctx, ref) // an API answers in one call; a remote Podman's files are not here
	}
	fsys := d.fs()
	if !canStamp(fsys) {
		return c.InspectImage(ctx, ref) // a memory file system: no stamp is sure
	}
	if e, ok := cache.GetName(c.store, ref); ok && stampsHold(fsys, append(resolutionFiles(d), e.Stamps[len(e.Stamps)-1].Path), e.Stamps) {
		img := Image{Found: true, ID: e.ID, User: e.User, Layers: e.Layers}
		if e.Metadata != "" {
			img.Labels = map[string]string{"devcontainer.metadata": e.Metadata}
		}
		if f, ok := cache.Get(c.store, e.ID); ok {
			c.remember(ref, userFiles[0], orNil(f.Passwd, f.NoPasswd))
			c.remember(ref, userFiles[1], orNil(f.Group, f.NoGroup))
		}
		c.keep(ref, img)
		return img, nil
	}
	conf, confOK := stampFiles(fsys, resolutionFiles(d)) // before the inspect: a change after it shows
	start := c.pool.now()
	img, err := c.InspectImage(ctx, ref)
	if err != nil || !img.Found || img.ID == "" || !confOK {
		return img, err
	}
	if index, ok := c.imageIndex(ctx, cli, img, start, cache); ok {
		cache.PutName(c.store, ref, imagefacts.NameEntry{ID: img.ID, User: img.User, Metadata: img.Labels["devcontainer.metadata"],
			Layers: img.Layers, Stamps: append(conf, index)})
	}
	return img, nil
}

// canStamp reports whether fsys says what a stamp needs (inode, times).
func canStamp(fsys afero.Fs) bool {
	fi, err := fsys.Stat("/")
	if err != nil {
		return false
	}
	_, ok := statStamp("/", fi)
	return ok
}

func (p *Pool) now() time.Time {
	if p.clock != nil {
		return p.clock()
	}
	return time.Now()
}

// imageIndex stamps the store's image index (<graphRoot>/<driver>-images/
// images.json) as the inspect that started at start saw it; ok is false
// when anything is unsure. Under overlay the inspect names graphRoot
// (UpperDir is <graphRoot>/overlay/<layer>/diff); when it names no layer
// folders (vfs), storeIndex says where it is. The index must hold the image's ID, be readable, and have been
// in place before the inspect began; and no additional image stores may be
// configured, whose indexes name images too.
func (c *Conn) imageIndex(ctx context.Context, cli PodmanCLI, img Image, start time.Time, cache *imagefacts.Cache) (imagefacts.FileStamp, bool) {
	fsys := c.pool.Discovery.fs()
	if hasAdditionalStores(fsys, c.pool.Discovery) {
		return imagefacts.FileStamp{}, false
	}
	var index string
	var ok bool
	if len(img.Layers) > 0 {
		up := img.Layers[0]
		if filepath.Base(up) == "diff" && filepath.Base(filepath.Dir(filepath.Dir(up))) == "overlay" {
			index = filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(up))), "overlay-images", "images.json")
		} else {
			return imagefacts.FileStamp{}, false // not overlay's layout: unsure
		}
	} else if index, ok = c.storeIndex(ctx, cli, img, cache); !ok {
		return imagefacts.FileStamp{}, false
	}
	stamps, ok := stampFiles(fsys, []string{index})
	if !ok || !stamps[0].Present {
		return imagefacts.FileStamp{}, false
	}
	s := stamps[0]
	slack := ctimeSlack
	if s.CtimeNs%int64(time.Second) == 0 {
		slack = ctimeSlackCoarse
	}
	if !time.Unix(0, s.CtimeNs).Before(start.Add(-slack)) {
		return imagefacts.FileStamp{}, false // rewritten about when the inspect ran: which did it see?
	}
	data, err := afero.ReadFile(fsys, index)
	if err != nil || !bytes.Contains(data, []byte(`"`+strings.TrimPrefix(img.ID, "sha256:")+`"`)) {
		return imagefacts.FileStamp{}, false
	}
	return s, true
}

// storeIndexRef is the name entry that remembers where a store's image
// index is (in its ID), stamped with the resolution files (storage.conf
// among them): `podman info` is asked once a store, not once an image.
const storeIndexRef = "\x00image index"

// storeIndex says where the store's image index is when the inspect names
// no layer folders (vfs): from the store's entry while the files that
// decide the store are unchanged, else from `podman info` on a run whose
// image facts are cached already or that is not the store's first: a cold
// run makes a container anyway, and podman info on top would make it slower
// than the reference CLI (1.2 s against 0.76 s, measured); the next run
// asks.
func (c *Conn) storeIndex(ctx context.Context, cli PodmanCLI, img Image, cache *imagefacts.Cache) (string, bool) {
	fsys := c.pool.Discovery.fs()
	files := resolutionFiles(c.pool.Discovery)
	e, seen := cache.GetName(c.store, storeIndexRef)
	if seen && filepath.IsAbs(e.ID) && stampsHold(fsys, files, e.Stamps) {
		return e.ID, true
	}
	conf, ok := stampFiles(fsys, files) // before podman reads them
	if !ok {
		return "", false
	}
	if _, cached := cache.Get(c.store, img.ID); !cached && !seen {
		// The store's first cold run: only say it was here ("?": where is
		// not known); the next run asks.
		cache.PutName(c.store, storeIndexRef, imagefacts.NameEntry{ID: "?", Stamps: conf})
		return "", false
	}
	out, err := cli.run(ctx, "info", "--format", "json")
	if err != nil {
		return "", false
	}
	var info struct {
		Store struct {
			GraphRoot       string `json:"graphRoot"`
			GraphDriverName string `json:"graphDriverName"`
		} `json:"store"`
	}
	if json.Unmarshal(out, &info) != nil || !filepath.IsAbs(info.Store.GraphRoot) || info.Store.GraphDriverName == "" ||
		strings.ContainsAny(info.Store.GraphDriverName, "/\x00") {
		return "", false
	}
	index := filepath.Join(info.Store.GraphRoot, info.Store.GraphDriverName+"-images", "images.json")
	cache.PutName(c.store, storeIndexRef, imagefacts.NameEntry{ID: index, Stamps: conf})
	return index, true
}

// hasAdditionalStores reports whether a storage.conf that may be in force
// names additional image stores (or cannot be read to tell): images there
// are named in their own indexes, which the name index does not stamp.
func hasAdditionalStores(fsys afero.Fs, d Discovery) bool {
	for _, p := range resolutionFiles(d) {
		if filepath.Base(p) != "storage.conf" && p != d.env("CONTAINERS_STORAGE_CONF") {
			continue
		}
		data, err := afero.ReadFile(fsys, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil || namesAdditionalStores(data) {
			return true
		}
	}
	return false
}

// namesAdditionalStores reports whether a storage.conf sets
// additionalimagestores to a list that is not empty, or might.
func namesAdditionalStores(conf []byte) bool {
	var b strings.Builder
	for line := range strings.SplitSeq(string(conf), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	text := strings.ToLower(b.String())
	for {
		i := strings.Index(text, "additionalimagestores")
		if i < 0 {
			return false
		}
		rest := strings.TrimLeft(text[i+len("additionalimagestores"):], " \t\"'")
		if !strings.HasPrefix(rest, "=") {
			return true
		}
		rest = strings.TrimLeft(rest[1:], " \t\n")
		end := strings.IndexByte(rest, ']')
		if !strings.HasPrefix(rest, "[") || end < 0 || strings.TrimSpace(rest[1:end]) != "" {
			return true
		}
		text = rest[end:]
	}
}
