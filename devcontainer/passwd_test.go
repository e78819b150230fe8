package devcontainer

import (
	"context"
	"testing"
)

// countingImages counts the files read from images.
type countingImages struct {
	fakeImages
	reads map[string]int
}

func (c countingImages) ReadImageFile(ctx context.Context, ref, path string) ([]byte, error) {
	c.reads[path]++
	return c.fakeImages.ReadImageFile(ctx, ref, path)
}

// Each file read from an image is a container for the engine: /etc/group
// only when a user spec names a group.
func TestImageGroupReadOnlyForGroupSpecs(t *testing.T) {
	img := fakeImages{"debian:12": {Labels: map[string]string{
		"test.passwd": "root:x:0:0::/root:/bin/sh\nvscode:x:1000:1000::/home/vscode:/bin/sh\n",
		"test.group":  "root:x:0:\nvscode:x:1000:\nstaff:x:50:\n",
	}}}
	ctx := context.Background()
	ci := countingImages{img, map[string]int{}}
	o := &Options{Images: ci}
	f := &Facts{Image: "debian:12"}
	if uid, gid, _, ok := f.imageUserIDs(ctx, o, "vscode"); !ok || uid != 1000 || gid != 1000 {
		t.Errorf("vscode: %d:%d %v", uid, gid, ok)
	}
	if _, taken := f.uidUpdate(ctx, o, 1000); taken != "" {
		t.Errorf("uid 1000 taken by %q", taken)
	}
	if ci.reads["/etc/passwd"] != 1 || ci.reads["/etc/group"] != 0 {
		t.Errorf("reads %v, want /etc/passwd once and /etc/group never", ci.reads)
	}
	if uid, gid, _, ok := f.imageUserIDs(ctx, o, "vscode:staff"); !ok || uid != 1000 || gid != 50 {
		t.Errorf("vscode:staff: %d:%d %v", uid, gid, ok)
	}
	f.imageUserIDs(ctx, o, "root:staff")
	if ci.reads["/etc/passwd"] != 1 || ci.reads["/etc/group"] != 1 {
		t.Errorf("reads %v, want each file once", ci.reads)
	}
}
