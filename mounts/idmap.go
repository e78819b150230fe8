package mounts

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/devfix/devfix/internal/proc"
	"github.com/devfix/devfix/internal/run"
	"github.com/spf13/afero"
)

// IDRange maps Size IDs from Container on to Host on.
type IDRange struct{ Container, Host, Size int64 }

// IDMap is a user namespace's UID (or GID) map.
type IDMap []IDRange

// ToHost translates a container ID to the host ID it is.
func (m IDMap) ToHost(c int64) (int64, bool) {
	for _, r := range m {
		if c >= r.Container && c < r.Container+r.Size {
			return r.Host + (c - r.Container), true
		}
	}
	return 0, false
}

// ToContainer translates a host ID to the container ID that is it.
func (m IDMap) ToContainer(h int64) (int64, bool) {
	for _, r := range m {
		if h >= r.Host && h < r.Host+r.Size {
			return r.Container + (h - r.Host), true
		}
	}
	return 0, false
}

// ParseIDMap reads the /proc/<pid>/uid_map format: "container host size"
// a line.
func ParseIDMap(text string) (IDMap, error) {
	var m IDMap
	for i, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("line %d: want 3 numbers, got %q", i+1, line)
		}
		var r [3]int64
		for k := range f {
			n, err := strconv.ParseInt(f[k], 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("line %d: %q is not a number", i+1, f[k])
			}
			r[k] = n
		}
		m = append(m, IDRange{Container: r[0], Host: r[1], Size: r[2]})
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("empty map")
	}
	return m, nil
}

// SubIDRange is one subordinate ID range.
type SubIDRange struct{ Start, Count int64 }

// rootlessMap is the map RootlessKit sets up: container 0 is the host user,
// container 1… are the subordinate ranges in order.
func rootlessMap(hostID int64, subs []SubIDRange) IDMap {
	m := IDMap{{Container: 0, Host: hostID, Size: 1}}
	next := int64(1)
	for _, s := range subs {
		m = append(m, IDRange{Container: next, Host: s.Start, Size: s.Count})
		next += s.Count
	}
	return m
}

// subIDsFromGetsubids asks getsubids (shadow's NSS-aware tool) for a user's
// ranges; gid selects subgid. Its output is "0: user 100000 65536" lines.
func subIDsFromGetsubids(ctx context.Context, run run.Runner, user string, gid bool) ([]SubIDRange, error) {
	argv := []string{"getsubids", user}
	if gid {
		argv = []string{"getsubids", "-g", user}
	}
	out, err := run(ctx, argv)
	if err != nil {
		return nil, err
	}
	var rs []SubIDRange
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		start, e1 := strconv.ParseInt(f[2], 10, 64)
		count, e2 := strconv.ParseInt(f[3], 10, 64)
		if e1 == nil && e2 == nil {
			rs = append(rs, SubIDRange{start, count})
		}
	}
	return rs, nil
}

// readIDMap reads /proc/<pid>/uid_map or gid_map under procRoot.
func readIDMap(fs afero.Fs, procRoot string, pid int, which string) (IDMap, error) {
	p := filepath.Join(procRoot, strconv.Itoa(pid), which)
	b, err := afero.ReadFile(fs, p)
	if err != nil {
		return nil, err
	}
	m, err := ParseIDMap(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return m, nil
}

// findRootlessChildPID finds the RootlessKit child (the process in the user
// namespace of the user's rootless dockerd): the child_pid file that
// dockerd-rootless.sh's state dir keeps, else a process of the user named
// rootlesskit whose child's uid_map starts with "0 <uid> 1".
func findRootlessChildPID(fs afero.Fs, procRoot, xdgRuntimeDir string, uid int64) (int, error) {
	if xdgRuntimeDir != "" {
		if b, err := afero.ReadFile(fs, filepath.Join(xdgRuntimeDir, "dockerd-rootless", "child_pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				return pid, nil
			}
		}
	}
	procs, err := proc.PIDs(fs, procRoot)
	if err != nil {
		return 0, err
	}
	parents := map[int]bool{}
	ppid := map[int]int{}
	for _, pid := range procs {
		st, err := proc.ReadStatus(fs, procRoot, pid)
		if err != nil {
			continue
		}
		ppid[pid] = st.PPID
		if st.Name == "rootlesskit" && st.UID == uid {
			parents[pid] = true
		}
	}
	want := fmt.Sprintf("0 %d 1", uid)
	for _, pid := range procs {
		if !parents[ppid[pid]] {
			continue
		}
		m, err := afero.ReadFile(fs, filepath.Join(procRoot, strconv.Itoa(pid), "uid_map"))
		if err == nil && strings.Join(strings.Fields(firstLine(string(m))), " ") == want {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no rootless Docker daemon of uid %d is running", uid)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
