package devcontainer

import (
	"testing"

	"github.com/devfix/devfix/internal/source"
	"github.com/google/go-cmp/cmp"
)

func TestDockerfileFinalUser(t *testing.T) {
	tests := []struct {
		name, df, target string
		args             map[string]string
		want             userResult
		line             int // of the USER instruction, when there is one
	}{
		{name: "last USER of the last stage", df: "FROM debian\nUSER a\nRUN x\nUSER b:b\n",
			want: userResult{User: "b:b", BaseImage: "debian"}, line: 4},
		{name: "no USER: the base image's", df: "FROM --platform=$BUILDPLATFORM mcr.microsoft.com/devcontainers/base:debian\nRUN x\n",
			want: userResult{BaseImage: "mcr.microsoft.com/devcontainers/base:debian"}},
		{name: "inherited from an earlier stage", df: "FROM node:20 AS base\nUSER node\nFROM base\nRUN x\n",
			want: userResult{User: "node", BaseImage: "node:20"}, line: 2},
		{name: "target stage", df: "FROM debian AS dev\nUSER dev\nFROM debian AS prod\nUSER nobody\n", target: "dev",
			want: userResult{User: "dev", BaseImage: "debian"}, line: 2},
		{name: "ARG defaults, build args, global ARG in FROM", df: "ARG IMG=debian:12\nFROM ${IMG}\nARG U=app\nUSER ${U}\n",
			args: map[string]string{"U": "vscode"}, want: userResult{User: "vscode", BaseImage: "debian:12"}, line: 4},
		{name: "${VAR:-default}", df: "FROM debian\nARG U\nUSER ${U:-fallback}\n", want: userResult{User: "fallback", BaseImage: "debian"}, line: 3},
		{name: "ARG out of scope in the next stage", df: "FROM debian\nARG U=a\nFROM debian\nUSER $U\n",
			want: userResult{Unresolved: "USER $U on line 4 uses a variable with no literal default"}},
		{name: "continued lines and comments", df: "FROM debian\nRUN apt-get update \\\n# a comment inside\n  && true\nUSER \\\n  someone\n",
			want: userResult{User: "someone", BaseImage: "debian"}, line: 5},
		{name: "escape directive", df: "# escape=`\nFROM debian\nUSER `\n  winuser\n", want: userResult{User: "winuser", BaseImage: "debian"}, line: 3},
		{name: "scratch", df: "FROM scratch\nCOPY x /\n", want: userResult{BaseImage: "scratch"}},
		{name: "a variable in FROM", df: "FROM $NOPE\n", want: userResult{Unresolved: "FROM $NOPE names no image once its variables are expanded"}},
		{name: "an ARG without a default in FROM is empty, as in Docker", df: "ARG VARIANT\nFROM mcr.microsoft.com/devcontainers/python:1-${VARIANT}\n",
			want: userResult{BaseImage: "mcr.microsoft.com/devcontainers/python:1-"}},
		{name: "no FROM", df: "RUN x\n", want: userResult{Unresolved: "the Dockerfile has no FROM instruction"}},
		{name: "unknown target", df: "FROM debian\n", target: "nope", want: userResult{Unresolved: `the Dockerfile has no stage "nope"`}},
	}
	for _, tc := range tests {
		got := parseDockerfile("Dockerfile", []byte(tc.df)).finalUser(tc.target, tc.args)
		switch {
		case got.User == "" && tc.line == 0:
		case got.At.File == nil:
			t.Errorf("%s: no USER place, want line %d", tc.name, tc.line)
		default:
			// The USER instruction's place: the line it starts on.
			if line := got.line(); line != tc.line || got.At.File.LineText(line)[got.At.Start-got.At.File.LineStart(line):][:4] != "USER" {
				t.Errorf("%s: USER at %v (line %d), want line %d", tc.name, got.At, line, tc.line)
			}
		}
		got.At = source.Loc{}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}
