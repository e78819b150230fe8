// Package engine finds and talks to the container engine a user's dev
// containers run on — rootless Docker or rootless Podman. It finds the
// daemon the way the docker CLI does (DOCKER_HOST, contexts, the rootless
// sockets), talks to it through the Engine API (the moby client, which also
// speaks to Podman's Docker-compatible socket) or, for Podman without its API
// service, through the podman CLI run by argv, and tells which engine a user
// has and whether it is rootless. It reads what a config needs from images:
// their user and labels, and files such as /etc/passwd, without starting
// anything.
//
// It knows nothing of devcontainer.json, shells or JSONC.
package engine
