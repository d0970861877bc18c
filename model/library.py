"""The shipped scenarios, found by name from a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

DEFAULT_SCENARIO = "dual_stack_web_farm"


def scenario_dir() -> Path:
    here = Path(__file__).resolve().parent
    packaged = here / "_scenarios"          # inside a wheel (pyproject force-include)
    checkout = here.parent / "scenarios"    # a source checkout or an editable install
    return checkout if checkout.is_dir() else packaged


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
