package main

import (
	"bytes"
	"debug/buildinfo"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// writeCopyright writes /usr/share/doc/devfix/copyright: devfix's own
// license, then, because the binary is statically linked, each module in its
// build info with the license files found at the root of that module's
// source in the module cache. A module without one is an error: a package
// must not ship code whose terms it cannot state.
func writeCopyright(w io.Writer, bin, license, modcache, goroot string, debian bool) error {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("%s: %w", bin, err)
	}
	var b bytes.Buffer
	b.WriteString("devfix\n\nSource: https://" + bi.Main.Path + "\n\n")
	if license == "" {
		b.WriteString("devfix itself: its repository holds no LICENSE file yet, so no license is granted\nbeyond what the law allows.\n")
	} else {
		text, err := os.ReadFile(license)
		if err != nil {
			return err
		}
		b.WriteString("devfix itself:\n\n")
		b.Write(indent(text))
	}
	b.WriteString("\nThe devfix binary is statically linked with Go's standard library (" + bi.GoVersion + ") and\nthese Go modules, under these terms:\n")
	text, err := os.ReadFile(filepath.Join(goroot, "LICENSE"))
	if err != nil {
		return fmt.Errorf("the Go standard library's license: %w", err)
	}
	fmt.Fprintf(&b, "\nGo standard library %s\n\n", bi.GoVersion)
	b.Write(indent(text))
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		dir, err := moduleDir(modcache, m.Path, m.Version)
		if err != nil {
			return err
		}
		names, err := licenseFiles(dir)
		if err != nil {
			return err
		}
		if len(names) == 0 {
			return fmt.Errorf("%s@%s: no license file in %s", m.Path, m.Version, dir)
		}
		fmt.Fprintf(&b, "\n%s %s\n", m.Path, m.Version)
		for _, n := range names {
			text, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "\n  %s:\n\n", n)
			if debian && isApache2(text) {
				text = apache2Reference(text)
			}
			b.Write(indent(text))
		}
	}
	_, err = w.Write(b.Bytes())
	return err
}

// isApache2 tells the full text of the Apache License 2.0, which Debian
// ships once, in /usr/share/common-licenses.
func isApache2(text []byte) bool {
	s := string(text)
	return strings.Contains(s, "Apache License") && strings.Contains(s, "Version 2.0, January 2004") &&
		strings.Contains(s, "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION")
}

// apache2Reference keeps an Apache 2.0 license file's own copyright lines
// (not the appendix's template) and points at Debian's copy of the text.
func apache2Reference(text []byte) []byte {
	var b bytes.Buffer
	for _, l := range strings.Split(string(text), "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "Copyright") && !strings.Contains(t, "[yyyy]") {
			b.WriteString(t + "\n")
		}
	}
	b.WriteString("Licensed under the Apache License, Version 2.0. On Debian systems the full text\nof the license is in /usr/share/common-licenses/Apache-2.0.\n")
	return b.Bytes()
}

// moduleDir is where the module cache keeps a module's source: upper-case
// letters are escaped as '!' and the lower-case letter.
func moduleDir(modcache, path, version string) (string, error) {
	var e strings.Builder
	for _, r := range path + "@" + version {
		if unicode.IsUpper(r) {
			e.WriteByte('!')
			r = unicode.ToLower(r)
		}
		e.WriteRune(r)
	}
	dir := filepath.Join(modcache, filepath.FromSlash(e.String()))
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("%s@%s: not in the module cache (go mod download): %w", path, version, err)
	}
	return dir, nil
}

// licenseFiles names the license and notice files at a module's root.
func licenseFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := strings.ToUpper(e.Name())
		if !e.IsDir() && (strings.HasPrefix(n, "LICENSE") || strings.HasPrefix(n, "LICENCE") ||
			strings.HasPrefix(n, "COPYING") || strings.HasPrefix(n, "NOTICE")) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// indent indents every non-empty line by four spaces and ends the text with
// a newline.
func indent(text []byte) []byte {
	var b bytes.Buffer
	for _, l := range strings.Split(strings.TrimRight(string(text), "\n"), "\n") {
		l = strings.TrimRight(l, " \t\r")
		if l != "" {
			b.WriteString("    ")
		}
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}
