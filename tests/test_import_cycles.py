"""No import circle anywhere in lb6 (issue 14): model, tui and the package root.

A circle works in Python only as long as every module in it happens to be imported in a lucky
order, and function-local imports (the usual way to hide one) keep it alive while making it
invisible. So this test reads every module's source with `ast`, without importing it, collects
each absolute import of an lb6 module wherever it stands (top level or inside a function), and
fails on any cycle of the graph, naming the modules around it.

Imports under `if TYPE_CHECKING:` never run, so they are left out: they are how a type hint may
name a module that would otherwise close a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lb6
import lb6.model
import lb6.tui

def _package_roots() -> dict[str, Path]:
    """Dotted package name → the folder that holds its source (a checkout or an install)."""
    return {"lb6": Path(lb6.__file__).parent, "lb6.model": Path(lb6.model.__file__).parent,
            "lb6.tui": Path(lb6.tui.__file__).parent}


def lb6_modules() -> dict[str, Path]:
    """Every module of lb6 by its dotted name (a package by its own name, for its __init__)."""
    modules: dict[str, Path] = {}
    for root_name, folder in _package_roots().items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if root_name == "lb6" and len(parts) > 1:
                continue  # lb6/ holds only its own two files; model/ and tui/ are walked apart
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((root_name, *parts))] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, package: str):
    """(target, lineno) of every import statement in `tree`, skipping `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            yield base, [a.name for a in node.names], node.lineno
        stack.extend(ast.iter_child_nodes(node))


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest lb6 module that `name` is or lies inside."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    """Module → the lb6 modules it imports, anywhere in its body."""
    modules = lb6_modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for base, names, _ in _imports(ast.parse(path.read_text(encoding="utf-8")), package):
            targets = [f"{base}.{n}" for n in names if f"{base}.{n}" in modules]
            if len(targets) < len(names) or not names:  # a name from the module itself
                targets.append(_resolve(base, modules))
            graph[module].update(t for t in targets if t and t != module)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def a_path_round(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One concrete circle inside a component, start → … → start, for the failure message."""
    members = set(component)
    start = component[0]
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if w not in previous:
                    previous[w] = v
                    nxt.append(w)
        frontier = nxt
    return component


def test_lb6_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 40 and "lb6.tui.cli" in graph and "lb6.model.inputs" in graph
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(
        "  " + " → ".join(a_path_round(c, graph)) for c in found)


def test_model_never_imports_tui():
    """The domain never reaches up into what a person sees (issue 14's "no upward import"),
    not even inside a function."""
    graph = import_graph()
    upward = sorted(f"{m} → {t}" for m, targets in graph.items() if m.startswith("lb6.model")
                    for t in targets if t.startswith("lb6.tui"))
    assert not upward, "model imports tui:\n  " + "\n  ".join(upward)


def test_the_walker_sees_function_local_imports_and_skips_type_checking():
    """The test above can fail: a circle hidden inside a function is found, a hint is not."""
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    from lb6.model.errors import Problem\n"
                     "def f():\n    from lb6.model.inputs import open_input\n")
    seen = [base for base, _, _ in _imports(tree, "lb6.model")]
    assert "lb6.model.inputs" in seen and "lb6.model.errors" not in seen
    ring = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(ring) == [["a", "b", "c"]]
    assert a_path_round(["a", "b", "c"], ring) == ["a", "b", "c", "a"]


# The parts of lb6.model from the ground up (model/__init__.py's list): a part imports only
# parts on a lower layer, so no circle can form between parts either, even one that no two
# modules close on their own.
LAYERS = (("errors", "net"), ("deployment",), ("world",), ("behaviours",),
          ("catalogue", "exporters"), ("scenario",), ("engine", "importers"),
          ("teaching", "inputs"))


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["lb6", "model"] else None


def test_each_model_part_imports_only_lower_parts():
    layer = {part: i for i, parts in enumerate(LAYERS) for part in parts}
    graph = import_graph()
    assert {_part(m) for m in graph} - {None} == set(layer), "a part is missing from LAYERS"
    upward = sorted(f"{m} → {t}" for m, targets in graph.items() for t in targets
                    if _part(m) and _part(t) and _part(m) != _part(t)
                    and layer[_part(t)] >= layer[_part(m)])
    assert not upward, "imports that do not go down a layer:\n  " + "\n  ".join(upward)
