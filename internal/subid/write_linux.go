package subid

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// DefaultWait is how long lckpwdf waits for /etc/.pwd.lock.
const DefaultWait = 15 * time.Second

// Writer changes /etc/subuid and /etc/subgid as shadow's commonio does, so
// that devfix, useradd and usermod never lose each other's lines:
//
//  1. an fcntl write lock on /etc/.pwd.lock, as glibc's lckpwdf takes it
//     (flock(2) does not exclude lckpwdf: verified on the lab);
//  2. the link locks /etc/subuid.lock and /etc/subgid.lock holding the PID
//     (a lock left by a dead PID is removed; a live one is a failure);
//  3. the files read again under the locks, so two logins at once never
//     get one range;
//  4. each changed file written whole to a temp file beside it, fsynced,
//     renamed into place with the old one kept as FILE-, mode and owner
//     kept, never through a symbolic link.
//
// Only appends are written: every byte there stays.
type Writer struct {
	Paths
	// Fs reads the inputs under the locks: nil or the OS's (anything else
	// is refused; the locks and writes are the OS's).
	Fs afero.Fs
	// Wait bounds the wait for /etc/.pwd.lock (0: DefaultWait).
	Wait time.Duration
}

// Update takes the locks, loads the host, lets change append to h.SubUID
// and h.SubGID (through h.Grant or h.Apply), writes what changed and
// unlocks. When change returns an error, nothing is written.
func (w Writer) Update(ctx context.Context, change func(h *Host) error) error {
	fsys := w.Fs
	if fsys == nil {
		fsys = afero.NewOsFs()
	}
	if _, ok := fsys.(*afero.OsFs); !ok {
		// The locks and the rename are the OS's: reading another
		// filesystem under them would write what was never read.
		return fmt.Errorf("%s: the writer needs the OS filesystem", w.SubUID())
	}
	unlock, err := w.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	for _, p := range []string{w.SubUID(), w.SubGID()} {
		if err := notLink(p); err != nil {
			return err
		}
	}
	h, err := Load(fsys, w.Paths)
	if err != nil {
		return err
	}
	before := []*File{h.SubUID, h.SubGID}
	if err := change(h); err != nil {
		return err
	}
	after := []*File{h.SubUID, h.SubGID}
	for i, f := range after {
		if !bytes.HasPrefix(f.Data, before[i].Data) || f.Path != before[i].Path {
			return fmt.Errorf("%s: refusing a change that is not an append", before[i].Path)
		}
	}
	wrote := false
	for i, f := range after {
		if len(f.Data) == len(before[i].Data) {
			continue
		}
		if err := replaceKeepingBackup(f.Path, f.Data); err != nil {
			return err
		}
		wrote = true
	}
	if wrote {
		syncDir(filepath.Dir(w.SubUID()))
	}
	return nil
}

// notLink refuses a symbolic link (shadow opens with O_NOFOLLOW) or
// anything but a regular file; a missing file is fine.
func notLink(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link: shadow does not write through one (O_NOFOLLOW), nor does devfix; make it a regular file", path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	}
	return nil
}

// lock takes /etc/.pwd.lock, then the link locks of both files.
func (w Writer) lock(ctx context.Context) (func(), error) {
	wait := w.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	pwd, err := lockPwd(ctx, w.PwdLock(), wait)
	if err != nil {
		return nil, err
	}
	var held []func()
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			held[i]()
		}
		pwd.Close() // closing the descriptor drops its lock
	}
	for _, p := range []string{w.SubUID(), w.SubGID()} {
		rel, err := linkLock(p)
		if err != nil {
			release()
			return nil, err
		}
		held = append(held, rel)
	}
	return release, nil
}

// lockPwd takes a write lock on the whole of path with fcntl. It is an
// open-file-description lock (F_OFD_SETLK): it conflicts with lckpwdf's
// classic fcntl lock and, unlike one, also with another goroutine of this
// process. Asked without blocking and again until wait ends (lckpwdf blocks
// under a 15 s alarm; polling needs no signal and honours ctx).
func lockPwd(ctx context.Context, path string, wait time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	pause := time.Millisecond
	for {
		lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
		err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("cannot lock %s within %s: another program (useradd, usermod, vipw, passwd) holds it; try again later", path, wait)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(pause*2, 20*time.Millisecond)
	}
}

// linkLock takes shadow's lock of file: FILE.PID holding the PID, linked
// to FILE.lock (link(2) fails when the lock exists, atomically on every
// filesystem shadow supports). A lock whose PID is not running is stale and
// removed, once; a running PID is a failure at once, as for shadow.
func linkLock(file string) (func(), error) {
	pid := os.Getpid()
	tmp := fmt.Sprintf("%s.%d", file, pid)
	lock := file + ".lock"
	if err := writePID(tmp, pid); err != nil {
		return nil, fmt.Errorf("lock %s: %w", file, err)
	}
	defer os.Remove(tmp)
	for try := 0; ; try++ {
		err := os.Link(tmp, lock)
		if err == nil {
			var st unix.Stat_t
			if err := unix.Lstat(tmp, &st); err != nil || st.Nlink != 2 {
				os.Remove(lock)
				return nil, fmt.Errorf("lock %s: %s did not link", file, lock)
			}
			return func() { os.Remove(lock) }, nil
		}
		if !errors.Is(err, fs.ErrExist) || try > 0 {
			return nil, fmt.Errorf("cannot lock %s: %w", file, err)
		}
		holder, err := readPID(lock)
		if err != nil {
			return nil, fmt.Errorf("cannot lock %s: %w", file, err)
		}
		if alive(holder) {
			return nil, fmt.Errorf("cannot lock %s: %s is held by running process %d (useradd, usermod or another devfix); try again later", file, lock, holder)
		}
		if err := os.Remove(lock); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("cannot remove the stale lock %s of process %d: %w", lock, holder, err)
		}
	}
}

func writePID(path string, pid int) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strconv.Itoa(pid))
	if err == nil {
		err = unix.Fdatasync(int(f.Fd()))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func readPID(lock string) (int, error) {
	f, err := os.OpenFile(lock, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	b := make([]byte, 32)
	n, _ := f.Read(b)
	s := strings.TrimSpace(string(b[:n]))
	pid, err := strconv.Atoi(s)
	if s == "" || err != nil || pid <= 0 {
		return 0, fmt.Errorf("existing lock file %s without a PID (%q): remove it if no useradd, usermod or devfix runs", lock, s)
	}
	return pid, nil
}

// alive reports whether pid runs (kill(pid, 0): EPERM is someone else's
// process, running).
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// replaceKeepingBackup writes data to path through a temp file and rename,
// keeping the old file as path-: the old inode itself, hard-linked there
// before the rename (its bytes, mode and owner are the old file's, already
// on disk: no copy to sync). The new file takes the old mode and owner
// (0644 and the caller's for a new one).
func replaceKeepingBackup(path string, data []byte) error {
	mode, uid, gid := fs.FileMode(0o644), -1, -1
	fi, err := os.Lstat(path)
	switch {
	case err == nil:
		mode = fi.Mode().Perm()
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
		tmp := fmt.Sprintf("%s-.devfix%d", path, os.Getpid())
		os.Remove(tmp)
		if err := os.Link(path, tmp); err != nil {
			return fmt.Errorf("back up %s: %w", path, err)
		}
		if err := os.Rename(tmp, path+"-"); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("back up %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".devfix*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(mode)
	if err == nil && uid >= 0 {
		err = f.Chown(uid, gid)
	}
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
