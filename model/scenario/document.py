"""Load a scenario file: YAML → pydantic spec → topology, timeline and expectations.

Every failure becomes a `ScenarioError` whose problems name the file, the line and the field,
so the command line can print one clear paragraph and exit 2.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any, Callable

from ..catalogue import CATALOGUE
from ..deployment.topology import Topology
from ..errors import BuildError, Path, Problem, ScenarioError
from ..net.addressing import AddressError, parse_address
from .build import build_topology
from .eventcheck import check_event, unknown_name
from .schema import (TOPOLOGY_KEYS, CheckpointSpec, ExpectSpec, NoteSpec,
                                       QuestionSpec, ScenarioSpec)
from .validation import validate_spec, with_lines
from .yamlsource import LoadProblem, load_yaml


@dataclass(frozen=True, slots=True)
class TimedEvent:
    """A timeline entry at its absolute virtual time, with a stable id for connections."""

    at_ms: int
    kind: str
    body: Any
    index: int  # position in the file's timeline, for messages
    conn_id: str | None = None


@dataclass(frozen=True)
class Scenario:
    source: str
    title: str
    summary: str
    covers: tuple[str, ...]
    seed: int
    duration_ms: int
    topology: Topology
    events: tuple[TimedEvent, ...]
    expectations: tuple[ExpectSpec, ...]
    notes: tuple[NoteSpec, ...]
    raw: dict  # the topology part of the file as plain data, for `set`
    questions: tuple[QuestionSpec, ...] = ()
    checkpoints: tuple[CheckpointSpec, ...] = ()

    @property
    def is_lesson(self) -> bool:
        return bool(self.notes or self.questions)

    @property
    def name(self) -> str:
        return FsPath(self.source).stem


# ---- the loader -------------------------------------------------------------------------------


def read_text(path: FsPath) -> str:
    """A file's text (UTF-8, a BOM allowed); a missing, unreadable or binary file is a
    located `ScenarioError`."""
    if not path.exists():
        raise ScenarioError(str(path), [Problem("no such file")])
    if path.is_dir():
        raise ScenarioError(str(path), [Problem("is a directory, not a scenario file")])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(str(path), [Problem(f"cannot read: {exc.strerror}")]) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), [Problem(
            f"not UTF-8 text (byte {exc.start}); is this a binary file?")]) from None


def load_scenario(path: str | FsPath, display: str | None = None) -> Scenario:
    path = FsPath(path)
    return load_scenario_text(read_text(path), display or str(path))


def load_scenario_text(text: str, source: str = "<scenario>") -> Scenario:
    try:
        located = load_yaml(text)
    except LoadProblem as exc:
        raise ScenarioError(source, [exc.problem]) from None
    spec = validate_spec(located.data, source, located)
    try:
        topology = build_topology(spec)
    except BuildError as exc:
        raise ScenarioError(source, with_lines(exc.problems, located)) from None
    return _scenario(spec, topology, located.data, source,
                     lambda problems: with_lines(problems, located))


def _scenario(spec: ScenarioSpec, topology: Topology, data: dict, source: str,
              placed: Callable[[list[Problem]], list[Problem]]) -> Scenario:
    """The checked scenario from its validated spec and built topology (a file's or an
    importer's): the timeline and expectations cross-checked, problems `placed` in the input."""
    raw = {k: copy.deepcopy(data[k]) for k in TOPOLOGY_KEYS if k in data}
    checker = _Checker(spec, topology, raw)
    events = checker.timeline()
    checker.expectations(events)
    if checker.problems:
        raise ScenarioError(source, placed(checker.problems))
    last = max((e.at_ms for e in events), default=0)
    duration = spec.duration if spec.duration is not None else last + 60_000
    return Scenario(source, spec.title, spec.summary, tuple(spec.covers), spec.seed, duration,
                    topology, tuple(events), tuple(spec.expect), tuple(spec.notes), raw,
                    tuple(spec.questions), tuple(spec.checkpoints))


class _Checker:
    """Cross-checks the timeline and expectations against the topology."""

    def __init__(self, spec: ScenarioSpec, topology: Topology, raw: dict):
        self.spec = spec
        self.topology = topology
        self.raw = raw
        self.problems: list[Problem] = []
        self.conn_ids: dict[str, int] = {}

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(message, path))

    def known(self, value: str, names, path: Path, what: str) -> bool:
        problem = unknown_name(value, names, path, what)
        if problem is not None:
            self.problems.append(problem)
        return problem is None

    def timeline(self) -> list[TimedEvent]:
        """The events at their absolute times, each checked by `check_event` (as a live one is)."""
        cursor = 0
        events: list[TimedEvent] = []
        counters = {"connect": 0, "outbound": 0}
        raw = self.raw
        for i, ev in enumerate(self.spec.timeline):
            if ev.at is not None:
                cursor = ev.at
            elif ev.after is not None:
                cursor += ev.after
            kind, body = ev.kind, ev.body
            if kind == "wait":
                cursor += body
                continue
            ids: list[str] = []
            if kind in ("connect", "outbound"):
                counters[kind] += 1
                base = body.id or f"{'c' if kind == 'connect' else 'o'}{counters[kind]}"
                ids = [base if body.count == 1 else f"{base}.{n + 1}" for n in range(body.count)]
            checked = check_event(kind, body, self.topology, raw, self.conn_ids, ids)
            self.problems += [Problem(p.message, ("timeline", i) + p.path) for p in checked.problems]
            raw = checked.raw
            for n, cid in enumerate(ids):
                self.conn_ids[cid] = i
                events.append(TimedEvent(cursor + n * body.every, kind, body, i, cid))
            if not ids:
                events.append(TimedEvent(cursor, kind, body, i, getattr(body, "connection", None)))
        events.sort(key=lambda e: e.at_ms)  # stable: same time keeps file order
        return events

    def expectations(self, events) -> None:
        t = self.topology
        for i, ex in enumerate(self.spec.expect):
            path = ("expect", i)
            if ex.connection is not None:
                self.known(ex.connection, self.conn_ids, path + ("connection",), "connection")
            if ex.served_by is not None:
                self.known(ex.served_by, t.vm_by_name, path + ("served_by",), "VM")
            if ex.warning is not None:
                self.known(ex.warning, CATALOGUE, path + ("warning",), "catalogue ID")
            if ex.probe is not None:
                self.known(ex.probe, t.probes, path + ("probe",), "probe")
                if ex.vm is not None:
                    self.known(ex.vm, t.vm_by_name, path + ("vm",), "VM")
            for addr_field in ("client_saw", "server_saw"):
                value = getattr(ex, addr_field)
                if value is not None:
                    try:
                        parse_address(value)
                    except AddressError as exc:
                        self.problem(path + (addr_field,), str(exc))
        for i, cid in enumerate(self.spec.covers):
            self.known(cid, CATALOGUE, ("covers", i), "catalogue ID")
        self.lesson_parts()

    def lesson_parts(self) -> None:
        seen: set[str] = set()
        for i, q in enumerate(self.spec.questions):
            path = ("questions", i)
            self.known(q.connection, self.conn_ids, path + ("connection",), "connection")
            if q.id in seen:
                self.problem(path + ("id",), f"duplicate question id '{q.id}'")
            seen.add(q.id)
            if len(set(q.choices)) != len(q.choices):
                self.problem(path + ("choices",), "choices repeat themselves")
        names: set[str] = set()
        for i, c in enumerate(self.spec.checkpoints):
            if c.name in names:
                self.problem(("checkpoints", i, "name"), f"duplicate checkpoint '{c.name}'")
            names.add(c.name)


def load_scenario_data(data: Any, source: str, locate=None) -> Scenario:
    """Validate plain scenario data (an importer's output) exactly as a YAML file is validated.

    `locate(problem) -> problem` moves each problem from the scenario field it names back to
    the place in the imported file the value came from (a line, a JSON path).
    """
    def placed(problems: list[Problem]) -> list[Problem]:
        return [locate(p) for p in problems] if locate else problems

    try:
        spec = validate_spec(data, source, None)
        topology = build_topology(spec)
    except ScenarioError as exc:
        raise ScenarioError(source, placed(exc.problems)) from None
    except BuildError as exc:
        raise ScenarioError(source, placed(exc.problems)) from None
    return _scenario(spec, topology, data, source, placed)
