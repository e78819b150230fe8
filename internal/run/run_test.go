package run

import (
	"context"
	"strings"
	"testing"
)

// Argv returns standard output alone; standard error goes into the error.
func TestArgv(t *testing.T) {
	out, err := Argv(context.Background(), []string{"sh", "-c", "echo out; echo oops >&2; exit 3"})
	if err == nil || !strings.Contains(err.Error(), "exit status 3: oops") {
		t.Errorf("err %v", err)
	}
	if string(out) != "out\n" {
		t.Errorf("stdout %q", out)
	}
	out, err = Argv(context.Background(), []string{"sh", "-c", "echo fine; echo noise >&2"})
	if err != nil || string(out) != "fine\n" {
		t.Errorf("got %q, %v", out, err)
	}
}
