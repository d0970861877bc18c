"""Twin-stack comparison: one request from a dual-stack client traced over IPv4 and over IPv6.

Each family runs in its own engine (so the two requests never share a flow), pinned to one
DNS answer. The two step lists are laid side by side and the first row where they differ in
what happened (the kind of decision, its disposition, the backend port, the NSG) is named.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..net.addressing import IPv4, IPv6
from ..engine.engine import Engine
from ..scenario.document import Scenario, TimedEvent
from ..scenario.schema import ConnectSpec
from ..world.trace import Step


@dataclass(frozen=True)
class Twin:
    family: str
    steps: tuple[Step, ...]
    outcome: str | None


@dataclass(frozen=True)
class Comparison:
    client: str
    to: str
    port: int
    ipv4: Twin
    ipv6: Twin
    first_difference: int | None  # row index, None when both went the same way
    why: str


def _trace(scenario: Scenario, client: str, to: str, port: int, protocol: str,
           family: str) -> Twin:
    engine = Engine(scenario)
    cid = f"twin-{family.lower()}"
    body = ConnectSpec(id=cid, client=client, to=to, port=port, protocol=protocol, family=family)
    engine.inject(TimedEvent(0, "connect", body, -1, cid))
    while engine.peek() is not None and engine.peek() <= scenario.duration_ms:
        conn = engine.connection(cid)
        if conn is not None and conn.status in ("failed", "closed"):
            break
        if engine.step() is None:
            break
    conn = engine.connection(cid)
    steps = tuple(engine.steps_of(cid))
    return Twin(family, steps, conn.outcome if conn else None)


def _signature(step: Step) -> tuple:
    ports = tuple((f, n) for f, o, n in step.rewrite if f in ("dport", "sport"))
    return (step.kind, step.disposition, ports)


def _explain(a: Step | None, b: Step | None) -> str:
    if a is None or b is None:
        longer = a or b
        side = "IPv4" if a else "IPv6"
        return f"only {side} goes on: {longer.kind} — {longer.reason}"
    if a.kind != b.kind:
        return f"IPv4 {a.kind} ({a.disposition}) vs IPv6 {b.kind} ({b.disposition})"
    if a.disposition != b.disposition:
        # The side that stopped (or changed course) carries the explanation.
        telling = b if b.disposition not in ("forwarded", "translated", "delivered") else a
        return f"at {a.kind}: IPv4 {a.disposition}, IPv6 {b.disposition} — {telling.reason}"
    return f"at {a.kind}: IPv4 {a.reason} / IPv6 {b.reason}"


def compare(scenario: Scenario, client: str, to: str, port: int, protocol: str = "Tcp") -> Comparison:
    v4 = _trace(scenario, client, to, port, protocol, IPv4)
    v6 = _trace(scenario, client, to, port, protocol, IPv6)
    first, why = None, "both families take the same decisions"
    for i in range(max(len(v4.steps), len(v6.steps))):
        a = v4.steps[i] if i < len(v4.steps) else None
        b = v6.steps[i] if i < len(v6.steps) else None
        if a is None or b is None or _signature(a) != _signature(b):
            first, why = i, _explain(a, b)
            break
    return Comparison(client, to, port, v4, v6, first, why)
