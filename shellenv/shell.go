package shellenv

import (
	"bufio"
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/devfix/devfix/internal/run"
	"github.com/spf13/afero"
)

// PasswdEntry is one line of the passwd database.
type PasswdEntry struct {
	Name  string
	UID   string
	Home  string
	Shell string
}

func parsePasswdLine(line string) (PasswdEntry, bool) {
	f := strings.Split(strings.TrimSpace(line), ":")
	if len(f) != 7 {
		return PasswdEntry{}, false
	}
	return PasswdEntry{Name: f[0], UID: f[2], Home: f[5], Shell: f[6]}, true
}

// LoginShell is what each source says the user's shell is.
type LoginShell struct {
	User string
	// Getent is from `getent passwd USER` (NSS: files, SSSD, LDAP, …).
	Getent      string
	GetentFound bool
	// Passwd is from /etc/passwd; PasswdFound false means no line there
	// (a domain user): VS Code and the Dev Containers CLI may then use sh.
	Passwd      string
	PasswdFound bool
	// Env is $SHELL.
	Env string
	// Effective is what VS Code starts: $SHELL, else the passwd shell
	// (through NSS), else sh.
	Effective string
}

// Getent looks key (a user name or a numeric UID) up in the passwd database
// with `getent passwd KEY`, run by argv: through NSS, so it finds SSSD, LDAP
// and extrausers users that /etc/passwd lacks. found is false when getent
// fails (exit 2: no such user) or prints no passwd line.
func Getent(ctx context.Context, run run.Runner, key string) (e PasswdEntry, found bool) {
	if run == nil || key == "" {
		return PasswdEntry{}, false
	}
	out, err := run(ctx, []string{"getent", "passwd", key})
	if err != nil {
		return PasswdEntry{}, false
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return parsePasswdLine(first)
}

// DetectLoginShell reads getent (by argv), /etc/passwd and $SHELL. Of
// several /etc/passwd lines for the user, the first counts, as for glibc.
func DetectLoginShell(ctx context.Context, fs afero.Fs, run run.Runner, lookupEnv func(string) (string, bool), user string) LoginShell {
	ls := LoginShell{User: user}
	if e, ok := Getent(ctx, run, user); ok {
		ls.Getent, ls.GetentFound = e.Shell, true
	}
	if f, err := fs.Open("/etc/passwd"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if e, ok := parsePasswdLine(sc.Text()); ok && e.Name == user {
				ls.Passwd, ls.PasswdFound = e.Shell, true
				break
			}
		}
		f.Close()
	}
	if lookupEnv != nil {
		ls.Env, _ = lookupEnv("SHELL")
	}
	switch {
	case ls.Env != "":
		ls.Effective = ls.Env
	case ls.GetentFound && ls.Getent != "":
		ls.Effective = ls.Getent
	case ls.PasswdFound && ls.Passwd != "":
		ls.Effective = ls.Passwd
	default:
		ls.Effective = "/bin/sh"
	}
	return ls
}

// Disagreements lists where the sources differ, for people.
func (ls LoginShell) Disagreements() []string {
	var out []string
	if ls.GetentFound && ls.PasswdFound && ls.Getent != ls.Passwd {
		out = append(out, fmt.Sprintf("getent says %s but /etc/passwd says %s", ls.Getent, ls.Passwd))
	}
	if ls.Env != "" && ls.GetentFound && ls.Env != ls.Getent {
		out = append(out, fmt.Sprintf("$SHELL is %s but your login shell is %s", ls.Env, ls.Getent))
	}
	return out
}

// FallsBackToSh reports whether VS Code may start sh instead of the login
// shell: a user without an /etc/passwd line (SSSD/LDAP) when $SHELL is not
// passed on, as with some Remote-SSH and snap set-ups.
func (ls LoginShell) FallsBackToSh() bool { return !ls.PasswdFound }

// Kind is the shell family of a shell path: bash, zsh, fish or sh.
func Kind(shell string) string {
	switch b := filepath.Base(shell); b {
	case "bash", "zsh", "fish":
		return b
	}
	return "sh"
}
