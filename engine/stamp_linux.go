package engine

import (
	"io/fs"
	"syscall"

	"github.com/devfix/devfix/internal/imagefacts"
)

// statStamp fills a stamp from what stat(2) said; ok is false when the
// file system did not say (a memory file system), and nothing is sure.
func statStamp(path string, fi fs.FileInfo) (imagefacts.FileStamp, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return imagefacts.FileStamp{}, false
	}
	return imagefacts.FileStamp{Path: path, Present: true, Size: fi.Size(),
		MtimeNs: st.Mtim.Nano(), CtimeNs: st.Ctim.Nano(), Ino: uint64(st.Ino), Dev: uint64(st.Dev)}, true
}
