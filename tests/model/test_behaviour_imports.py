"""The behaviours import one another in one direction only (issue 14): shared connection helpers
and the guest at the bottom, the handlers that use them above, and no function-local import
hiding a circle (the old traffic.py ⇄ outbound.py pair did)."""

import ast
from pathlib import Path

import lb6.model.behaviours as behaviours

PACKAGE = "lb6.model.behaviours"
FOLDER = Path(behaviours.__file__).parent


def _imports(path: Path) -> tuple[set[str], list[str]]:
    """(behaviour modules the file imports anywhere, imports written inside a function)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    local: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith(PACKAGE + ".") and (FOLDER / f"{name.split('.')[3]}.py").exists():
                found.add(name.split(".")[3])
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            local += [ast.dump(n) for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return found - {path.stem}, local


def test_behaviours_import_without_a_circle():
    graph = {p.stem: _imports(p)[0] for p in FOLDER.glob("*.py") if p.name != "__init__.py"}
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, "import circle: " + " → ".join(trail + (name,))
        if name in done:
            return
        for dep in sorted(graph.get(name, ())):
            visit(dep, trail + (name,))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())


def test_no_behaviour_imports_inside_a_function():
    for path in sorted(FOLDER.glob("*.py")):
        assert _imports(path)[1] == [], f"{path.name} imports inside a function"


def test_the_engine_registers_every_handler_module():
    from lb6.model.engine.engine import Engine  # noqa: F401  (loads the registrations)
    from lb6.model.world.registry import HANDLERS

    for name in ("attempt", "lb_in", "pick_backend", "vm_in", "deliver", "nat_out", "origin_in",
                 "keepalive", "close_conn", "flow_expiry", "snat_out", "probe_tick"):
        assert name in HANDLERS, name
