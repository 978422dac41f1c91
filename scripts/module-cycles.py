#!/usr/bin/env python3
"""Reports import cycles between sibling modules of each crate (design.md §1: layers
point down). A module's edges are the `crate::…`/`super::…` paths its files name; a
child's use of its parent is not a cycle. Exit status 1 when any cycle exists.

    scripts/module-cycles.py [crate-src-dir …]   (default: every crate's src/)
"""
import os
import re
import sys

PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)::\{([^}]*)\}")


def modules(src):
    """Module path (tuple) -> list of files that belong to it (not to a child)."""
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(root, f), src)[:-3].split(os.sep)
            if rel[-1] in ("mod", "lib", "main"):
                rel = rel[:-1]
            if rel[:1] in (["bin"],):
                continue
            mods.setdefault(tuple(rel), []).append(os.path.join(root, f))
    return mods


COMMENT = re.compile(r"//[^\n]*")


def strip_tests(text):
    # `#[cfg(test)] mod tests { … }` and test-only files are not part of the layering.
    i = text.find("#[cfg(test)]")
    return text if i < 0 else text[:i]


def edges(mods):
    known = set(mods)
    out = {m: set() for m in mods}
    for mod, files in mods.items():
        for path in files:
            if "/tests/" in path or path.endswith("/tests.rs"):
                continue
            with open(path, encoding="utf-8") as fh:
                text = COMMENT.sub("", strip_tests(fh.read()))
            refs = [(k, p) for k, p in PATH.findall(text)]
            for k, group in GROUP.findall(text):
                for item in group.split(","):
                    item = item.strip().split(" ")[0]
                    if item:
                        refs.append((k, "::" + item.replace("::{", "::")))
            for kind, tail in refs:
                parts = [p for p in tail.split("::") if p]
                base = () if kind == "crate" else mod[:-1]
                while parts and parts[0] == "super":
                    base = base[:-1]
                    parts = parts[1:]
                target = base + tuple(parts)
                while target and target not in known:
                    target = target[:-1]
                if target and target != mod:
                    out[mod].add(target)
    return out


def sibling_cycles(mods, out):
    """Cycles among the children of each parent, edges lifted to those children."""
    found = []
    parents = {m[:-1] for m in mods if m}
    for parent in sorted(parents):
        kids = sorted({m[len(parent)] for m in mods if len(m) > len(parent) and m[: len(parent)] == parent})
        graph = {k: set() for k in kids}
        for src, targets in out.items():
            if len(src) <= len(parent) or src[: len(parent)] != parent:
                continue
            a = src[len(parent)]
            for t in targets:
                if len(t) > len(parent) and t[: len(parent)] == parent and t[len(parent)] != a:
                    graph[a].add(t[len(parent)])
        for scc in tarjan(graph):
            if len(scc) > 1:
                found.append((parent, sorted(scc)))
    return found


def tarjan(graph):
    index, low, stack, on, result, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            result.append(scc)

    for v in graph:
        if v not in index:
            visit(v)
    return result


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    srcs = sys.argv[1:] or sorted(
        os.path.join(root, d, "src") for d in os.listdir(root) if os.path.isfile(os.path.join(root, d, "Cargo.toml"))
        and os.path.isdir(os.path.join(root, d, "src"))
    )
    total = 0
    for src in srcs:
        mods = modules(src)
        for parent, scc in sibling_cycles(mods, edges(mods)):
            total += 1
            where = "::".join(parent) or "crate"
            print(f"{os.path.relpath(src, root)}: cycle under {where}: {' -> '.join(scc)}")
    print(f"{total} module cycle(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
