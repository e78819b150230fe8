package subid

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/devfix/devfix/internal/run"
)

// ErrUnknownUser is getent's answer for a name NSS does not know.
var ErrUnknownUser = errors.New("no such user in the passwd database")

// getentPaths are where getent lives: a PAM session gives no PATH.
var getentPaths = []string{"/usr/bin/getent", "/bin/getent", "/usr/sbin/getent", "/sbin/getent"}

// GetentPath finds getent by absolute path (exists reports whether a file
// is there), else "getent" for PATH.
func GetentPath(exists func(string) bool) string {
	for _, p := range getentPaths {
		if exists != nil && exists(p) {
			return p
		}
	}
	return "getent"
}

// LookupUser asks NSS for key (a name or a UID) with `getent passwd --
// KEY`, run by argv (a static binary has no cgo NSS, and SSSD, LDAP and
// extrausers users are not in /etc/passwd). The name is NSS's, which may
// differ from key in case or be fully qualified (user@corp.example.com,
// DOMAIN\user); one ValidName refuses is an error.
func LookupUser(ctx context.Context, r run.Runner, getent, key string) (User, error) {
	if key == "" || strings.ContainsAny(key, "\n\x00") {
		return User{}, fmt.Errorf("user %q: %w", key, ErrUnknownUser)
	}
	out, err := r(ctx, []string{getent, "passwd", "--", key})
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 2 || err == nil && strings.TrimSpace(string(out)) == "" {
		return User{}, fmt.Errorf("user %q: %w", key, ErrUnknownUser)
	}
	if err != nil {
		return User{}, fmt.Errorf("getent passwd %s: %w", key, err)
	}
	line, _, _ := strings.Cut(strings.TrimRight(string(out), "\n"), "\n")
	f := strings.Split(line, ":")
	if len(f) != 7 {
		return User{}, fmt.Errorf("getent passwd %s printed %q, not a passwd line (a name holding ':'?)", key, line)
	}
	uid, e1 := strconv.ParseInt(f[2], 10, 64)
	gid, e2 := strconv.ParseInt(f[3], 10, 64)
	if e1 != nil || e2 != nil || uid < 0 || gid < 0 {
		return User{}, fmt.Errorf("getent passwd %s printed %q: UID or GID is not a number", key, line)
	}
	if err := ValidName(f[0]); err != nil {
		return User{}, err
	}
	return User{Name: f[0], UID: uid, GID: gid}, nil
}
