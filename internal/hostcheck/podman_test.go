package hostcheck

import (
	"bytes"
	"context"
	"encoding/binary"
	"os/exec"
	"strings"
	"testing"

	"github.com/devfix/devfix/devcontainer"
	"github.com/spf13/afero"
)

// elfNeeding builds a minimal ELF64 shared object whose dynamic section
// lists libs as DT_NEEDED: what ImportedLibraries (and ldd) reads.
func elfNeeding(libs ...string) []byte {
	dynstr := []byte{0}
	var dyn bytes.Buffer
	for _, l := range libs {
		binary.Write(&dyn, binary.LittleEndian, [2]uint64{1 /* DT_NEEDED */, uint64(len(dynstr))})
		dynstr = append(append(dynstr, l...), 0)
	}
	binary.Write(&dyn, binary.LittleEndian, [2]uint64{0, 0}) // DT_NULL
	shstr := []byte("\x00.dynstr\x00.dynamic\x00.shstrtab\x00")
	const ehsize, shentsize = 64, 64
	offDynstr := uint64(ehsize)
	offDyn := offDynstr + uint64(len(dynstr))
	offShstr := offDyn + uint64(dyn.Len())
	offSh := offShstr + uint64(len(shstr))
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	w(uint16(3))  // ET_DYN
	w(uint16(62)) // EM_X86_64
	w(uint32(1))
	w(uint64(0)) // entry
	w(uint64(0)) // phoff
	w(offSh)     // shoff
	w(uint32(0)) // flags
	w(uint16(ehsize))
	w(uint16(56)) // phentsize
	w(uint16(0))  // phnum
	w(uint16(shentsize))
	w(uint16(4)) // shnum
	w(uint16(3)) // shstrndx
	b.Write(dynstr)
	b.Write(dyn.Bytes())
	b.Write(shstr)
	section := func(name, typ uint32, off, size uint64, link uint32, entsize uint64) {
		w(name)
		w(typ)
		w(uint64(0)) // flags
		w(uint64(0)) // addr
		w(off)
		w(size)
		w(link)
		w(uint32(0)) // info
		w(uint64(1)) // addralign
		w(entsize)
	}
	section(0, 0, 0, 0, 0, 0)
	section(1, 3 /* SHT_STRTAB */, offDynstr, uint64(len(dynstr)), 0, 0)
	section(9, 6 /* SHT_DYNAMIC */, offDyn, uint64(dyn.Len()), 1, 16)
	section(18, 3, offShstr, uint64(len(shstr)), 0, 0)
	return b.Bytes()
}

// Doctor says where this host's Podman reads subordinate IDs: from its
// DT_NEEDED (libsubid or not) and nsswitch.conf's subid: source.
func TestDoctorPodmanSubIDSource(t *testing.T) {
	for _, tt := range []struct {
		name, podman, nsswitch, want string
	}{
		{"libsubid, files", string(elfNeeding("libsubid.so.4", "libc.so.6")), "passwd: files\n", "this host's Podman links libsubid and nsswitch.conf's subid: is files, so it reads these files"},
		{"libsubid, sss", string(elfNeeding("libsubid.so.4", "libc.so.6")), "subid: sss\n", "this host's Podman links libsubid and nsswitch.conf's subid: is sss (/etc/nsswitch.conf:1), so it asks sss, not these files"},
		{"no libsubid", string(elfNeeding("libc.so.6")), "subid: sss\n", "this host's Podman is built without libsubid: it reads only these files"},
		{"not an ELF", "#!/bin/sh\n", "", "Podman reads these files, or nsswitch.conf's subid: source when it is built with libsubid (devfix could not read the podman program)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fsys := afero.NewMemMapFs()
			afero.WriteFile(fsys, "/opt/bin/podman", []byte(tt.podman), 0o755)
			afero.WriteFile(fsys, "/etc/nsswitch.conf", []byte(tt.nsswitch), 0o644)
			afero.WriteFile(fsys, "/etc/subuid", []byte("alice:100000:65536\n"), 0o644)
			d := &Doctor{Fs: fsys, UID: 1000, UserName: "dev", Engine: devcontainer.EnginePodman,
				LookPath: func(p string) (string, error) {
					if p == "podman" {
						return "/opt/bin/podman", nil
					}
					return "", exec.ErrNotFound
				}}
			cs := d.SubIDs(context.Background())
			if len(cs) != 2 || cs[0].Status != Fail || !strings.Contains(cs[0].Detail, tt.want) {
				t.Errorf("got %+v\nwant detail with %q", cs, tt.want)
			}
		})
	}
}
