// Package fserr words filesystem errors for people: the caller says the
// path once, so the *fs.PathError that already holds it is unwrapped to its
// cause ("permission denied", not "open /x: permission denied").
package fserr

import (
	"errors"
	"io/fs"
)

// Cause is the error under an *fs.PathError, or err itself.
func Cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
