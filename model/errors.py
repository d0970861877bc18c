"""Input errors that name the file, the line and the field, for a one-paragraph message."""

from __future__ import annotations

from dataclasses import dataclass

Path = tuple  # of str keys and int list indexes


def format_path(path: Path) -> str:
    """`load_balancer.rules[1].frontend` from ('load_balancer', 'rules', 1, 'frontend')."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass(frozen=True)
class Problem:
    message: str
    path: Path = ()
    line: int | None = None

    def location(self, source: str) -> str:
        parts = [source]
        if self.line is not None:
            parts.append(f"line {self.line}")
        where = " ".join(parts)
        field = format_path(self.path)
        return f"{where}, {field}" if field else where

    def render(self, source: str) -> str:
        return f"{self.location(source)}: {self.message}"


class ScenarioError(Exception):
    """One or more problems with an input file. Rendered, never shown as a traceback."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = [p.render(self.source) for p in self.problems[:20]]
        if len(self.problems) > 20:
            lines.append(f"... and {len(self.problems) - 20} more problems")
        return "\n".join(lines)

    def to_json(self) -> list[dict]:
        return [{"message": p.message, "location": p.location(self.source)} for p in self.problems]


class BuildError(Exception):
    """Problems found while building a topology, before file and line are attached."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(f"{format_path(p.path)}: {p.message}" for p in problems))


class InternalError(Exception):
    """A broken promise of lb6 itself, not of the input: a bug to report, never the user's."""
