package subid

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/afero"
)

func memHost(t *testing.T, files map[string]string) *Host {
	t.Helper()
	fs := afero.NewMemMapFs()
	for p, data := range files {
		if err := afero.WriteFile(fs, p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := Load(fs, Paths{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

const passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n"

func TestAllocateFirstFitLikeShadow(t *testing.T) {
	// The lab's useradd: from alice:100000 and carol:300000 the next users
	// got 165536, 231072, then 365536 (296608-299999 is too small).
	h := memHost(t, map[string]string{
		"/etc/subuid": "alice:100000:65536\ncarol:300000:65536\n",
		"/etc/subgid": "alice:100000:65536\ncarol:300000:65536\n",
		"/etc/passwd": passwd,
	})
	var got []int64
	for _, name := range []string{"u1", "u2", "u3"} {
		as, err := h.Grant([]User{{name, 1551001108, 1551000513}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		a := as[0]
		if a.SubUID.Add == nil || a.SubGID.Add == nil || *a.SubUID.Add != *a.SubGID.Add {
			t.Fatalf("%s: %+v", name, a)
		}
		got = append(got, a.SubUID.Add.Start)
	}
	if want := []int64{165536, 231072, 365536}; !equal(got, want) {
		t.Errorf("starts %v, want %v", got, want)
	}
	if !strings.HasSuffix(string(h.SubUID.Data), "u1:165536:65536\nu2:231072:65536\nu3:365536:65536\n") {
		t.Errorf("subuid:\n%s", h.SubUID.Data)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAllocateAvoidsSSSDAndLocalIDs(t *testing.T) {
	h := memHost(t, map[string]string{
		"/etc/passwd":         passwd + "big:x:100100:100200::/:/bin/sh\n",
		"/etc/group":          "grp:x:165540:\n",
		"/etc/login.defs":     "SUB_UID_MIN 100000\nSUB_UID_MAX 4294967294\nSUB_GID_MIN 100000\nSUB_GID_MAX 4294967294\n",
		"/etc/sssd/sssd.conf": "[sssd]\ndomains = corp\n[domain/corp]\nid_provider = ad\n",
	})
	a, err := Allocate(h, User{"dom.user", 1551001108, 1551000513}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 100000..: UID 100100 is local; 100101..: GID 165540 is a group; from
	// 165541 SSSD's 200000..2000199999 leaves too little; so 2000200000.
	if a.SubUID.Add == nil || a.SubUID.Add.Start != 2000200000 || a.SubGID.Add.Start != 2000200000 {
		t.Errorf("%+v %+v", a.SubUID.Add, a.SubGID.Add)
	}
	// The user's own UID is avoided too.
	a, _ = Allocate(h, User{"x", 2000200000, 1}, Options{})
	if a.SubUID.Add.Start != 2000200001 {
		t.Errorf("own UID: %+v", a.SubUID.Add)
	}
}

func TestAllocateNoRoom(t *testing.T) {
	h := memHost(t, map[string]string{
		"/etc/subuid":         "alice:100000:65536\n", // 165536..199999 is too small
		"/etc/sssd/sssd.conf": "[domain/corp]\nid_provider = ad\n",
	})
	_, err := Allocate(h, User{"dom.user", 1551001108, 1551000513}, Options{})
	var nr *NoRoomError
	if !errors.As(err, &nr) {
		t.Fatalf("err %v", err)
	}
	want := `no free range of 65536 IDs for /etc/subuid between SUB_UID_MIN 100000 and SUB_UID_MAX 600100000 outside the ranges there, local users and groups and SSSD's IDs: widen the window in login.defs, e.g. "SUB_UID_MIN 2147483648" and "SUB_UID_MAX 4294967294" (FreeIPA's, above SSSD's ID mapping)`
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

func TestAllocateIdempotent(t *testing.T) {
	h := memHost(t, map[string]string{
		"/etc/subuid": "dom.user:400000:65536\n",
		"/etc/subgid": "1551001108:400000:30000\n1551001108:430000:35536\n",
	})
	a, err := Allocate(h, User{"dom.user", 1551001108, 1551000513}, Options{})
	if err != nil || a.SubUID.Add != nil || a.SubGID.Add != nil || a.SubGID.Have != 65536 {
		t.Errorf("%+v %v", a, err)
	}
	// A larger count needs new ranges.
	a, _ = Allocate(h, User{"dom.user", 1551001108, 1551000513}, Options{Count: 100000})
	if a.SubUID.Add == nil || a.SubUID.Add.Count != 100000 {
		t.Errorf("%+v", a)
	}
}

// Only the subgid range is missing: it takes the start of the user's
// subuid range, free in /etc/subgid.
func TestAllocateSameStartAsOtherFile(t *testing.T) {
	h := memHost(t, map[string]string{
		"/etc/subuid": "alice:100000:65536\nbob:300000:65536\n",
		"/etc/subgid": "alice:100000:65536\n",
	})
	a, err := Allocate(h, User{"bob", 1001, 1001}, Options{})
	if err != nil || a.SubUID.Add != nil || a.SubGID.Add == nil || a.SubGID.Add.Start != 300000 {
		t.Errorf("%+v %v", a, err)
	}
}

func TestLoginDefs(t *testing.T) {
	d, err := ParseLoginDefs("/etc/login.defs", []byte("# c\nUID_MIN\t\t 2000\nSUB_UID_MIN 0x80000000\nSUB_GID_COUNT 010\nMAIL_DIR /var/mail\nSUB_UID_MIN 2147483648\n"))
	if err != nil || d.UIDMin != 2000 || d.SubUID.Min != 2147483648 || d.SubGID.Count != 8 || d.SubUID.Max != 600100000 {
		t.Errorf("%+v %v", d, err)
	}
	if _, err := ParseLoginDefs("/etc/login.defs", []byte("\nSUB_UID_MIN lots\n")); err == nil || !strings.HasPrefix(err.Error(), "/etc/login.defs:2: SUB_UID_MIN") {
		t.Errorf("err %v", err)
	}
}

func TestSSSD(t *testing.T) {
	fs := afero.NewMemMapFs()
	afero.WriteFile(fs, "/etc/sssd/sssd.conf", []byte("[sssd]\ndomains = ad, ldap\n\n[domain/ad]\nid_provider = ad\n\n[domain/ldap]\nid_provider = ldap\n[domain/ipa]\nid_provider = ipa\nmin_id = 1000\nmax_id = 99999\n"), 0o600)
	afero.WriteFile(fs, "/etc/sssd/conf.d/10-ad.conf", []byte("[domain/ad]\nldap_idmap_range_min = 300000\n; c\n[domain/mapped]\nid_provider = ldap\nldap_id_mapping = True\n"), 0o600)
	ds, err := ReadSSSD(fs, "/etc/sssd/sssd.conf", "/etc/sssd/conf.d")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Domain{}
	for _, d := range ds {
		got[d.Name] = d
	}
	if d := got["ad"]; !d.IDMapping || !d.Bounded || d.IDs != (Range{300000, DefaultIdmapMax - 300000}) || d.Where != "/etc/sssd/sssd.conf:4" {
		t.Errorf("ad %+v", d)
	}
	if d := got["ldap"]; d.Bounded || d.IDMapping {
		t.Errorf("ldap %+v", d)
	}
	if d := got["ipa"]; !d.Bounded || d.IDs != (Range{1000, 99000}) {
		t.Errorf("ipa %+v", d)
	}
	if d := got["mapped"]; !d.IDMapping || d.IDs != (Range{DefaultIdmapMin, DefaultIdmapMax - DefaultIdmapMin}) {
		t.Errorf("mapped %+v", d)
	}
}

func TestNSSSource(t *testing.T) {
	for data, want := range map[string]string{
		"passwd: files\n":                   "",
		"subid: files\n":                    "files",
		"#subid: sss\nSUBID:   sss files\n": "sss",
		"subid:\nsubid: sss\n":              "sss",
		"passwd: files sss\nsubid:sss\n":    "sss",
	} {
		s := ParseNSSSource("/etc/nsswitch.conf", []byte(data))
		if s.Source != want || s.Files() != (want == "" || want == "files") {
			t.Errorf("%q: %+v", data, s)
		}
	}
}
