"""A replayed trace as a Mermaid sequence diagram: one arrow per hop, labelled with the decision.

Participants are the places packets move between: clients, the DNS resolver, each frontend,
the load balancer itself (SNAT, probe verdicts), VMs, other hosts and the probe source
168.63.129.16. A backend pool's choice is made on its frontend's lifeline, so it joins the label
of the arrow that leaves the frontend. Arrows are solid from the side that opened the
connection, dotted for replies, and end in a cross where the packet was dropped. Decisions that
move nothing (a Happy Eyeballs choice, a probe verdict flipping, a timeout) are notes.

Labels are escaped for Mermaid: no raw ';', '#', '<', '>' or newlines reach the diagram.
"""

from __future__ import annotations

import re

from ..net.addressing import PROBE_SOURCE
from ..deployment.node_ids import (CLIENT, DNS, FRONTEND, HOST, LB, POOL, VM, node_id,
                                           split_node_id)
from ..world.trace import FAILURES

PROBER = "prober"
MAX_LABEL = 160


_ENTITIES = {"#": "#35;", ";": "#59;", "<": "#60;", ">": "#62;"}


def escape(text: str) -> str:
    """Text safe inside a Mermaid message, note or alias (entity codes for the few specials)."""
    text = " ".join(str(text).split())  # newlines and tabs become single spaces
    return re.sub(r"[#;<>]", lambda m: _ENTITIES[m.group()], text)


def _short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pid(node: str) -> str:
    """A participant id: letters, digits and underscores only."""
    return re.sub(r"\W", "_", node)


class _Ids:
    """Participant ids, one per node, kept distinct when two names differ only in punctuation
    ('web-1' and 'web_1')."""

    def __init__(self) -> None:
        self.by_node: dict[str, str] = {}
        self.taken: set[str] = set()

    def __call__(self, node: str) -> str:
        pid = self.by_node.get(node)
        if pid is None:
            pid, n = _pid(node), 2
            while pid in self.taken:
                pid, n = f"{_pid(node)}_{n}", n + 1
            self.by_node[node] = pid
            self.taken.add(pid)
        return pid


class _Diagram:
    def __init__(self, result, max_steps: int | None = None):
        self.engine = getattr(result, "engine", result)
        self.scenario = self.engine.scenario
        self.topology = self.engine.topology
        self.max_steps = max_steps
        self.participants: dict[str, str] = {}  # id -> label, in reading order
        self.used: set[str] = set()
        self.pid = _Ids()
        self.lines: list[str] = []
        self.position: dict[object, str] = {}   # journey key -> participant the packet is at
        self.pending: dict[object, list[str]] = {}  # decisions made at that participant
        self.initiators: dict[object, set[str]] = {}
        self.sent: dict[object, int] = {}       # journey key -> the step that sent the packet

    # ---- participants ----------------------------------------------------------------------

    def participant(self, node: str, step=None) -> str:
        kind, name = split_node_id(node)
        if kind == POOL and step is not None and step.refs.rule in self.topology.rules:
            return self.participant(node_id(FRONTEND, self.topology.rules[step.refs.rule].frontend))
        if kind in (POOL, LB):
            node, label = "lb", f"load balancer {self.topology.load_balancer.name}"
        elif kind == DNS:
            node, label = "dns", "DNS resolver"
        elif kind == PROBER:
            label = f"Azure probe {PROBE_SOURCE}"
        else:
            label = f"{kind} {name}" if name else kind
        pid = self.pid(node)
        self.participants.setdefault(pid, label)
        self.used.add(pid)
        return pid

    def _declare_all(self) -> None:
        """Declare participants in a reading order: clients, DNS, frontends, LB, VMs, hosts."""
        t = self.topology
        for c in t.clients:
            self.participants.setdefault(self.pid(node_id(CLIENT, c.name)), f"client {c.name}")
        if t.dns:
            self.participants.setdefault(self.pid("dns"), "DNS resolver")
        for f in t.load_balancer.frontends:
            self.participants.setdefault(self.pid(node_id(FRONTEND, f.name)), f"frontend {f.name}")
        self.participants.setdefault(self.pid("lb"), f"load balancer {t.load_balancer.name}")
        for vm in t.vms:
            self.participants.setdefault(self.pid(node_id(VM, vm.name)), f"vm {vm.name}")
        for h in t.hosts:
            self.participants.setdefault(self.pid(node_id(HOST, h.name)), f"host {h.name}")
        if t.probes:
            self.participants.setdefault(self.pid(PROBER), f"Azure probe {PROBE_SOURCE}")
        self.used.clear()  # declared for the order only; the diagram shows those it uses

    # ---- lines -----------------------------------------------------------------------------

    def arrow(self, a: str, b: str, label: str, reply: bool = False, dropped: bool = False) -> None:
        head = "x" if dropped else ">>"
        line = "--" if reply else "-"
        self.lines.append(f"    {a}{line}{head}{b}: {escape(_short(label))}")

    def note(self, where: str, text: str) -> None:
        self.lines.append(f"    Note over {where}: {escape(_short(text))}")

    # ---- steps -----------------------------------------------------------------------------

    def build(self) -> str:
        self._declare_all()
        for step in self.engine.records:
            if self.max_steps is not None and step.n > self.max_steps:
                first = next((p for p in self.participants if p in self.used), None)
                if first is not None:
                    self.note(first, f"… {len(self.engine.records) - self.max_steps} more "
                                     "steps not drawn")
                break
            self.step(step)
        head = ["sequenceDiagram",
                f"    title {escape(f'{self.scenario.title} ({self.scenario.name}, seed {self.engine.seed})')}"]
        head += [f"    participant {pid} as {escape(label)}"
                 for pid, label in self.participants.items() if pid in self.used]
        return "\n".join(head + self.lines) + "\n"

    def step(self, s) -> None:
        kind = s.kind
        p = s.packet
        if kind == "dns":
            self._dns(s)
            return
        if kind == "probe" and p is not None:
            vm = self.participant(s.node)
            ok = s.disposition not in FAILURES and s.disposition != "probe-failed"
            self.arrow(self.participant(PROBER), vm,
                       f"{s.n}. probe {s.refs.probe} {p.proto} {p.dport}: {s.disposition}",
                       dropped=not ok)
            return
        where = self.participant(s.node, s)
        if p is None:
            self.note(where, f"{s.n}. {s.disposition}: {s.reason}")
            return
        key = s.conn or ("step", s.n)
        if kind == "send":
            self.position[key] = where
            self.pending[key] = []
            self.sent[key] = s.n
            if s.conn and s.conn not in self.initiators:
                self.initiators[s.conn] = {p.src}
            if s.disposition in FAILURES:
                self.note(where, f"{s.n}. {self._packet(p)} {s.disposition}: {s.reason}")
            return
        decision = self._decision(s)
        reply = bool(s.conn) and p.src not in self.initiators.get(s.conn, {p.src})
        if s.after is not None and s.conn and not reply:
            self.initiators.setdefault(s.conn, set()).add(s.after.src)
        here = self.position.get(key)
        if here is None:
            here = where
        if here == where:  # a decision at the same place: it labels the next arrow out
            self.pending.setdefault(key, []).append(f"{s.n}. {decision}")
            if s.disposition in FAILURES:
                self.note(where, f"{s.n}. {s.disposition}: {s.reason}")
            self.position[key] = where
            return
        sent = self.sent.pop(key, None)
        packet = f"{sent}. {self._packet(p)}" if sent is not None else self._packet(p)
        label = " · ".join([packet] + self.pending.get(key, []) + [f"{s.n}. {decision}"])
        self.arrow(here, where, label, reply=reply, dropped=s.disposition in FAILURES)
        self.position[key] = where
        self.pending[key] = []

    def _dns(self, s) -> None:
        conn = self.engine.connection(s.conn) if s.conn else None
        client = self.participant(node_id(CLIENT, conn.origin if conn else "?"))
        resolver = self.participant("dns")
        asked = re.search(r"asks (.+?) for (\S+?):", s.reason)
        question = f"{asked.group(1).replace(' then ', ', ')}? {asked.group(2)}" if asked else "query"
        self.arrow(client, resolver, f"{s.n}. {question}")
        answer = s.reason.rsplit(": ", 1)[-1] if s.disposition != "no-answer" else "no usable answer"
        self.arrow(resolver, client, f"{s.n}. {s.disposition}: {answer}", reply=True,
                   dropped=s.disposition in FAILURES)

    @staticmethod
    def _packet(p) -> str:
        flags = f" {p.flags}" if p.flags else ""
        size = f" {p.size} B" if p.size else ""
        return f"{p.proto.upper()}{flags}{size}"

    @staticmethod
    def _decision(s) -> str:
        failed = s.disposition in FAILURES
        if s.kind in ("nat", "snat") and s.rewrite:
            word = "SNAT" if s.kind == "snat" else "NAT"
            return f"{word} " + ", ".join(f"{f} {o} → {n}" for f, o, n in s.rewrite)
        if failed:
            return s.disposition
        if s.kind == "rule-match" and s.refs.rule:
            return f"rule {s.refs.rule}"
        if s.kind == "flow-lookup":
            return f"existing flow, rule {s.refs.rule}" if s.refs.rule else "existing flow"
        if s.kind == "backend-choice":
            pick = re.search(r"picks (\S+)", s.reason)
            return f"hash picks {pick.group(1)}" if pick else s.disposition
        if s.kind == "nsg":
            return f"NSG {s.refs.nsg_rule or ''} {s.disposition}".replace("  ", " ")
        return s.disposition


def to_mermaid(result, max_steps: int | None = None) -> str:
    """The sequence diagram of a replayed run (`model.runner.Result` or an engine)."""
    return _Diagram(result, max_steps).build()
