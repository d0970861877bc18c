"""`lb6.model` imports in one direction only (issue 14): no circle between its modules, counting
every import a file writes (inside functions and under TYPE_CHECKING too), and the behaviours and
the deployment import nothing inside a function (the old traffic.py ⇄ outbound.py pair hid its
circle that way)."""

import ast
from pathlib import Path

import lb6.model as model

ROOT = Path(model.__file__).parent


def _module_names() -> dict[str, Path]:
    names = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(("lb6", "model") + parts)
        names[name.removesuffix(".__init__")] = path
    return names


MODULES = _module_names()


def _imports(path: Path) -> set[str]:
    """The lb6.model modules a file imports, wherever the import statement stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lb6.model"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in MODULES}
    return found


def _local_imports(path: Path) -> list[int]:
    """Lines of import statements written inside a function."""
    lines = []
    for fn in ast.walk(ast.parse(path.read_text())):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines += [n.lineno for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return lines


def test_no_import_circle_in_the_model():
    graph = {name: _imports(path) - {name} for name, path in MODULES.items()}
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, "import circle: " + " → ".join(trail[trail.index(name):] + (name,))
        if name in done:
            return
        for dep in sorted(graph.get(name, ())):
            visit(dep, trail + (name,))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())


def test_behaviours_and_deployment_import_nothing_inside_a_function():
    for folder in ("behaviours", "deployment"):
        for path in sorted((ROOT / folder).glob("*.py")):
            lines = _local_imports(path)
            # networkx is the one exception: loaded on the first graph query, never by check/run.
            lines = [n for n in lines if "networkx" not in path.read_text().splitlines()[n - 1]]
            assert lines == [], f"{folder}/{path.name} imports inside a function at {lines}"


def test_the_engine_registers_every_handler_module():
    from lb6.model.engine.engine import Engine  # noqa: F401  (loads the registrations)
    from lb6.model.world.registry import HANDLERS

    for name in ("attempt", "lb_in", "pick_backend", "vm_in", "deliver", "nat_out", "origin_in",
                 "keepalive", "close_conn", "flow_expiry", "snat_out", "probe_tick"):
        assert name in HANDLERS, name
