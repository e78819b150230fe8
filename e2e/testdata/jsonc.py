#!/usr/bin/env python3
"""Strict reader of JSONC (JSON with // and /* */ comments and trailing
commas, as VS Code settings and devcontainer.json are) for the e2e tests.

  jsonc.py get FILE [KEY...]   print the value at KEY... as compact JSON;
                               exit 1 when a key is absent
  jsonc.py kept OLD NEW        exit 0 when every comment of OLD is in NEW, in
                               order; else print the missing ones, exit 1

Anything but comments and trailing commas that is not JSON is an error
(exit 2, with the position), unlike the lenient parser the CLI uses.
"""
import json
import re
import sys

TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/|[^"/]+|/', re.S)


def split(text):
    """The text without comments, and the comments."""
    code, comments = [], []
    for m in TOKEN.finditer(text):
        t = m.group(0)
        if t.startswith("//") or t.startswith("/*"):
            comments.append(t.rstrip())
            code.append(" " * len(t) if "\n" not in t else re.sub(r"[^\n]", " ", t))
        else:
            code.append(t)
    return "".join(code), comments


def load(path):
    with open(path, encoding="utf-8-sig") as f:
        text = f.read()
    code, comments = split(text)
    # Trailing commas, outside strings: a comma followed only by blanks and } or ].
    code = "".join(
        t if t.startswith('"') else re.sub(r",(\s*[}\]])", r" \1", t)
        for t in re.findall(r'"(?:[^"\\\n]|\\.)*"|[^"]+', code)
    )
    try:
        return json.loads(code), comments
    except json.JSONDecodeError as e:
        print(f"{path}:{e.lineno}:{e.colno}: {e.msg}", file=sys.stderr)
        sys.exit(2)


def main(argv):
    if len(argv) >= 2 and argv[0] == "get":
        value, _ = load(argv[1])
        for key in argv[2:]:
            if not isinstance(value, dict) or key not in value:
                return 1
            value = value[key]
        print(json.dumps(value, separators=(",", ":")))
        return 0
    if len(argv) == 3 and argv[0] == "kept":
        _, old = load(argv[1])
        _, new = load(argv[2])
        missing, at = [], 0
        for c in old:
            if c in new[at:]:
                at = new.index(c, at) + 1
            else:
                missing.append(c)
        for c in missing:
            print(f"lost comment: {c}")
        return 1 if missing else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
