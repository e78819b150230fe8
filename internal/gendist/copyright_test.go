package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The copyright file names every module the binary links, with the license
// text found in the module cache; this test binary is itself such a binary.
func TestCopyrightNamesEveryModule(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	goroot := t.TempDir()
	os.WriteFile(filepath.Join(goroot, "LICENSE"), []byte("Go's license\n"), 0o644)
	var out bytes.Buffer
	err = writeCopyright(&out, exe, "", cache, goroot, false)
	if err == nil || !strings.Contains(err.Error(), "not in the module cache") {
		t.Fatalf("an empty module cache: %v", err)
	}
	// Fill the cache with what the build info lists; one upper-case path
	// is escaped the way the module cache escapes it.
	for _, dep := range []string{"github.com/!devfix/!upper@v1.0.0"} {
		os.MkdirAll(filepath.Join(cache, dep), 0o755)
	}
	if d, err := moduleDir(cache, "github.com/Devfix/Upper", "v1.0.0"); err != nil || !strings.HasSuffix(d, "github.com/!devfix/!upper@v1.0.0") {
		t.Errorf("moduleDir: %q, %v", d, err)
	}
	dir := filepath.Join(cache, "m")
	os.MkdirAll(filepath.Join(dir, "LICENSES"), 0o755)
	for _, n := range []string{"LICENSE.txt", "NOTICE", "COPYING", "README.md"} {
		os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644)
	}
	names, err := licenseFiles(dir)
	if err != nil || strings.Join(names, " ") != "COPYING LICENSE.txt NOTICE" {
		t.Errorf("licenseFiles: %q, %v", names, err)
	}
}

func TestApache2Reference(t *testing.T) {
	text := []byte("                                 Apache License\n                           Version 2.0, January 2004\n\n   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n...\n   Copyright [yyyy] [name of copyright owner]\n...\n   Copyright 2013-2018 Docker, Inc.\n")
	if !isApache2(text) || isApache2([]byte("MIT License\nCopyright (c) 2020 x\n")) {
		t.Fatal("isApache2")
	}
	got := string(apache2Reference(text))
	want := "Copyright 2013-2018 Docker, Inc.\nLicensed under the Apache License, Version 2.0. On Debian systems the full text\nof the license is in /usr/share/common-licenses/Apache-2.0.\n"
	if got != want {
		t.Errorf("apache2Reference:\n%s", got)
	}
}
