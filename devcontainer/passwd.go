package devcontainer

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/devfix/devfix/internal/imagefacts"
)

// imagePasswd is the image's /etc/passwd, read once, when a rule needs a
// user's UID (keepid, acl); its /etc/group is read only when a user spec
// names a group.
type imagePasswd struct {
	passwd, group []byte
	readGroup     func() []byte // reads group; nil once read, or when passwd could not be
	why           string        // when passwd could not be read
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
		// Each read is a container create, copy and remove for the
		// engine: only when a spec names a group.
		image, images := f.Image, o.Images
		f.passwd.readGroup = func() []byte {
			group, _ := images.ReadImageFile(ctx, image, "/etc/group")
			return group
		}
	}
	return f.passwd
}

// lookupUser resolves a docker user spec ("name", "uid", "name:group",
// "uid:gid") in the image's passwd and group files.
func (ip *imagePasswd) lookupUser(spec string) (uid, gid int64, ok bool) {
	if _, grp, _ := strings.Cut(spec, ":"); grp != "" && ip.readGroup != nil {
		ip.group, ip.readGroup = ip.readGroup(), nil
	}
	a, found := imagefacts.LookupUser(ip.passwd, ip.group, spec)
	if !found || a.UID < 0 || a.GID < 0 {
		return 0, 0, false
	}
	return int64(a.UID), int64(a.GID), true
}

// userWithUID names the image user that has uid, if any.
func (ip *imagePasswd) userWithUID(uid int64) (string, bool) {
	a, found := imagefacts.LookupUser(ip.passwd, nil, strconv.FormatInt(uid, 10))
	return a.Name, found
}

// uidUpdate says whether the CLI's updateRemoteUserUID step gives the remote
// user your host UID: the step must run, and no other image user may have
// that UID already, or the CLI leaves the user alone (takenBy names that
// user). Without the image's /etc/passwd, only root is known to hold a UID.
// Callers decide what an unknown UpdateUID means before they ask.
func (f *Facts) uidUpdate(ctx context.Context, o *Options, hostUID int64) (applies bool, takenBy string) {
	if !f.UpdateUID {
		return false, ""
	}
	name, _, _ := strings.Cut(f.Remote.Name, ":")
	ip := f.imageIDs(ctx, o)
	if ip.passwd == nil {
		if hostUID == 0 {
			return false, "root"
		}
		return true, ""
	}
	if other, taken := ip.userWithUID(hostUID); taken && other != name {
		return false, other
	}
	return true, ""
}

// imageUserIDs is a user's UID and GID in the image, and where they come
// from (or why they are unknown); for the official images without their
// /etc/passwd, the documented 1000 of their user.
func (f *Facts) imageUserIDs(ctx context.Context, o *Options, user string) (uid, gid int64, src string, ok bool) {
	ip := f.imageIDs(ctx, o)
	if ip.passwd != nil {
		if uid, gid, ok := ip.lookupUser(user); ok {
			return uid, gid, fmt.Sprintf("from /etc/passwd of image %q", f.Image), true
		}
		return 0, 0, fmt.Sprintf("%q is not in /etc/passwd of image %q", user, f.Image), false
	}
	name, _, _ := strings.Cut(user, ":")
	if k, known := knownImage(f.Image); known && k.remoteUser == name {
		return 1000, 1000, "the documented UID of the official image's user", true
	}
	return 0, 0, "its UID is unknown: " + ip.why, false
}
