package subid

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// tempRoot makes ROOT/etc with files, on the OS filesystem (the locks are
// real).
func tempRoot(t *testing.T, files map[string]string) Paths {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	for p, data := range files {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Paths{Root: root}
}

func grantAll(users ...User) func(h *Host) error {
	return func(h *Host) error {
		_, err := h.Grant(users, Options{})
		return err
	}
}

func readString(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// leftovers lists what a run may not leave in ROOT/etc: locks, PID files,
// temp files.
func leftovers(t *testing.T, p Paths) []string {
	t.Helper()
	es, _ := os.ReadDir(filepath.Join(p.Root, "etc"))
	var out []string
	for _, e := range es {
		n := e.Name()
		if strings.HasSuffix(n, ".lock") && n != ".pwd.lock" || strings.Contains(n, ".devfix") || strings.HasPrefix(n, "subuid.") || strings.HasPrefix(n, "subgid.") {
			out = append(out, n)
		}
	}
	return out
}

func TestWriterAppendsKeepsBackupModeAndOwner(t *testing.T) {
	old := "# hand-written\n\nzed:300000:65536" // no final newline
	p := tempRoot(t, map[string]string{"/etc/subuid": old, "/etc/subgid": old + "\n"})
	os.Chmod(p.SubUID(), 0o640)
	w := Writer{Paths: p}
	if err := w.Update(context.Background(), grantAll(User{"alice", 1000, 1000})); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, p.SubUID()); got != old+"\nalice:100000:65536\n" {
		t.Errorf("subuid %q", got)
	}
	if got := readString(t, p.SubGID()); got != old+"\nalice:100000:65536\n" {
		t.Errorf("subgid %q", got)
	}
	if got := readString(t, p.SubUID()+"-"); got != old {
		t.Errorf("backup %q", got)
	}
	fi, _ := os.Stat(p.SubUID())
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != os.Getuid() {
		t.Errorf("owner %d", st.Uid)
	}
	if l := leftovers(t, p); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
	// Again: nothing changes, not even the backup.
	os.Remove(p.SubUID() + "-")
	if err := w.Update(context.Background(), grantAll(User{"alice", 1000, 1000})); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.SubUID() + "-"); err == nil {
		t.Errorf("a no-op wrote the file")
	}
}

func TestWriterCreatesMissingFiles(t *testing.T) {
	p := tempRoot(t, nil)
	if err := (Writer{Paths: p}).Update(context.Background(), grantAll(User{"alice", 1000, 1000})); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, p.SubGID()); got != "alice:100000:65536\n" {
		t.Errorf("%q", got)
	}
	fi, _ := os.Stat(p.SubGID())
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
}

func TestWriterRefusesSymlinkAndMalformed(t *testing.T) {
	p := tempRoot(t, map[string]string{"/etc/real": "x:1:1\n", "/etc/subgid": ""})
	os.Symlink("real", p.SubUID())
	err := (Writer{Paths: p}).Update(context.Background(), grantAll(User{"alice", 1000, 1000}))
	if err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("err %v", err)
	}
	if readString(t, filepath.Join(p.Root, "etc/real")) != "x:1:1\n" || readString(t, p.SubGID()) != "" {
		t.Errorf("written through the link")
	}
	p = tempRoot(t, map[string]string{"/etc/subuid": "ok:1:1\nbad line\n", "/etc/subgid": ""})
	err = (Writer{Paths: p}).Update(context.Background(), grantAll(User{"alice", 1000, 1000}))
	if err == nil || err.Error() != p.SubUID()+`:2: expected owner:start:count, got "bad line"` {
		t.Errorf("err %v", err)
	}
	if readString(t, p.SubGID()) != "" {
		t.Errorf("subgid written although subuid is malformed")
	}
	if l := leftovers(t, p); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestWriterLinkLocks(t *testing.T) {
	p := tempRoot(t, map[string]string{"/etc/subuid": "", "/etc/subgid": ""})
	w := Writer{Paths: p}
	// A stale lock (dead PID) is removed.
	os.WriteFile(p.SubUID()+".lock", []byte(fmt.Sprint(deadPID(t))), 0o600)
	if err := w.Update(context.Background(), grantAll(User{"alice", 1000, 1000})); err != nil {
		t.Fatal(err)
	}
	if l := leftovers(t, p); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
	// A running PID holds it: fail at once, as shadow, and write nothing.
	os.WriteFile(p.SubGID()+".lock", []byte(fmt.Sprint(os.Getppid())), 0o600)
	err := w.Update(context.Background(), grantAll(User{"bob", 1001, 1001}))
	if want := fmt.Sprintf("cannot lock %s: %s.lock is held by running process %d", p.SubGID(), p.SubGID(), os.Getppid()); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err %v\nwant %s", err, want)
	}
	// An empty lock is nobody's: refuse, as shadow.
	os.WriteFile(p.SubGID()+".lock", nil, 0o600)
	err = w.Update(context.Background(), grantAll(User{"bob", 1001, 1001}))
	if err == nil || !strings.Contains(err.Error(), "without a PID") {
		t.Errorf("err %v", err)
	}
	if strings.Contains(readString(t, p.SubUID()), "bob") {
		t.Errorf("written under someone else's lock")
	}
	if _, err := os.Stat(p.SubUID() + ".lock"); err == nil {
		t.Errorf("our subuid lock stayed after the subgid lock failed")
	}
}

// The helper process holds a classic fcntl lock on the file in
// SUBID_HOLD_LOCK, as glibc's lckpwdf does, until its stdin closes.
func TestMain(m *testing.M) {
	if p := os.Getenv("SUBID_HOLD_LOCK"); p != "" {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o600)
		if err == nil {
			err = unix.FcntlFlock(f.Fd(), unix.F_SETLKW, &unix.Flock_t{Type: unix.F_WRLCK})
		}
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		bufio.NewReader(os.Stdin).ReadString('\n')
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func holdPwdLock(t *testing.T, p Paths) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SUBID_HOLD_LOCK="+p.PwdLock())
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("helper: %q", line)
	}
	return func() { in.Close(); cmd.Wait() }
}

// lckpwdf's lock (another process's classic fcntl lock) keeps the writer
// waiting, up to Wait.
func TestWriterWaitsForPwdLock(t *testing.T) {
	p := tempRoot(t, map[string]string{"/etc/subuid": "", "/etc/subgid": ""})
	release := holdPwdLock(t, p)
	err := (Writer{Paths: p, Wait: 200 * time.Millisecond}).Update(context.Background(), grantAll(User{"alice", 1000, 1000}))
	if err == nil || !strings.HasPrefix(err.Error(), "cannot lock "+p.PwdLock()+" within 200ms") {
		t.Errorf("err %v", err)
	}
	if readString(t, p.SubUID()) != "" {
		t.Errorf("written without the lock")
	}
	done := make(chan error)
	go func() {
		done <- (Writer{Paths: p}).Update(context.Background(), grantAll(User{"alice", 1000, 1000}))
	}()
	select {
	case err := <-done:
		t.Fatalf("did not wait: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if readString(t, p.SubUID()) != "alice:100000:65536\n" {
		t.Errorf("not written after the lock was released")
	}
}

// Many grants at once, each under the locks, get distinct ranges; no lock
// stays behind.
func TestWriterParallel(t *testing.T) {
	p := tempRoot(t, map[string]string{"/etc/subuid": "# keep\n", "/etc/subgid": ""})
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- (Writer{Paths: p}).Update(context.Background(), grantAll(User{fmt.Sprintf("u%d", i), int64(5000 + i), 5000}))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for _, path := range []string{p.SubUID(), p.SubGID()} {
		f, err := Parse(path, []byte(readString(t, path)))
		if err != nil || len(f.Entries) != 30 {
			t.Fatalf("%s: %d entries, %v", path, len(f.Entries), err)
		}
		if o := Overlaps(f.Entries); len(o) > 0 {
			t.Errorf("%s: overlaps %+v", path, o)
		}
	}
	if !strings.HasPrefix(readString(t, p.SubUID()), "# keep\n") {
		t.Errorf("comment lost")
	}
	if l := leftovers(t, p); len(l) > 0 {
		t.Errorf("left behind: %v", l)
	}
}

func TestWriterCancel(t *testing.T) {
	p := tempRoot(t, map[string]string{"/etc/subuid": "", "/etc/subgid": ""})
	release := holdPwdLock(t, p)
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := (Writer{Paths: p}).Update(ctx, grantAll(User{"alice", 1000, 1000}))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v", err)
	}
}
