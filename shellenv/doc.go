// Package shellenv finds the user's Docker daemon the way the docker CLI
// does (DOCKER_HOST, contexts, the rootless sockets) and tells rootless from
// rootful; it is where the login shell and DOCKER_HOST delivery live. It knows
// nothing of devcontainer.json.
package shellenv
