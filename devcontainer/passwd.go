package devcontainer

import (
	"context"
	"fmt"
	"strconv"

	"github.com/devfix/devfix/engine"
)

// imagePasswd is the image's /etc/passwd and /etc/group, read once, when a
// rule needs a user's UID (keepid, acl).
type imagePasswd struct {
	passwd, group []byte
	why           string // when they could not be read
}

// imageIDs reads the image's users, once. Without an engine, or for an
// image that is not there, why says so.
func (f *Facts) imageIDs(ctx context.Context, o *Options) *imagePasswd {
	if f.passwd != nil {
		return f.passwd
	}
	f.passwd = &imagePasswd{}
	switch {
	case f.Image == "":
		f.passwd.why = "the image is not known"
	case o.Images == nil:
		f.passwd.why = fmt.Sprintf("image %q was not inspected: no container engine is reachable", f.Image)
	default:
		pw, err := o.Images.ReadImageFile(ctx, f.Image, "/etc/passwd")
		if err != nil {
			f.passwd.why = fmt.Sprintf("cannot read /etc/passwd of image %q: %v", f.Image, err)
			break
		}
		f.passwd.passwd = pw
		f.passwd.group, _ = o.Images.ReadImageFile(ctx, f.Image, "/etc/group")
	}
	return f.passwd
}

// lookupUser resolves a docker user spec ("name", "uid", "name:group",
// "uid:gid") in the image's passwd and group files.
func (ip *imagePasswd) lookupUser(spec string) (uid, gid int64, ok bool) {
	a, found := engine.LookupUser(ip.passwd, ip.group, spec)
	if !found || a.UID < 0 || a.GID < 0 {
		return 0, 0, false
	}
	return int64(a.UID), int64(a.GID), true
}

// userWithUID names the image user that has uid, if any.
func (ip *imagePasswd) userWithUID(uid int64) (string, bool) {
	a, found := engine.LookupUser(ip.passwd, nil, strconv.FormatInt(uid, 10))
	return a.Name, found
}
