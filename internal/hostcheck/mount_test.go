package hostcheck

import "testing"

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{`/usr`: "/usr", `/mnt/a\040b`: "/mnt/a b", `/x\011y\134`: "/x\ty\\", `/odd\04`: `/odd\04`} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
	mt := mountTable{{"/", "rw"}, {"/usr", "rw,nosuid"}, {"/usr/local", "rw"}, {"/usrx", "rw,nosuid"}}
	for p, want := range map[string]bool{"/usr/bin/newuidmap": true, "/usr/local/bin/newuidmap": false, "/bin/newuidmap": false, "/usr": true} {
		if got := mt.nosuid(p); got != want {
			t.Errorf("nosuid(%q) = %v, want %v", p, got, want)
		}
	}
}
