package devcontainer

import "strings"

// knownImageUser is what devfix knows, without an engine, of the official
// dev container images: the remote user their devcontainer.metadata label
// names, as each image's documentation says. They set no USER (Config.User
// is empty): the container runs as root.
type knownImageUser struct {
	remoteUser string
}

// knownImage looks ref up among mcr.microsoft.com/devcontainers/* and
// mcr.microsoft.com/vscode/devcontainers/*: vscode for all of them, but
// node for javascript-node and typescript-node and codespace for universal.
// It is used only when no engine answered for the image.
func knownImage(ref string) (knownImageUser, bool) {
	var name string
	for _, prefix := range []string{"mcr.microsoft.com/devcontainers/", "mcr.microsoft.com/vscode/devcontainers/"} {
		if rest, ok := strings.CutPrefix(ref, prefix); ok {
			name = rest
			break
		}
	}
	if name == "" {
		return knownImageUser{}, false
	}
	if i := strings.IndexAny(name, ":@"); i >= 0 {
		name = name[:i]
	}
	if name == "" || strings.Contains(name, "/") {
		return knownImageUser{}, false
	}
	k := knownImageUser{remoteUser: "vscode"}
	switch name {
	case "javascript-node", "typescript-node":
		k.remoteUser = "node"
	case "universal":
		k.remoteUser = "codespace"
	}
	return k, true
}
