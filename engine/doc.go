// Package engine finds and talks to the container engine a user's dev
// containers run on — rootless Docker or rootless Podman. It finds the
// daemon the way the docker CLI does (DOCKER_HOST, contexts, the rootless
// sockets), talks to it through the Engine API (the moby client, which also
// speaks to Podman's Docker-compatible socket) or, for Podman without its API
// service, through the podman CLI run by argv, and tells which engine a user
// has and whether it is rootless. Pool decides how each engine is reached
// and connects on the first question. It reads what a config needs from
// images: their user and labels, and files such as /etc/passwd, without
// starting anything — from the image's overlay layer folders when the engine
// names them, else from a container that is created and removed — and keeps
// those facts across runs in imagefacts.Cache.
//
// It knows nothing of devcontainer.json, shells or JSONC.
package engine
