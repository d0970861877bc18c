"""Step records: what the engine decided, where, when and why.

A step is one decision at one place (pybatfish's hop/step idea): the packet before and after,
each changed field as old → new, a disposition from a small closed vocabulary, a plain-language
reason, and references to the rule, probe, NSG rule, catalogue IDs and fact numbers behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .packet import Packet, Rewrite

# The disposition vocabulary, in the spirit of path analysers.
FORWARDED = "forwarded"
TRANSLATED = "translated"
DELIVERED = "delivered"
ANSWERED = "answered"
CHOSEN = "chosen"
NO_ANSWER = "no-answer"
REFUSED = "refused"
TIMED_OUT = "timed-out"
CANCELLED = "cancelled"
EXPIRED = "expired"
TERMINATED = "terminated"
PROBE_OK = "probe-ok"
PROBE_FAILED = "probe-failed"
MARKED_UP = "marked-up"
MARKED_DOWN = "marked-down"
CONFIG_CHANGED = "config-changed"
DROPPED_NO_RULE = "dropped-no-rule"
DROPPED_NO_ROUTE = "dropped-no-route"
DROPPED_NSG = "dropped-nsg"
DROPPED_NO_HEALTHY = "dropped-no-healthy-backend"
DROPPED_IDLE = "dropped-idle-timeout"
DROPPED_LIMITATION = "dropped-limitation"
DROPPED_SNAT = "dropped-snat-exhausted"
DROPPED_ICMP = "dropped-icmp"
DROPPED_NO_FLOW = "dropped-no-flow"

DISPOSITIONS = (
    FORWARDED, TRANSLATED, DELIVERED, ANSWERED, CHOSEN, NO_ANSWER, REFUSED, TIMED_OUT, CANCELLED,
    EXPIRED, TERMINATED, PROBE_OK, PROBE_FAILED, MARKED_UP, MARKED_DOWN, CONFIG_CHANGED,
    DROPPED_NO_RULE, DROPPED_NO_ROUTE, DROPPED_NSG, DROPPED_NO_HEALTHY, DROPPED_IDLE,
    DROPPED_LIMITATION, DROPPED_SNAT, DROPPED_ICMP, DROPPED_NO_FLOW,
)
FAILURES = frozenset(d for d in DISPOSITIONS if d.startswith("dropped-")) | {
    NO_ANSWER, REFUSED, TIMED_OUT, TERMINATED}


@dataclass(frozen=True, slots=True)
class Refs:
    rule: str | None = None
    probe: str | None = None
    nsg_rule: str | None = None
    ids: tuple[str, ...] = ()
    facts: tuple[int, ...] = ()

    def to_json(self) -> dict:
        return {"rule": self.rule, "probe": self.probe, "nsg_rule": self.nsg_rule,
                "ids": list(self.ids), "facts": list(self.facts)}

    def __deepcopy__(self, memo):
        return self


NO_REFS = Refs()


@dataclass(frozen=True, slots=True)
class Step:
    n: int
    t_ms: int
    node: str
    kind: str
    packet: Packet | None
    after: Packet | None
    rewrite: Rewrite
    disposition: str
    reason: str
    refs: Refs
    conn: str | None = None
    detail: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "t_ms": self.t_ms,
            "node": self.node,
            "kind": self.kind,
            "packet": self.packet.to_json() if self.packet else None,
            "rewrite": [{"field": f, "old": o, "new": n} for f, o, n in self.rewrite],
            "disposition": self.disposition,
            "reason": self.reason,
            "refs": self.refs.to_json(),
            "connection": self.conn,
            "detail": [{"name": k, "value": v} for k, v in self.detail],
        }

    def __deepcopy__(self, memo):
        return self


@dataclass(frozen=True, slots=True)
class RaisedWarning:
    """A catalogue behaviour that traffic ran into, at a step."""

    id: str
    n: int
    t_ms: int
    subject: str
    message: str

    def to_json(self) -> dict:
        return {"id": self.id, "step": self.n, "t_ms": self.t_ms, "subject": self.subject,
                "message": self.message}

    def __deepcopy__(self, memo):
        return self
