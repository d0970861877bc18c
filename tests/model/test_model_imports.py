"""The behaviours and the deployment import nothing inside a function (the old traffic.py ⇄
outbound.py pair hid its circle that way), and the engine registers every handler module.
tests/test_import_cycles.py walks every import of lb6 for circles."""

import ast
from pathlib import Path

import lb6.model as model

ROOT = Path(model.__file__).parent


def _local_imports(path: Path) -> list[int]:
    """Lines of import statements written inside a function."""
    lines = []
    for fn in ast.walk(ast.parse(path.read_text())):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines += [n.lineno for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return lines


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
