package engine

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devfix/devfix/engine/enginetest"
	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/spf13/afero"
)

func imageWithVscode(id string, uid int) enginetest.Image {
	return enginetest.Image{ID: id, User: "vscode", Files: map[string]string{
		"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nvscode:x:" + strconv.Itoa(uid) + ":" + strconv.Itoa(uid) + "::/home/vscode:/bin/sh\n",
		"/etc/group":  "root:x:0:\nvscode:x:" + strconv.Itoa(uid) + ":\n",
	}}
}

// vscodeUID is what one run (a fresh pool, as each devfix process has)
// learns of vscode's UID in ref through the cache.
func vscodeUID(t *testing.T, p *Pool, kind Kind, cache *imagefacts.Cache, ref string) int {
	t.Helper()
	imgs := p.Get(kind).Cached(cache)
	pw, err := imgs.ReadImageFile(context.Background(), ref, "/etc/passwd")
	if err != nil {
		t.Fatalf("read /etc/passwd of %s: %v", ref, err)
	}
	group, err := imgs.ReadImageFile(context.Background(), ref, "/etc/group")
	if err != nil {
		t.Fatalf("read /etc/group of %s: %v", ref, err)
	}
	acct, found := imagefacts.LookupUser(pw, group, "vscode:vscode")
	if !found {
		t.Fatalf("no vscode in %q / %q", pw, group)
	}
	return acct.UID
}

// The facts follow the image, not its name: the second run reads nothing
// but the inspect; when the tag moves to an image whose vscode has another
// UID, the next run reads the new image; moved back, the old entry serves.
func TestCacheFollowsTheImageNotTheTag(t *testing.T) {
	eng := enginetest.Start(t, enginetest.Config{Rootless: true, TCP: true, Images: map[string]enginetest.Image{
		"team/dev:latest": imageWithVscode("sha256:1111", 1000),
	}})
	cache := &imagefacts.Cache{Fs: afero.NewMemMapFs(), Dir: "/home/dev/.cache/devfix/images"}
	run := func() int {
		return vscodeUID(t, &Pool{Discovery: memDiscovery(map[string]string{"DOCKER_HOST": eng.Host}, nil)}, Docker, cache, "team/dev:latest")
	}
	creates := func() int { return eng.Requests()["/containers/create"] }

	if uid := run(); uid != 1000 || creates() != 1 {
		t.Fatalf("cold: vscode %d, %d creates; want 1000 and one container for both files", uid, creates())
	}
	if uid := run(); uid != 1000 || creates() != 1 {
		t.Fatalf("warm: vscode %d, %d creates; want 1000 and no container", uid, creates())
	}
	eng.SetImage("team/dev:latest", imageWithVscode("sha256:2222", 1001))
	if uid := run(); uid != 1001 || creates() != 2 {
		t.Fatalf("tag moved: vscode %d, %d creates; want 1001 read from the new image", uid, creates())
	}
	eng.SetImage("team/dev:latest", imageWithVscode("sha256:1111", 1000))
	if uid := run(); uid != 1000 || creates() != 2 {
		t.Fatalf("tag moved back: vscode %d, %d creates; want 1000 from the cache", uid, creates())
	}
	if n := eng.Requests()["/images/json"]; n != 4 {
		t.Errorf("%d inspects for 4 runs: each run learns the ID once", n)
	}
	if left := eng.Containers(); len(left) != 0 {
		t.Errorf("containers left: %v", left)
	}
}

// Under the podman CLI, a known image costs one `podman image inspect`: no
// create, cp or rm. Another store (another user's, another storage.conf) does
// not see the entry.
func TestCachePodmanCLIOneProcess(t *testing.T) {
	cli := &enginetest.PodmanCLI{Images: map[string]enginetest.Image{"localhost/box": imageWithVscode("sha256:3333", 1000)}}
	cache := &imagefacts.Cache{Fs: afero.NewMemMapFs(), Dir: "/c"}
	pool := func(vars map[string]string) *Pool {
		return &Pool{Discovery: memDiscovery(vars, nil), Run: cli.Run,
			LookPath: func(name string) (string, error) { return "/usr/bin/" + name, nil }}
	}
	vscodeUID(t, pool(nil), Podman, cache, "box")
	before := len(cli.Calls())
	if uid := vscodeUID(t, pool(nil), Podman, cache, "box"); uid != 1000 {
		t.Fatalf("warm: vscode %d", uid)
	}
	calls := cli.Calls()[before:]
	if len(calls) != 1 || strings.Join(calls[0][1:3], " ") != "image inspect" {
		t.Errorf("warm run ran %q; want one podman image inspect", calls)
	}
	before = len(cli.Calls())
	vscodeUID(t, pool(map[string]string{"CONTAINERS_STORAGE_CONF": "/home/dev/other.conf"}), Podman, cache, "box")
	if n := len(cli.Calls()) - before; n != 4 {
		t.Errorf("another store: %d podman runs, want 4 (inspect, create, cp of /etc, rm): %q", n, cli.Calls()[before:])
	}
}

// A file the image lacks is kept as missing: the next run answers "no such
// file" without a container, as the engine did.
func TestCacheKeepsAMissingFile(t *testing.T) {
	img := imageWithVscode("sha256:4444", 1000)
	delete(img.Files, "/etc/group")
	eng := enginetest.Start(t, enginetest.Config{TCP: true, Images: map[string]enginetest.Image{"nogroup:1": img}})
	cache := &imagefacts.Cache{Fs: afero.NewMemMapFs(), Dir: "/c"}
	for i := range 2 {
		imgs := (&Pool{Discovery: memDiscovery(map[string]string{"DOCKER_HOST": eng.Host}, nil)}).Get(Docker).Cached(cache)
		if _, err := imgs.ReadImageFile(context.Background(), "nogroup:1", "/etc/group"); err == nil || !strings.Contains(err.Error(), "no /etc/group") {
			t.Errorf("run %d: /etc/group: %v, want missing", i, err)
		}
		if pw, err := imgs.ReadImageFile(context.Background(), "nogroup:1", "/etc/passwd"); err != nil || !strings.Contains(string(pw), "vscode:x:1000") {
			t.Errorf("run %d: /etc/passwd %q, %v", i, pw, err)
		}
	}
	if n := eng.Requests()["/containers/create"]; n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
}

// Both files come from one archive of /etc; one that is a link there (to
// /usr/lib, as some images keep it) is followed on its own, for both
// engines' archives.
func TestReadImageFilesOneArchive(t *testing.T) {
	img := enginetest.Image{ID: "sha256:6666",
		Files: map[string]string{"/etc/passwd": "vscode:x:1000:1000::/home/vscode:/bin/sh\n", "/usr/lib/group": "vscode:x:1000:\n", "/etc/hosts": "x"},
		Links: map[string]string{"/etc/group": "../usr/lib/group"}}
	cli := &enginetest.PodmanCLI{Images: map[string]enginetest.Image{"localhost/box": img}}
	eng := enginetest.Start(t, enginetest.Config{TCP: true, Images: map[string]enginetest.Image{"box": img}})
	d, err := Connect(context.Background(), []Endpoint{{Host: eng.Host}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]filesReader{"podman CLI": PodmanCLI{Run: cli.Run}, "Engine API": d} {
		files, err := r.ReadImageFiles(context.Background(), "box", "/etc/passwd", "/etc/group", "/etc/nope")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(files[0].Data) != img.Files["/etc/passwd"] || string(files[1].Data) != "vscode:x:1000:\n" || !errors.Is(files[2].Err, fs.ErrNotExist) {
			t.Errorf("%s: %+v", name, files)
		}
	}
	var cps []string
	for _, argv := range cli.Calls() {
		if argv[1] == "cp" {
			cps = append(cps, argv[3][strings.Index(argv[3], ":")+1:])
		}
	}
	if strings.Join(cps, " ") != "/etc /etc/group" { // podman cp follows the link
		t.Errorf("podman cp of %q; want /etc, then the link", cps)
	}
}

// Concurrent lints (each its own pool, as separate processes are) share one
// cache folder: every one gets the image's users, and the folder ends with
// one whole entry.
func TestCacheConcurrentLints(t *testing.T) {
	eng := enginetest.Start(t, enginetest.Config{TCP: true, Images: map[string]enginetest.Image{"team/dev:1": imageWithVscode("sha256:aaaa", 1000)}})
	dir := filepath.Join(t.TempDir(), "images")
	var wg sync.WaitGroup
	uids := make(chan int, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cache := &imagefacts.Cache{Fs: afero.NewOsFs(), Dir: dir}
			imgs := (&Pool{Discovery: memDiscovery(map[string]string{"DOCKER_HOST": eng.Host}, nil)}).Get(Docker).Cached(cache)
			pw, err := imgs.ReadImageFile(context.Background(), "team/dev:1", "/etc/passwd")
			if err != nil {
				t.Error(err) // Error, not Fatal: this is not the test's goroutine
				uids <- -1
				return
			}
			acct, _ := imagefacts.LookupUser(pw, nil, "vscode")
			uids <- acct.UID
		}()
	}
	wg.Wait()
	close(uids)
	for uid := range uids {
		if uid != 1000 {
			t.Errorf("a lint saw vscode %d", uid)
		}
	}
	entries, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(entries) != 1 {
		t.Errorf("cache folder holds %q, want one entry", entries)
	}
	if _, ok := (&imagefacts.Cache{Fs: afero.NewOsFs(), Dir: dir}).Get("docker api "+eng.Host, "sha256:aaaa"); !ok {
		t.Error("the entry does not read back")
	}
}
