package devcontainer

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/devfix/devfix/internal/source"
)

// dockerfileDoc is the part of a Dockerfile that decides the image's user.
type dockerfileDoc struct {
	file       *source.File
	globalArgs map[string]string // ARGs before the first FROM, with literal defaults
	stages     []stage
	comments   []source.Comment
	lines      map[int][]string // line → pointers of the instructions starting on it
}

type stage struct {
	name  string // AS name, lower case
	from  string // as written
	args  map[string]string
	users []userLine // in order
}

type userLine struct {
	raw string
	at  source.Loc // the USER instruction
}

// userResult is the user a Dockerfile stage ends with. User is "" when no
// stage in the chain sets one; BaseImage then names the external image the
// chain starts from (whose Config.User applies). Unresolved says why the user
// could not be worked out, when it could not.
type userResult struct {
	User       string
	At         source.Loc // the USER instruction
	BaseImage  string
	Unresolved string
}

// line is the line the USER instruction starts on.
func (r userResult) line() int {
	line, _ := r.At.Position()
	return line
}

var varRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)`) })

// parseDockerfile reads instructions, joining continued lines. It never fails:
// what it does not understand it ignores.
func parseDockerfile(path string, data []byte) *dockerfileDoc {
	df := &dockerfileDoc{file: source.New(path, data), globalArgs: map[string]string{}, lines: map[int][]string{}}
	escape := byte('\\')
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var logical strings.Builder
	startLine, lineNo := 0, 0
	first := true
	flush := func(endLine int) {
		text := strings.TrimSpace(logical.String())
		logical.Reset()
		if text == "" {
			return
		}
		first := df.file.LineText(startLine)
		ptr := "/" + strconv.Itoa(len(df.lines))
		df.lines[startLine] = append(df.lines[startLine], ptr)
		at := source.Loc{File: df.file, Ptrs: []string{ptr},
			Start: df.file.LineStart(startLine) + len(first) - len(strings.TrimLeft(first, " \t")),
			End:   df.file.LineStart(endLine) + len(df.file.LineText(endLine))}
		df.instruction(text, at)
	}
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			start := df.file.LineStart(lineNo) + strings.Index(line, "#")
			df.comments = append(df.comments, source.Comment{Start: start, End: df.file.LineStart(lineNo) + len(line), Text: trimmed})
		}
		if first && strings.HasPrefix(trimmed, "#") {
			if d, ok := strings.CutPrefix(strings.ReplaceAll(strings.ToLower(trimmed), " ", ""), "#escape="); ok && len(d) == 1 {
				escape = d[0]
			}
			continue
		}
		if trimmed != "" {
			first = false
		}
		if strings.HasPrefix(trimmed, "#") {
			continue // comments may sit inside a continued instruction
		}
		if logical.Len() == 0 {
			startLine = lineNo
		}
		if len(trimmed) > 0 && trimmed[len(trimmed)-1] == escape {
			logical.WriteString(trimmed[:len(trimmed)-1])
			logical.WriteByte(' ')
			continue
		}
		logical.WriteString(line)
		flush(lineNo)
	}
	flush(lineNo)
	return df
}

// commentSource is the Dockerfile's comments, for ignores. Only whole-line
// comments exist in a Dockerfile: "# devfix-ignore-next-line" works there,
// a "#" after an instruction is part of it.
func (df *dockerfileDoc) commentSource() commentSource {
	return commentSource{file: df.file, comments: df.comments, lines: df.lines}
}

func (df *dockerfileDoc) instruction(text string, at source.Loc) {
	word, rest, _ := strings.Cut(text, " ")
	if i := strings.IndexAny(word, "\t"); i >= 0 {
		word, rest = word[:i], word[i+1:]+" "+rest
	}
	rest = strings.TrimSpace(rest)
	switch strings.ToUpper(word) {
	case "FROM":
		fields := strings.Fields(rest)
		var img, name string
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			if strings.HasPrefix(f, "--") {
				continue
			}
			if img == "" {
				img = f
				continue
			}
			if strings.EqualFold(f, "AS") && i+1 < len(fields) {
				name = strings.ToLower(fields[i+1])
				break
			}
		}
		df.stages = append(df.stages, stage{name: name, from: img, args: map[string]string{}})
	case "ARG":
		for _, f := range strings.Fields(rest) {
			k, v, hasDefault := strings.Cut(f, "=")
			v = strings.Trim(v, `"'`)
			if len(df.stages) == 0 {
				if hasDefault {
					df.globalArgs[k] = v
				} else if _, ok := df.globalArgs[k]; !ok {
					df.globalArgs[k] = ""
				}
				continue
			}
			st := &df.stages[len(df.stages)-1]
			if hasDefault {
				st.args[k] = v
			} else if gv, ok := df.globalArgs[k]; ok {
				st.args[k] = gv // a redeclared global ARG takes the global default
			} else {
				st.args[k] = ""
			}
		}
	case "USER":
		if len(df.stages) > 0 {
			st := &df.stages[len(df.stages)-1]
			st.users = append(st.users, userLine{raw: rest, at: at})
		}
	}
}

// expandVars substitutes $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alt}. ok
// is false when a variable has no value to substitute; with empty, such a
// variable is "" (as Docker expands FROM), not a failure.
func expandVars(s string, vars map[string]string, empty bool) (string, bool) {
	ok := true
	out := varRE().ReplaceAllStringFunc(s, func(m string) string {
		name := strings.TrimPrefix(m, "$")
		name = strings.TrimSuffix(strings.TrimPrefix(name, "{"), "}")
		if k, def, found := strings.Cut(name, ":-"); found {
			if v := vars[k]; v != "" {
				return v
			}
			return def
		}
		if k, alt, found := strings.Cut(name, ":+"); found {
			if vars[k] != "" {
				return alt
			}
			return ""
		}
		v, known := vars[name]
		if (!known || v == "") && !empty {
			ok = false
		}
		return v
	})
	return out, ok
}

// finalUser resolves the user of the stage target (the last stage when
// target is ""), following FROM references to earlier stages. buildArgs
// override ARG defaults, as `docker build --build-arg` does.
func (df *dockerfileDoc) finalUser(target string, buildArgs map[string]string) userResult {
	if len(df.stages) == 0 {
		return userResult{Unresolved: "the Dockerfile has no FROM instruction"}
	}
	idx := len(df.stages) - 1
	if target != "" {
		idx = df.stageIndex(strings.ToLower(target), len(df.stages))
		if idx < 0 {
			return userResult{Unresolved: fmt.Sprintf("the Dockerfile has no stage %q", target)}
		}
	}
	for seen := 0; seen <= len(df.stages); seen++ {
		st := df.stages[idx]
		vars := map[string]string{}
		for k, v := range st.args {
			vars[k] = v
			if bv, ok := buildArgs[k]; ok {
				vars[k] = bv
			}
		}
		if n := len(st.users); n > 0 {
			u := st.users[n-1]
			user, ok := expandVars(u.raw, vars, false)
			if !ok || user == "" {
				line, _ := u.at.Position()
				return userResult{Unresolved: fmt.Sprintf("USER %s on line %d uses a variable with no literal default", u.raw, line)}
			}
			res := userResult{User: user, At: u.at}
			res.BaseImage = df.baseImage(idx, buildArgs)
			return res
		}
		from := strings.ToLower(st.from)
		if j := df.stageIndex(from, idx); j >= 0 {
			idx = j
			continue
		}
		base := df.baseImage(idx, buildArgs)
		if base == "" {
			return userResult{Unresolved: fmt.Sprintf("FROM %s names no image once its variables are expanded", st.from)}
		}
		return userResult{BaseImage: base}
	}
	return userResult{Unresolved: "the Dockerfile's stages refer to each other in a loop"}
}

// stageIndex finds an earlier stage by name (or index), before stage before.
func (df *dockerfileDoc) stageIndex(name string, before int) int {
	for i := before - 1; i >= 0; i-- {
		if df.stages[i].name != "" && df.stages[i].name == name {
			return i
		}
	}
	if k, err := strconv.Atoi(name); err == nil && k >= 0 && k < before && strconv.Itoa(k) == name {
		return k
	}
	return -1
}

// baseImage returns the external image the stage chain of idx starts from.
func (df *dockerfileDoc) baseImage(idx int, buildArgs map[string]string) string {
	for seen := 0; seen <= len(df.stages); seen++ {
		from := df.stages[idx].from
		if j := df.stageIndex(strings.ToLower(from), idx); j >= 0 {
			idx = j
			continue
		}
		vars := map[string]string{}
		for k, v := range df.globalArgs {
			vars[k] = v
			if bv, ok := buildArgs[k]; ok {
				vars[k] = bv
			}
		}
		// Docker expands a FROM variable without a value to "".
		img, _ := expandVars(from, vars, true)
		if strings.EqualFold(img, "scratch") {
			return "scratch"
		}
		return img
	}
	return ""
}
