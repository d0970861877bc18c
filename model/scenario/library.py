"""The shipped scenarios, found by name from a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

import lb6

DEFAULT_SCENARIO = "dual_stack_web_farm"


def scenario_dir() -> Path:
    """`scenarios/` inside the installed package, or at the top of a checkout (lb6/__init__.py
    puts the checkout's top on the package's path)."""
    for folder in lb6.__path__:
        candidate = Path(folder) / "scenarios"
        if candidate.is_dir():
            return candidate
    return Path(lb6.__path__[0]) / "scenarios"


def shipped() -> list[Path]:
    folder = scenario_dir()
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def names() -> list[str]:
    return [p.stem for p in shipped()]


def find(name_or_path: str) -> Path | None:
    """A file path as given, or a shipped scenario by name (with or without .yaml)."""
    path = Path(name_or_path)
    if path.exists():
        return path
    stem = path.name[:-5] if path.name.endswith(".yaml") else path.name
    if path.parent == Path("."):
        candidate = scenario_dir() / f"{stem}.yaml"
        if candidate.exists():
            return candidate
    return None
