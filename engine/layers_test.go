package engine

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/devfix/devfix/engine/enginetest"
	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/spf13/afero"
)

// charDevFs shows the files named in devs as character devices: overlay's
// native whiteouts (0/0), which only root can make on a real disk.
type charDevFs struct {
	afero.Fs
	devs map[string]bool
}

type charDevInfo struct{ fs.FileInfo }

func (charDevInfo) Mode() fs.FileMode { return fs.ModeDevice | fs.ModeCharDevice }
func (charDevInfo) IsDir() bool       { return false }

func (c charDevFs) LstatIfPossible(p string) (fs.FileInfo, bool, error) {
	fi, ok, err := c.Fs.(afero.Lstater).LstatIfPossible(p)
	if err == nil && c.devs[p] {
		return charDevInfo{fi}, ok, nil
	}
	return fi, ok, err
}

func (c charDevFs) ReadlinkIfPossible(p string) (string, error) {
	return c.Fs.(afero.LinkReader).ReadlinkIfPossible(p)
}

func TestLayerReader(t *testing.T) {
	type layer struct {
		files   map[string]string // path → contents; "->target" makes a link; "" with a name in devs a whiteout device
		devs    []string
		opaqueX []string // folders with the opaque xattr
	}
	passwdTop := "vscode:x:1001:1001::/home/vscode:/bin/sh\n"
	passwdLow := "vscode:x:1000:1000::/home/vscode:/bin/sh\n"
	groupLow := "vscode:x:1000:\n"
	tests := []struct {
		name   string
		layers []layer
		passwd string // "" means not there
		group  string
		unsure bool
	}{
		{name: "the topmost layer wins", layers: []layer{
			{files: map[string]string{"etc/passwd": passwdTop}},
			{files: map[string]string{"etc/passwd": passwdLow, "etc/group": groupLow}}},
			passwd: passwdTop, group: groupLow},
		{name: "a layer that does not touch /etc", layers: []layer{
			{files: map[string]string{"usr/bin/x": "x"}},
			{files: map[string]string{"etc/passwd": passwdLow, "etc/group": groupLow}}},
			passwd: passwdLow, group: groupLow},
		{name: ".wh. whiteout", layers: []layer{
			{files: map[string]string{"etc/.wh.group": ""}},
			{files: map[string]string{"etc/passwd": passwdLow, "etc/group": groupLow}}},
			passwd: passwdLow},
		{name: "character device whiteout", layers: []layer{
			{files: map[string]string{"etc/group": ""}, devs: []string{"etc/group"}},
			{files: map[string]string{"etc/passwd": passwdLow, "etc/group": groupLow}}},
			passwd: passwdLow},
		{name: "the parent folder whited out", layers: []layer{
			{files: map[string]string{".wh.etc": "", "etc2/x": "x"}},
			{files: map[string]string{"etc/passwd": passwdLow, "etc/group": groupLow}}}},
		{name: "deleted and made again in one layer", layers: []layer{
			{files: map[string]string{".wh.etc": "", "etc/passwd": passwdTop}},
			{files: map[string]string{"etc/passwd": passwdLow, "etc/group": groupLow}}},
			passwd: passwdTop},
		{name: "opaque folder (marker)", layers: []layer{
			{files: map[string]string{"etc/.wh..wh..opq": "", "etc/passwd": passwdTop}},
			{files: map[string]string{"etc/passwd": passwdLow, "etc/group": groupLow}}},
			passwd: passwdTop},
		{name: "opaque folder (xattr)", layers: []layer{
			{files: map[string]string{"etc/passwd": passwdTop}, opaqueX: []string{"etc"}},
			{files: map[string]string{"etc/passwd": passwdLow, "etc/group": groupLow}}},
			passwd: passwdTop},
		{name: "a link followed inside the image", layers: []layer{
			{files: map[string]string{"etc/group": "->../usr/lib/group"}},
			{files: map[string]string{"etc/passwd": passwdLow, "usr/lib/group": groupLow}}},
			passwd: passwdLow, group: groupLow},
		{name: "a link among the parents: unsure", layers: []layer{
			{files: map[string]string{"etc": "->/private/etc"}},
			{files: map[string]string{"etc/passwd": passwdLow}}},
			unsure: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			fsys := charDevFs{Fs: afero.NewOsFs(), devs: map[string]bool{}}
			opaque := map[string]bool{}
			var dirs []string
			for i, l := range tc.layers {
				dir := filepath.Join(root, "overlay", string(rune('a'+i)), "diff")
				os.MkdirAll(dir, 0o755)
				for p, data := range l.files {
					full := filepath.Join(dir, p)
					os.MkdirAll(filepath.Dir(full), 0o755)
					if len(data) > 2 && data[:2] == "->" {
						os.Symlink(data[2:], full)
						continue
					}
					os.WriteFile(full, []byte(data), 0o644)
				}
				for _, d := range l.devs {
					fsys.devs[filepath.Join(dir, d)] = true
				}
				for _, d := range l.opaqueX {
					opaque[filepath.Join(dir, d)] = true
				}
				dirs = append(dirs, dir)
			}
			r := layerReader{fs: fsys, layers: dirs, opaqueXattr: func(p, name string) ([]byte, error) {
				if opaque[p] && name == "user.overlay.opaque" {
					return []byte("y"), nil
				}
				return nil, errors.New("no such attribute")
			}}
			files, err := r.ReadFiles("img", []string{"/etc/passwd", "/etc/group"})
			if tc.unsure {
				if err == nil {
					t.Fatalf("want an error (make a container), got %+v", files)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range []string{tc.passwd, tc.group} {
				got := files[i]
				if want == "" {
					if !errors.Is(got.Err, fs.ErrNotExist) {
						t.Errorf("file %d: %q, %v; want not there", i, got.Data, got.Err)
					}
				} else if got.Err != nil || string(got.Data) != want {
					t.Errorf("file %d: %q, %v; want %q", i, got.Data, got.Err, want)
				}
			}
		})
	}
	// A layer folder that is gone (or cannot be read): unsure.
	r := layerReader{fs: afero.NewOsFs(), layers: []string{filepath.Join(t.TempDir(), "gone")}}
	if _, err := r.ReadFiles("img", []string{"/etc/passwd"}); err == nil {
		t.Error("a missing layer folder: want an error")
	}
}

func TestOverlayLayers(t *testing.T) {
	got := overlayLayers("overlay2", map[string]string{"UpperDir": "/d/top/diff", "LowerDir": "/d/a/diff:/d/b/diff", "WorkDir": "/d/top/work"})
	if len(got) != 3 || got[0] != "/d/top/diff" || got[2] != "/d/b/diff" {
		t.Errorf("overlay2: %q", got)
	}
	if got := overlayLayers("vfs", nil); got != nil {
		t.Errorf("vfs: %q", got)
	}
	if got := overlayLayers("overlay", map[string]string{"UpperDir": "relative"}); got != nil {
		t.Errorf("relative: %q", got)
	}
}

// A cold read under overlay makes no container: the inspect names the
// layers, and both files come from them; when a layer cannot be read, a
// container answers as before. With NoLayers a container is made anyway.
func TestColdReadFromLayers(t *testing.T) {
	top, low := filepath.Join(t.TempDir(), "top"), filepath.Join(t.TempDir(), "low")
	os.MkdirAll(filepath.Join(top, "etc"), 0o755)
	os.MkdirAll(filepath.Join(low, "etc"), 0o755)
	os.WriteFile(filepath.Join(top, "etc", "passwd"), []byte("vscode:x:1002:1002::/home/vscode:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(low, "etc", "group"), []byte("vscode:x:1002:\n"), 0o644)
	img := imageWithVscode("sha256:7777", 1000) // what a container would show
	img.Layers = []string{top, low}
	cli := &enginetest.PodmanCLI{Images: map[string]enginetest.Image{"localhost/box": img}}
	pool := func(noLayers bool) *Pool {
		return &Pool{Discovery: Discovery{Fs: afero.NewOsFs(), LookupEnv: func(string) (string, bool) { return "", false }}, Run: cli.Run, NoLayers: noLayers,
			LookPath: func(name string) (string, error) { return "/usr/bin/" + name, nil }}
	}
	ran := func(from int) (out []string) {
		for _, argv := range cli.Calls()[from:] {
			out = append(out, argv[1])
		}
		return out
	}
	cache := &imagefacts.Cache{Fs: afero.NewMemMapFs(), Dir: "/c"}
	if uid := vscodeUID(t, pool(false), Podman, cache, "box"); uid != 1002 {
		t.Errorf("from the layers: vscode %d, want 1002", uid)
	}
	if got := ran(0); len(got) != 1 || got[0] != "image" {
		t.Errorf("cold read from the layers ran %q; want the inspect alone", got)
	}
	n := len(cli.Calls())
	if uid := vscodeUID(t, pool(true), Podman, nil, "box"); uid != 1000 {
		t.Errorf("NoLayers: vscode %d, want the container's 1000", uid)
	}
	if got := ran(n); !slices.Contains(got, "create") {
		t.Errorf("NoLayers ran %q; want a container", got)
	}
	os.RemoveAll(low)
	n = len(cli.Calls())
	if uid := vscodeUID(t, pool(false), Podman, nil, "box"); uid != 1000 {
		t.Errorf("a layer gone: vscode %d, want the container's 1000", uid)
	}
	if got := ran(n); !slices.Contains(got, "create") {
		t.Errorf("a layer gone ran %q; want a container", got)
	}
}
