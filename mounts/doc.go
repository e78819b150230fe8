// Package mounts holds what a dev container mounts and which host UID owns
// what: Docker --mount and -v specs, the docker run flags in "runArgs", the
// reference CLI's variable substitution, and UID/GID maps (/etc/subuid, the
// live uid_map of a rootless daemon).
//
// It is a library of plain values: it knows nothing of JSON configs, shells
// or the Docker API. File access goes through afero; helper programs run
// through an injected Runner by argv.
package mounts
