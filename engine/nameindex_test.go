package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devfix/devfix/engine/enginetest"
	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/spf13/afero"
)

// nameLab is a Podman user's host in a temp dir: a store under overlay
// whose image index names the images, the fake podman CLI, and the cache.
type nameLab struct {
	t     testing.TB
	root  string
	fs    afero.Fs
	cli   *enginetest.PodmanCLI
	cache *imagefacts.Cache
	env   map[string]string
	clock func() time.Time
}

const (
	graphRoot = "/home/dev/.local/share/containers/storage"
	idA       = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	idB       = "sha256:2222222222222222222222222222222222222222222222222222222222222222"
)

func newNameLab(t testing.TB) *nameLab {
	root := t.TempDir()
	l := &nameLab{t: t, root: root, fs: afero.NewBasePathFs(afero.NewOsFs(), root),
		cli:   &enginetest.PodmanCLI{},
		cache: &imagefacts.Cache{Fs: afero.NewMemMapFs(), Dir: "/home/dev/.cache/devfix/images"},
		env:   map[string]string{},
		// The index was written well before the inspect, as on a real host.
		clock: func() time.Time { return time.Now().Add(time.Minute) }}
	return l
}

// image makes an image whose vscode has uid, in its own layer folder, and
// tags it ref (the fake CLI and the store's index both say so).
func (l *nameLab) image(ref, id string, uid int, tags map[string]string) {
	l.t.Helper()
	layer := filepath.Join(graphRoot, "overlay", id[7:15], "diff")
	img := imageWithVscode(id, uid)
	img.Labels = map[string]string{"devcontainer.metadata": `[{"remoteUser":"vscode"}]`}
	for p, data := range img.Files {
		l.write(filepath.Join(layer, p), data)
	}
	img.Layers = []string{layer}
	l.cli.SetImage(ref, img)
	var b strings.Builder
	b.WriteString("[")
	ids := slices.Sorted(func(yield func(string) bool) {
		for _, v := range tags {
			if !yield(v) {
				return
			}
		}
	})
	for i, id := range ids {
		if i > 0 {
			b.WriteString(",")
		}
		var names []string
		for name, v := range tags {
			if v == id {
				names = append(names, `"`+name+`"`)
			}
		}
		b.WriteString(`{"id":"` + id[7:] + `","names":[` + strings.Join(names, ",") + `]}`)
	}
	b.WriteString("]")
	l.write(filepath.Join(graphRoot, "overlay-images", "images.json"), b.String())
}

// write replaces a file as podman does: a temp file renamed over it.
func (l *nameLab) write(path, data string) {
	l.t.Helper()
	full := filepath.Join(l.root, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		l.t.Fatal(err)
	}
	if err := os.WriteFile(full+".tmp", []byte(data), 0o644); err != nil {
		l.t.Fatal(err)
	}
	if err := os.Rename(full+".tmp", full); err != nil {
		l.t.Fatal(err)
	}
}

// pool is one run's pool (a devfix process); runner nil means the fake CLI.
func (l *nameLab) pool(runner func(context.Context, []string) ([]byte, error)) *Pool {
	if runner == nil {
		runner = l.cli.Run
	}
	return &Pool{Discovery: Discovery{Fs: l.fs, UID: 1000, Home: "/home/dev",
		LookupEnv: func(k string) (string, bool) { v, ok := l.env[k]; return v, ok }},
		Run: runner, clock: l.clock,
		LookPath: func(name string) (string, error) { return "/usr/bin/" + name, nil }}
}

// noPodman is a runner that fails the test: the run must know the image
// without podman.
func (l *nameLab) noPodman(ctx context.Context, argv []string) ([]byte, error) {
	l.t.Errorf("ran %q; want no podman process", argv)
	return nil, os.ErrPermission
}

// run is one lint's image questions: the inspect (user, label) and vscode's
// UID; it returns them and the podman subcommands run.
func (l *nameLab) run(runner func(context.Context, []string) ([]byte, error), ref string) (img Image, uid int, ran []string) {
	l.t.Helper()
	n := len(l.cli.Calls())
	p := l.pool(runner)
	img, err := p.Get(Podman).Cached(l.cache).InspectImage(context.Background(), ref)
	if err != nil {
		l.t.Fatalf("inspect %s: %v", ref, err)
	}
	uid = vscodeUID(l.t, p, Podman, l.cache, ref)
	for _, argv := range l.cli.Calls()[n:] {
		ran = append(ran, argv[1])
	}
	return img, uid, ran
}

// The second run of a reference runs no podman at all, and knows what the
// inspect told the first: the ID, Config.User and the metadata label.
func TestNameIndexHitRunsNoPodman(t *testing.T) {
	l := newNameLab(t)
	l.image("localhost/box", idA, 1000, map[string]string{"localhost/box:latest": idA})
	cold, uid, ran := l.run(nil, "box")
	if uid != 1000 || !slices.Equal(ran, []string{"image"}) {
		t.Fatalf("cold: vscode %d, ran %q; want 1000 and the inspect alone", uid, ran)
	}
	warm, uid, _ := l.run(l.noPodman, "box")
	if uid != 1000 || warm.ID != cold.ID || warm.User != cold.User || !warm.Found ||
		warm.Labels["devcontainer.metadata"] != cold.Labels["devcontainer.metadata"] {
		t.Errorf("warm: %+v, vscode %d; want %+v, 1000", warm, uid, cold)
	}
	// Another spelling of the reference is another entry: podman is asked.
	if _, _, ran := l.run(nil, "localhost/box"); !slices.Equal(ran, []string{"image"}) {
		t.Errorf("another reference ran %q; want the inspect", ran)
	}
}

// A lint that reads no file of the image (--strategy root) knows the image
// from the name entry alone the second time: its user and label.
func TestNameIndexInspectAlone(t *testing.T) {
	l := newNameLab(t)
	l.image("localhost/box", idA, 1000, map[string]string{"localhost/box:latest": idA})
	inspect := func(runner func(context.Context, []string) ([]byte, error)) Image {
		img, err := l.pool(runner).Get(Podman).Cached(l.cache).InspectImage(context.Background(), "box")
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	cold := inspect(nil)
	warm := inspect(l.noPodman)
	if warm.ID != idA || warm.User != "vscode" || warm.Labels["devcontainer.metadata"] != cold.Labels["devcontainer.metadata"] ||
		!slices.Equal(warm.Layers, cold.Layers) || cold.Labels["devcontainer.metadata"] == "" {
		t.Errorf("warm %+v, cold %+v", warm, cold)
	}
	// Its files then come from the layer folders the entry names: no podman.
	if uid := vscodeUID(t, l.pool(l.noPodman), Podman, l.cache, "box"); uid != 1000 {
		t.Errorf("vscode %d after the inspect alone", uid)
	}
}

// A tag that moves rewrites the image index: the next run asks podman and
// reads the new image, whose vscode has another UID; the run after it runs
// nothing again.
func TestNameIndexMovedTag(t *testing.T) {
	l := newNameLab(t)
	l.image("localhost/box", idA, 1000, map[string]string{"localhost/box:latest": idA})
	if _, uid, _ := l.run(nil, "box"); uid != 1000 {
		t.Fatalf("cold: vscode %d", uid)
	}
	l.image("localhost/box", idB, 1001, map[string]string{"localhost/box:latest": idB, "localhost/old:latest": idA})
	img, uid, ran := l.run(nil, "box")
	if uid != 1001 || img.ID != idB || !slices.Contains(ran, "image") {
		t.Errorf("tag moved: %s, vscode %d, ran %q; want %s, 1001, an inspect", img.ID, uid, ran, idB)
	}
	if img, uid, _ := l.run(l.noPodman, "box"); uid != 1001 || img.ID != idB {
		t.Errorf("after the move: %s, vscode %d; want %s, 1001 with no podman", img.ID, uid, idB)
	}
}

// A change to a file that decides short-name resolution or the store is a
// miss: registries.conf edited, a drop-in added, storage.conf made.
func TestNameIndexResolutionFilesChanged(t *testing.T) {
	l := newNameLab(t)
	l.write("/etc/containers/registries.conf", "unqualified-search-registries = [\"docker.io\"]\n")
	l.image("localhost/box", idA, 1000, map[string]string{"localhost/box:latest": idA})
	changes := []struct {
		name string
		do   func()
	}{
		{"registries.conf edited", func() {
			l.write("/etc/containers/registries.conf", "unqualified-search-registries = [\"quay.io\"]\n")
		}},
		{"a registries.conf.d drop-in", func() { l.write("/etc/containers/registries.conf.d/10-box.conf", "[aliases]\n") }},
		{"the drop-in edited", func() {
			l.write("/etc/containers/registries.conf.d/10-box.conf", "[aliases]\n\"box\" = \"quay.io/x/box\"\n")
		}},
		{"the user's storage.conf", func() { l.write("/home/dev/.config/containers/storage.conf", "[storage]\ndriver = \"overlay\"\n") }},
		{"short-name aliases", func() { l.write("/home/dev/.cache/containers/short-name-aliases.conf", "[aliases]\n") }},
		{"$CONTAINERS_REGISTRIES_CONF", func() {
			l.write("/srv/registries.conf", "\n")
			l.env["CONTAINERS_REGISTRIES_CONF"] = "/srv/registries.conf"
		}},
	}
	l.run(nil, "box")
	for _, c := range changes {
		if _, _, ran := l.run(l.noPodman, "box"); len(ran) != 0 {
			t.Fatalf("before %s: ran %q", c.name, ran)
		}
		c.do()
		if _, uid, ran := l.run(nil, "box"); uid != 1000 || !slices.Equal(ran, []string{"image"}) {
			t.Errorf("%s: vscode %d, ran %q; want the inspect", c.name, uid, ran)
		}
	}
}

// A garbage name entry is a miss, and the run rewrites it.
func TestNameIndexGarbageEntry(t *testing.T) {
	l := newNameLab(t)
	l.image("localhost/box", idA, 1000, map[string]string{"localhost/box:latest": idA})
	l.run(nil, "box")
	entries, _ := afero.ReadDir(l.cache.Fs, l.cache.Dir)
	garbled := 0
	for _, fi := range entries {
		p := filepath.Join(l.cache.Dir, fi.Name())
		if data, _ := afero.ReadFile(l.cache.Fs, p); strings.Contains(string(data), `"kind":"name"`) {
			afero.WriteFile(l.cache.Fs, p, []byte(`{"format":1,"kind":"name","id":`), 0o600)
			garbled++
		}
	}
	if garbled != 1 {
		t.Fatalf("%d name entries, want 1", garbled)
	}
	if _, uid, ran := l.run(nil, "box"); uid != 1000 || !slices.Equal(ran, []string{"image"}) {
		t.Errorf("garbage entry: vscode %d, ran %q; want the inspect", uid, ran)
	}
	if _, uid, _ := l.run(l.noPodman, "box"); uid != 1000 {
		t.Errorf("rewritten entry: vscode %d", uid)
	}
}

// No entry is recorded when it could be wrong: an index rewritten about
// when the inspect ran, an index that does not hold the image, additional
// image stores, a remote Podman. With no entry, each run asks podman.
func TestNameIndexNotRecorded(t *testing.T) {
	cases := map[string]func(l *nameLab){
		"index rewritten as the inspect ran": func(l *nameLab) { l.clock = nil },
		"index without the image": func(l *nameLab) {
			l.write(filepath.Join(graphRoot, "overlay-images", "images.json"), `[]`)
		},
		"additional image stores": func(l *nameLab) {
			l.write("/etc/containers/storage.conf", "[storage.options]\nadditionalimagestores = [\n  \"/usr/lib/containers/storage\",\n]\n")
		},
		"CONTAINER_HOST":       func(l *nameLab) { l.env["CONTAINER_HOST"] = "ssh://dev@box/run/podman/podman.sock" },
		"CONTAINER_CONNECTION": func(l *nameLab) { l.env["CONTAINER_CONNECTION"] = "box" },
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			l := newNameLab(t)
			l.image("localhost/box", idA, 1000, map[string]string{"localhost/box:latest": idA})
			setup(l)
			for i := range 2 {
				if _, uid, ran := l.run(nil, "box"); uid != 1000 || !slices.Contains(ran, "image") {
					t.Errorf("run %d: vscode %d, ran %q; want an inspect each run", i, uid, ran)
				}
			}
			if _, ok := l.cache.GetName(l.pool(nil).Get(Podman).storeName(t), "box"); ok {
				t.Error("a name entry was recorded")
			}
		})
	}
}

// storeName is the connection's store key, connecting first.
func (c *Conn) storeName(t *testing.T) string {
	t.Helper()
	c.connect(context.Background())
	return c.store
}

// Under vfs the inspect names no layer folders: `podman info` says where
// the store is, once a store, on a run whose facts are cached (not on a
// cold run, which makes a container anyway).
func TestNameIndexVfs(t *testing.T) {
	l := newNameLab(t)
	l.image("localhost/box", idA, 1000, map[string]string{"localhost/box:latest": idA})
	img := imageWithVscode(idA, 1000)
	l.cli.SetImage("localhost/box", img) // no Layers: vfs
	l.write("/home/dev/.local/share/containers/storage/vfs-images/images.json", `[{"id":"`+idA[7:]+`"}]`)
	info := func(ctx context.Context, argv []string) ([]byte, error) {
		if slices.Equal(argv[1:], []string{"info", "--format", "json"}) {
			l.cli.Run(ctx, argv) // counted
			return []byte(`{"store":{"graphRoot":"` + graphRoot + `","graphDriverName":"vfs"}}`), nil
		}
		return l.cli.Run(ctx, argv)
	}
	if _, uid, ran := l.run(info, "box"); uid != 1000 || !slices.Equal(ran, []string{"image", "create", "cp", "rm"}) {
		t.Fatalf("cold under vfs: vscode %d, ran %q; want the inspect and a container, no podman info", uid, ran)
	}
	if _, uid, ran := l.run(info, "box"); uid != 1000 || !slices.Equal(ran, []string{"image", "info"}) {
		t.Fatalf("second run under vfs: vscode %d, ran %q; want the inspect and podman info", uid, ran)
	}
	if _, uid, _ := l.run(l.noPodman, "box"); uid != 1000 {
		t.Errorf("warm under vfs: vscode %d", uid)
	}
	// The tag moves to an image never seen: the cold run knows the store's
	// index from then on, with no podman info, and records the name.
	l.cli.SetImage("localhost/box", imageWithVscode(idB, 1001))
	l.write("/home/dev/.local/share/containers/storage/vfs-images/images.json", `[{"id":"`+idA[7:]+`"},{"id":"`+idB[7:]+`"}]`)
	if _, uid, ran := l.run(info, "box"); uid != 1001 || slices.Contains(ran, "info") || !slices.Contains(ran, "create") {
		t.Fatalf("tag moved under vfs: vscode %d, ran %q; want 1001, a container, no podman info", uid, ran)
	}
	if _, uid, _ := l.run(l.noPodman, "box"); uid != 1001 {
		t.Errorf("moved tag seen before under vfs: vscode %d", uid)
	}
	// A lint that reads no file (its facts never cached) in a store seen
	// before: podman info once, then no podman.
	inspect := func(runner func(context.Context, []string) ([]byte, error), ref string) {
		if _, err := l.pool(runner).Get(Podman).Cached(l.cache).InspectImage(context.Background(), ref); err != nil {
			t.Fatal(err)
		}
	}
	const idC = "sha256:3333333333333333333333333333333333333333333333333333333333333333"
	l.cli.SetImage("localhost/other", imageWithVscode(idC, 1000))
	l.write("/home/dev/.local/share/containers/storage/vfs-images/images.json", `[{"id":"`+idA[7:]+`"},{"id":"`+idB[7:]+`"},{"id":"`+idC[7:]+`"}]`)
	l.write("/home/dev/.config/containers/registries.conf", "\n") // the store's index is asked anew
	n := len(l.cli.Calls())
	inspect(info, "other")
	inspect(l.noPodman, "other")
	if calls := l.cli.Calls()[n:]; len(calls) != 2 || calls[1][1] != "info" {
		t.Errorf("inspect alone under vfs ran %q; want the inspect and podman info, then nothing", calls)
	}
	// storage.conf made: where the store is may have changed; podman info
	// is asked again.
	l.write("/home/dev/.config/containers/storage.conf", "[storage]\ndriver = \"vfs\"\n")
	if _, uid, ran := l.run(info, "box"); uid != 1001 || !slices.Equal(ran, []string{"image", "info"}) {
		t.Errorf("storage.conf made: vscode %d, ran %q; want the inspect and podman info", uid, ran)
	}
}

// Under vfs, the store's first cold run of a lint that reads no file runs
// no podman info; the next asks once; the one after runs nothing.
func TestNameIndexVfsInspectAlone(t *testing.T) {
	l := newNameLab(t)
	l.cli.SetImage("localhost/box", imageWithVscode(idA, 1000))
	l.write(graphRoot+"/vfs-images/images.json", `[{"id":"`+idA[7:]+`"}]`)
	info := func(ctx context.Context, argv []string) ([]byte, error) {
		out, err := l.cli.Run(ctx, argv)
		if slices.Equal(argv[1:], []string{"info", "--format", "json"}) {
			return []byte(`{"store":{"graphRoot":"` + graphRoot + `","graphDriverName":"vfs"}}`), nil
		}
		return out, err
	}
	for i, want := range [][]string{{"image"}, {"image", "info"}, nil} {
		n := len(l.cli.Calls())
		runner := info
		if want == nil {
			runner = l.noPodman
		}
		if _, err := l.pool(runner).Get(Podman).Cached(l.cache).InspectImage(context.Background(), "box"); err != nil {
			t.Fatal(err)
		}
		var ran []string
		for _, argv := range l.cli.Calls()[n:] {
			ran = append(ran, argv[1])
		}
		if !slices.Equal(ran, want) {
			t.Errorf("run %d ran %q, want %q", i+1, ran, want)
		}
	}
}

func TestNamesAdditionalStores(t *testing.T) {
	for conf, want := range map[string]bool{
		"[storage]\ndriver = \"overlay\"\n":                                             false,
		"[storage.options]\nadditionalimagestores = [\n]\n":                             false,
		"[storage.options]\n# additionalimagestores = [\"/x\"]\n":                       false,
		"[storage.options]\nadditionalimagestores = [\"/x\"]\n":                         true,
		"[storage.options]\nadditionalimagestores = [\n  \"/x\", # shared\n]\n":         true,
		"[storage.options]\nAdditionalImageStores=['/x']\n":                             true,
		"[storage.options]\nadditionalimagestores = \"/x\"\n":                           true, // not a list: unsure
		"[storage.options]\nadditionalimagestores = []\nadditionalimagestores=[\"/y\"]": true,
	} {
		if got := namesAdditionalStores([]byte(conf)); got != want {
			t.Errorf("%q: %v, want %v", conf, got, want)
		}
	}
}

// BenchmarkPodmanNameIndex is one lint's image questions as a Podman CLI
// user with the image seen before, each op a fresh pool (a new devfix
// process), two ways in the same run: through the name index (stats of the
// resolution files and the image index, two cache reads; no podman) and
// through `podman image inspect` then the cached facts, as before, with a
// fake podman answering in-process (so it leaves out the process, 81–85%
// of a real lint's time). index/inspect says what the stats cost against
// parsing an inspect; the process it saves is measured by `make speed`.
func BenchmarkPodmanNameIndex(b *testing.B) {
	l := newNameLab(b)
	l.image("localhost/box", idA, 1000, map[string]string{"localhost/box:latest": idA})
	l.run(nil, "box") // the facts and the name recorded
	read := func(runner func(context.Context, []string) ([]byte, error), stamps bool) time.Duration {
		t0 := time.Now()
		p := l.pool(runner)
		if !stamps {
			p.Discovery.Fs = afero.NewMemMapFs() // no stamp is sure: the name index is off, the facts cache on
		}
		imgs := p.Get(Podman).Cached(l.cache)
		if _, err := imgs.InspectImage(context.Background(), "box"); err != nil {
			b.Fatal(err)
		}
		for _, f := range userFiles {
			if _, err := imgs.ReadImageFile(context.Background(), "box", f); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(t0)
	}
	var index, inspect time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		index += read(l.noPodman, true)
		inspect += read(nil, false)
	}
	b.ReportMetric(float64(index.Nanoseconds())/float64(b.N), "index-ns/op")
	b.ReportMetric(float64(inspect.Nanoseconds())/float64(b.N), "inspect-ns/op")
	b.ReportMetric(float64(index)/float64(inspect), "index/inspect")
}
