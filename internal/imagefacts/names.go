package imagefacts

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"slices"

	"github.com/spf13/afero"
)

// FileStamp is what a file looked like when a name was resolved: whether it
// was there, and its size, times (ns) and identity. A rewrite through a
// temp file and a rename changes the inode; an edit in place changes the
// size or the times.
type FileStamp struct {
	Path    string `json:"path"`
	Present bool   `json:"present"`
	Size    int64  `json:"size,omitempty"`
	MtimeNs int64  `json:"mtimeNs,omitempty"`
	CtimeNs int64  `json:"ctimeNs,omitempty"`
	Ino     uint64 `json:"ino,omitempty"`
	Dev     uint64 `json:"dev,omitempty"`
}

// NameEntry says which image a reference named, what its inspect said, and
// the files whose stamps decide that: while each file's stamp is as
// recorded, the reference still names ID.
type NameEntry struct {
	ID string `json:"id"`
	// User, Metadata and Layers are what the inspect said of the image:
	// Config.User, the devcontainer.metadata label, and its overlay layer
	// folders (which the image index names too).
	User     string      `json:"user"`
	Metadata string      `json:"metadata,omitempty"`
	Layers   []string    `json:"layers,omitempty"`
	Stamps   []FileStamp `json:"stamps"`
}

// nameEntry is a name-index file of the cache.
type nameEntry struct {
	Format int    `json:"format"`
	Kind   string `json:"kind"` // "name"
	Store  string `json:"store"`
	Ref    string `json:"ref"`
	NameEntry
}

// namePath is the name-index entry's file, beside the facts: a digest that
// no facts entry shares.
func (c *Cache) namePath(store, ref string) string {
	sum := sha256.Sum256([]byte("name\x00" + store + "\x00" + ref))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:16])+".json")
}

// GetName returns what ref named in store when it was recorded; ok is false
// on a miss (missing, corrupt, foreign). The caller checks the stamps.
func (c *Cache) GetName(store, ref string) (e NameEntry, ok bool) {
	if c == nil || ref == "" {
		return NameEntry{}, false
	}
	p := c.namePath(store, ref)
	data, err := afero.ReadFile(c.Fs, p)
	if err != nil || len(data) > maxEntryBytes {
		return NameEntry{}, false
	}
	var n nameEntry
	if json.Unmarshal(data, &n) != nil || n.Format != cacheFormat || n.Kind != "name" || n.Store != store ||
		n.Ref != ref || n.ID == "" || len(n.Stamps) == 0 || slices.ContainsFunc(n.Stamps, func(s FileStamp) bool { return s.Path == "" }) {
		return NameEntry{}, false
	}
	now := c.now()
	c.Fs.Chtimes(p, now, now)
	return n.NameEntry, true
}

// PutName records that ref names e.ID in store while e.Stamps hold; it
// reports whether it was written (a failure is not an error).
func (c *Cache) PutName(store, ref string, e NameEntry) bool {
	if c == nil || ref == "" || e.ID == "" || len(e.Stamps) == 0 {
		return false
	}
	data, err := json.Marshal(nameEntry{Format: cacheFormat, Kind: "name", Store: store, Ref: ref, NameEntry: e})
	if err != nil || len(data) > maxEntryBytes {
		return false
	}
	if err := c.Fs.MkdirAll(c.Dir, 0o700); err != nil {
		return false
	}
	if !writeAtomic(c.Fs, c.Dir, c.namePath(store, ref), data) {
		return false
	}
	c.prune()
	return true
}
