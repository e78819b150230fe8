package mounts

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/afero"
)

var ignoreOptions = cmpopts.IgnoreFields(Mount{}, "Options")

func TestParseMountString(t *testing.T) {
	tests := []struct {
		in      string
		want    Mount
		wantErr string
	}{
		{in: "type=bind,source=/a,target=/b", want: Mount{Type: "bind", Source: "/a", Target: "/b"}},
		{in: "src=/a,dst=/b,type=bind,readonly", want: Mount{Type: "bind", Source: "/a", Target: "/b", ReadOnly: true}},
		{in: "source=vol,destination=/data", want: Mount{Type: "volume", Source: "vol", Target: "/data"}},
		{in: `"source=/a,b",target=/c,type=bind`, want: Mount{Type: "bind", Source: "/a,b", Target: "/c"}},
		{in: "type=bind,source=/a,target=/b,ro=false", want: Mount{Type: "bind", Source: "/a", Target: "/b"}},
		{in: "type=bind,source=/a,target=/b,readonly=1", want: Mount{Type: "bind", Source: "/a", Target: "/b", ReadOnly: true}},
		{in: "type=volume,source=v,target=/v,external=true", want: Mount{Type: "volume", Source: "v", Target: "/v"}},
		{in: "type=volume,source=cifs,target=/s,volume-driver=local,volume-opt=type=cifs,volume-opt=device=//srv/s", want: Mount{Type: "volume", Source: "cifs", Target: "/s"}},
		{in: "type=bind,source=/a,target=/b,colour=red", wantErr: `unknown key "colour"`},
		{in: "type=bind,source=/a,target=/b,ro=maybe", wantErr: "not a boolean"},
		{in: `"source=/a,target=/b`, wantErr: "mount"},
	}
	for _, tc := range tests {
		got, err := ParseMountString(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if d := cmp.Diff(tc.want, got, ignoreOptions); d != "" {
			t.Errorf("%q (-want +got):\n%s", tc.in, d)
		}
		back, err := ParseMountString(got.String())
		if err != nil {
			t.Errorf("%q: String() %q does not re-parse: %v", tc.in, got.String(), err)
		} else if d := cmp.Diff(got, back, ignoreOptions); d != "" {
			t.Errorf("%q: round trip through %q (-want +got):\n%s", tc.in, got.String(), d)
		}
	}
}

func TestMountStringKeepsOrderAndQuotes(t *testing.T) {
	m, err := ParseMountString(`source=/var/run/docker.sock,target=/var/run/docker-host.sock,type=bind,consistency=cached`)
	if err != nil {
		t.Fatal(err)
	}
	m.Source = "/run/user/1000/docker,x.sock"
	want := `"source=/run/user/1000/docker,x.sock",target=/var/run/docker-host.sock,type=bind,consistency=cached`
	if got := m.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (Mount{Type: "bind", Source: "/a", Target: "/b"}).String(); got != "type=bind,source=/a,target=/b" {
		t.Errorf("fresh mount: %q", got)
	}
}

func TestParseVolumeFlag(t *testing.T) {
	tests := []struct {
		in   string
		want Mount
	}{
		{"/var/run/docker.sock:/var/run/docker.sock", Mount{Type: "bind", Source: "/var/run/docker.sock", Target: "/var/run/docker.sock"}},
		{"./cache:/cache:ro", Mount{Type: "bind", Source: "./cache", Target: "/cache", ReadOnly: true}},
		{"node_modules:/app/node_modules", Mount{Type: "volume", Source: "node_modules", Target: "/app/node_modules"}},
		{"/data", Mount{Type: "volume", Target: "/data"}},
		{"/data:ro", Mount{Type: "volume", Target: "/data", ReadOnly: true}},
	}
	for _, tc := range tests {
		got, err := ParseVolumeFlag(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%q (-want +got):\n%s", tc.in, d)
		}
	}
	if _, err := ParseVolumeFlag("a:b:c:d"); err == nil {
		t.Error("a:b:c:d: no error")
	}
}

func TestParseRunArgs(t *testing.T) {
	users := func(args ...string) []ArgRef { return ParseRunArgs(args).Users }
	tests := []struct {
		args []string
		want []ArgRef
	}{
		{[]string{"-u", "vscode"}, []ArgRef{{Index: 0, Count: 2, Flag: "-u", Value: "vscode"}}},
		{[]string{"-uvscode"}, []ArgRef{{Index: 0, Count: 1, Flag: "-u", Value: "vscode", Joined: true}}},
		{[]string{"-u=vscode"}, []ArgRef{{Index: 0, Count: 1, Flag: "-u", Value: "vscode", Joined: true}}},
		{[]string{"--user", "1000:1000"}, []ArgRef{{Index: 0, Count: 2, Flag: "--user", Value: "1000:1000"}}},
		{[]string{"--user=node"}, []ArgRef{{Index: 0, Count: 1, Flag: "--user", Value: "node", Joined: true}}},
		// booleans, value flags and unknown flags around it
		{[]string{"--init", "-it", "--name", "-u", "--cap-add=SYS_PTRACE", "--frobnicate", "-e", "A=1", "--user", "x"},
			[]ArgRef{{Index: 8, Count: 2, Flag: "--user", Value: "x"}}},
		{[]string{"-itu", "root"}, []ArgRef{{Index: 0, Count: 2, Flag: "-u", Value: "root"}}},
		{[]string{"--unknown=1", "-u", "a", "positional", "-u", "b"}, []ArgRef{
			{Index: 1, Count: 2, Flag: "-u", Value: "a"}, {Index: 4, Count: 2, Flag: "-u", Value: "b"}}},
	}
	for _, tc := range tests {
		if d := cmp.Diff(tc.want, users(tc.args...)); d != "" {
			t.Errorf("%q (-want +got):\n%s", tc.args, d)
		}
	}
}

func TestParseRunArgsOtherFlags(t *testing.T) {
	r := ParseRunArgs([]string{
		"-v", "/var/run/docker.sock:/var/run/docker.sock", "--volume=/a:/b:ro",
		"--mount", "type=bind,src=/x,dst=/y", "--mount=type=tmpfs,dst=/t",
		"-p", "80:80", "--publish=127.0.0.1:443:443", "--network=host", "--net", "bridge",
		"--userns=keep-id", "--security-opt", "apparmor=unconfined", "--privileged",
		"-m", "2g", "--cpus=2", "--pids-limit", "100",
	})
	var targets []string
	for _, m := range r.Mounts {
		if m.Err != nil {
			t.Errorf("%s: %v", m.Flag, m.Err)
		}
		targets = append(targets, m.Mount.Type+":"+m.Mount.Target)
	}
	if d := cmp.Diff([]string{"bind:/var/run/docker.sock", "bind:/b", "bind:/y", "tmpfs:/t"}, targets); d != "" {
		t.Errorf("mounts (-want +got):\n%s", d)
	}
	counts := map[string]int{"publish": len(r.Publish), "network": len(r.Network), "userns": len(r.Userns),
		"security-opt": len(r.SecurityOpts), "privileged": len(r.Privileged), "memory": len(r.Memory),
		"cpus": len(r.CPUs), "pids-limit": len(r.PidsLimit)}
	want := map[string]int{"publish": 2, "network": 2, "userns": 1, "security-opt": 1, "privileged": 1, "memory": 1, "cpus": 1, "pids-limit": 1}
	if d := cmp.Diff(want, counts); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
	if r.Network[0].Value != "host" || r.Memory[0].Value != "2g" || r.Privileged[0].Value != "" {
		t.Errorf("values: %+v %+v %+v", r.Network[0], r.Memory[0], r.Privileged[0])
	}
}

func TestSubstitute(t *testing.T) {
	env := map[string]string{"HOME": "/home/dev", "XDG_RUNTIME_DIR": "/run/user/1000"}
	c := VarContext{
		LookupEnv:            func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		LocalWorkspaceFolder: "/src/app",
	}
	tests := []struct {
		in, want string
		kinds    []VarIssueKind
	}{
		{"${localEnv:HOME}/.ssh", "/home/dev/.ssh", nil},
		{"${env:HOME}", "/home/dev", nil},
		{"${localEnv:UNSET}/docker.sock", "/docker.sock", []VarIssueKind{UnsetNoDefault}},
		{"${localEnv:UNSET:/tmp}", "/tmp", nil},
		{"${localEnv:UNSET:unix:///run/user/1000/docker.sock}", "unix", []VarIssueKind{DefaultTruncated}},
		{"${localEnv:UNSET:a}b}", "ab}", nil},
		{"source=${localWorkspaceFolder},target=/workspaces/${localWorkspaceFolderBasename}", "source=/src/app,target=/workspaces/app", nil},
		{"${devcontainerId}-${containerEnv:PATH}-${unknown}", "${devcontainerId}-${containerEnv:PATH}-${unknown}", nil},
		{"${localEnv:XDG_RUNTIME_DIR}/docker.sock", "/run/user/1000/docker.sock", nil},
	}
	for _, tc := range tests {
		got, issues := Substitute(tc.in, c)
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
		var kinds []VarIssueKind
		for _, is := range issues {
			kinds = append(kinds, is.Kind)
		}
		if d := cmp.Diff(tc.kinds, kinds); d != "" {
			t.Errorf("%q issues (-want +got):\n%s", tc.in, d)
		}
	}
}

func TestIDMaps(t *testing.T) {
	m, err := ParseIDMap("         0       1000          1\n         1     100000      65536\n")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rootlessMap(1000, []SubIDRange{{100000, 65536}}), m); d != "" {
		t.Errorf("RootlessMap vs uid_map (-want +got):\n%s", d)
	}
	for c, h := range map[int64]int64{0: 1000, 1: 100000, 1000: 100999, 65536: 165535} {
		if got, ok := m.ToHost(c); !ok || got != h {
			t.Errorf("ToHost(%d) = %d %v, want %d", c, got, ok, h)
		}
		if got, ok := m.ToContainer(h); !ok || got != c {
			t.Errorf("ToContainer(%d) = %d %v, want %d", h, got, ok, c)
		}
	}
	if _, ok := m.ToHost(65537); ok {
		t.Error("65537 is outside the map")
	}
	two := rootlessMap(1000, []SubIDRange{{100000, 10}, {300000, 10}})
	if got, _ := two.ToHost(11); got != 300000 {
		t.Errorf("second range: %d", got)
	}
	if _, err := ParseIDMap("0 1000"); err == nil {
		t.Error("short line accepted")
	}
}

const subuid = `# comment
alice:100000:65536
1551001108:165536:65536
bob:231072:65536
alice:400000:1000
`

// SubIDMaps reads the files with internal/subid's parser: a user's ranges
// by name or UID, in file order; a malformed line is an error at its line.
func TestSubIDs(t *testing.T) {
	fsys := afero.NewMemMapFs()
	afero.WriteFile(fsys, "/etc/subuid", []byte(subuid), 0o644)
	afero.WriteFile(fsys, "/etc/subgid", []byte(subuid), 0o644)
	m, err := SubIDMaps(context.Background(), fsys, Who{UID: 1000, GID: 1000, Name: "alice"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(IDMap{{0, 1000, 1}, {1, 100000, 65536}, {65537, 400000, 1000}}, m.UID); d != "" {
		t.Errorf("alice (-want +got):\n%s", d)
	}
	m, err = SubIDMaps(context.Background(), fsys, Who{UID: 1551001108, GID: 1551000513, Name: "jdoe"}, nil)
	if err != nil || m.GID[1] != (IDRange{1, 165536, 65536}) {
		t.Errorf("by uid: %+v, %v", m, err)
	}
	if _, err := SubIDMaps(context.Background(), fsys, Who{UID: 4242, Name: "nobody"}, nil); err == nil || !strings.Contains(err.Error(), "has no range for nobody") {
		t.Errorf("nobody: %v", err)
	}
	afero.WriteFile(fsys, "/etc/subuid", []byte("alice:100000\n"), 0o644)
	if _, err := SubIDMaps(context.Background(), fsys, Who{UID: 1000, Name: "alice"}, nil); err == nil || !strings.Contains(err.Error(), "/etc/subuid:1: ") {
		t.Errorf("malformed: %v", err)
	}
}

func TestGetsubids(t *testing.T) {
	var argv []string
	run := func(_ context.Context, a []string) ([]byte, error) {
		argv = a
		return []byte("0: alice 100000 65536\n1: alice 400000 1000\n"), nil
	}
	rs, err := subIDsFromGetsubids(context.Background(), run, "alice", true)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]SubIDRange{{100000, 65536}, {400000, 1000}}, rs); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if strings.Join(argv, " ") != "getsubids -g alice" {
		t.Errorf("argv %q", argv)
	}
}

func TestFindRootlessChildPID(t *testing.T) {
	fs := afero.NewMemMapFs()
	write := func(p, s string) {
		if err := afero.WriteFile(fs, p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("/proc/10/status", "Name:\tbash\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\n")
	write("/proc/20/status", "Name:\trootlesskit\nPPid:\t10\nUid:\t1000\t1000\t1000\t1000\n")
	write("/proc/21/status", "Name:\texe\nPPid:\t20\nUid:\t1000\t1000\t1000\t1000\n")
	write("/proc/21/uid_map", "         0       1000          1\n         1     100000      65536\n")
	write("/proc/30/status", "Name:\trootlesskit\nPPid:\t1\nUid:\t2000\t2000\t2000\t2000\n")
	write("/proc/31/status", "Name:\texe\nPPid:\t30\nUid:\t2000\t2000\t2000\t2000\n")
	write("/proc/31/uid_map", "0 2000 1\n1 165536 65536\n")
	if pid, err := findRootlessChildPID(fs, "/proc", "", 1000); err != nil || pid != 21 {
		t.Errorf("scan: pid %d, err %v", pid, err)
	}
	if _, err := findRootlessChildPID(fs, "/proc", "", 3000); err == nil {
		t.Error("uid 3000 has no daemon")
	}
	write("/run/user/1000/dockerd-rootless/child_pid", "4242\n")
	if pid, _ := findRootlessChildPID(fs, "/proc", "/run/user/1000", 1000); pid != 4242 {
		t.Errorf("child_pid file: %d", pid)
	}
	m, err := readIDMap(fs, "/proc", 31, "uid_map")
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := m.ToHost(1000); h != 166535 {
		t.Errorf("ToHost via live map = %d", h)
	}
}

func FuzzParseMountString(f *testing.F) {
	// "srC=\r\r" once wrote back "src=\r\r" unquoted, which read back as "src=".
	for _, s := range []string{"type=bind,source=/a,target=/b", `"source=/a,b",target=/c`, "src=x,dst=/y,readonly", "type=volume,volume-opt=type=cifs,target=/s", "srC=\r\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMountString(s)
		if err != nil {
			return
		}
		back, err := ParseMountString(m.String())
		if err != nil {
			t.Fatalf("%q → %q does not re-parse: %v", s, m.String(), err)
		}
		if d := cmp.Diff(m, back, ignoreOptions); d != "" {
			t.Fatalf("%q → %q (-want +got):\n%s", s, m.String(), d)
		}
	})
}
