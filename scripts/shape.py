#!/usr/bin/env python3
"""The shape rules of src/ (README, Architecture), checked: no file over 600 code lines (blank
lines, comments and #[cfg(test)] modules aside), main.rs at most 250, no two top-level modules
that import each other, no `too_many_arguments` allowance. Prints what breaks a rule; exit 1 then.

usage: python3 scripts/shape.py [SRC_DIR]      (-v also lists every file's code lines)"""
import collections
import os
import re
import sys

MAX_LINES = 600
MAX_MAIN = 250


def code_lines(path):
    n, depth, skip_at, pending_test = 0, 0, None, False
    for raw in open(path, encoding="utf-8").read().split("\n"):
        line = raw.strip()
        if skip_at is not None:
            depth += line.count("{") - line.count("}")
            if depth <= skip_at:
                skip_at = None
            continue
        if line.startswith("#[cfg(test)]"):
            pending_test = True
            continue
        if pending_test and re.match(r"(pub(\(crate\))? )?mod \w+", line):
            skip_at = depth
            depth += line.count("{") - line.count("}")
            if depth <= skip_at:
                skip_at = None
            pending_test = False
            continue
        pending_test = False
        if not line or line.startswith("//"):
            continue
        depth += line.count("{") - line.count("}")
        n += 1
    return n


def top_module(root, path):
    parts = os.path.relpath(path, root)[: -len(".rs")].split(os.sep)
    return parts[0]


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    root = args[0] if args else "src"
    verbose = "-v" in sys.argv
    problems = []
    deps = collections.defaultdict(set)
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            p = os.path.join(d, f)
            n = code_lines(p)
            limit = MAX_MAIN if os.path.relpath(p, root) == "main.rs" else MAX_LINES
            if verbose:
                print(f"{n:5} {p}")
            if n > limit:
                problems.append(f"{p}: {n} code lines (at most {limit})")
            text = re.sub(r"//[^\n]*", "", open(p, encoding="utf-8").read())
            if "too_many_arguments" in text:
                problems.append(f"{p}: allows too_many_arguments; pass a context struct instead")
            m = top_module(root, p)
            for g in re.finditer(r"crate::\{([^}]*)\}", text):
                for part in g.group(1).split(","):
                    name = re.match(r"\s*([a-z_]+)", part)
                    if name:
                        deps[m].add(name.group(1))
            for g in re.finditer(r"crate::([a-z_]+)", text):
                deps[m].add(g.group(1))
    for a in sorted(deps):
        for b in sorted(deps[a]):
            if a < b and a in deps.get(b, ()):
                problems.append(f"modules {a} and {b} import each other")
    for p in problems:
        print(p)
    if not problems:
        print("shape: every rule kept")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
