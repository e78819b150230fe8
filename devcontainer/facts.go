package devcontainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
	"github.com/tailscale/hujson"
)

// ImageInfo is what devfix needs to know about an image.
type ImageInfo struct {
	Found  bool
	User   string            // Config.User
	Labels map[string]string // Config.Labels
}

// NoDaemonError says why no daemon could answer an image question; lint
// then reports the user as unknown instead of failing.
type NoDaemonError struct{ Reason string }

func (e *NoDaemonError) Error() string { return "no Docker daemon is reachable: " + e.Reason }

// ImageInspector looks images up on a Docker daemon.
type ImageInspector interface {
	InspectImage(ctx context.Context, ref string) (ImageInfo, error)
}

// Options configure Lint and Fix. The zero value lints with the root
// strategy, no daemon and no host checks.
type Options struct {
	Strategy Strategy
	// Images answers image questions; nil means no daemon is reachable.
	Images ImageInspector
	// NoDaemonReason says why Images is nil, for notes.
	NoDaemonReason string
	// Fs reads Dockerfiles and the workspace; nil means none can be read.
	Fs afero.Fs
	// LookupEnv resolves ${localEnv:…}; nil means an empty environment.
	LookupEnv func(string) (string, bool)
	// Host answers questions about the host user and its files; nil skips
	// the checks that need it.
	Host Host
	// RootlessSocket is the path of the user's rootless Docker socket, ""
	// when none was found.
	RootlessSocket string
	// PortStart is net.ipv4.ip_unprivileged_port_start; 0 means the
	// kernel's default, 1024.
	PortStart int
	// NoInlineIgnores makes devfix-ignore comments count for nothing (CI
	// policy).
	NoInlineIgnores bool
	// Severities overrides rule severities (from .devfix.jsonc); a rule
	// mapped to SeverityOff is not run.
	Severities map[string]Severity
}

// DaemonFacts are what the rules need to know of the daemon.
type DaemonFacts struct {
	Rootless      bool
	CgroupDriver  string
	CgroupVersion string
}

// DaemonInformer is implemented by an ImageInspector that can also describe
// its daemon.
type DaemonInformer interface {
	DaemonFacts(ctx context.Context) (DaemonFacts, error)
}

func (o *Options) strategy() Strategy {
	if o.Strategy == "" {
		return StrategyRoot
	}
	return o.Strategy
}

// UserFact is a resolved user and where it came from. Known is false when it
// could not be resolved; Why then says why.
type UserFact struct {
	Name  string
	From  string
	Known bool
	Why   string
}

// Facts are derived once per config and shared by the rules.
type Facts struct {
	// Image is the image whose user and label matter ("" for compose).
	Image string
	// Remote is the user VS Code and lifecycle commands run as.
	Remote UserFact
	// Container is the user the container's main process runs as.
	Container UserFact
	// UpdateUID reports whether the CLI's updateRemoteUserUID step would
	// run (Linux host), and UpdateUIDKnown whether that is certain.
	UpdateUID, UpdateUIDKnown bool
	// Notes are things the user should know that are not findings.
	Notes []string
}

// metadata is the part of a devcontainer.metadata label devfix reads.
type metadata struct {
	RemoteUser          string `json:"remoteUser"`
	ContainerUser       string `json:"containerUser"`
	UpdateRemoteUserUID *bool  `json:"updateRemoteUserUID"`
}

// parseMetadata reads the devcontainer.metadata label: an array of entries
// (or one object). Later entries win, as in the reference CLI.
func parseMetadata(label string) (metadata, error) {
	var merged metadata
	label = strings.TrimSpace(label)
	if label == "" {
		return merged, nil
	}
	var entries []metadata
	if strings.HasPrefix(label, "{") {
		var one metadata
		if err := json.Unmarshal([]byte(label), &one); err != nil {
			return merged, err
		}
		entries = []metadata{one}
	} else if err := json.Unmarshal([]byte(label), &entries); err != nil {
		return merged, err
	}
	for _, e := range entries {
		if e.RemoteUser != "" {
			merged.RemoteUser = e.RemoteUser
		}
		if e.ContainerUser != "" {
			merged.ContainerUser = e.ContainerUser
		}
		if e.UpdateRemoteUserUID != nil {
			merged.UpdateRemoteUserUID = e.UpdateRemoteUserUID
		}
	}
	return merged, nil
}

// imageSide is what the image (or Dockerfile) contributes.
type imageSide struct {
	known   bool
	why     string // when !known
	user    string // Config.User or the Dockerfile's USER
	userSrc string
	meta    metadata
	metaSrc string
}

// IsRootUser reports whether a docker user spec (name, uid, name:group) is root.
func IsRootUser(u string) bool {
	name, _, _ := strings.Cut(u, ":")
	return name == "root" || name == "0"
}

func isNumericUser(u string) bool {
	name, _, _ := strings.Cut(u, ":")
	if name == "" {
		return false
	}
	for _, r := range name {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// substitute resolves the variables the CLI resolves before it uses a user.
func (o *Options) substitute(s string) string {
	lookup := o.LookupEnv
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	out, _ := mounts.Substitute(s, mounts.VarContext{LookupEnv: lookup})
	return out
}

// computeFacts resolves users the way the reference CLI does:
//
//   - the container runs as the last -u/--user in runArgs, else containerUser
//     (devcontainer.json, then the image's devcontainer.metadata label), else
//     the image's Config.User (for a Dockerfile, its final stage's USER), else root;
//   - the remote user is remoteUser (devcontainer.json, then the label), else
//     the container's user;
//   - updateRemoteUserUID (default on) runs when that user is neither root nor
//     numeric.
func computeFacts(ctx context.Context, c *Config, o *Options) *Facts {
	f := &Facts{}
	img := resolveImage(ctx, c, o, f)

	// Container user.
	_, _, ra := c.RunArgs()
	jsonContainer, _ := c.String("containerUser")
	jsonContainer = o.substitute(jsonContainer)
	switch {
	case len(ra.Users) > 0:
		u := ra.Users[len(ra.Users)-1]
		f.Container = UserFact{Name: o.substitute(u.Value), From: fmt.Sprintf("%q in runArgs", u.Flag), Known: true}
	case jsonContainer != "":
		f.Container = UserFact{Name: jsonContainer, From: `"containerUser" in devcontainer.json`, Known: true}
	case !img.known:
		f.Container = UserFact{Why: img.why}
	case img.meta.ContainerUser != "":
		f.Container = UserFact{Name: img.meta.ContainerUser, From: "containerUser in " + img.metaSrc, Known: true}
	case img.user != "":
		f.Container = UserFact{Name: img.user, From: img.userSrc, Known: true}
	default:
		f.Container = UserFact{Name: "root", From: "the default (" + img.userSrc + " sets no user)", Known: true}
	}

	// Remote user.
	jsonRemote, _ := c.String("remoteUser")
	jsonRemote = o.substitute(jsonRemote)
	switch {
	case jsonRemote != "":
		f.Remote = UserFact{Name: jsonRemote, From: `"remoteUser" in devcontainer.json`, Known: true}
	case !img.known:
		f.Remote = UserFact{Why: img.why}
	case img.meta.RemoteUser != "":
		f.Remote = UserFact{Name: img.meta.RemoteUser, From: "remoteUser in " + img.metaSrc, Known: true}
	case f.Container.Known:
		f.Remote = UserFact{Name: f.Container.Name, From: "the container's user (" + f.Container.From + ")", Known: true}
	default:
		f.Remote = UserFact{Why: f.Container.Why}
	}

	// updateRemoteUserUID.
	update, updateKnown := true, true
	if v, set := c.Bool("updateRemoteUserUID"); set {
		update = v
	} else if !img.known {
		updateKnown = false
	} else if img.meta.UpdateRemoteUserUID != nil {
		update = *img.meta.UpdateRemoteUserUID
	}
	switch {
	case !f.Remote.Known:
		f.UpdateUID, f.UpdateUIDKnown = update, false
	default:
		f.UpdateUID = update && !IsRootUser(f.Remote.Name) && !isNumericUser(f.Remote.Name)
		f.UpdateUIDKnown = updateKnown || !update || IsRootUser(f.Remote.Name) || isNumericUser(f.Remote.Name)
	}
	return f
}

// resolveImage finds what the image contributes: its user and label.
func resolveImage(ctx context.Context, c *Config, o *Options, f *Facts) imageSide {
	if _, compose := c.Top("dockerComposeFile"); compose {
		return imageSide{why: "the user of a Docker Compose service is not read"}
	}
	if ref, ok := c.String("image"); ok {
		f.Image = ref
		return inspectImage(ctx, o, ref)
	}
	dockerfile, target, args, ok := c.dockerfileSettings()
	if !ok {
		return imageSide{why: `the config names no "image", "build" or "dockerComposeFile"`}
	}
	if o.Fs == nil {
		return imageSide{why: "the Dockerfile cannot be read"}
	}
	data, err := afero.ReadFile(o.Fs, dockerfile)
	if err != nil {
		return imageSide{why: fmt.Sprintf("cannot read the Dockerfile: %v", err)}
	}
	df := ParseDockerfile(data)
	res := df.FinalUser(target, args)
	if res.User != "" {
		side := imageSide{known: true, user: res.User, userSrc: fmt.Sprintf("USER on line %d of %s", res.Line, filepath.Base(dockerfile))}
		if res.BaseImage != "" && res.BaseImage != "scratch" {
			// The label still comes from the base image.
			f.Image = res.BaseImage
			base := inspectImage(ctx, o, res.BaseImage)
			if !base.known {
				f.Notes = append(f.Notes, fmt.Sprintf("the devcontainer.metadata label of base image %q is unknown: %s", res.BaseImage, base.why))
			}
			side.meta, side.metaSrc = base.meta, base.metaSrc
		}
		return side
	}
	if res.Unresolved != "" {
		return imageSide{why: res.Unresolved}
	}
	if res.BaseImage == "scratch" {
		return imageSide{known: true, userSrc: filepath.Base(dockerfile) + " (FROM scratch)"}
	}
	f.Image = res.BaseImage
	return inspectImage(ctx, o, res.BaseImage)
}

func inspectImage(ctx context.Context, o *Options, ref string) imageSide {
	if o.Images == nil {
		why := "no Docker daemon is reachable"
		if o.NoDaemonReason != "" {
			why = o.NoDaemonReason
		}
		return imageSide{why: fmt.Sprintf("image %q was not inspected: %s", ref, why)}
	}
	info, err := o.Images.InspectImage(ctx, ref)
	var nd *NoDaemonError
	switch {
	case errors.As(err, &nd):
		return imageSide{why: fmt.Sprintf("image %q was not inspected: no Docker daemon is reachable (%s)", ref, nd.Reason)}
	case err != nil:
		return imageSide{why: fmt.Sprintf("inspecting image %q: %v", ref, err)}
	}
	if !info.Found {
		return imageSide{why: fmt.Sprintf("image %q is not on the daemon (pull or build it first)", ref)}
	}
	side := imageSide{known: true, user: info.User, userSrc: fmt.Sprintf("Config.User of image %q", ref)}
	if label := info.Labels["devcontainer.metadata"]; label != "" {
		m, err := parseMetadata(label)
		if err != nil {
			return imageSide{why: fmt.Sprintf("the devcontainer.metadata label of image %q is not valid JSON: %v", ref, err)}
		}
		side.meta, side.metaSrc = m, fmt.Sprintf("the devcontainer.metadata label of image %q", ref)
	}
	return side
}

// dockerfileSettings returns the Dockerfile path (next to the config), the
// build target and the build args.
func (c *Config) dockerfileSettings() (dockerfile, target string, args map[string]string, ok bool) {
	dir := filepath.Dir(c.Path)
	if b, isObj := c.Object("build"); isObj {
		df, ok := StringIn(b, "dockerfile")
		if !ok {
			df, ok = StringIn(b, "dockerFile")
		}
		if !ok {
			return "", "", nil, false
		}
		target, _ = StringIn(b, "target")
		args = map[string]string{}
		if m, ok := Lookup(b, "args"); ok {
			if argsObj, ok := m.Value().Value.(*hujson.Object); ok {
				for _, am := range Members(argsObj) {
					if s, ok := StringIn(argsObj, am.Name); ok {
						args[am.Name] = s
					}
				}
			}
		}
		return filepath.Join(dir, df), target, args, true
	}
	if df, ok := c.String("dockerFile"); ok {
		return filepath.Join(dir, df), "", nil, true
	}
	return "", "", nil, false
}
