package hostcheck

import (
	"debug/elf"
	"fmt"
	"strings"

	"github.com/devfix/devfix/internal/subid"
)

// podmanLinksLibsubid reads the podman program's ELF dynamic section
// (DT_NEEDED, as ldd would list it, without running anything): Podman
// built with the libsubid tag links libsubid.so and then asks NSS's subid
// source; without it, Podman (containers/storage) reads only the files.
// known is false when the program cannot be found or read.
func (d *Doctor) podmanLinksLibsubid() (links, known bool) {
	p, err := d.lookPath("podman")
	if err != nil {
		p = "/usr/bin/podman"
	}
	f, err := d.Fs.Open(p)
	if err != nil {
		return false, false
	}
	defer f.Close()
	ef, err := elf.NewFile(f)
	if err != nil {
		return false, false
	}
	libs, err := ef.ImportedLibraries()
	if err != nil {
		return false, false
	}
	for _, l := range libs {
		if strings.HasPrefix(l, "libsubid.so") {
			return true, true
		}
	}
	return false, true
}

// podmanSubIDs says where this host's Podman reads subordinate IDs.
func (d *Doctor) podmanSubIDs(nss subid.NSSSource) string {
	links, known := d.podmanLinksLibsubid()
	switch {
	case !known:
		return "Podman reads these files, or nsswitch.conf's subid: source when it is built with libsubid (devfix could not read the podman program)"
	case !links:
		return "this host's Podman is built without libsubid: it reads only these files, whatever nsswitch.conf's subid: says"
	case nss.Files():
		return "this host's Podman links libsubid and nsswitch.conf's subid: is files, so it reads these files"
	}
	return fmt.Sprintf("this host's Podman links libsubid and nsswitch.conf's subid: is %s (%s), so it asks %s, not these files", nss.Source, nss.Where, nss.Source)
}
