package devcontainer

import (
	"strings"

	"github.com/devfix/devfix/mounts"
)

// HostAction is a change outside the config that a fix needs, run by argv
// (never through a shell).
type HostAction struct {
	Summary string
	Argv    []string
}

func (a HostAction) String() string { return strings.Join(a.Argv, " ") }

// ACL is the POSIX ACL of a path as getfacl prints it, one entry a line
// ("user:100999:rwx", "default:user:1000:rwx").
type ACL []string

// grants reports whether the ACL has entry prefix ("user:100999:") with at
// least read, write and (for directories) execute.
func (a ACL) grants(prefix string) bool {
	for _, e := range a {
		rest, ok := strings.CutPrefix(e, prefix)
		if !ok {
			continue
		}
		perms, _, _ := strings.Cut(rest, "\t") // getfacl may append "#effective:"
		perms = strings.TrimSpace(perms)
		if len(perms) >= 3 && perms[0] == 'r' && perms[1] == 'w' && perms[2] == 'x' {
			return true
		}
	}
	return false
}

// Host answers questions about the host user. Implementations read files
// and run helpers by argv; tests fake it.
type Host interface {
	// User returns the host user's UID and name.
	User() (uid int64, name string)
	// IDMap returns how container UIDs map to host UIDs for the user's
	// rootless daemon, and which source said so.
	IDMap() (m mounts.IDMap, source string, err error)
	// ACL reads the ACL of path.
	ACL(path string) (ACL, error)
	// IsDir reports whether path is an existing directory.
	IsDir(path string) bool
	// Owner returns the UID that owns path (following links).
	Owner(path string) (uid int64, err error)
}
