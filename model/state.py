"""The engine's mutable state: everything a checkpoint must copy to go back in time."""

from __future__ import annotations

import copy
import random

from .flows import FlowTable, slot_copier
from .health import ProbeState
from .snat import SnatTable
from .topology import Topology
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
        "keepalive_due",
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
        self.attempts: list[Attempt] = []
        self.candidates: list[tuple[str, str]] = []
        self.flow_expired = False
        self.last_failure: str | None = None
        self.want_family: str | None = None
        self.answered = 0
        self.awaiting = False       # a request or FIN is in flight
        self.hold_until: int | None = None
        self.keepalive_due: int | None = None

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


Conn.clone = slot_copier(Conn, {"candidates": list,
                                "attempts": lambda attempts: [a.clone() for a in attempts]})


class State:
    def __init__(self, topology: Topology, raw: dict, seed: int):
        self.now = 0
        self.seq = 0
        self.heap: list = []
        self.rng = random.Random(seed)
        self.topology = topology
        self.raw = raw
        self.conns: dict[str, Conn] = {}
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

    def clone(self) -> "State":
        """An independent copy for a checkpoint, many times faster than `copy.deepcopy`.

        Values never changed in place (packets, steps, warnings, tuples, and the topology and
        raw configuration, which a `set` replaces) are shared; each mutable record is copied
        once. An attribute this method does not know is deep-copied, so a field added later
        stays correct before it is made fast.
        """
        new = State.__new__(State)
        d = self.__dict__.copy()
        new.__dict__ = d
        for name, value in d.items():
            if name not in _SHARED and name not in _COPIED:
                d[name] = copy.deepcopy(value)
        d["heap"] = self.heap[:]  # entries are tuples of immutable values
        rng = random.Random()
        rng.setstate(self.rng.getstate())
        d["rng"] = rng
        d["conns"] = {k: c.clone() for k, c in self.conns.items()}
        d["flows"] = self.flows.clone()
        d["probes"] = {k: p.clone() for k, p in self.probes.items()}
        d["snat"] = copy.deepcopy(self.snat)  # outbound connections only: small
        for name in ("vm_running", "service_mode", "ports", "outbound_frontend"):
            d[name] = dict(d[name])
        d["warnings"] = self.warnings[:]
        d["injected"] = self.injected[:]
        d["findings_seen"] = set(self.findings_seen)
        return new


_SHARED = frozenset({"now", "seq", "topology", "raw", "injected_applied"})
_COPIED = frozenset({"heap", "rng", "conns", "flows", "probes", "snat", "vm_running",
                     "service_mode", "ports", "outbound_frontend", "warnings", "injected",
                     "findings_seen"})
