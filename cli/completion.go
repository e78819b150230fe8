package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// commandFlags lists the flags of each command from the command table,
// keyed by its full name ("lint", "host grant").
func commandFlags() map[string][]string {
	out := map[string][]string{}
	var walk func(prefix string, cs []command)
	walk = func(prefix string, cs []command) {
		for _, c := range cs {
			full := strings.TrimSpace(prefix + " " + c.name)
			if c.sub != nil {
				walk(full, c.sub)
				continue
			}
			fs := newFlagSet(c)
			c.setup(fs)
			fs.VisitAll(func(f *pflag.Flag) { out[full] = append(out[full], "--"+f.Name) })
			sort.Strings(out[full])
		}
	}
	walk("", commands())
	return out
}

func names(cs []command) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.name)
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
	cmds := commands()
	flags := commandFlags()
	w := env.Stdout
	switch args[0] {
	case "bash":
		fmt.Fprintln(w, "# bash completion for devfix")
		fmt.Fprintln(w, "_devfix() {")
		fmt.Fprintln(w, `  local cur=${COMP_WORDS[COMP_CWORD]}`)
		fmt.Fprintln(w, `  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "`+strings.Join(names(cmds), " ")+`" -- "$cur")); return; fi`)
		fmt.Fprintln(w, `  case ${COMP_WORDS[1]} in`)
		for _, c := range cmds {
			if c.sub != nil {
				fmt.Fprintf(w, "    %s)\n", c.name)
				fmt.Fprintf(w, `      if [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=($(compgen -W "%s" -- "$cur")); return; fi`+"\n", strings.Join(names(c.sub), " "))
				fmt.Fprintln(w, `      case ${COMP_WORDS[2]} in`)
				for _, s := range c.sub {
					if f := flags[c.name+" "+s.name]; len(f) > 0 {
						fmt.Fprintf(w, "        %s) [[ $cur == -* ]] && { COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return; } ;;\n", s.name, strings.Join(f, " "))
					}
				}
				fmt.Fprintln(w, "      esac ;;")
			} else if f := flags[c.name]; len(f) > 0 {
				fmt.Fprintf(w, "    %s) [[ $cur == -* ]] && { COMPREPLY=($(compgen -W \"%s\" -- \"$cur\")); return; } ;;\n", c.name, strings.Join(f, " "))
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
		fmt.Fprintf(w, "    local -a cmds\n    cmds=(%s)\n    _describe command cmds\n", zshDescribed(cmds))
		fmt.Fprintln(w, "    return")
		fmt.Fprintln(w, "  fi")
		fmt.Fprintln(w, "  case $words[2] in")
		for _, c := range cmds {
			if c.sub != nil {
				fmt.Fprintf(w, "    %s)\n", c.name)
				fmt.Fprintf(w, "      if (( CURRENT == 3 )); then\n        local -a subs\n        subs=(%s)\n        _describe command subs\n        return\n      fi\n", zshDescribed(c.sub))
				fmt.Fprintln(w, "      case $words[3] in")
				for _, s := range c.sub {
					if f := flags[c.name+" "+s.name]; len(f) > 0 {
						fmt.Fprintf(w, "        %s) _arguments '*:arg:' %s ;;\n", s.name, quoteFlagsZsh(f))
					}
				}
				fmt.Fprintln(w, "      esac ;;")
			} else if f := flags[c.name]; len(f) > 0 {
				fmt.Fprintf(w, "    %s) _arguments '*:file:_files' %s ;;\n", c.name, quoteFlagsZsh(f))
			}
		}
		fmt.Fprintln(w, "    completion) _values shell bash zsh fish ;;")
		fmt.Fprintln(w, "    *) _files ;;")
		fmt.Fprintln(w, "  esac")
		fmt.Fprintln(w, "}")
		fmt.Fprintln(w, `compdef _devfix devfix`)
	case "fish":
		fmt.Fprintln(w, "# fish completion for devfix")
		for _, c := range cmds {
			fmt.Fprintf(w, "complete -c devfix -n __fish_use_subcommand -a %s -d %s\n", c.name, fishQuote(c.summary))
		}
		for _, c := range cmds {
			if c.sub == nil {
				for _, f := range flags[c.name] {
					fmt.Fprintf(w, "complete -c devfix -n '__fish_seen_subcommand_from %s' -l %s\n", c.name, strings.TrimPrefix(f, "--"))
				}
				continue
			}
			subs := strings.Join(names(c.sub), " ")
			for _, s := range c.sub {
				fmt.Fprintf(w, "complete -c devfix -n '__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s' -a %s -d %s\n", c.name, subs, s.name, fishQuote(s.summary))
				for _, f := range flags[c.name+" "+s.name] {
					fmt.Fprintf(w, "complete -c devfix -n '__fish_seen_subcommand_from %s; and __fish_seen_subcommand_from %s' -l %s\n", c.name, s.name, strings.TrimPrefix(f, "--"))
				}
			}
		}
		fmt.Fprintln(w, "complete -c devfix -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'")
	default:
		fmt.Fprintf(env.Stderr, "devfix completion: unknown shell %q (want bash, zsh or fish)\n", args[0])
		return ExitBadInput
	}
	return ExitOK
}

func zshDescribed(cs []command) string {
	var out []string
	for _, c := range cs {
		desc := strings.NewReplacer("'", "", ":", `\:`).Replace(c.summary)
		out = append(out, fmt.Sprintf("'%s:%s'", c.name, desc))
	}
	return strings.Join(out, " ")
}

func quoteFlagsZsh(flags []string) string {
	var out []string
	for _, f := range flags {
		out = append(out, "'"+f+"'")
	}
	return strings.Join(out, " ")
}

func fishQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
