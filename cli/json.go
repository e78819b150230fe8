package cli

import (
	"encoding/json"
	"io"

	"github.com/devfix/devfix/devcontainer"
)

// jsonReport is the stable schema of `devfix lint --format json` (version 1).
type jsonReport struct {
	Version int        `json:"version"`
	Files   []jsonFile `json:"files"`
	Errors  []string   `json:"errors"`
}

type jsonFile struct {
	Path          string           `json:"path"`
	Strategy      string           `json:"strategy"`
	Engine        string           `json:"engine"`
	EngineWhy     string           `json:"engineWhy,omitempty"`
	RemoteUser    jsonUser         `json:"remoteUser"`
	ContainerUser jsonUser         `json:"containerUser"`
	Diagnostics   []jsonDiagnostic `json:"diagnostics"`
	Notes         []string         `json:"notes"`
}

type jsonUser struct {
	Name    string `json:"name,omitempty"`
	From    string `json:"from,omitempty"`
	Known   bool   `json:"known"`
	Unknown string `json:"unknown,omitempty"`
}

type jsonDiagnostic struct {
	Path      string `json:"path"`
	Rule      string `json:"rule"`
	Severity  string `json:"severity"`
	Message   string `json:"message"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	Offset    int    `json:"offset"`
	EndOffset int    `json:"endOffset"`
	Pointer   string `json:"pointer"`
	Fix       string `json:"fix,omitempty"`
}

func fileReport(c *devcontainer.Config, res devcontainer.Result, notes []string, o *devcontainer.Options) jsonFile {
	f := jsonFile{
		Path: c.Path, Strategy: string(res.Strategy), Engine: string(o.Engine), EngineWhy: o.EngineWhy,
		RemoteUser:    toJSONUser(res.Facts.Remote),
		ContainerUser: toJSONUser(res.Facts.Container),
		Diagnostics:   []jsonDiagnostic{},
		Notes:         append([]string{}, notes...),
	}
	for _, d := range res.Diagnostics {
		line, col := d.Position()
		jd := jsonDiagnostic{Path: d.Path(), Rule: d.RuleID, Severity: d.Severity.String(), Message: d.Message,
			Line: line, Column: col, Offset: d.Loc.Start, EndOffset: d.Loc.End, Pointer: d.Loc.Pointer()}
		if len(d.Fixes) > 0 {
			jd.Fix = d.Fixes[0].Message
		}
		f.Diagnostics = append(f.Diagnostics, jd)
	}
	return f
}

func toJSONUser(u devcontainer.UserFact) jsonUser {
	return jsonUser{Name: u.Name, From: u.From, Known: u.Known, Unknown: u.Why}
}

func writeJSON(w io.Writer, r jsonReport) error {
	r.Version = 1
	if r.Files == nil {
		r.Files = []jsonFile{}
	}
	if r.Errors == nil {
		r.Errors = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
