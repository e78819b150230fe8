package compose

import (
	"bytes"
	"sort"
	"strings"

	"github.com/devfix/devfix/internal/source"
	"go.yaml.in/yaml/v4"
)

// Comments returns the file's comments in order.
//
// They come from the node tree: the parser hands each node its head, line
// and foot comments as text, without positions. Each comment line is placed
// on the nearest line, from its node's line in the direction the comment
// lies, that ends with exactly that text after a blank (or at the line's
// start) and is not already taken and not inside a multi-line scalar. Every
// such line is a comment (a '#' after a blank starts one), so equal
// comments can only trade places with each other.
func (f *File) Comments() []source.Comment { return f.comments }

func (f *File) findComments() []source.Comment {
	b := f.Src.Body
	var inside [][2]int
	for n, s := range f.spans {
		if n.Kind == yaml.ScalarNode && s[1] > s[0] && hasBreak(b[s[0]:s[1]]) {
			inside = append(inside, s)
		}
	}
	nlines := len(f.ylines)
	ends := make([]int, nlines) // where each line's text ends
	for i := range ends {
		e := len(b)
		if i+1 < nlines {
			e = f.ylines[i+1]
			for e > f.ylines[i] && (b[e-1] == '\n' || b[e-1] == '\r') {
				e--
			}
			if e == f.ylines[i+1] { // NEL, LS or PS
				e -= breakBefore(b, e)
			}
		}
		ends[i] = e
	}
	out := []source.Comment{}
	taken := map[int]bool{}
	try := func(line int, text string) bool {
		if line < 1 || line > nlines {
			return false
		}
		ls, le := f.ylines[line-1], ends[line-1]
		start := le - len(text)
		if start < ls || b[start] != '#' || string(b[start:le]) != text || taken[start] {
			return false
		}
		if start > ls && b[start-1] != ' ' && b[start-1] != '\t' {
			return false
		}
		for _, s := range inside {
			if start >= s[0] && start < s[1] {
				return false
			}
		}
		taken[start] = true
		out = append(out, source.Comment{Start: start, End: le, Text: text})
		return true
	}
	// place puts text on the nearest free line from line, going by step,
	// else anywhere; it returns the line used (0 if none).
	place := func(line, step int, text string) int {
		for l := line; l >= 1 && l <= nlines; l += step {
			if try(l, text) {
				return l
			}
		}
		for l := 1; l <= nlines; l++ {
			if try(l, text) {
				return l
			}
		}
		return 0
	}
	var visit func(n *yaml.Node)
	visit = func(n *yaml.Node) {
		if n == nil {
			return
		}
		line := n.Line
		heads := commentLines(n.HeadComment)
		cur := line - 1
		for i := len(heads) - 1; i >= 0; i-- {
			if l := place(max(cur, 1), -1, heads[i]); l > 0 && l <= cur {
				cur = l - 1
			}
		}
		for _, t := range commentLines(n.LineComment) {
			place(line, 1, t)
		}
		cur = line
		for _, t := range commentLines(n.FootComment) {
			if l := place(cur, 1, t); l >= cur {
				cur = l + 1
			}
		}
		for _, c := range n.Content {
			visit(c)
		}
	}
	for _, d := range f.Docs {
		visit(d)
	}
	// The comment on a block scalar's header line (`key: |  # …`) is not in
	// the tree at all, and its span is the scalar's: read it from the bytes.
	for n := range f.spans {
		if n.Kind != yaml.ScalarNode {
			continue
		}
		from, end := f.headerCommentSpan(n, f.tokenStart(n))
		if hash := bytes.IndexByte(b[from:end], '#'); hash >= 0 && !taken[from+hash] {
			taken[from+hash] = true
			out = append(out, source.Comment{Start: from + hash, End: end, Text: string(b[from+hash : end])})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// commentLines splits a comment of the tree into its non-empty lines.
func commentLines(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimLeft(l, " \t"))
		}
	}
	return out
}

// hasBreak reports whether b holds a line break.
func hasBreak(b []byte) bool {
	for i := range b {
		if breakLen(b, i) > 0 {
			return true
		}
	}
	return false
}

// breakBefore is the length of the NEL, LS or PS that ends at e, or 0.
func breakBefore(b []byte, e int) int {
	for _, n := range []int{2, 3} {
		if e-n >= 0 && breakLen(b, e-n) == n {
			return n
		}
	}
	return 0
}
