package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// commandFlags lists each command's flags from the command table.
func commandFlags() map[string][]string {
	out := map[string][]string{}
	for _, c := range commands() {
		fs := newFlagSet(c)
		c.setup(fs)
		fs.VisitAll(func(f *pflag.Flag) { out[c.name] = append(out[c.name], "--"+f.Name) })
		sort.Strings(out[c.name])
	}
	return out
}

func completionSetup(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
	return func(ctx context.Context, env *Env, args []string) int {
		return runCompletion(env, args)
	}
}

func runCompletion(env *Env, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(env.Stderr, "devfix completion: name one shell: bash, zsh or fish")
		return ExitBadInput
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	flags := commandFlags()
	w := env.Stdout
	switch args[0] {
	case "bash":
		fmt.Fprintln(w, "# bash completion for devfix")
		fmt.Fprintln(w, "_devfix() {")
		fmt.Fprintln(w, `  local cur=${COMP_WORDS[COMP_CWORD]}`)
		fmt.Fprintln(w, `  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "`+strings.Join(names, " ")+`" -- "$cur")); return; fi`)
		fmt.Fprintln(w, `  case ${COMP_WORDS[1]} in`)
		for _, n := range names {
			if len(flags[n]) > 0 {
				fmt.Fprintf(w, "    %s) [[ $cur == -* ]] && { COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return; } ;;\n", n, strings.Join(flags[n], " "))
			}
		}
		fmt.Fprintln(w, "    completion) COMPREPLY=($(compgen -W \"bash zsh fish\" -- \"$cur\")); return ;;")
		fmt.Fprintln(w, "  esac")
		fmt.Fprintln(w, `  COMPREPLY=($(compgen -f -- "$cur"))`)
		fmt.Fprintln(w, "}")
		fmt.Fprintln(w, "complete -o filenames -F _devfix devfix")
	case "zsh":
		fmt.Fprintln(w, "#compdef devfix")
		fmt.Fprintln(w, "_devfix() {")
		fmt.Fprintln(w, "  if (( CURRENT == 2 )); then")
		var described []string
		for _, c := range commands() {
			desc := strings.NewReplacer("'", "", ":", `\:`).Replace(c.summary)
			described = append(described, fmt.Sprintf("'%s:%s'", c.name, desc))
		}
		fmt.Fprintf(w, "    local -a cmds\n    cmds=(%s)\n    _describe command cmds\n", strings.Join(described, " "))
		fmt.Fprintln(w, "    return")
		fmt.Fprintln(w, "  fi")
		fmt.Fprintln(w, "  case $words[2] in")
		for _, n := range names {
			if len(flags[n]) > 0 {
				fmt.Fprintf(w, "    %s) _arguments '*:file:_files' %s ;;\n", n, quoteFlagsZsh(flags[n]))
			}
		}
		fmt.Fprintln(w, "    completion) _values shell bash zsh fish ;;")
		fmt.Fprintln(w, "    *) _files ;;")
		fmt.Fprintln(w, "  esac")
		fmt.Fprintln(w, "}")
		fmt.Fprintln(w, `compdef _devfix devfix`)
	case "fish":
		fmt.Fprintln(w, "# fish completion for devfix")
		for _, c := range commands() {
			fmt.Fprintf(w, "complete -c devfix -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.summary))
		}
		for _, n := range names {
			for _, f := range flags[n] {
				fmt.Fprintf(w, "complete -c devfix -n '__fish_seen_subcommand_from %s' -l %s\n", n, strings.TrimPrefix(f, "--"))
			}
		}
		fmt.Fprintln(w, "complete -c devfix -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'")
	default:
		fmt.Fprintf(env.Stderr, "devfix completion: unknown shell %q (want bash, zsh or fish)\n", args[0])
		return ExitBadInput
	}
	return ExitOK
}

func quoteFlagsZsh(flags []string) string {
	var out []string
	for _, f := range flags {
		out = append(out, "'"+f+"'")
	}
	return strings.Join(out, " ")
}

func fishQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
