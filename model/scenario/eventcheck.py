"""One check of a timeline event against the deployment it acts on, for a file and a live event.

A scenario file's timeline (checked by `document.py` while loading) and an event the explorer
injects into a running engine (`engine/events.py` `validate_injected`) say the same things:
connect this client, fail that service, set this value. They are checked here, by the same
code, so the two can never disagree on what an event may say, and a bad event gives the same
message both ways. The file adds its location (`x.yaml line 8, timeline[1].connect.client: …`);
a live event has none (`connect.client: …`).

The schema half of the check is shared the same way: a file's entry is validated with the rest
of the file, a live one by `event_body`, and pydantic's errors are worded by the same
`validation.problem_from_pydantic`.

What differs between the two is only the context each passes in: the topology and its plain
data, and the connections an event may name (for a file, those opened earlier in its timeline;
live, those the engine has started).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..deployment.topology import Topology
from ..errors import Path, Problem, ScenarioError, format_path
from ..net.addressing import AddressError, parse_address
from .schema import EventSpec
from .setpath import apply_set, topology_from_raw
from .validation import problem_from_pydantic


@dataclass
class Checked:
    """What checking one event found, with paths relative to the event (`('connect', 'to')`)."""

    problems: list[Problem] = field(default_factory=list)
    raw: dict | None = None  # the topology data after a `set` that applies (else the input's)
    topology: Topology | None = None  # the topology that `set` builds, when it builds

    def message(self) -> str:
        """The first problem as one line, `kind.field: message`, for a live event."""
        p = self.problems[0]
        return f"{format_path(p.path)}: {p.message}"


def event_body(kind: str, body: dict) -> Any:
    """The validated body of a live event of `kind`, checked by the schema a file's timeline
    entry is checked by; a ValueError `kind.field: message` worded as the file's loader words
    it (the first problem only: a dialog shows one line)."""
    try:
        return EventSpec.model_validate({kind: body}).body
    except ValidationError as exc:
        p = problem_from_pydantic(exc.errors()[0], (), EventSpec)
        raise ValueError(f"{format_path(p.path)}: {p.message}") from None


def unknown_name(value: str, names: Collection[str], path: Path, what: str) -> Problem | None:
    """A problem if `value` is not one of `names`, listing the ones there are."""
    if value in names:
        return None
    return Problem(f"no {what} named '{value}'; known: {', '.join(sorted(names)) or 'none defined'}",
                   path)


def unknown_destination(text: str, names: Collection[str], path: Path) -> Problem | None:
    """A problem if `text` is neither one of `names` (lower case) nor an IPv4 or IPv6 address."""
    if text.lower() in names:
        return None
    try:
        parse_address(text)
    except AddressError:
        return Problem(f"'{text}' is neither a known name ({', '.join(sorted(names)) or 'none'}) "
                       "nor an IPv4 or IPv6 address", path)
    return None


def check_event(kind: str, body: Any, topology: Topology, raw: dict,
                connections: Collection[str], new_ids: Iterable[str] = ()) -> Checked:
    """Check one event of `kind` (its validated pydantic `body`) against `topology`.

    `connections` are the ids a send or close may name and a new connection may not reuse;
    `new_ids` are the ids a connect or outbound opens (several for a file's `count`).
    """
    checked = Checked(raw=raw)
    found = checked.problems

    def add(problem: Problem | None) -> None:
        if problem is not None:
            found.append(problem)

    t = topology
    if kind == "connect":
        add(unknown_name(body.client, t.client_by_name, (kind, "client"), "client"))
        add(unknown_destination(body.to, t.dns_by_name, (kind, "to")))
    elif kind == "outbound":
        add(unknown_name(body.vm, t.vm_by_name, (kind, "vm"), "VM"))
        add(unknown_destination(body.to, {h.lower() for h in t.host_by_name}, (kind, "to")))
    elif kind in ("send", "close"):
        add(unknown_name(body.connection, connections, (kind, "connection"), "earlier connection"))
    elif kind in ("fail_service", "restore_service"):
        missing = unknown_name(body.vm, t.vm_by_name, (kind, "vm"), "VM")
        add(missing)
        if missing is None and t.vm_by_name[body.vm].service(body.protocol, body.port) is None:
            add(Problem(f"{body.vm} has no {body.protocol} service on port {body.port}",
                        (kind, "port")))
    elif kind in ("stop_vm", "start_vm"):
        add(unknown_name(body.vm, t.vm_by_name, (kind, "vm"), "VM"))
    elif kind == "set":
        try:
            # The file threads its data through each `set` that parses, even one whose result
            # fails to build, so that later changes are checked against what the file says.
            checked.raw = apply_set(raw, body.path, body.value)
            checked.topology = topology_from_raw(checked.raw)
        except ValueError as exc:
            add(Problem(str(exc), (kind, "path")))
        except ScenarioError as exc:
            first = exc.problems[0]
            add(Problem(f"after this change, {format_path(first.path)}: {first.message}",
                        (kind, "value")))
    if kind in ("connect", "outbound"):
        for cid in new_ids:
            if cid in connections:
                add(Problem(f"connection id '{cid}' is already used", (kind, "id")))
    return checked
