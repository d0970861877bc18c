"""The catalogue's registry: what an entry and a finding are, and the one `check` that runs them.

An entry is a behaviour lb6 models, with a stable ID (part of the interface: scenarios,
expectations, JSON and tests use it), its kind, the fact numbers it rests on, a plain
explanation, and optionally a static check. The entry modules register themselves here through
the `entry` decorator; `check` runs every registered check over a topology. `lb6 check` exits 1
when any finding has severity "error", meaning Azure would refuse the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from ..deployment.topology import Topology

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    severity: str
    subject: str
    message: str

    def to_json(self) -> dict:
        return {"id": self.id, "severity": self.severity, "subject": self.subject,
                "message": self.message}


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # feature | detail | limitation | behaviour | lint
    title: str
    explanation: str
    facts: tuple[int, ...]
    check: Callable[[Topology], Iterable[Finding]] | None = None


CATALOGUE: dict[str, Entry] = {}


def entry(id: str, kind: str, title: str, facts: tuple[int, ...], explanation: str):
    """Register an entry; used as a decorator on its check, or called bare."""
    def register(check=None):
        CATALOGUE[id] = Entry(id, kind, title, " ".join(explanation.split()), facts, check)
        return check
    return register



def ipv6_rules(t: Topology):
    """The load-balancing rules on an IPv6 frontend, the ones facts 21 and 22 pin down."""
    return [r for r in t.load_balancer.rules if r.frontend in t.frontends and t.is_ipv6_rule(r)]


SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


def check(topology: Topology) -> list[Finding]:
    """Every finding for a topology, errors first, in a stable order."""
    findings = []
    for e in CATALOGUE.values():
        if e.check is not None:
            findings.extend(e.check(topology))
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.id, f.subject))
