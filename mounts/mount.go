package mounts

import (
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// Option is one key=value field of a --mount spec, in its original order.
type Option struct {
	Key, Value string
	HasValue   bool // "readonly" alone has none
}

// Mount is a parsed --mount (or -v) spec.
type Mount struct {
	Type     string // bind, volume, tmpfs, …; volume when not given
	Source   string
	Target   string
	ReadOnly bool
	// Options are every field as written, including type, source and target,
	// so String can write the spec back in the same order.
	Options []Option
}

var mountKeys = map[string]bool{
	"type": true, "source": true, "src": true, "target": true, "dst": true, "destination": true,
	"readonly": true, "ro": true, "consistency": true, "bind-propagation": true,
	"bind-nonrecursive": true, "bind-recursive": true, "bind-create-src": true,
	"volume-driver": true, "volume-opt": true, "volume-nocopy": true, "volume-subpath": true,
	"tmpfs-size": true, "tmpfs-mode": true, "image-subpath": true, "external": true,
}

// ParseMountString parses Docker's --mount syntax the way docker/cli does:
// CSV fields (so "source=/a,b" can be quoted), key aliases, and type volume
// when no type is given.
func ParseMountString(s string) (Mount, error) {
	r := csv.NewReader(strings.NewReader(s))
	r.LazyQuotes = false
	fields, err := r.Read()
	if err != nil {
		return Mount{}, fmt.Errorf("mount %q: %v", s, csvErr(err))
	}
	m := Mount{Type: "volume"}
	for _, f := range fields {
		key, val, has := strings.Cut(f, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !mountKeys[key] {
			return Mount{}, fmt.Errorf("mount %q: unknown key %q", s, key)
		}
		m.Options = append(m.Options, Option{Key: key, Value: val, HasValue: has})
		switch key {
		case "type":
			m.Type = val
		case "source", "src":
			m.Source = val
		case "target", "dst", "destination":
			m.Target = val
		case "readonly", "ro":
			if !has {
				m.ReadOnly = true
				break
			}
			b, err := strconv.ParseBool(val)
			if err != nil {
				return Mount{}, fmt.Errorf("mount %q: %s=%q is not a boolean", s, key, val)
			}
			m.ReadOnly = b
		}
	}
	return m, nil
}

func csvErr(err error) error {
	if pe, ok := err.(*csv.ParseError); ok {
		return pe.Err
	}
	return err
}

// String writes the spec back in CSV form, keeping the original fields and
// their order; a field that needs it is quoted whole ("source=/a,b"), as the
// devcontainers CLI writes it. type, source and target come from the struct.
func (m Mount) String() string {
	var fields []string
	seen := map[string]bool{}
	set := func(key, canon, val string) string {
		seen[canon] = true
		return key + "=" + val
	}
	for _, o := range m.Options {
		switch o.Key {
		case "type":
			fields = append(fields, set("type", "type", m.Type))
		case "source", "src":
			fields = append(fields, set(o.Key, "source", m.Source))
		case "target", "dst", "destination":
			fields = append(fields, set(o.Key, "target", m.Target))
		default:
			if o.HasValue {
				fields = append(fields, o.Key+"="+o.Value)
			} else {
				fields = append(fields, o.Key)
			}
		}
	}
	var head []string
	if !seen["type"] {
		head = append(head, "type="+m.Type)
	}
	if !seen["source"] && m.Source != "" {
		head = append(head, "source="+m.Source)
	}
	if !seen["target"] && m.Target != "" {
		head = append(head, "target="+m.Target)
	}
	fields = append(head, fields...)
	if m.ReadOnly && !hasReadOnly(m.Options) {
		fields = append(fields, "readonly")
	}
	for i, f := range fields {
		// CSV drops a bare \r at the end of a record and trims none inside
		// quotes: quote a field with one, so it reads back the same.
		if strings.ContainsAny(f, ",\"\r\n") {
			fields[i] = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
		}
	}
	return strings.Join(fields, ",")
}

func hasReadOnly(opts []Option) bool {
	for _, o := range opts {
		if o.Key == "readonly" || o.Key == "ro" {
			return true
		}
	}
	return false
}

// ParseVolumeFlag parses a -v/--volume value: [source:]target[:options].
// A source that is an absolute or relative path makes a bind; a name makes a
// named volume; no source makes an anonymous volume.
func ParseVolumeFlag(s string) (Mount, error) {
	parts := strings.Split(s, ":")
	var m Mount
	switch len(parts) {
	case 1:
		m = Mount{Type: "volume", Target: parts[0]}
	case 2:
		if strings.HasPrefix(parts[1], "/") {
			m = Mount{Source: parts[0], Target: parts[1]}
		} else {
			m = Mount{Type: "volume", Target: parts[0]}
			if err := volumeOpts(&m, parts[1]); err != nil {
				return Mount{}, fmt.Errorf("volume %q: %v", s, err)
			}
		}
	case 3:
		m = Mount{Source: parts[0], Target: parts[1]}
		if err := volumeOpts(&m, parts[2]); err != nil {
			return Mount{}, fmt.Errorf("volume %q: %v", s, err)
		}
	default:
		return Mount{}, fmt.Errorf("volume %q: too many colons", s)
	}
	if m.Target == "" {
		return Mount{}, fmt.Errorf("volume %q: no target", s)
	}
	if m.Type == "" {
		if strings.HasPrefix(m.Source, "/") || strings.HasPrefix(m.Source, ".") || strings.HasPrefix(m.Source, "~") || strings.HasPrefix(m.Source, "$") {
			m.Type = "bind"
		} else {
			m.Type = "volume"
		}
	}
	return m, nil
}

func volumeOpts(m *Mount, opts string) error {
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "ro":
			m.ReadOnly = true
		case "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated",
			"shared", "rshared", "slave", "rslave", "private", "rprivate":
		default:
			return fmt.Errorf("unknown option %q", o)
		}
	}
	return nil
}
