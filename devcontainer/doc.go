// Package devcontainer finds, parses, diagnoses and fixes Dev Container
// configs — devcontainer.json and the compose files and Dockerfiles behind
// it — for rootless Docker and rootless Podman.
//
// [Find] lists a repository's configs; [Load] reads one with everything it
// names ([Parse] reads a lone devcontainer.json), keeping each file as its
// original bytes. [Lint] derives the [Facts] once (who the remote and
// container users are, whether the CLI's updateRemoteUserUID step runs, and
// where each comes from) and runs every [Rule] that applies to the
// [Strategy] and [Engine] in [Options]. A rule reports [Diagnostic]s, each
// about a node (in devcontainer.json, a compose file or a Dockerfile), with
// at most one [Fix]: a verb phrase, byte edits of the original bytes, and
// [HostAction]s outside the files (ACLs) that apply carries out. What a rule
// could not learn is a note, or an info finding: unknown is never taken for
// off. [FixConfig] applies the fixes that do not conflict, re-parses,
// re-lints and repeats until none is left, so a lint after it shows nothing
// fixable. [Rules] lists the rules (copies), which also make docs/rules.md
// and the checks of a .devfix.jsonc ([FindSettings]).
//
// The package never reformats: a new member copies its neighbour's
// indentation and line ending; comments, CRLF, tabs, a UTF-8 BOM and a
// missing final newline are kept, and no trailing comma is ever added.
//
// It knows nothing of shells, of flags or output formats, or of how an
// engine is found: image facts come through [Images] (nil: no engine),
// host questions (UID map, ACLs, owners) through [Host], and it writes no
// file.
package devcontainer
