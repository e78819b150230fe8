package subid

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/afero"
)

// SSSD's ID-mapping defaults (sssd-ldap(5), ldap_idmap_range_min/max).
const (
	DefaultIdmapMin int64 = 200000
	DefaultIdmapMax int64 = 2000200000
)

// Domain is one [domain/NAME] of SSSD's configuration and the IDs it can
// hand out.
type Domain struct {
	Name       string
	Where      string // "path:LINE" of its section header (the first one)
	IDProvider string
	// IDMapping: IDs are computed from SIDs (id_provider = ad, or
	// ldap_id_mapping = true) within ldap_idmap_range_min..max.
	IDMapping bool
	// Bounded is false for a domain of POSIX IDs (from the directory)
	// without max_id: any ID at or above min_id may be one of its users'.
	Bounded bool
	// IDs is the span its IDs lie in when Bounded: the ID-mapping range
	// (its max is the first ID not mapped), or min_id..max_id.
	IDs Range
}

// ReadSSSD reads sssd.conf and then conf.d/*.conf (in name order; later
// settings of a section win, as SSSD merges snippets) and returns the
// domains, in name order. Missing files are no SSSD; a file that cannot be
// read (sssd.conf is root's, mode 0600) is an error naming it.
func ReadSSSD(fsys afero.Fs, conf, confD string) ([]Domain, error) {
	files := []string{conf}
	if names, err := afero.ReadDir(fsys, confD); err == nil {
		for _, fi := range names {
			n := fi.Name()
			if strings.HasSuffix(n, ".conf") && !strings.HasPrefix(n, ".") && !fi.IsDir() {
				files = append(files, path.Join(confD, n))
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	type section struct {
		where string
		opts  map[string]string
	}
	domains := map[string]*section{}
	for _, p := range files {
		data, err := afero.ReadFile(fsys, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var cur *section
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' || line[0] == ';' {
				continue
			}
			if line[0] == '[' {
				cur = nil
				name, ok := strings.CutPrefix(strings.TrimSuffix(line, "]"), "[domain/")
				if ok && name != "" {
					if domains[name] == nil {
						domains[name] = &section{where: fmt.Sprintf("%s:%d", p, n), opts: map[string]string{}}
					}
					cur = domains[name]
				}
				continue
			}
			if cur == nil {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if ok {
				cur.opts[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
	}
	var out []Domain
	for name, s := range domains {
		out = append(out, domainOf(name, s.where, s.opts))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// domainOf works out a domain's ID span from its options.
func domainOf(name, where string, o map[string]string) Domain {
	d := Domain{Name: name, Where: where, IDProvider: strings.ToLower(o["id_provider"])}
	num := func(k string, def int64) int64 {
		if v, err := strconv.ParseInt(o[k], 10, 64); err == nil && v >= 0 {
			return v
		}
		return def
	}
	mapping := d.IDProvider == "ad" // the AD provider maps IDs unless told not to
	if v, ok := o["ldap_id_mapping"]; ok {
		mapping = strings.EqualFold(v, "true")
	}
	switch {
	case d.IDProvider == "files":
		// SSSD's files provider serves /etc/passwd: local IDs, reserved
		// as such.
		d.Bounded = true
	case mapping && (d.IDProvider == "ad" || d.IDProvider == "ldap"):
		d.IDMapping, d.Bounded = true, true
		lo, hi := num("ldap_idmap_range_min", DefaultIdmapMin), num("ldap_idmap_range_max", DefaultIdmapMax)
		d.IDs = Range{lo, max(hi-lo, 0)}
	default:
		if hi := num("max_id", 0); hi > 0 {
			lo := num("min_id", 1)
			d.Bounded, d.IDs = true, Range{lo, max(hi-lo+1, 0)}
		}
	}
	return d
}
