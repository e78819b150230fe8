// Package proc reads the /proc tree devfix looks at, through an afero
// filesystem and a root the caller gives ("" is /proc), so tests use a
// fake tree: the list of processes (the one walk of /proc) and each
// process's status (name, real UID, parent). It knows nothing of what the
// processes are for.
package proc

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/afero"
)

// Root is procRoot, or /proc when it is "".
func Root(procRoot string) string {
	if procRoot == "" {
		return "/proc"
	}
	return procRoot
}

// PIDs lists the processes under the /proc tree at procRoot, in PID order.
func PIDs(fs afero.Fs, procRoot string) ([]int, error) {
	entries, err := afero.ReadDir(fs, Root(procRoot))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids, nil
}

// Dir is the folder of process pid under procRoot.
func Dir(procRoot string, pid int) string {
	return filepath.Join(Root(procRoot), strconv.Itoa(pid))
}

// Status is what devfix reads of /proc/<pid>/status.
type Status struct {
	Name string // the command name (Name:)
	UID  int64  // the real UID (the first of Uid:), -1 when absent
	PPID int    // the parent (PPid:)
}

// ParseStatus reads the text of /proc/<pid>/status.
func ParseStatus(s string) Status {
	st := Status{UID: -1}
	for _, line := range strings.Split(s, "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch k {
		case "Name":
			st.Name = v
		case "Uid":
			if f := strings.Fields(v); len(f) > 0 {
				if u, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					st.UID = u
				}
			}
		case "PPid":
			st.PPID, _ = strconv.Atoi(v)
		}
	}
	return st
}

// ReadStatus reads /proc/<pid>/status under procRoot.
func ReadStatus(fs afero.Fs, procRoot string, pid int) (Status, error) {
	b, err := afero.ReadFile(fs, filepath.Join(Dir(procRoot, pid), "status"))
	if err != nil {
		return Status{UID: -1}, err
	}
	return ParseStatus(string(b)), nil
}
