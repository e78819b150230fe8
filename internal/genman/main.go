// Command genman writes devfix's manual pages, devfix(1) and one page per
// command, from the command table (the source of --help) into a folder, for
// `make dist` to package. It knows nothing of the commands themselves.
//
//	go run ./internal/genman -out dist/man -release "devfix 1.2.0" -date 2026-12-06
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/devfix/devfix/cli"
)

func main() {
	out := flag.String("out", "", "the folder to write the pages into (made if missing)")
	release := flag.String("release", "devfix", "the page footer's release, e.g. \"devfix 1.2.0\"")
	date := flag.String("date", "", "the page footer's date, YYYY-MM-DD")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: genman -out DIR [-release TEXT] [-date YYYY-MM-DD]")
		os.Exit(2)
	}
	if err := write(*out, cli.ManPages(*release, *date)); err != nil {
		fmt.Fprintln(os.Stderr, "genman:", err)
		os.Exit(1)
	}
}

func write(dir string, pages []cli.ManPage) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, p := range pages {
		if err := os.WriteFile(filepath.Join(dir, p.Name), p.Text, 0o644); err != nil {
			return err
		}
	}
	return nil
}
