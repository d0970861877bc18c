"""`tui/present.py` is the one place that turns model values into text for the screen (issue
14): widgets, screens and the app's controllers ask it, and never format times, endpoints or
flow tuples themselves (where a copy drifts, and an unescaped IPv6 endpoint gets lost)."""

from __future__ import annotations

import ast
from pathlib import Path

import lb6.tui

TUI = Path(lb6.tui.__file__).parent
FORMATTERS = {"format_ms", "endpoint"}  # model helpers whose output only present.py shows


def imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            names |= {alias.name for alias in node.names}
    return names


def test_widgets_screens_and_controllers_leave_formatting_to_present():
    files = [*TUI.glob("widgets/*.py"), *TUI.glob("screens/*.py"), *TUI.glob("app*.py")]
    offenders = {str(f.relative_to(TUI)): sorted(imported_names(f) & FORMATTERS)
                 for f in files}
    assert {f: names for f, names in offenders.items() if names} == {}
