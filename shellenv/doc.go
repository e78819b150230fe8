// Package shellenv is where DOCKER_HOST (and devfix's other variables)
// reach the user's shells: the login shell and what VS Code starts (getent,
// /etc/passwd, $SHELL), the managed block in the shell startup files, and a
// probe that starts a shell as VS Code does and reads a variable back. It
// also looks a user up in the passwd database through NSS (getent by argv),
// for a static binary whose os/user reads only /etc/passwd.
//
// It knows nothing of devcontainer.json or of the container engine: which
// variables to deliver is the CLI's decision (finding the daemon is
// package engine's).
package shellenv
