package fserr

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestCause(t *testing.T) {
	pe := &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrPermission}
	if got := Cause(fmt.Errorf("reading: %w", pe)); got != fs.ErrPermission {
		t.Errorf("Cause(wrapped PathError) = %v", got)
	}
	other := errors.New("other")
	if got := Cause(other); got != other {
		t.Errorf("Cause(other) = %v", got)
	}
}
