"""Golden traces: compare a replay with a stored `run --json` document, step by step.

Course authors keep the JSON of a lesson beside it; when an engine change alters what the lesson
shows, the first differing step says where. Steps are compared on the keys the golden file has
(the stable `run --json` contract), so a newer lb6 that adds a key does not fail old goldens.
After the steps, the warnings and the expectation verdicts are compared the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, ScenarioError

SECTIONS = ("steps", "warnings", "expectations")


@dataclass(frozen=True)
class Difference:
    """The first place a replay departs from its golden trace."""

    section: str                 # steps | warnings | expectations
    index: int                   # 0-based position in that section
    golden: dict | None          # None: the replay has an item the golden lacks
    replay: dict | None          # None: the golden has an item the replay lacks
    fields: tuple[str, ...]      # keys whose values differ

    @property
    def label(self) -> str:
        what = {"steps": "step", "warnings": "warning", "expectations": "expectation"}[self.section]
        item = self.golden or self.replay or {}
        return f"{what} {item.get('n', self.index + 1)}" if what == "step" else \
            f"{what} {self.index + 1}"

    def describe(self) -> str:
        if self.golden is None:
            return f"{self.label}: the replay has it, the golden trace ends before it"
        if self.replay is None:
            return f"{self.label}: the golden trace has it, the replay ends before it"
        return f"{self.label}: {', '.join(self.fields)} differ{'s' if len(self.fields) == 1 else ''}"


def load_golden(path: str | Path) -> dict:
    """The golden document, or a ScenarioError naming the file (and line) that is wrong."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(source, [Problem("no such golden file")]) from None
    except IsADirectoryError:
        raise ScenarioError(source, [Problem("is a directory, not a golden JSON file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(source, [Problem(f"cannot read it: {exc}")]) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(source, [Problem(f"not valid JSON: {exc.msg} (column {exc.colno})",
                                             line=exc.lineno)]) from None
    runs = doc.get("runs") if isinstance(doc, dict) else None
    for i, run in enumerate(runs if isinstance(runs, list) else [doc]):
        _check_run(source, run, ("runs", i) if runs is not None else ())
    return doc


def _check_run(source: str, run, path: tuple) -> None:
    if not isinstance(run, dict) or not isinstance(run.get("steps"), list):
        raise ScenarioError(source, [Problem(
            "not an lb6 trace: expected the JSON of `lb6 run --json` (an object with "
            "\"scenario\" and a \"steps\" list)", path)])
    if not isinstance(run.get("scenario"), str):
        raise ScenarioError(source, [Problem("expected \"scenario\": the scenario's name",
                                             path + ("scenario",))])
    for i, step in enumerate(run["steps"]):
        if not isinstance(step, dict) or not isinstance(step.get("n"), int):
            raise ScenarioError(source, [Problem("expected a step object with a number \"n\"",
                                                 path + ("steps", i))])


def golden_runs(doc: dict) -> list[dict]:
    """The runs a golden document holds (one, or several from `run --all --json`)."""
    return list(doc["runs"]) if isinstance(doc.get("runs"), list) else [doc]


def _differing(golden: dict, replay: dict) -> tuple[str, ...]:
    return tuple(k for k in golden if golden.get(k) != replay.get(k))


def compare(golden: dict, replay: dict) -> Difference | None:
    """The first difference between a golden run document and a replay's, or None."""
    for section in SECTIONS:
        if section not in golden:
            continue
        old, new = golden.get(section) or [], replay.get(section) or []
        for i in range(max(len(old), len(new))):
            g = old[i] if i < len(old) else None
            r = new[i] if i < len(new) else None
            if g is None or r is None:
                return Difference(section, i, g, r, ())
            if not isinstance(g, dict):
                if g != r:
                    return Difference(section, i, {"value": g}, {"value": r}, ("value",))
                continue
            fields = _differing(g, r)
            if fields:
                return Difference(section, i, g, r, fields)
    return None
