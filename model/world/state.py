"""The engine's mutable state: everything a checkpoint must copy to go back in time."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass

from .flows import FlowTable, slot_copier
from .health import ProbeState
from .journal import CowDict, JournaledDict
from .snat import SnatTable
from ..deployment.topology import Topology
from .trace import RaisedWarning


class Attempt:
    """One connection attempt of one address family (RFC 8305 races several)."""

    __slots__ = ("family", "src", "sport", "dst", "dport", "state", "failure", "flow", "path")

    def __init__(self, family: str, src: str, sport: int, dst: str, dport: int):
        self.family = family
        self.src = src
        self.sport = sport
        self.dst = dst
        self.dport = dport
        self.state = "connecting"   # connecting | established | failed | cancelled
        self.failure: str | None = None
        self.flow: int | None = None
        self.path = "lb"            # lb | snat | direct


Attempt.clone = slot_copier(Attempt)


class Conn:
    """A connection as its initiator sees it: an Internet client's, or a VM's outbound one."""

    __slots__ = (
        "id", "kind", "origin", "to", "proto", "port", "requests_left", "request_bytes",
        "response_bytes", "hold_ms", "keepalive_ms", "close", "status", "outcome", "family",
        "served_by", "client_saw", "server_saw", "seen", "attempts", "candidates",
        "flow_expired", "last_failure", "want_family", "answered", "awaiting", "hold_until",
        "keepalive_due", "_epoch",
    )

    def __init__(self, id: str, kind: str, origin: str, to: str, proto: str, port: int):
        self.id = id
        self.kind = kind            # inbound | outbound
        self.origin = origin        # client name or VM name
        self.to = to
        self.proto = proto
        self.port = port
        self.requests_left = 1
        self.request_bytes = 200
        self.response_bytes = 1200
        self.hold_ms = 0
        self.keepalive_ms: int | None = None
        self.close = True
        self.status = "starting"    # starting | connecting | open | closing | closed | failed
        self.outcome: str | None = None
        self.family: str | None = None
        self.served_by: str | None = None
        self.client_saw: str | None = None
        self.server_saw: str | None = None
        self.seen: tuple[str, ...] = ()  # each distinct disposition its steps had, in order
        self.attempts: tuple[Attempt, ...] = ()  # a tuple: no list's spare room, 100k times
        self.candidates: tuple[tuple[str, str], ...] = ()  # shared: Engine.shared
        self.flow_expired = False
        self.last_failure: str | None = None
        self.want_family: str | None = None
        self.answered = 0
        self.awaiting = False       # a request or FIN is in flight
        self.hold_until: int | None = None
        self.keepalive_due: int | None = None
        self._epoch = 0                # which checkpoint interval may change it (model/journal.py)

    @property
    def active(self) -> Attempt | None:
        for a in self.attempts:
            if a.state == "established":
                return a
        return None

    def to_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "origin": self.origin, "to": self.to,
                "proto": self.proto, "port": self.port, "status": self.status,
                "outcome": self.outcome, "family": self.family, "served_by": self.served_by,
                "client_saw": self.client_saw, "server_saw": self.server_saw}


Conn.clone = slot_copier(Conn, {"attempts": lambda attempts: tuple(a.clone() for a in attempts)})


class State:
    def __init__(self, topology: Topology, raw: dict, seed: int):
        self.now = 0
        self.seq = 0
        self.heap: list = []
        self.rng = random.Random(seed)
        self.topology = topology
        self.raw = raw
        # Handlers take a connection to change with `conns[id]` / `conns.get(id)` (copied on
        # write, model/journal.py); views read `dict.get` or the values, and never change them.
        self.conns: CowDict = CowDict()
        self.flows = FlowTable()
        self.probes: dict[tuple[str, str], ProbeState] = {}
        self.vm_running: dict[str, bool] = {}
        self.service_mode: dict[tuple[str, str, int], str] = {}
        self.snat = SnatTable()
        self.ports: dict[str, int] = {}          # next ephemeral port per address
        self.warnings: list[RaisedWarning] = []
        self.outbound_frontend: dict[tuple[str, str], str] = {}  # (vm, family) -> frontend
        self.injected: list = []
        self.injected_applied = 0
        self.findings_seen: set = set()

    # ---- checkpoints (model/engine/timetravel.py) ----------------------------------------------

    def journaled(self) -> tuple[JournaledDict, ...]:
        """The big collections, which keep their own journal instead of being copied."""
        return (self.conns,) + self.flows.journaled()

    def freeze(self) -> None:
        """Start a new epoch: records stored so far may be shared by a checkpoint."""
        self.conns.freeze()
        self.flows.by_id.freeze()

    def mark(self, before: "Mark | None" = None) -> "Mark":
        """A copy of everything but the journaled collections and the heap: small, so a
        checkpoint keeps one at every interval. What has not changed since `before` (the
        random generator's 2.5 KB state, the warnings raised) is shared with it: marks are
        never changed in place."""
        rng_state = self.rng.getstate()
        if before is not None and before.rng.getstate() == rng_state:
            rng = before.rng
        else:
            rng = random.Random()
            rng.setstate(rng_state)
        warnings = before.warnings if before is not None and before.warnings == self.warnings \
            else self.warnings[:]
        return Mark(now=self.now, seq=self.seq, topology=self.topology, raw=self.raw, rng=rng,
                    flows_next_id=self.flows.next_id, warnings=warnings,
                    injected_applied=self.injected_applied, **_copied(self.__dict__))

    def restore_mark(self, mark: "Mark") -> None:
        """Put back what `mark()` kept (copied again, so the mark stays as it was)."""
        self.now, self.seq = mark.now, mark.seq
        self.topology, self.raw = mark.topology, mark.raw
        self.rng = random.Random()
        self.rng.setstate(mark.rng.getstate())
        self.flows.next_id = mark.flows_next_id
        self.warnings = mark.warnings[:]
        self.injected_applied = mark.injected_applied
        self.__dict__.update(_copied({name: getattr(mark, name) for name in _COPIED}))


@dataclass(frozen=True, slots=True)
class Mark:
    """The small part of a `State` at a checkpoint: every attribute but the journaled
    collections (connections, flows) and the heap, which `timetravel` keeps as changes.

    Values are copies that nothing changes afterwards, so that marks can share them."""

    now: int
    seq: int
    topology: Topology       # shared: a config change replaces it, never edits it
    raw: dict                # likewise
    rng: random.Random
    flows_next_id: int
    warnings: list[RaisedWarning]
    injected_applied: int
    probes: dict[tuple[str, str], ProbeState]
    vm_running: dict[str, bool]
    service_mode: dict[tuple[str, str, int], str]
    snat: SnatTable
    ports: dict[str, int]
    outbound_frontend: dict[tuple[str, str], str]
    injected: list
    findings_seen: set


# The attributes a mark copies; with those `Mark` names itself and the big three (heap, conns,
# flows) they are every attribute of a `State` (tests/model/test_checkpoints.py checks).
_COPIED = ("probes", "vm_running", "service_mode", "snat", "ports", "outbound_frontend",
           "injected", "findings_seen")


def _copied(d: dict) -> dict:
    """Copies of the mutable small attributes found in `d` (a state's or a mark's)."""
    return {"probes": {k: p.clone() for k, p in d["probes"].items()},
            "vm_running": dict(d["vm_running"]),
            "service_mode": dict(d["service_mode"]),
            "snat": copy.deepcopy(d["snat"]),  # outbound connections only: small
            "ports": dict(d["ports"]),
            "outbound_frontend": dict(d["outbound_frontend"]),
            "injected": d["injected"][:],
            "findings_seen": set(d["findings_seen"])}
