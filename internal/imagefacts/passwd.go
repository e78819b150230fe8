package imagefacts

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// Account is a user as Docker resolves it in an image.
type Account struct {
	Name string // from /etc/passwd; "" when the user is a bare UID not listed there
	UID  int    // -1 when unknown
	GID  int    // -1 when unknown
}

// LookupUser resolves a Docker user spec ("vscode", "1000", "vscode:dev",
// "1000:1000"; "" is root) against an image's /etc/passwd and /etc/group, as
// Docker does when it starts a container: the user part matches a passwd
// line by name or UID, the first match wins; the group, when given, matches
// a group line by name or GID, else it is the passwd line's.
//
// found reports whether every part was found (a numeric group need not be). A numeric user that
// /etc/passwd lacks is not found, yet Docker runs it: UID is that number,
// GID the given group or 0. A name that is not found leaves UID (or GID) -1.
func LookupUser(passwd, group []byte, spec string) (acct Account, found bool) {
	user, grp, hasGroup := strings.Cut(spec, ":")
	if user == "" {
		user = "0"
	}
	acct = Account{UID: -1, GID: -1}
	uid, uidErr := strconv.Atoi(user)
	found = true
	if f, ok := findEntry(passwd, user, 2); ok && len(f) >= 7 {
		acct.Name = f[0]
		acct.UID, _ = strconv.Atoi(f[2])
		acct.GID, _ = strconv.Atoi(f[3])
	} else {
		found = false
		if uidErr == nil && uid >= 0 {
			acct.UID, acct.GID = uid, 0
		}
	}
	if hasGroup && grp != "" {
		gid, gidErr := strconv.Atoi(grp)
		if f, ok := findEntry(group, grp, 2); ok && len(f) >= 3 {
			acct.GID, _ = strconv.Atoi(f[2])
		} else if gidErr == nil && gid >= 0 {
			acct.GID = gid
		} else {
			acct.GID, found = -1, false
		}
	}
	return acct, found
}

// findEntry returns the fields of the first line of a passwd or group file
// whose name (field 0) or, for a numeric key, ID (field idField) is key.
func findEntry(file []byte, key string, idField int) ([]string, bool) {
	if key == "" {
		return nil, false
	}
	id, numErr := strconv.Atoi(key)
	sc := bufio.NewScanner(bytes.NewReader(file))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) <= idField {
			continue
		}
		if f[0] == key {
			return f, true
		}
		if n, err := strconv.Atoi(f[idField]); numErr == nil && err == nil && n == id {
			return f, true
		}
	}
	return nil, false
}
