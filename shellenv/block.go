package shellenv

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/afero"
)

// The managed block's markers.
const (
	BlockBegin = "# >>> devfix shellenv >>>"
	BlockEnd   = "# <<< devfix shellenv <<<"
)

// Var is one variable the block sets. Value is shell text for sh-like
// shells (it may use $(id -u)); FishValue the same for fish.
type Var struct {
	Name, Value, FishValue string
}

// Block renders the managed block for a shell kind.
func Block(kind string, vars []Var) string {
	var b strings.Builder
	b.WriteString(BlockBegin + "\n")
	b.WriteString("# Written by `devfix shellenv --install`; `devfix shellenv --uninstall` removes it.\n")
	for _, v := range vars {
		if kind == "fish" {
			fmt.Fprintf(&b, "set -gx %s %s\n", v.Name, v.FishValue)
		} else {
			fmt.Fprintf(&b, "export %s=%s\n", v.Name, v.Value)
		}
	}
	b.WriteString(BlockEnd + "\n")
	return b.String()
}

// SetBlock puts block into content: in place of an existing block, else
// appended (after a blank line). It returns content unchanged when the block
// is already there as is.
func SetBlock(content, block string) string {
	if start, end, ok := findBlock(content); ok {
		return content[:start] + block + content[end:]
	}
	if content == "" {
		return block
	}
	var sep string
	switch {
	case strings.HasSuffix(content, "\n\n"):
	case strings.HasSuffix(content, "\n"):
		sep = "\n"
	default:
		sep = "\n\n"
	}
	return content + sep + block
}

// RemoveBlock takes the block out of content.
func RemoveBlock(content string) string {
	start, end, ok := findBlock(content)
	if !ok {
		return content
	}
	out := content[:start] + content[end:]
	// Drop the blank line SetBlock put before it.
	if strings.HasSuffix(content[:start], "\n\n") && end == len(content) {
		out = strings.TrimSuffix(content[:start], "\n") + content[end:]
	}
	return out
}

func findBlock(content string) (start, end int, ok bool) {
	start = strings.Index(content, BlockBegin)
	if start < 0 || (start > 0 && content[start-1] != '\n') {
		return 0, 0, false
	}
	rel := strings.Index(content[start:], BlockEnd)
	if rel < 0 {
		return 0, 0, false
	}
	end = start + rel + len(BlockEnd)
	if end < len(content) && content[end] == '\n' {
		end++
	}
	return start, end, true
}

// StartupFiles are the files the shell VS Code starts with -i -l -c reads,
// for each shell kind: bash reads the first of ~/.bash_profile,
// ~/.bash_login and ~/.profile (devfix creates ~/.profile when none
// exists), zsh ~/.zshenv, sh ~/.profile, fish a conf.d file.
func StartupFiles(fs afero.Fs, home, kind string) []string {
	switch kind {
	case "bash":
		for _, f := range []string{".bash_profile", ".bash_login", ".profile"} {
			p := filepath.Join(home, f)
			if _, err := fs.Stat(p); err == nil {
				return []string{p}
			}
		}
		return []string{filepath.Join(home, ".profile")}
	case "zsh":
		return []string{filepath.Join(home, ".zshenv")}
	case "fish":
		return []string{filepath.Join(home, ".config", "fish", "conf.d", "devfix.fish")}
	}
	return []string{filepath.Join(home, ".profile")}
}
