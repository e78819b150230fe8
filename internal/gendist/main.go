// Command gendist writes what `make dist` packages beside the binary and
// cannot take from it: the manual pages, rendered from the command table
// (the source of --help), and the copyright file, which names the license of
// every module linked into the binary. It knows nothing of the commands.
//
//	go run ./internal/gendist man -out dist/man -release "devfix 1.2.0" -date 2026-12-06
//	go run ./internal/gendist copyright -bin dist/devfix-linux-amd64 -modcache "$(go env GOMODCACHE)" -goroot "$(go env GOROOT)" >copyright
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/devfix/devfix/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gendist man|copyright [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("gendist "+os.Args[1], flag.ExitOnError)
	var err error
	switch os.Args[1] {
	case "man":
		out := fs.String("out", "", "the folder to write the pages into (made if missing)")
		release := fs.String("release", "devfix", "the page footer's release, e.g. \"devfix 1.2.0\"")
		date := fs.String("date", "", "the page footer's date, YYYY-MM-DD")
		fs.Parse(os.Args[2:])
		if *out == "" || fs.NArg() > 0 {
			fmt.Fprintln(os.Stderr, "usage: gendist man -out DIR [-release TEXT] [-date YYYY-MM-DD]")
			os.Exit(2)
		}
		err = writeMan(*out, cli.ManPages(*release, *date))
	case "copyright":
		bin := fs.String("bin", "", "the built devfix binary (its build info lists the modules linked in)")
		license := fs.String("license", "", "devfix's own license file (none: say so)")
		modcache := fs.String("modcache", "", "the module cache holding the modules' sources (GOMODCACHE)")
		goroot := fs.String("goroot", "", "the Go installation the binary was built with (GOROOT)")
		debian := fs.Bool("debian", false, "point at /usr/share/common-licenses for the Apache License 2.0, as Debian wants")
		fs.Parse(os.Args[2:])
		if *bin == "" || *modcache == "" || *goroot == "" || fs.NArg() > 0 {
			fmt.Fprintln(os.Stderr, "usage: gendist copyright -bin FILE -modcache DIR -goroot DIR [-license FILE] [-debian]")
			os.Exit(2)
		}
		err = writeCopyright(os.Stdout, *bin, *license, *modcache, *goroot, *debian)
	default:
		fmt.Fprintf(os.Stderr, "gendist: unknown mode %q (want man or copyright)\n", os.Args[1])
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendist:", err)
		os.Exit(1)
	}
}

func writeMan(dir string, pages []cli.ManPage) error {
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
