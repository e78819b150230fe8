package mounts

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/afero"
)

// ownerTable fakes file owners by base name, and a chown that updates it.
type ownerTable map[string][2]int64

func (t ownerTable) owner(fi fs.FileInfo) (int64, int64, bool) {
	o, ok := t[fi.Name()]
	if !ok {
		return 1000, 1000, true
	}
	return o[0], o[1], true
}

func (t ownerTable) chown(got *[]string) Chowner {
	return func(_ context.Context, paths []string) error {
		for _, p := range paths {
			*got = append(*got, p)
			t[filepath.Base(p)] = [2]int64{1000, 1000}
		}
		return nil
	}
}

var testMaps = Maps{
	UID: rootlessMap(1000, []SubIDRange{{100000, 65536}}),
	GID: rootlessMap(1000, []SubIDRange{{100000, 65536}}),
}

func TestReclaim(t *testing.T) {
	mem := afero.NewMemMapFs()
	for _, p := range []string{"/ws/src/main.go", "/ws/made/file", "/ws/made/sub/deep", "/ws/grp", "/other/x"} {
		afero.WriteFile(mem, p, []byte("x"), 0o644)
	}
	mem.Chmod("/ws/made/file", 0o755|fs.ModeSetuid)
	owners := ownerTable{
		"made": {100999, 100999}, "file": {100999, 100999}, "deep": {100999, 1000},
		"grp": {1000, 100500}, "other": {0, 0}, "x": {0, 0},
	}
	var chowned []string
	opts := ReclaimOptions{Fs: mem, Owner: owners.owner, Maps: testMaps, HostUID: 1000, HostGID: 1000}

	dry := opts
	dry.DryRun = true
	list, err := Reclaim(context.Background(), "/ws", dry)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range list {
		paths = append(paths, r.Path)
	}
	want := []string{"/ws/grp", "/ws/made", "/ws/made/file", "/ws/made/sub/deep"}
	if d := cmp.Diff(want, paths); d != "" {
		t.Errorf("dry run (-want +got):\n%s", d)
	}
	if list[1].ContainerUID != 1000 || list[0].CGID != 501 {
		t.Errorf("container IDs: %+v %+v", list[1], list[0])
	}
	if owners["made"][0] != 100999 {
		t.Fatal("the dry run changed an owner")
	}

	opts.Chown = owners.chown(&chowned)
	if _, err := Reclaim(context.Background(), "/ws", opts); err != nil {
		t.Fatal(err)
	}
	sort.Strings(chowned)
	if d := cmp.Diff(want, chowned); d != "" {
		t.Errorf("chowned (-want +got):\n%s", d)
	}
	if fi, _ := mem.Stat("/ws/made/file"); fi.Mode()&fs.ModeSetuid == 0 {
		t.Error("the setuid bit was not kept")
	}
	if _, err := Reclaim(context.Background(), "/other", opts); err == nil || !strings.Contains(err.Error(), "not touching it") {
		t.Errorf("a root-owned tree: %v", err)
	}
}

// A symbolic link is given back itself, never followed out of the tree.
func TestReclaimDoesNotFollowLinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o600)
	os.Mkdir(filepath.Join(dir, "made"), 0o755)
	os.Symlink(outside, filepath.Join(dir, "made", "link"))
	owners := ownerTable{"made": {100999, 100999}, "link": {100999, 100999}, "secret": {100999, 100999}}
	var chowned []string
	_, err := Reclaim(context.Background(), dir, ReclaimOptions{Fs: afero.NewOsFs(), Owner: owners.owner,
		Maps: testMaps, HostUID: 1000, HostGID: 1000, Chown: owners.chown(&chowned)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "made"), filepath.Join(dir, "made", "link")}
	if d := cmp.Diff(want, chowned); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestNsenterChownerArgv(t *testing.T) {
	var argvs [][]string
	run := func(_ context.Context, argv []string) ([]byte, error) {
		argvs = append(argvs, argv)
		return nil, nil
	}
	paths := make([]string, 250)
	for i := range paths {
		paths[i] = "/ws/f"
	}
	if err := NsenterChowner(run, 4242)(context.Background(), paths); err != nil {
		t.Fatal(err)
	}
	if len(argvs) != 2 || strings.Join(argvs[0][:9], " ") != "nsenter -U --preserve-credentials -t 4242 chown -h 0:0 --" || len(argvs[1]) != 9+50 {
		t.Errorf("argv: %d calls, first %q", len(argvs), argvs[0][:10])
	}
}

func TestLookupMaps(t *testing.T) {
	mem := afero.NewMemMapFs()
	afero.WriteFile(mem, "/etc/subuid", []byte("dev:100000:65536\n"), 0o644)
	afero.WriteFile(mem, "/etc/subgid", []byte("dev:200000:65536\n"), 0o644)
	afero.WriteFile(mem, "/proc/1/status", []byte("Name:\tinit\nPPid:\t0\nUid:\t0\n"), 0o644)
	m, err := LookupMaps(context.Background(), mem, "/proc", Who{UID: 1000, GID: 1000, Name: "dev"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := m.GID.ToHost(1); h != 200000 || m.ChildPID != 0 || !strings.Contains(m.Source, "/etc/subuid") {
		t.Errorf("from files: %+v", m)
	}
	afero.WriteFile(mem, "/run/user/1000/dockerd-rootless/child_pid", []byte("77"), 0o644)
	afero.WriteFile(mem, "/proc/77/uid_map", []byte("0 1000 1\n1 300000 65536\n"), 0o644)
	afero.WriteFile(mem, "/proc/77/gid_map", []byte("0 1000 1\n1 300000 65536\n"), 0o644)
	m, err = LookupMaps(context.Background(), mem, "/proc", Who{UID: 1000, GID: 1000, Name: "dev", XDGRuntimeDir: "/run/user/1000"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := m.UID.ToHost(1000); h != 300999 || m.ChildPID != 77 {
		t.Errorf("live: %+v", m)
	}
	if _, err := LookupMaps(context.Background(), mem, "/proc", Who{UID: 1551001108, Name: "jdoe"}, nil); err == nil || !strings.Contains(err.Error(), "devfix doctor") {
		t.Errorf("domain user: %v", err)
	}
}

// SubIDMaps reads the subordinate ranges and never looks at a process: not
// the child_pid file of a running rootless daemon, not /proc.
func TestSubIDMaps(t *testing.T) {
	mem := afero.NewMemMapFs()
	afero.WriteFile(mem, "/etc/subuid", []byte("dev:100000:65536\n"), 0o644)
	afero.WriteFile(mem, "/etc/subgid", []byte("dev:200000:65536\n"), 0o644)
	afero.WriteFile(mem, "/run/user/1000/dockerd-rootless/child_pid", []byte("77"), 0o644)
	afero.WriteFile(mem, "/proc/77/uid_map", []byte("0 1000 1\n1 300000 65536\n"), 0o644)
	afero.WriteFile(mem, "/proc/77/gid_map", []byte("0 1000 1\n1 300000 65536\n"), 0o644)
	var read []string
	watched := &openWatcher{Fs: mem, opened: &read}
	m, err := SubIDMaps(context.Background(), watched, Who{UID: 1000, GID: 1000, Name: "dev", XDGRuntimeDir: "/run/user/1000"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Maps{UID: IDMap{{0, 1000, 1}, {1, 100000, 65536}}, GID: IDMap{{0, 1000, 1}, {1, 200000, 65536}}, Source: "/etc/subuid and /etc/subgid"}
	if d := cmp.Diff(want, m); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"/etc/subuid", "/etc/subgid"}, read); d != "" {
		t.Errorf("files read (-want +got):\n%s", d)
	}

	// A domain user: getsubids (NSS) has the ranges the files lack.
	getsubids := func(_ context.Context, argv []string) ([]byte, error) {
		if argv[1] == "-g" {
			return []byte("0: jdoe 500000 65536\n"), nil
		}
		return []byte("0: jdoe 400000 65536\n"), nil
	}
	jdoe := Who{UID: 1551001108, GID: 1551001108, Name: "jdoe"}
	m, err = SubIDMaps(context.Background(), mem, jdoe, getsubids)
	if h, _ := m.UID.ToHost(1); err != nil || h != 400000 || m.Source != "getsubids" {
		t.Errorf("getsubids: %+v, %v", m, err)
	}
	if _, err := SubIDMaps(context.Background(), mem, jdoe, nil); err == nil || err.Error() != "/etc/subuid or /etc/subgid has no range for jdoe (uid 1551001108): run devfix doctor" {
		t.Errorf("no range: %v", err)
	}
	// LookupMaps says so, and that no daemon runs.
	if _, err := LookupMaps(context.Background(), mem, "/proc", jdoe, nil); err == nil ||
		err.Error() != "no rootless daemon of uid 1551001108 is running, and /etc/subuid or /etc/subgid has no range for jdoe (uid 1551001108): run devfix doctor" {
		t.Errorf("LookupMaps: %v", err)
	}
	if _, err := SubIDMaps(context.Background(), afero.NewMemMapFs(), Who{UID: 1000, Name: "dev"}, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no /etc/subuid: %v", err)
	}
}

// openWatcher records the files opened through it.
type openWatcher struct {
	afero.Fs
	opened *[]string
}

func (w *openWatcher) Open(name string) (afero.File, error) {
	*w.opened = append(*w.opened, name)
	return w.Fs.Open(name)
}
