package devcontainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/devfix/devfix/internal/imagefacts"
	"github.com/devfix/devfix/internal/jsonc"
	"github.com/devfix/devfix/internal/source"
	"github.com/devfix/devfix/mounts"
	"github.com/spf13/afero"
)

// Engine is the container engine the dev containers run on: the engine
// package's Kind, so a flag, a setting and detection share one type.
type Engine = imagefacts.Kind

// The engines. The zero value means EngineDocker.
const (
	EngineDocker = imagefacts.Docker
	EnginePodman = imagefacts.Podman
)

// NoDaemonError says why no engine could answer an image question; lint
// then reports the user as unknown instead of failing.
type NoDaemonError = imagefacts.NoEngineError

// Images answers image questions: the image's Config.User and labels, and
// files in it (/etc/passwd), read without starting anything.
type Images = imagefacts.Images

// DaemonFacts are what the rules need to know of the daemon.
type DaemonFacts = imagefacts.DaemonFacts

// daemonInformer is implemented by Images that can also describe the daemon.
type daemonInformer interface {
	DaemonFacts(ctx context.Context) (DaemonFacts, error)
}

// Options configure Lint and Fix. The zero value lints for rootless Docker
// with the root strategy, no engine and no host checks.
type Options struct {
	Strategy Strategy
	// Engine is the engine the dev containers run on (zero: Docker), and
	// EngineWhy how that was decided, for notes.
	Engine    Engine
	EngineWhy string
	// Images answers image questions; nil means no engine is reachable.
	Images Images
	// Fs reads Dockerfiles, compose files and the workspace; nil means none
	// can be read.
	Fs afero.Fs
	// LookupEnv resolves ${localEnv:…} and compose variables; nil means an
	// empty environment.
	LookupEnv func(string) (string, bool)
	// Host answers questions about the host user and its files; nil skips
	// the checks that need it.
	Host Host
	// RootlessSocket is the user's rootless Docker socket, PodmanSocket its
	// Podman API socket; "" when none was found.
	RootlessSocket, PodmanSocket string
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

func (o *Options) strategy() Strategy {
	if o.Strategy == "" {
		return StrategyRoot
	}
	return o.Strategy
}

func (o *Options) engine() Engine {
	if o.Engine == "" {
		return EngineDocker
	}
	return o.Engine
}

// engineName names the engine for messages.
func (o *Options) engineName() string {
	if o.engine() == EnginePodman {
		return "rootless Podman"
	}
	return "rootless Docker"
}

func (o *Options) lookup(k string) (string, bool) {
	if o.LookupEnv == nil {
		return "", false
	}
	return o.LookupEnv(k)
}

// substitute resolves the variables the CLI resolves before it uses a value.
func (o *Options) substitute(s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	out, _ := mounts.Substitute(s, mounts.VarContext{LookupEnv: o.LookupEnv})
	return out
}

// UserFact is a resolved user and where it came from. Known is false when it
// could not be resolved; Why then says why. At is the node it comes from
// (zero when no file says it: an image's label or Config.User).
type UserFact struct {
	Name  string
	From  string
	Known bool
	Why   string
	At    source.Loc
}

// Facts are derived once per config and shared, read-only, by the rules.
type Facts struct {
	// Image is the image whose user and label matter ("" when none is
	// known), and ImageAt where the config names it.
	Image   string
	ImageAt source.Loc
	// Remote is the user VS Code and lifecycle commands run as.
	Remote UserFact
	// Container is the user the container's main process runs as.
	Container UserFact
	// UpdateUID reports whether the CLI's updateRemoteUserUID step would
	// run (Linux host), and UpdateUIDKnown whether that is certain;
	// UpdateUIDWhy then says what could not be read. Unknown is not off:
	// a rule that needs the answer notes it and reports nothing it cannot
	// stand behind.
	UpdateUID, UpdateUIDKnown bool
	UpdateUIDWhy              string
	// Notes are things the user should know that are not findings.
	Notes []string

	passwd     *imagePasswd   // read on first use
	dockerfile *dockerfileDoc // the Dockerfile read, for its ignore comments
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

// imageSide is what the image (or Dockerfile, or compose service)
// contributes.
type imageSide struct {
	known   bool
	why     string // when !known
	user    string // Config.User or the Dockerfile's USER
	userSrc string
	userAt  source.Loc
	meta    metadata
	metaSrc string
	// metaWhy says why the label is unknown although the user is known (a
	// Dockerfile's USER over a base image no engine answered for).
	metaWhy string
}

// isRootUser reports whether a docker user spec (name, uid, name:group) is root.
func isRootUser(u string) bool {
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

// computeFacts resolves users the way the reference CLI does:
//
//   - the container runs as the last -u/--user in runArgs (not for compose),
//     else containerUser (devcontainer.json, then the image's
//     devcontainer.metadata label), else the compose service's user:, else
//     the image's Config.User (for a Dockerfile, its final stage's USER),
//     else root;
//   - the remote user is remoteUser (devcontainer.json, then the label), else
//     the container's user;
//   - updateRemoteUserUID (default on) runs when that user is neither root
//     nor numeric.
func computeFacts(ctx context.Context, c *Config, o *Options) *Facts {
	f := &Facts{}
	img := resolveImage(ctx, c, o, f)

	// Container user.
	jsonContainer := o.substitute(c.top("containerUser").Str())
	var svcUser string
	var svcUserAt source.Loc
	if c.compose != nil {
		svcUser, svcUserAt = c.compose.serviceUser()
	}
	ra := c.RunArgs()
	switch {
	case c.compose == nil && len(ra.Users) > 0:
		u := ra.Users[len(ra.Users)-1]
		f.Container = UserFact{Name: o.substitute(u.Value), From: fmt.Sprintf("%q in runArgs", u.Flag), Known: true, At: c.argLoc(u)}
	case jsonContainer != "":
		f.Container = UserFact{Name: jsonContainer, From: `"containerUser" in devcontainer.json`, Known: true, At: c.top("containerUser").Loc()}
	case img.meta.ContainerUser != "":
		f.Container = UserFact{Name: img.meta.ContainerUser, From: "containerUser in " + img.metaSrc, Known: true, At: f.ImageAt}
	case svcUser != "":
		f.Container = UserFact{Name: svcUser, From: fmt.Sprintf("user: of service %q", c.compose.service), Known: true, At: svcUserAt}
	case !img.known:
		f.Container = UserFact{Why: img.why, At: f.ImageAt}
	case img.user != "":
		f.Container = UserFact{Name: img.user, From: img.userSrc, Known: true, At: img.userAt}
	default:
		f.Container = UserFact{Name: "root", From: "the default (" + img.userSrc + " sets no user)", Known: true, At: f.ImageAt}
	}

	// Remote user.
	jsonRemote := o.substitute(c.top("remoteUser").Str())
	switch {
	case jsonRemote != "":
		f.Remote = UserFact{Name: jsonRemote, From: `"remoteUser" in devcontainer.json`, Known: true, At: c.top("remoteUser").Loc()}
	case img.meta.RemoteUser != "":
		f.Remote = UserFact{Name: img.meta.RemoteUser, From: "remoteUser in " + img.metaSrc, Known: true, At: f.ImageAt}
	case !img.known:
		// Without the image's label the remote user is unknown: the label
		// may name one.
		f.Remote = UserFact{Why: img.why, At: f.ImageAt}
	case img.metaWhy != "":
		// The base image's label may name the remote user.
		f.Remote = UserFact{Why: img.metaWhy, At: f.Container.At}
	case f.Container.Known:
		f.Remote = UserFact{Name: f.Container.Name, From: "the container's user, from " + f.Container.From, Known: true, At: f.Container.At}
	default:
		f.Remote = UserFact{Why: f.Container.Why, At: f.ImageAt}
	}

	// updateRemoteUserUID.
	update, updateKnown, why := true, true, ""
	if v, set := c.boolean("updateRemoteUserUID"); set {
		update = v
	} else if img.meta.UpdateRemoteUserUID != nil {
		update = *img.meta.UpdateRemoteUserUID
	} else if !img.known {
		// The CLI's default is on, but the image's label may turn it off.
		updateKnown, why = false, "the image's devcontainer.metadata label, which may turn it off, was not read: "+img.why
	} else if img.metaWhy != "" {
		updateKnown, why = false, "the label may turn it off: "+img.metaWhy
	}
	switch {
	case !f.Remote.Known:
		// Off (set so) is certain whoever the user is; on depends on it.
		f.UpdateUID, f.UpdateUIDKnown = update, !update
		f.UpdateUIDWhy = "the remote user is unknown: " + f.Remote.Why
	default:
		f.UpdateUID = update && !isRootUser(f.Remote.Name) && !isNumericUser(f.Remote.Name)
		f.UpdateUIDKnown = updateKnown || !update || isRootUser(f.Remote.Name) || isNumericUser(f.Remote.Name)
		f.UpdateUIDWhy = why
	}
	if f.UpdateUIDKnown {
		f.UpdateUIDWhy = ""
	}
	if f.ImageAt.File == nil {
		f.ImageAt = c.root().Loc()
	}
	if f.Remote.At.File == nil {
		f.Remote.At = f.ImageAt
	}
	if f.Container.At.File == nil {
		f.Container.At = f.ImageAt
	}
	return f
}

// resolveImage finds what the image contributes: its user and label.
func resolveImage(ctx context.Context, c *Config, o *Options, f *Facts) imageSide {
	if c.compose != nil {
		return c.compose.resolveImage(ctx, c, o, f)
	}
	// The CLI substitutes ${localEnv} in the whole config before it
	// inspects the image or passes the build args.
	if n := c.top("image"); n.Exists() {
		f.Image, f.ImageAt = o.substitute(n.Str()), n.Loc()
		if f.Image == "" && n.Str() != "" {
			return imageSide{why: fmt.Sprintf("\"image\" %q names no image once its variables are substituted", n.Str())}
		}
		return inspectImage(ctx, o, f.Image)
	}
	dockerfile, target, args, at, ok := c.dockerfileSettings()
	if !ok {
		return imageSide{why: `the config names no "image", "build" or "dockerComposeFile"`}
	}
	for k, v := range args {
		args[k] = o.substitute(v)
	}
	f.ImageAt = at
	return dockerfileSide(ctx, o, f, dockerfile, dockerfile, target, args)
}

// dockerfileSide is what a Dockerfile build contributes: its final (or
// target) stage's USER, and the base image's label. The Dockerfile is read
// at path and named dockerfile in messages.
func dockerfileSide(ctx context.Context, o *Options, f *Facts, path, dockerfile, target string, args map[string]string) imageSide {
	if o.Fs == nil {
		return imageSide{why: "the Dockerfile cannot be read"}
	}
	data, err := afero.ReadFile(o.Fs, path)
	if err != nil {
		return imageSide{why: fmt.Sprintf("cannot read the Dockerfile %s: %v", dockerfile, unwrapPath(err))}
	}
	df := parseDockerfile(dockerfile, data)
	f.dockerfile = df
	res := df.finalUser(target, args)
	if res.User != "" {
		side := imageSide{known: true, user: res.User, userAt: res.At,
			userSrc: fmt.Sprintf("USER on line %d of %s", res.line(), filepath.Base(dockerfile))}
		if res.BaseImage != "" && res.BaseImage != "scratch" {
			// The label still comes from the base image.
			f.Image = res.BaseImage
			base := inspectImage(ctx, o, res.BaseImage)
			if !base.known {
				side.metaWhy = fmt.Sprintf("the devcontainer.metadata label of base image %q is unknown: %s", res.BaseImage, base.why)
				f.Notes = append(f.Notes, side.metaWhy)
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

func unwrapPath(err error) error {
	var pe interface{ Unwrap() error }
	if errors.As(err, &pe) {
		if inner := pe.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// inspectImage asks the engine; without an answer it falls back to the
// documented users of the well-known dev container images.
func inspectImage(ctx context.Context, o *Options, ref string) imageSide {
	var why, short string // why the engine did not answer, in long and short
	if o.Images == nil {
		short = "no engine answered"
		why = fmt.Sprintf("image %q was not inspected: no container engine is reachable", ref)
	} else {
		info, err := o.Images.InspectImage(ctx, ref)
		var nd *NoDaemonError
		switch {
		case errors.As(err, &nd):
			short = "no engine answered"
			why = fmt.Sprintf("image %q was not inspected: no container engine is reachable (%s)", ref, nd.Reason)
		case err != nil:
			short = "the engine did not answer for it"
			why = fmt.Sprintf("inspecting image %q: %v", ref, err)
		case !info.Found:
			short = "it is not pulled"
			why = fmt.Sprintf("image %q is not on the engine (pull or build it first)", ref)
		default:
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
	}
	if k, ok := knownImage(ref); ok {
		// One plain clause: a fact's source is quoted inside other messages.
		src := fmt.Sprintf("the devcontainer.metadata label devfix knows for official image %q, since %s", ref, short)
		return imageSide{known: true, userSrc: fmt.Sprintf("the documented Config.User of official image %q", ref),
			meta: metadata{RemoteUser: k.remoteUser}, metaSrc: src}
	}
	return imageSide{why: why}
}

// dockerfileSettings returns the Dockerfile path (next to the config), the
// build target and args, and where the config names the Dockerfile.
func (c *Config) dockerfileSettings() (dockerfile, target string, args map[string]string, at source.Loc, ok bool) {
	dir := filepath.Dir(c.Path)
	if b := c.top("build"); b.Exists() {
		df := b.Get("dockerfile")
		if !df.Exists() {
			df = b.Get("dockerFile")
		}
		if !df.Exists() {
			return "", "", nil, at, false
		}
		target = b.Get("target").Str()
		args = map[string]string{}
		for _, a := range b.Get("args").Children() {
			if a.Kind() == jsonc.String {
				args[a.Key()] = a.Str()
			}
		}
		return filepath.Join(dir, df.Str()), target, args, df.Loc(), true
	}
	if df := c.top("dockerFile"); df.Exists() {
		return filepath.Join(dir, df.Str()), "", nil, df.Loc(), true
	}
	return "", "", nil, at, false
}
