package engine

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/devfix/devfix/engine/enginetest"
	"github.com/google/go-cmp/cmp"
)

const (
	passwdFile = "root:x:0:0:root:/root:/bin/sh\nvscode:x:1000:1000:VS Code:/home/vscode:/bin/bash\n"
	groupFile  = "root:x:0:\nvscode:x:1000:\ndev:x:2000:vscode\n"
)

// boxImage has files, absolute and relative links, a dangling link and a
// loop, and a local Podman name.
var boxImage = map[string]enginetest.Image{
	"localhost/labbox:1": {
		User:  "vscode",
		Files: map[string]string{"/etc/passwd": passwdFile, "/usr/lib/group": groupFile},
		Links: map[string]string{
			"/etc/group":    "../usr/lib/group",
			"/etc/group-ab": "/etc/group",
			"/etc/dangling": "/nowhere",
			"/etc/loop-a":   "/etc/loop-b",
			"/etc/loop-b":   "loop-a",
		},
	},
}

type readCase struct {
	name     string
	ref      string
	path     string
	want     string
	wantErr  string
	notExist bool
}

var readCases = []readCase{
	{name: "a file", ref: "localhost/labbox:1", path: "/etc/passwd", want: passwdFile},
	{name: "a relative link", ref: "localhost/labbox:1", path: "/etc/group", want: groupFile},
	{name: "a link to a link", ref: "localhost/labbox:1", path: "/etc/group-ab", want: groupFile},
	{name: "no such file", ref: "localhost/labbox:1", path: "/etc/shadow", wantErr: `no /etc/shadow in image "localhost/labbox:1"`, notExist: true},
	{name: "a dangling link", ref: "localhost/labbox:1", path: "/etc/dangling", wantErr: `in image "localhost/labbox:1"`, notExist: true},
	{name: "a link loop", ref: "localhost/labbox:1", path: "/etc/loop-a", wantErr: "symbolic links"},
	{name: "no such image", ref: "nope:1", path: "/etc/passwd", wantErr: `no such image "nope:1"`, notExist: true},
}

func checkRead(t *testing.T, tc readCase, got []byte, err error) {
	t.Helper()
	if tc.wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Fatalf("err %v, want %q", err, tc.wantErr)
		}
		if errors.Is(err, fs.ErrNotExist) != tc.notExist {
			t.Errorf("errors.Is(%v, fs.ErrNotExist) = %v", err, !tc.notExist)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tc.want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Docker sends a link as a link (devfix follows it), Podman follows it
// itself; either way the container is gone afterwards.
func TestDaemonReadImageFile(t *testing.T) {
	for _, podman := range []bool{false, true} {
		for _, tc := range readCases {
			name := "docker/" + tc.name
			if podman {
				name = "podman/" + tc.name
			}
			t.Run(name, func(t *testing.T) {
				srv := enginetest.Start(t, enginetest.Config{Podman: podman, Images: boxImage})
				d, err := Connect(context.Background(), []Endpoint{{Host: srv.Host}}, time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				got, err := d.ReadImageFile(context.Background(), tc.ref, tc.path)
				checkRead(t, tc, got, err)
				if left := srv.Containers(); len(left) != 0 {
					t.Errorf("containers left: %v", left)
				}
				req := srv.Requests()
				if tc.ref != "nope:1" && (req["/containers/create"] != 1 || req["/containers/delete"] != 1) {
					t.Errorf("requests: %v", req)
				}
			})
		}
	}
}

// Podman's service finds a local image by its short name.
func TestDaemonPodmanShortName(t *testing.T) {
	srv := enginetest.Start(t, enginetest.Config{Podman: true, Images: boxImage})
	d, err := Connect(context.Background(), []Endpoint{{Host: srv.Host}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	img, err := d.InspectImage(context.Background(), "labbox:1")
	if err != nil || !img.Found || img.User != "vscode" {
		t.Errorf("labbox:1: %+v, %v", img, err)
	}
	got, err := d.ReadImageFile(context.Background(), "labbox:1", "/etc/passwd")
	if err != nil || string(got) != passwdFile {
		t.Errorf("labbox:1 /etc/passwd: %q, %v", got, err)
	}
	missing, err := d.InspectImage(context.Background(), "nope:1")
	if err != nil || missing.Found {
		t.Errorf("missing image: %+v, %v", missing, err)
	}
}

// A cancelled lint (Ctrl-C while the file is copied) still removes the
// container.
func TestDaemonReadImageFileCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := enginetest.Start(t, enginetest.Config{Images: boxImage, Hook: func(kind string) {
		if kind == "/containers/archive" {
			cancel()
			// Answer only after the client has seen the cancel: the
			// point is what happens to the container then.
			time.Sleep(200 * time.Millisecond)
		}
	}})
	d, err := Connect(ctx, []Endpoint{{Host: srv.Host}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.ReadImageFile(ctx, "localhost/labbox:1", "/etc/passwd"); err == nil {
		t.Fatal("no error after cancel")
	}
	if left := srv.Containers(); len(left) != 0 {
		t.Errorf("containers left: %v", left)
	}
	if n := srv.Requests()["/containers/delete"]; n != 1 {
		t.Errorf("delete requests: %d", n)
	}
}

func TestPodmanCLIReadImageFile(t *testing.T) {
	for _, tc := range readCases {
		t.Run(tc.name, func(t *testing.T) {
			fake := &enginetest.PodmanCLI{Images: boxImage}
			p := PodmanCLI{Run: fake.Run, Path: "/usr/bin/podman"}
			got, err := p.ReadImageFile(context.Background(), tc.ref, tc.path)
			checkRead(t, tc, got, err)
			if left := fake.Containers(); len(left) != 0 {
				t.Errorf("containers left: %v", left)
			}
			calls := fake.Calls()
			if calls[0][0] != "/usr/bin/podman" || calls[0][1] != "create" {
				t.Errorf("first call %q", calls[0])
			}
		})
	}
}

func TestPodmanCLIArgv(t *testing.T) {
	fake := &enginetest.PodmanCLI{Images: boxImage}
	p := PodmanCLI{Run: fake.Run}
	if _, err := p.ReadImageFile(context.Background(), "labbox:1", "/etc/passwd"); err != nil {
		t.Fatal(err)
	}
	calls := fake.Calls()
	if len(calls) != 3 {
		t.Fatalf("calls: %q", calls)
	}
	id := calls[2][4]
	want := [][]string{
		{"podman", "create", "--pull=never", "--label", "devfix.read-image-file=/etc/passwd", "--", "labbox:1", "true"},
		{"podman", "cp", "--", id + ":/etc/passwd", "-"},
		{"podman", "rm", "-f", "--", id},
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("argv (-want +got):\n%s", diff)
	}
}

func TestPodmanCLIReadImageFileCancelled(t *testing.T) {
	fake := &enginetest.PodmanCLI{Images: boxImage}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := PodmanCLI{Run: func(ctx context.Context, argv []string) ([]byte, error) {
		if argv[1] == "cp" {
			cancel()
		}
		return fake.Run(ctx, argv)
	}}
	if _, err := p.ReadImageFile(ctx, "labbox:1", "/etc/passwd"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if left := fake.Containers(); len(left) != 0 {
		t.Errorf("containers left: %v", left)
	}
}

// A failed removal is reported: a container would be left behind.
func TestPodmanCLIRemoveFails(t *testing.T) {
	fake := &enginetest.PodmanCLI{Images: boxImage}
	p := PodmanCLI{Run: func(ctx context.Context, argv []string) ([]byte, error) {
		if argv[1] == "rm" {
			return nil, errors.New("exit status 125: Error: the storage is gone")
		}
		return fake.Run(ctx, argv)
	}}
	got, err := p.ReadImageFile(context.Background(), "labbox:1", "/etc/passwd")
	if err == nil || got != nil || !strings.Contains(err.Error(), "podman rm -f") || !strings.Contains(err.Error(), "the storage is gone") {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestPodmanCLIInspectImage(t *testing.T) {
	fake := &enginetest.PodmanCLI{Images: map[string]enginetest.Image{
		"localhost/labbox:1": {ID: "sha256:cd7cb238", User: "vscode", Labels: map[string]string{"devcontainer.metadata": `[{"remoteUser":"vscode"}]`}},
	}}
	p := PodmanCLI{Run: fake.Run}
	tests := []struct {
		ref  string
		want Image
	}{
		{ref: "localhost/labbox:1", want: Image{Found: true, ID: "sha256:cd7cb238", User: "vscode", Labels: map[string]string{"devcontainer.metadata": `[{"remoteUser":"vscode"}]`}}},
		{ref: "labbox:1", want: Image{Found: true, ID: "sha256:cd7cb238", User: "vscode", Labels: map[string]string{"devcontainer.metadata": `[{"remoteUser":"vscode"}]`}}},
		{ref: "nope:1", want: Image{}},
	}
	for _, tc := range tests {
		got, err := p.InspectImage(context.Background(), tc.ref)
		if err != nil {
			t.Errorf("%s: %v", tc.ref, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.ref, diff)
		}
	}
	// Any other failure is an error, not a missing image.
	broken := PodmanCLI{Run: func(context.Context, []string) ([]byte, error) {
		return nil, errors.New("exit status 125: Error: database is locked")
	}}
	if _, err := broken.InspectImage(context.Background(), "labbox:1"); err == nil || !strings.Contains(err.Error(), "database is locked") {
		t.Errorf("broken podman: %v", err)
	}
}

func TestPodmanCLIVersion(t *testing.T) {
	fake := &enginetest.PodmanCLI{Version: "4.3.1"}
	v, err := PodmanCLI{Run: fake.Run}.Version(context.Background())
	if err != nil || v != "4.3.1" {
		t.Errorf("got %q, %v", v, err)
	}
	odd := PodmanCLI{Run: func(context.Context, []string) ([]byte, error) { return []byte("Docker version 28.2.2\n"), nil }}
	if _, err := odd.Version(context.Background()); err == nil {
		t.Error("docker's version taken for podman's")
	}
}
