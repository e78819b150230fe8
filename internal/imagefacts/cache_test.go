package imagefacts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

func facts(id string) Facts {
	return Facts{ID: id, User: "vscode", Metadata: `[{"remoteUser":"vscode"}]`,
		Passwd: []byte("vscode:x:1000:1000::/home/vscode:/bin/sh\n"), Group: []byte("vscode:x:1000:\n")}
}

func TestCacheDir(t *testing.T) {
	for _, tc := range []struct{ xdg, home, want string }{
		{"/x/cache", "/home/dev", "/x/cache/devfix"},
		{"relative", "/home/dev", "/home/dev/.cache/devfix"}, // the XDG rule: only absolute paths count
		{"", "/home/dev", "/home/dev/.cache/devfix"},
		{"", "", ""},
	} {
		if got := CacheDir(tc.xdg, tc.home); got != tc.want {
			t.Errorf("CacheDir(%q, %q) = %q, want %q", tc.xdg, tc.home, got, tc.want)
		}
	}
}

// What is put comes back for the same store and ID, and only for them; the
// folder is 0700 and the entry 0600, written through a temp file that does
// not stay.
func TestCacheRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache", "devfix", "images")
	c := &Cache{Fs: afero.NewOsFs(), Dir: dir}
	if _, ok := c.Get("docker api unix:///run/user/1000/docker.sock", "sha256:1"); ok {
		t.Fatal("hit in an empty cache")
	}
	if !c.Put("docker api unix:///run/user/1000/docker.sock", facts("sha256:1")) {
		t.Fatal("Put failed")
	}
	got, ok := c.Get("docker api unix:///run/user/1000/docker.sock", "sha256:1")
	if !ok {
		t.Fatal("miss after Put")
	}
	if diff := cmp.Diff(facts("sha256:1"), got); diff != "" {
		t.Errorf("facts (-want +got):\n%s", diff)
	}
	if _, ok := c.Get("podman cli /usr/bin/podman uid 1000", "sha256:1"); ok {
		t.Error("another store saw the entry")
	}
	if _, ok := c.Get("docker api unix:///run/user/1000/docker.sock", "sha256:2"); ok {
		t.Error("another image saw the entry")
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cache folder: %v, %v; want mode 0700", fi.Mode(), err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(names) != 1 || len(hidden) != 0 {
		t.Fatalf("files %q %q, want one entry and no temp file", names, hidden)
	}
	if fi, _ := os.Stat(names[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("entry mode %v, want 0600", fi.Mode())
	}
}

// A garbage, truncated, foreign or old-format entry is a miss, never an
// error, and the next Put rewrites it.
func TestCacheBadEntries(t *testing.T) {
	const store = "docker api unix:///s"
	for name, data := range map[string]string{
		"garbage":      "\x00\xff not json",
		"truncated":    `{"format":1,"store":"docker api unix:///s","id":"sha256:1","passwd":"dm`,
		"foreign":      `{"format":1,"store":"podman cli","id":"sha256:1","passwd":"","group":""}`,
		"other ID":     `{"format":1,"store":"docker api unix:///s","id":"sha256:9","passwd":"","group":""}`,
		"old format":   `{"format":0,"store":"docker api unix:///s","id":"sha256:1","passwd":"","group":""}`,
		"no files":     `{"format":1,"store":"docker api unix:///s","id":"sha256:1"}`,
		"a JSON array": `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			c := &Cache{Fs: afero.NewMemMapFs(), Dir: "/c"}
			afero.WriteFile(c.Fs, c.path(store, "sha256:1"), []byte(data), 0o600)
			if f, ok := c.Get(store, "sha256:1"); ok {
				t.Fatalf("hit: %+v", f)
			}
			if !c.Put(store, facts("sha256:1")) {
				t.Fatal("Put did not rewrite the entry")
			}
			if _, ok := c.Get(store, "sha256:1"); !ok {
				t.Error("miss after the rewrite")
			}
		})
	}
	t.Run("unreadable", func(t *testing.T) {
		c := &Cache{Fs: afero.NewMemMapFs(), Dir: "/c"}
		c.Fs.MkdirAll(c.path(store, "sha256:1"), 0o700) // a folder where the entry should be
		if _, ok := c.Get(store, "sha256:1"); ok {
			t.Fatal("hit on a folder")
		}
		c.Put(store, facts("sha256:1")) // may fail; must not panic or err
	})
}

// failingFs fails every write, as a full disk does.
type failingFs struct{ afero.Fs }

type failingFile struct{ afero.File }

func (f failingFile) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func (f failingFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	file, err := f.Fs.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return failingFile{file}, nil
}

// A full disk or a read-only home: Put reports false, leaves no temp file,
// and Get still misses cleanly.
func TestCacheWriteFails(t *testing.T) {
	mem := afero.NewMemMapFs()
	full := &Cache{Fs: failingFs{mem}, Dir: "/c"}
	if full.Put("s", facts("sha256:1")) {
		t.Error("Put on a full disk reported success")
	}
	if left, _ := afero.ReadDir(mem, "/c"); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if _, ok := full.Get("s", "sha256:1"); ok {
		t.Error("hit after a failed write")
	}
	ro := &Cache{Fs: afero.NewReadOnlyFs(afero.NewMemMapFs()), Dir: "/c"}
	if ro.Put("s", facts("sha256:1")) {
		t.Error("Put on a read-only filesystem reported success")
	}
}

// Past MaxEntries the least recently used go; a read makes an entry recent.
func TestCachePrunesTheOldest(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := &Cache{Fs: afero.NewMemMapFs(), Dir: "/c", MaxEntries: 3, Now: func() time.Time { return now }}
	put := func(id string) {
		now = now.Add(time.Minute)
		c.Put("s", facts(id))
		c.Fs.Chtimes(c.path("s", id), now, now)
	}
	put("sha256:1")
	put("sha256:2")
	put("sha256:3")
	now = now.Add(time.Minute)
	if _, ok := c.Get("s", "sha256:1"); !ok { // 1 is now the most recent
		t.Fatal("miss")
	}
	put("sha256:4")
	for id, want := range map[string]bool{"sha256:1": true, "sha256:2": false, "sha256:3": true, "sha256:4": true} {
		if _, ok := c.Get("s", id); ok != want {
			t.Errorf("%s kept: %v, want %v", id, ok, want)
		}
	}
	// A temp file a killed run left is removed once it is stale.
	afero.WriteFile(c.Fs, "/c/.tmp-123", []byte("half"), 0o600)
	c.Fs.Chtimes("/c/.tmp-123", now, now)
	now = now.Add(2 * staleTemp)
	put("sha256:5")
	if _, err := c.Fs.Stat("/c/.tmp-123"); err == nil {
		t.Error("stale temp file kept")
	}
}

// Concurrent lints share the cache: every read sees a whole entry or none,
// and no write fails another.
func TestCacheConcurrent(t *testing.T) {
	c := &Cache{Fs: afero.NewOsFs(), Dir: filepath.Join(t.TempDir(), "images"), MaxEntries: 8}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := fmt.Sprintf("sha256:%d", (g+i)%12)
				if f, ok := c.Get("s", id); ok && (f.ID != id || string(f.Group) != "vscode:x:1000:\n") {
					errs <- fmt.Errorf("torn entry for %s: %+v", id, f)
					return
				}
				if !c.Put("s", facts(id)) {
					errs <- fmt.Errorf("put %s failed", id)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	entries, _ := filepath.Glob(filepath.Join(c.Dir, "*.json"))
	if len(entries) > 8+8 { // each writer may add one past the bound before it prunes
		t.Errorf("%d entries, bound 8", len(entries))
	}
}
