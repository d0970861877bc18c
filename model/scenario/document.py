"""Load a scenario file: YAML → pydantic spec → topology, timeline and expectations.

Every failure becomes a `ScenarioError` whose problems name the file, the line and the field,
so the command line can print one clear paragraph and exit 2.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from lb6.model.net.addressing import AddressError, parse_address
from lb6.model.scenario.build import build_topology
from lb6.model.errors import BuildError, Path, Problem, ScenarioError, format_path
from lb6.model.scenario.schema import (TOPOLOGY_KEYS, CheckpointSpec, EventSpec, ExpectSpec, NoteSpec,
                     QuestionSpec, ScenarioSpec)
from lb6.model.deployment.topology import Topology
from lb6.model.scenario.yamlsource import Located, LoadProblem, load_yaml


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


# ---- pydantic errors → problems ---------------------------------------------------------------


def _fields_at(loc: tuple) -> list[str]:
    """Field names of the model that `loc` points into (for 'unknown field' messages)."""
    model: Any = ScenarioSpec
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
    for meta in getattr(annotation, "__metadata__", ()) or ():
        pass
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and isinstance(origin, type) and issubclass(origin, BaseModel):
        return origin
    return None


def _problem_from_pydantic(err: dict, prefix: Path) -> Problem:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p and p.endswith("]")))
    loc = tuple(p for p in loc if p not in ("function-after", "function-before"))
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _fields_at(loc)
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


def _validate(data: Any, source: str, located: Located | None, prefix: Path = ()) -> ScenarioSpec:
    if not isinstance(data, dict):
        raise ScenarioError(source, [Problem(
            f"expected a mapping of scenario fields at the top level, got {type(data).__name__}",
            (), 1)])
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        problems = [_problem_from_pydantic(e, prefix) for e in exc.errors()]
        raise ScenarioError(source, _with_lines(problems, located)) from None


def _with_lines(problems: list[Problem], located: Located | None) -> list[Problem]:
    if located is None:
        return problems
    return [Problem(p.message, p.path, p.line or located.line_of(p.path)) for p in problems]


# ---- `set`: change one configuration value -----------------------------------------------------


def _resolve(data: Any, parts: list[str], full: str):
    """Walk a `set` path; list items are addressed by their `name`."""
    node = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, dict):
            if part not in node:
                node[part] = [] if parts[i + 1] and _is_list_key(part) else {}
            node = node[part]
        elif isinstance(node, list):
            match = [item for item in node if isinstance(item, dict) and item.get("name") == part]
            if not match:
                names = ", ".join(str(item.get("name")) for item in node if isinstance(item, dict))
                raise ValueError(f"'{full}': no item named '{part}' (known: {names or 'none'})")
            node = match[0]
        else:
            raise ValueError(f"'{full}': '{part}' is not a section that holds settings")
    return node, parts[-1]


def _is_list_key(key: str) -> bool:
    return key in {"rules", "nsgs", "vms", "nics", "ip_configs", "services", "frontends",
                   "backend_pools", "probes", "inbound_nat_rules", "public_ips", "subnets",
                   "clients", "hosts", "dns"}


def apply_set(raw: dict, path: str, value: Any) -> dict:
    """A copy of `raw` with `path` set to `value` (a list item by name is replaced or added)."""
    parts = [p for p in path.split(".") if p]
    if not parts or parts[0] not in TOPOLOGY_KEYS:
        raise ValueError(f"'{path}' must start with one of: {', '.join(TOPOLOGY_KEYS)}")
    out = copy.deepcopy(raw)
    node, last = _resolve(out, parts, path)
    if isinstance(node, list):
        items = [i for i, item in enumerate(node) if isinstance(item, dict) and item.get("name") == last]
        if not isinstance(value, dict):
            raise ValueError(f"'{path}' names a list item; its value must be a mapping")
        value = {"name": last, **value}
        if items:
            node[items[0]] = value
        else:
            node.append(value)
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ValueError(f"'{path}': cannot set a field inside a plain value")
    return out


def topology_from_raw(raw: dict, source: str = "<set>") -> Topology:
    """Validate and build a topology from the plain topology data, as the loader does."""
    spec = _validate({"title": "set", **raw}, source, None)
    try:
        return build_topology(spec)
    except BuildError as exc:
        raise ScenarioError(source, exc.problems) from None


# ---- the loader -------------------------------------------------------------------------------


def _read(path: FsPath) -> str:
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
    return load_scenario_text(_read(path), display or str(path))


def load_scenario_text(text: str, source: str = "<scenario>") -> Scenario:
    try:
        located = load_yaml(text)
    except LoadProblem as exc:
        raise ScenarioError(source, [exc.problem]) from None
    spec = _validate(located.data, source, located)
    try:
        topology = build_topology(spec)
    except BuildError as exc:
        raise ScenarioError(source, _with_lines(exc.problems, located)) from None
    raw = {k: copy.deepcopy(located.data[k]) for k in TOPOLOGY_KEYS if k in located.data}
    checker = _Checker(spec, topology, raw)
    events = checker.timeline()
    checker.expectations(events)
    if checker.problems:
        raise ScenarioError(source, _with_lines(checker.problems, located))
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
        if value in names:
            return True
        self.problem(path, f"no {what} named '{value}'; known: {', '.join(sorted(names)) or 'none defined'}")
        return False

    def destination(self, text: str, path: Path, names) -> None:
        if text.lower() in names:
            return
        try:
            parse_address(text)
        except AddressError:
            self.problem(path, f"'{text}' is neither a known name ({', '.join(sorted(names)) or 'none'}) "
                               "nor an IPv4 or IPv6 address")

    def timeline(self) -> list[TimedEvent]:
        t = self.topology
        cursor = 0
        events: list[TimedEvent] = []
        counters = {"connect": 0, "outbound": 0}
        raw = self.raw
        for i, ev in enumerate(self.spec.timeline):
            path = ("timeline", i)
            if ev.at is not None:
                cursor = ev.at
            elif ev.after is not None:
                cursor += ev.after
            kind, body = ev.kind, ev.body
            bpath = path + (kind,)
            if kind == "wait":
                cursor += body
                continue
            if kind in ("connect", "outbound"):
                counters[kind] += 1
                base = body.id or f"{'c' if kind == 'connect' else 'o'}{counters[kind]}"
                if kind == "connect":
                    self.known(body.client, t.client_by_name, bpath + ("client",), "client")
                    self.destination(body.to, bpath + ("to",), t.dns_by_name)
                else:
                    self.known(body.vm, t.vm_by_name, bpath + ("vm",), "VM")
                    self.destination(body.to, bpath + ("to",), {h.lower() for h in t.host_by_name})
                for n in range(body.count):
                    cid = base if body.count == 1 else f"{base}.{n + 1}"
                    if cid in self.conn_ids:
                        self.problem(bpath + ("id",), f"connection id '{cid}' is already used")
                    self.conn_ids[cid] = i
                    events.append(TimedEvent(cursor + n * body.every, kind, body, i, cid))
                continue
            if kind in ("send", "close"):
                self.known(body.connection, self.conn_ids, bpath + ("connection",),
                           "earlier connection")
            elif kind in ("fail_service", "restore_service"):
                if self.known(body.vm, t.vm_by_name, bpath + ("vm",), "VM"):
                    if t.vm_by_name[body.vm].service(body.protocol, body.port) is None:
                        self.problem(bpath + ("port",),
                                     f"{body.vm} has no {body.protocol} service on port {body.port}")
            elif kind in ("stop_vm", "start_vm"):
                self.known(body.vm, t.vm_by_name, bpath + ("vm",), "VM")
            elif kind == "set":
                try:
                    raw = apply_set(raw, body.path, body.value)
                    topology_from_raw(raw)
                except ValueError as exc:
                    self.problem(bpath + ("path",), str(exc))
                except ScenarioError as exc:
                    first = exc.problems[0]
                    self.problem(bpath + ("value",),
                                 f"after this change, {format_path(first.path)}: {first.message}")
            events.append(TimedEvent(cursor, kind, body, i, getattr(body, "connection", None)))
        events.sort(key=lambda e: e.at_ms)  # stable: same time keeps file order
        return events

    def expectations(self, events) -> None:
        from lb6.model.catalogue import CATALOGUE
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
        spec = _validate(data, source, None)
        topology = build_topology(spec)
    except ScenarioError as exc:
        raise ScenarioError(source, placed(exc.problems)) from None
    except BuildError as exc:
        raise ScenarioError(source, placed(exc.problems)) from None
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
