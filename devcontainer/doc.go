// Package devcontainer finds, parses, diagnoses and fixes devcontainer.json
// files for rootless Docker.
//
// A config is parsed with hujson and kept as its original bytes. Rules look at
// a parsed [Config] and report [Diagnostic]s; a fix is a set of byte-offset
// [Edit]s against those bytes. Lint prints diagnostics, [Fix] splices the
// edits, re-parses and repeats until nothing fixable is left, so lint after
// apply shows nothing fixable by construction.
//
// The package never reformats: a new member copies its neighbour's
// indentation and line ending, comments, CRLF, tabs, a UTF-8 BOM and a
// missing final newline are kept, and no trailing comma is ever added.
//
// It knows nothing of shells, and nothing of how the Docker daemon is found:
// image facts come through the [ImageInspector] interface and host-side work
// (ACLs, UID maps) through [Host].
package devcontainer
