// Package compose reads the compose files of a Docker Compose based dev
// container the way compose reads them, and maps what it finds back to
// exact byte positions in the user's YAML.
//
// Loading is done by compose-go (github.com/compose-spec/compose-go/v2),
// the loader docker compose itself uses: later files override earlier
// ones, the project directory is the first file's folder, ${VAR},
// ${VAR:-d}, ${VAR-d}, ${VAR:?e} and $$ are interpolated from the process
// environment and the .env beside the first file (the environment wins),
// extends and include are resolved, !reset and !override apply, and all
// profiles are enabled (the dev container CLI runs `config --profile '*'`).
// The given files and the .env are read through an afero.Fs; compose-go
// reads the files that extends and include name from the OS itself (this
// package reads them through the Fs too, to locate things in them). The
// env_file and label_file entries of services are not resolved: they are
// not compose files, are often created by the user or by
// initializeCommand, and nothing here needs them. A `~` in a path is
// expanded by compose-go from the process's home directory.
//
// Every place is a source.Loc found from the YAML node tree
// (go.yaml.in/yaml/v4, the parser compose-go uses): the node's line and
// character column turned into a byte offset, its end from its token.
// [Project.ReplaceVolumeSource] edits a volume's source in place and checks
// the edit by parsing the result again.
//
// compose-go writes its warnings (an obsolete `version:`, an unset
// variable in a nested default) to logrus's standard logger, which writes
// to stderr: that is the process's to silence, in main.
//
// The package knows nothing of devcontainer.json, rules or diagnostics.
package compose
