package imagefacts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/afero"
)

// Facts are what the cache keeps of one image: what its inspect says that
// devfix reads (Config.User, the devcontainer.metadata label) and its
// /etc/passwd and /etc/group. An image ID is the digest of the image's
// config, which names its layers, so the facts of an ID never change.
type Facts struct {
	ID       string `json:"id"`
	User     string `json:"user"`
	Metadata string `json:"metadata,omitempty"` // the devcontainer.metadata label
	// Passwd and Group are the files' bytes; a nil one (with its No… set)
	// is a file the image does not have.
	Passwd   []byte `json:"passwd"`
	Group    []byte `json:"group"`
	NoPasswd bool   `json:"noPasswd,omitempty"`
	NoGroup  bool   `json:"noGroup,omitempty"`
}

// cacheEntry is a cache file: the facts, and the store they came from.
type cacheEntry struct {
	Format int    `json:"format"`
	Store  string `json:"store"`
	Facts
}

// cacheFormat changes when cacheEntry does; an entry of another format is
// ignored and rewritten.
const cacheFormat = 1

// DefaultMaxEntries bounds the cache: past it, the least recently used
// entries are removed. An entry is a few kilobytes.
const DefaultMaxEntries = 200

// maxEntryBytes skips caching an image whose files are unusually large.
const maxEntryBytes = 1 << 20

// Cache keeps image facts across runs, one file per image in Dir, keyed by
// the image ID and by the engine's store (Store), so two engines, or two
// Podman stores, never mix. It never fails a run: an entry that is missing,
// corrupt, of another format or store, or unreadable is a miss (and is
// rewritten), and a write that fails (a full disk, a read-only home) is
// dropped. Writes are atomic (a temp file in Dir, fsync, rename); Dir is
// made with mode 0700.
type Cache struct {
	Fs  afero.Fs
	Dir string // $XDG_CACHE_HOME/devfix/images, else ~/.cache/devfix/images
	// MaxEntries bounds the number of entries; 0 means DefaultMaxEntries.
	MaxEntries int
	// Now is the clock (nil: time.Now), for the least recently used order.
	Now func() time.Time
}

// CacheDir is where devfix keeps its cache: $XDG_CACHE_HOME/devfix when
// that is an absolute path (the XDG rule), else HOME/.cache/devfix; "" when
// neither is known.
func CacheDir(xdgCacheHome, home string) string {
	if filepath.IsAbs(xdgCacheHome) {
		return filepath.Join(xdgCacheHome, "devfix")
	}
	if filepath.IsAbs(home) {
		return filepath.Join(home, ".cache", "devfix")
	}
	return ""
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// path is the entry's file: a digest of store and ID, so neither needs
// escaping and the name says nothing of either.
func (c *Cache) path(store, id string) string {
	sum := sha256.Sum256([]byte(store + "\x00" + id))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:16])+".json")
}

// Get returns the facts of image id in store; ok is false on a miss.
func (c *Cache) Get(store, id string) (f Facts, ok bool) {
	if c == nil || id == "" {
		return Facts{}, false
	}
	p := c.path(store, id)
	data, err := afero.ReadFile(c.Fs, p)
	if err != nil || len(data) > 4*maxEntryBytes {
		return Facts{}, false
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || e.Format != cacheFormat || e.Store != store || e.ID != id ||
		(e.Passwd == nil && !e.NoPasswd) || (e.Group == nil && !e.NoGroup) {
		return Facts{}, false // foreign or corrupt: a miss, rewritten by Put
	}
	now := c.now()
	c.Fs.Chtimes(p, now, now) // least recently used first out; a failure only ages it
	return e.Facts, true
}

// Put keeps the facts of image f.ID in store. It reports whether they were
// written; a failure is not an error to the caller, who has the facts.
func (c *Cache) Put(store string, f Facts) bool {
	if c == nil || f.ID == "" || len(f.Passwd)+len(f.Group)+len(f.Metadata) > maxEntryBytes {
		return false
	}
	data, err := json.Marshal(cacheEntry{Format: cacheFormat, Store: store, Facts: f})
	if err != nil {
		return false
	}
	if err := c.Fs.MkdirAll(c.Dir, 0o700); err != nil {
		return false
	}
	if !writeAtomic(c.Fs, c.Dir, c.path(store, f.ID), data) {
		return false
	}
	c.prune()
	return true
}

// writeAtomic writes data to path through a temp file in dir: a reader sees
// the old entry or the new one, never half of one.
func writeAtomic(fsys afero.Fs, dir, path string, data []byte) bool {
	tmp, err := afero.TempFile(fsys, dir, ".tmp-*")
	if err != nil {
		return false
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if werr != nil || serr != nil || cerr != nil || fsys.Chmod(name, 0o600) != nil || fsys.Rename(name, path) != nil {
		fsys.Remove(name)
		return false
	}
	return true
}

// staleTemp is how old a temp file must be before prune takes it for the
// leftover of a killed run rather than another run's write in progress.
const staleTemp = time.Minute

// prune removes the least recently used entries past MaxEntries, and the
// temp files killed runs left.
func (c *Cache) prune() {
	max := c.MaxEntries
	if max <= 0 {
		max = DefaultMaxEntries
	}
	infos, err := afero.ReadDir(c.Fs, c.Dir)
	if err != nil {
		return
	}
	var entries []fs.FileInfo
	for _, fi := range infos {
		switch name := fi.Name(); {
		case strings.HasPrefix(name, ".tmp-"):
			if c.now().Sub(fi.ModTime()) > staleTemp {
				c.Fs.Remove(filepath.Join(c.Dir, name))
			}
		case strings.HasSuffix(name, ".json") && fi.Mode().IsRegular():
			entries = append(entries, fi)
		}
	}
	if len(entries) <= max {
		return
	}
	slices.SortFunc(entries, func(a, b fs.FileInfo) int { return a.ModTime().Compare(b.ModTime()) })
	for _, fi := range entries[:len(entries)-max] {
		c.Fs.Remove(filepath.Join(c.Dir, fi.Name()))
	}
}
