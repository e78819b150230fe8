package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aymanbagabas/go-udiff"
	"github.com/devfix/devfix/internal/subid"
	"github.com/spf13/pflag"
)

// hostCommand is the admin's side of a shared host.
func hostCommand() command {
	return command{name: "host", summary: "the admin's side of a shared host: audit, subordinate IDs, the PAM profile",
		about: `The admin's side of a shared host where developers run rootless Docker or Podman:
an audit of the whole host, and subordinate UID/GID ranges for every developer
(directory users included), given safely once or at each first login.`,
		examples: []string{"sudo devfix host check", "sudo devfix host grant alice@corp.example.com", "devfix host pam-profile"},
		sub:      []command{hostCheckCommand(), hostGrantCommand(), hostPAMProfileCommand()},
	}
}

func hostGrantCommand() command {
	return command{name: "grant", summary: "give users subordinate UID and GID ranges (root)", args: "USER...",
		about: `Gives each USER known to NSS (a directory user needs no /etc/passwd line) a range in
/etc/subuid and /etc/subgid: the lowest start in login.defs's window (SUB_UID_MIN..MAX,
SUB_UID_COUNT IDs; SUB_GID_* for subgid) outside every range in both files, local users
and groups, the user's own UID and GID, and each SSSD domain's IDs; the same start in
both files when it is free in both. A user who already holds the count in a file (by
name or UID) gets nothing new there. The files are written as shadow writes them
(lckpwdf's lock, then /etc/subuid.lock; temp file, rename, FILE- kept) and only appended
to: comments, blank lines and order stay. Refused when nsswitch.conf's "subid:" names
a module (then no program reads the files).

--pam is what a pam_exec session line runs: the user is PAM_USER, only PAM_TYPE
open_session acts, root and users below UID_MIN are skipped silently, and a failure is
one line on stderr. See 'devfix host pam-profile'.

Exit status: 0 done (or nothing to do), 1 no room or a failure (a lock, a write),
2 bad input: not root, an unknown user, a malformed line of /etc/subuid, usage.`,
		examples: []string{"sudo devfix host grant alice bob@corp.example.com",
			"devfix host grant --diff 'CORP\\carol'   # the lines it would add",
			"sudo devfix host grant --count 131072 alice"},
		setup: func(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
			var g hostGrant
			fs.Int64Var(&g.count, "count", 0, "IDs per range (default: SUB_UID_COUNT and SUB_GID_COUNT from login.defs, else 65536)")
			fs.BoolVar(&g.diff, "diff", false, "print a unified diff of each file instead of writing")
			fs.BoolVar(&g.pam, "pam", false, "run from pam_exec: the user is PAM_USER, only at open_session")
			return func(ctx context.Context, env *Env, args []string) int { return g.run(ctx, env, args) }
		},
	}
}

type hostGrant struct {
	count     int64
	diff, pam bool
}

func (g *hostGrant) run(ctx context.Context, env *Env, args []string) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "devfix host grant: "+format+"\n", a...)
		return code
	}
	if g.count < 0 {
		return fail(ExitBadInput, "--count %d: give a positive number of IDs", g.count)
	}
	keys := args
	if g.pam {
		if len(args) > 0 || g.diff {
			return fail(ExitBadInput, "--pam takes the user from PAM_USER and writes: no USER, no --diff")
		}
		if t, _ := env.lookup("PAM_TYPE"); t != "open_session" {
			return ExitOK // pam_exec without type=open_session also runs at close_session
		}
		u, _ := env.lookup("PAM_USER")
		if u == "" {
			return fail(ExitBadInput, "PAM_USER is not set: --pam is for a pam_exec session line")
		}
		keys = []string{u}
	} else if len(keys) == 0 {
		return fail(ExitBadInput, "name at least one user (run 'devfix host grant --help')")
	}
	if !g.diff && env.UID != 0 {
		return fail(ExitBadInput, "must run as root: it writes /etc/subuid and /etc/subgid (sudo devfix host grant %s)", strings.Join(keys, " "))
	}
	paths := env.hostPaths()
	// --pam skips system users before anything else.
	defs, err := subid.ReadLoginDefs(env.Fs, paths.LoginDefs())
	if err != nil {
		return fail(ExitBadInput, "%v", err)
	}
	// Users are looked up before the locks: NSS may be slow (a directory
	// server), the locks stop every useradd and passwd meanwhile.
	getent := env.getentPath()
	var users []subid.User
	for _, k := range keys {
		lctx, cancel := context.WithTimeout(ctx, getentTimeout)
		u, err := subid.LookupUser(lctx, env.Run, getent, k)
		cancel()
		switch {
		case errors.Is(err, subid.ErrUnknownUser):
			return fail(ExitBadInput, "no user %q in the passwd database (getent passwd %s)", k, k)
		case err != nil:
			return fail(ExitBadInput, "%v", err)
		}
		if g.pam && (u.UID == 0 || u.UID < defs.UIDMin) {
			return ExitOK // root and system users: nothing to give
		}
		users = append(users, u)
	}
	o := subid.Options{Count: g.count}
	// usable refuses a host whose files are not what programs read, or
	// whose IDs could not all be read.
	usable := func(h *subid.Host) error {
		if !h.NSS.Files() {
			return fmt.Errorf("%s: subid is served by %q, not by the files: newuidmap, Podman and useradd read no line of /etc/subuid or /etc/subgid; give the ranges in that source (FreeIPA: ipa subid-generate)", h.NSS.Where, h.NSS.Source)
		}
		for _, e := range h.Unread {
			if !g.diff {
				return fmt.Errorf("%v: its IDs cannot be avoided", e)
			}
			fmt.Fprintf(env.Stderr, "devfix host grant: note: %v: the diff does not avoid its IDs (run as root)\n", e)
		}
		return nil
	}
	var h *subid.Host
	var done []subid.Allocation
	if g.diff {
		h, err = subid.Load(env.Fs, paths)
		if err == nil {
			err = usable(h)
		}
		before := []*subid.File{h.SubUID, h.SubGID}
		if err == nil {
			_, err = h.Grant(users, o)
		}
		if err != nil {
			return fail(grantFailure(err), "%v", err)
		}
		for i, f := range []*subid.File{h.SubUID, h.SubGID} {
			if len(f.Data) != len(before[i].Data) {
				fmt.Fprint(env.Stdout, udiff.Unified(f.Path, f.Path, string(before[i].Data), string(f.Data)))
			}
		}
		return ExitOK
	}
	// Most logins are a user's second or later: when the files (renamed
	// into place whole, so safe to read unlocked) already give everyone
	// enough, nothing is locked or written.
	if pre, err := subid.Load(env.Fs, paths); err == nil && usable(pre) == nil {
		if all, err := pre.Grant(users, o); err == nil && !adds(all) {
			h, done = pre, all
		}
	}
	if done == nil {
		err = subid.Writer{Paths: paths, Fs: env.Fs}.Update(ctx, func(locked *subid.Host) error {
			h = locked
			if err := usable(h); err != nil {
				return err
			}
			var err error
			done, err = h.Grant(users, o)
			return err
		})
		if err != nil {
			return fail(grantFailure(err), "%v", err)
		}
	}
	if g.pam {
		return ExitOK
	}
	for _, a := range done {
		for _, fg := range []subid.FileGrant{a.SubUID, a.SubGID} {
			if fg.Add != nil {
				fmt.Fprintf(env.Stdout, "%s: added %s:%d:%d\n", fg.Path, a.User.Name, fg.Add.Start, fg.Add.Count)
			} else {
				fmt.Fprintf(env.Stdout, "%s: %s already has %d IDs (%d wanted)\n", fg.Path, a.User.Name, fg.Have, fg.Want)
			}
		}
	}
	for _, d := range h.Unbounded() {
		fmt.Fprintf(env.Stderr, "devfix host grant: note: SSSD domain %s (%s) has POSIX IDs and no max_id: devfix cannot keep ranges off its IDs; set max_id\n", d.Name, d.Where)
	}
	return ExitOK
}

// adds reports whether any allocation adds a line.
func adds(as []subid.Allocation) bool {
	for _, a := range as {
		if a.SubUID.Add != nil || a.SubGID.Add != nil {
			return true
		}
	}
	return false
}

// grantFailure is the exit status of an error: a malformed line or a name
// that may not own a line is bad input; no room, a lock or a write fails.
func grantFailure(err error) int {
	var le *subid.LineError
	var ne *subid.NameError
	if errors.As(err, &le) || errors.As(err, &ne) {
		return ExitBadInput
	}
	return ExitFindings
}

// pamProfile is the pam-auth-update profile (/usr/share/pam-configs/devfix).
// pam-auth-update's format has no comments, so the reasons are here:
//   - Default: no: the package ships it off; the admin turns it on with
//     pam-auth-update --enable devfix.
//   - Priority 300: above pam_unix (256) and pam_systemd (0), so the ranges
//     exist before pam_systemd starts user@UID.service, which may start the
//     user's rootless engine.
//   - Session-Interactive-Only: logins only (ssh, console, display manager),
//     not cron or su -c.
//   - optional: a failure never blocks a login (under required it would).
//   - type=open_session: pam_exec also runs at close_session otherwise.
//   - quiet: pam_exec's own failure message goes to the log, not the user.
//   - log=: devfix's one line on failure lands there (pam_exec gives no
//     PATH; the binary is named by absolute path).
func pamProfile(bin string) string {
	return `Name: devfix: subordinate UID/GID ranges for rootless containers at first login
Default: no
Priority: 300
Session-Type: Additional
Session-Interactive-Only: yes
Session:
	optional	pam_exec.so type=open_session quiet log=/var/log/devfix-pam.log ` + bin + ` host grant --pam
`
}

// pamProfilePath is where pam-auth-update reads profiles.
const pamProfilePath = "/usr/share/pam-configs/devfix"

func hostPAMProfileCommand() command {
	return command{name: "pam-profile", summary: "print (or install) the pam-auth-update profile that grants ranges at login",
		about: `Prints the pam-auth-update profile that runs 'devfix host grant --pam' at each
interactive login, before pam_systemd starts the user's manager (and so their engine);
--install writes it to ` + pamProfilePath + ` (atomically). It is shipped off:
turn it on with 'pam-auth-update --enable devfix'. Without pam-auth-update (not
Debian or Ubuntu), add its line to the session stack of the login services
(e.g. /etc/pam.d/sshd, before pam_systemd):

  session optional pam_exec.so type=open_session quiet log=/var/log/devfix-pam.log BIN host grant --pam

--bin is the devfix binary the line runs (default: this one, resolved).`,
		examples: []string{"devfix host pam-profile", "sudo devfix host pam-profile --install && sudo pam-auth-update --enable devfix",
			"devfix host pam-profile --bin /usr/bin/devfix   # what the .deb ships"},
		setup: func(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
			var install bool
			var bin string
			fs.BoolVar(&install, "install", false, "write it to "+pamProfilePath)
			fs.StringVar(&bin, "bin", "", "absolute path of the devfix the line runs (default: this executable)")
			return func(ctx context.Context, env *Env, args []string) int {
				return runPAMProfile(env, install, bin, args)
			}
		},
	}
}

func runPAMProfile(env *Env, install bool, bin string, args []string) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(env.Stderr, "devfix host pam-profile: "+format+"\n", a...)
		return code
	}
	if len(args) > 0 {
		return fail(ExitBadInput, "takes no arguments (got %q)", args[0])
	}
	if bin == "" {
		exe, err := os.Executable()
		if err == nil {
			exe, err = filepath.EvalSymlinks(exe)
		}
		if err != nil {
			return fail(ExitFindings, "cannot tell where this devfix is (%v): give --bin", err)
		}
		bin = exe
	}
	// pam_exec splits its arguments on blanks and runs without PATH.
	if !path.IsAbs(bin) || strings.ContainsAny(bin, " \t\n\r") {
		return fail(ExitBadInput, "--bin %q: give an absolute path without blanks", bin)
	}
	profile := pamProfile(bin)
	if !install {
		fmt.Fprint(env.Stdout, profile)
		return ExitOK
	}
	target := path.Join("/", env.HostRoot, pamProfilePath)
	if err := env.Fs.MkdirAll(path.Dir(target), 0o755); err != nil {
		return fail(ExitFindings, "%v", err)
	}
	if err := writeAtomic(env.Fs, env.UID, target, target, []byte(profile)); err != nil {
		return fail(ExitFindings, "%v", err)
	}
	fmt.Fprintf(env.Stdout, "%s: written; turn it on with: sudo pam-auth-update --enable devfix\n", target)
	return ExitOK
}
