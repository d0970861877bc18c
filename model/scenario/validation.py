"""Pydantic's errors on a scenario's data, turned into lb6's located problems.

`validate_spec` checks plain scenario data against the schema; every failure becomes a
`Problem` naming the field (and, given the YAML's `Located` positions, the line), worded the
way lb6 words its messages rather than the way pydantic does.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Path, Problem, ScenarioError
from .schema import ScenarioSpec
from .yamlsource import Located


def _fields_at(loc: tuple, root: type[BaseModel]) -> list[str]:
    """Field names of the model that `loc` points into (for 'unknown field' messages)."""
    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = _model_in(field.annotation)
    return list(getattr(model, "model_fields", {})) if model else []


def _model_in(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found:
            return found
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and isinstance(origin, type) and issubclass(origin, BaseModel):
        return origin
    return None


def problem_from_pydantic(err: dict, prefix: Path = (),
                          root: type[BaseModel] = ScenarioSpec) -> Problem:
    """One pydantic error as a `Problem` at `prefix` + its place inside `root`, the model that
    was validated (a whole scenario, or one live event's `EventSpec`)."""
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p and p.endswith("]")))
    loc = tuple(p for p in loc if p not in ("function-after", "function-before"))
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _fields_at(loc, root)
        hint = f"; expected one of: {', '.join(allowed)}" if allowed else ""
        message = f"unknown field '{loc[-1]}'{hint}"
    elif kind == "missing":
        message = f"required field '{loc[-1]}' is missing"
    else:
        message = err["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        elif message.startswith("Input should be "):
            message = "expected " + message[len("Input should be "):]
        given = err.get("input")
        if kind not in ("model_type", "model_attributes_type") and isinstance(given, (str, int, float)):
            message += f" (got {given!r})"
    return Problem(message, prefix + loc)


def validate_spec(data: Any, source: str, located: Located | None, prefix: Path = ()) -> ScenarioSpec:
    if not isinstance(data, dict):
        raise ScenarioError(source, [Problem(
            f"expected a mapping of scenario fields at the top level, got {type(data).__name__}",
            (), 1)])
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        problems = [problem_from_pydantic(e, prefix) for e in exc.errors()]
        raise ScenarioError(source, with_lines(problems, located)) from None


def with_lines(problems: list[Problem], located: Located | None) -> list[Problem]:
    if located is None:
        return problems
    return [Problem(p.message, p.path, p.line or located.line_of(p.path)) for p in problems]

