package mounts

import (
	"io"
	"strings"
	"sync"

	"github.com/spf13/pflag"
)

// ArgRef locates one docker run flag in runArgs: the elements
// args[Index:Index+Count] hold it (Count is 2 when the value is the next
// element), and Joined says the value shares its element with the flag
// ("--user=x", "-ux").
type ArgRef struct {
	Index, Count int
	Flag         string // as written: "-u", "--user", "--net", …
	Value        string // "" for boolean flags
	Joined       bool
}

// ArgMount is a -v/--volume or --mount in runArgs.
type ArgMount struct {
	ArgRef
	Mount Mount
	Err   error
}

// RunArgs are the docker run flags devfix cares about, each in argument
// order (for docker, the last one wins).
type RunArgs struct {
	Users        []ArgRef
	Mounts       []ArgMount
	Publish      []ArgRef
	Network      []ArgRef
	Userns       []ArgRef
	SecurityOpts []ArgRef
	Privileged   []ArgRef
	Memory       []ArgRef
	CPUs         []ArgRef
	PidsLimit    []ArgRef
	// IDMaps are --uidmap, --gidmap, --subuidname and --subgidname
	// (Podman's; they conflict with --userns=keep-id).
	IDMaps []ArgRef
}

// flagKind tells how docker run's flags take values.
type flagKind int

const (
	takesValue flagKind = iota
	boolean
)

// dockerRunFlags is `docker run`'s flag set: long names and, where they
// exist, their one-letter shorthands. Booleans matter: "--init -u x" must not
// read "-u" as --init's value.
var dockerRunFlags = map[string]flagKind{
	"add-host": takesValue, "annotation": takesValue, "attach": takesValue, "blkio-weight": takesValue,
	"blkio-weight-device": takesValue, "cap-add": takesValue, "cap-drop": takesValue,
	"cgroup-parent": takesValue, "cgroupns": takesValue, "cidfile": takesValue, "cpu-count": takesValue,
	"cpu-percent": takesValue, "cpu-period": takesValue, "cpu-quota": takesValue,
	"cpu-rt-period": takesValue, "cpu-rt-runtime": takesValue, "cpu-shares": takesValue,
	"cpus": takesValue, "cpuset-cpus": takesValue, "cpuset-mems": takesValue, "detach": boolean,
	"detach-keys": takesValue, "device": takesValue, "device-cgroup-rule": takesValue,
	"device-read-bps": takesValue, "device-read-iops": takesValue, "device-write-bps": takesValue,
	"device-write-iops": takesValue, "disable-content-trust": boolean, "dns": takesValue,
	"dns-option": takesValue, "dns-opt": takesValue, "dns-search": takesValue, "domainname": takesValue,
	"entrypoint": takesValue, "env": takesValue, "env-file": takesValue, "expose": takesValue,
	"gpus": takesValue, "group-add": takesValue, "health-cmd": takesValue,
	"health-interval": takesValue, "health-retries": takesValue, "health-start-interval": takesValue,
	"health-start-period": takesValue, "health-timeout": takesValue, "help": boolean,
	"hostname": takesValue, "init": boolean, "interactive": boolean, "io-maxbandwidth": takesValue,
	"io-maxiops": takesValue, "ip": takesValue, "ip6": takesValue, "ipc": takesValue,
	"isolation": takesValue, "kernel-memory": takesValue, "label": takesValue,
	"label-file": takesValue, "link": takesValue, "link-local-ip": takesValue,
	"log-driver": takesValue, "log-opt": takesValue, "mac-address": takesValue,
	"memory": takesValue, "memory-reservation": takesValue, "memory-swap": takesValue,
	"memory-swappiness": takesValue, "mount": takesValue, "name": takesValue, "net": takesValue,
	"net-alias": takesValue, "network": takesValue, "network-alias": takesValue,
	"no-healthcheck": boolean, "oom-kill-disable": boolean, "oom-score-adj": takesValue,
	"pid": takesValue, "pids-limit": takesValue, "platform": takesValue, "privileged": boolean,
	"publish": takesValue, "publish-all": boolean, "pull": takesValue, "quiet": boolean,
	"read-only": boolean, "restart": takesValue, "rm": boolean, "runtime": takesValue,
	"security-opt": takesValue, "shm-size": takesValue, "sig-proxy": boolean,
	"stop-signal": takesValue, "stop-timeout": takesValue, "storage-opt": takesValue,
	"sysctl": takesValue, "tmpfs": takesValue, "tty": boolean, "ulimit": takesValue,
	"use-api-socket": boolean, "user": takesValue, "userns": takesValue, "uts": takesValue,
	"volume": takesValue, "volume-driver": takesValue, "volumes-from": takesValue,
	"workdir": takesValue, "uidmap": takesValue, "gidmap": takesValue,
	"subuidname": takesValue, "subgidname": takesValue,
}

var dockerRunShort = map[byte]string{
	'a': "attach", 'c': "cpu-shares", 'd': "detach", 'e': "env", 'h': "hostname", 'i': "interactive",
	'l': "label", 'm': "memory", 'p': "publish", 'P': "publish-all", 'q': "quiet", 't': "tty",
	'u': "user", 'v': "volume", 'w': "workdir",
}

// noop is a flag value that keeps nothing: ParseAll reports every flag
// with its value, so the FlagSet holds no state worth keeping and can be
// reused.
type noop string

func (n noop) String() string   { return "" }
func (n noop) Set(string) error { return nil }
func (n noop) Type() string     { return string(n) }

// newRunFlagSet is a pflag FlagSet with docker run's flags, so runArgs are
// read the way docker reads them. Unknown flags are let through.
func newRunFlagSet() *pflag.FlagSet {
	fs := pflag.NewFlagSet("docker run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.ParseErrorsAllowlist.UnknownFlags = true
	short := map[string]string{}
	for sh, name := range dockerRunShort {
		short[name] = string(sh)
	}
	for name, kind := range dockerRunFlags {
		if kind == boolean {
			fs.VarPF(noop("bool"), name, short[name], "").NoOptDefVal = "true"
		} else {
			fs.VarP(noop("string"), name, short[name], "")
		}
	}
	return fs
}

// flagSets reuses FlagSets: building docker run's flag set costs more than
// parsing a config.
var flagSets = sync.Pool{New: func() any { return newRunFlagSet() }}

// ParseRunArgs reads runArgs with docker run's flag set, in every spelling:
// "-u x", "-ux", "-u=x", "--user x", "--user=x", combined booleans ("-it"),
// and unknown flags, which never break parsing. runArgs carry no image, so
// positional elements are skipped, not an end. Each flag found is located in
// args so a caller can rewrite exactly its elements.
func ParseRunArgs(args []string) RunArgs {
	var r RunArgs
	fs := flagSets.Get().(*pflag.FlagSet)
	defer flagSets.Put(fs)
	cursor := 0
	_ = fs.ParseAll(args, func(f *pflag.Flag, value string) error {
		ref, next, ok := locate(args, cursor, f, value)
		if !ok {
			return nil
		}
		cursor = next
		if f.Value.Type() == "bool" {
			ref.Value = ""
		}
		r.record(f.Name, ref)
		return nil
	})
	return r
}

// locate finds, from element cursor on, the element(s) holding flag f with
// value, and returns the cursor to go on from.
func locate(args []string, cursor int, f *pflag.Flag, value string) (ArgRef, int, bool) {
	isBool := f.Value.Type() == "bool"
	for j := cursor; j < len(args); j++ {
		a := args[j]
		if name, val, joined := strings.Cut(strings.TrimPrefix(a, "--"), "="); strings.HasPrefix(a, "--") && name == f.Name {
			ref := ArgRef{Index: j, Count: 1, Flag: "--" + name, Value: val, Joined: joined}
			if !joined && !isBool {
				ref.Count, ref.Value = 2, value
			}
			return ref, j + ref.Count, true
		}
		if f.Shorthand == "" || strings.HasPrefix(a, "--") || len(a) < 2 || a[0] != '-' {
			continue
		}
		k := strings.IndexByte(a[1:], f.Shorthand[0])
		if k < 0 {
			continue
		}
		// Every shorthand before ours in the cluster must be a boolean.
		k++
		ref := ArgRef{Index: j, Count: 1, Flag: "-" + f.Shorthand}
		if isBool {
			return ref, j, true // more of the cluster may follow
		}
		if rest := a[k+1:]; rest != "" {
			ref.Value, ref.Joined = strings.TrimPrefix(rest, "="), true
			return ref, j + 1, true
		}
		ref.Count, ref.Value = 2, value
		return ref, j + 2, true
	}
	return ArgRef{}, cursor, false
}

func (r *RunArgs) record(name string, ref ArgRef) {
	switch name {
	case "user":
		r.Users = append(r.Users, ref)
	case "volume":
		m, err := ParseVolumeFlag(ref.Value)
		r.Mounts = append(r.Mounts, ArgMount{ArgRef: ref, Mount: m, Err: err})
	case "mount":
		m, err := ParseMountString(ref.Value)
		r.Mounts = append(r.Mounts, ArgMount{ArgRef: ref, Mount: m, Err: err})
	case "publish":
		r.Publish = append(r.Publish, ref)
	case "network", "net":
		r.Network = append(r.Network, ref)
	case "userns":
		r.Userns = append(r.Userns, ref)
	case "security-opt":
		r.SecurityOpts = append(r.SecurityOpts, ref)
	case "privileged":
		r.Privileged = append(r.Privileged, ref)
	case "memory":
		r.Memory = append(r.Memory, ref)
	case "cpus":
		r.CPUs = append(r.CPUs, ref)
	case "pids-limit":
		r.PidsLimit = append(r.PidsLimit, ref)
	case "uidmap", "gidmap", "subuidname", "subgidname":
		r.IDMaps = append(r.IDMaps, ref)
	}
}
