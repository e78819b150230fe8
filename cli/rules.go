package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/devfix/devfix/devcontainer"
	"github.com/spf13/pflag"
)

type jsonRule struct {
	ID         string   `json:"id"`
	Severity   string   `json:"severity"`
	Strategies []string `json:"strategies"`
	Engines    []string `json:"engines"`
	Title      string   `json:"title"`
	Doc        string   `json:"doc"`
	Bad        string   `json:"bad"`
	Good       string   `json:"good"`
}

func rulesSetup(fs *pflag.FlagSet) func(context.Context, *Env, []string) int {
	var format string
	fs.StringVar(&format, "format", "text", "output format: text, json or markdown (docs/rules.md)")
	return func(ctx context.Context, env *Env, args []string) int {
		return runRules(env, format, args)
	}
}

func runRules(env *Env, format string, args []string) int {
	if len(args) > 0 {
		fmt.Fprintf(env.Stderr, "devfix rules: unexpected argument %q\n", args[0])
		return ExitBadInput
	}
	switch format {
	case "text":
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSEVERITY\tSTRATEGIES\tENGINES\tTITLE")
		for _, r := range devcontainer.Rules() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, strings.Join(devcontainer.RuleStrategies(r), ","), strings.Join(devcontainer.RuleEngines(r), ","), r.Title)
		}
		tw.Flush()
	case "markdown":
		fmt.Fprint(env.Stdout, devcontainer.RulesMarkdown())
	case "json":
		var out []jsonRule
		for _, r := range devcontainer.Rules() {
			out = append(out, jsonRule{r.ID, r.Severity.String(), devcontainer.RuleStrategies(r), devcontainer.RuleEngines(r), r.Title, r.Doc, r.Bad, r.Good})
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return ExitBadInput
		}
	default:
		fmt.Fprintf(env.Stderr, "devfix rules: --format: unknown format %q (want text, json or markdown)\n", format)
		return ExitBadInput
	}
	return ExitOK
}
