//go:build !linux

package engine

import (
	"io/fs"

	"github.com/devfix/devfix/internal/imagefacts"
)

// statStamp is not sure of any file off Linux: the name index stays off.
func statStamp(path string, fi fs.FileInfo) (imagefacts.FileStamp, bool) {
	return imagefacts.FileStamp{}, false
}
