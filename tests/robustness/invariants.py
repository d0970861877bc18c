"""The engine's invariants, checked after every step of a run (issue 9).

`Watcher` wraps an `Engine`: it records every packet handed from one handler to the next (the
arguments of `schedule`), steps the engine one decision at a time and, after each step, checks
that nothing vanished, NAT is a bijection, SNAT ports are unique, probes are obeyed, IPv6 never
crosses an NSG nor goes VM to VM, and idle flows leave exactly at their deadline.
"""

from __future__ import annotations

import re
from collections import Counter

from lb6.model.net.addressing import IPv6, family_of
from lb6.model.engine.engine import Engine
from lb6.model.world.flows import INBOUND, OUTBOUND
from lb6.model.world.health import DOWN
from lb6.model.net.packet import TCP, Packet
from lb6.model.world.trace import DISPOSITIONS, DROPPED_NSG, EXPIRED, FORWARDED, TRANSLATED, Step
from lb6.model.behaviours.connection import vm_eligible

FLOW_ID = re.compile(r"flow #(\d+)")
DROPS = {d for d in DISPOSITIONS if d.startswith("dropped-")}


class InvariantError(AssertionError):
    pass


class Watcher:
    def __init__(self, eng: Engine):
        self.eng = eng
        self.steps_checked = 0
        self.pending: Counter = Counter()     # (conn, packet) handed on, not yet seen
        self.due: dict = {}                    # (conn, packet) -> earliest time it was due
        self.tracking = True
        self.seen = 0                          # records already checked
        self.flows_before: dict[int, tuple] = {}
        original = eng.schedule

        def schedule(at_ms, name, *args):
            if self.tracking:
                for arg in args:
                    # Packets of a connection (probes carry theirs without one).
                    if isinstance(arg, Packet) and isinstance(args[0], str) \
                            and args[0] in eng.state.conns:
                        key = (args[0], arg)
                        self.pending[key] += 1
                        self.due.setdefault(key, max(at_ms, eng.now))
            return original(at_ms, name, *args)

        eng.schedule = schedule  # instance attribute: the handlers call eng.schedule

    # ---- driving ------------------------------------------------------------------------

    def step(self) -> Step | None:
        rec = self.eng.step()
        self.check()
        return rec

    def advance(self, until: int, max_steps: int = 20_000, set_clock: bool = True) -> int:
        """Step (checking each step) through every event up to `until`, then (unless told not
        to, as the explorer never does) move the clock to `until` as `Engine.run` does."""
        n = 0
        while (nxt := self.eng.peek()) is not None and nxt <= until and n < max_steps:
            self.step()
            n += 1
        if n < max_steps and set_clock:
            self.eng.run(until=until)  # nothing left before `until`: only moves the clock
            self.check()
        return n

    # ---- the checks ---------------------------------------------------------------------

    def fail(self, message: str, step: Step | None = None) -> None:
        where = f" at step {step.n} (t={step.t_ms} ms, {step.node} {step.kind} " \
                f"{step.disposition}: {step.reason})" if step else f" at t={self.eng.now} ms"
        raise InvariantError(message + where)

    def check(self) -> None:
        eng = self.eng
        new = eng.records[self.seen:]
        for step in new:
            self.check_step(step)
            self.steps_checked += 1
        self.seen = len(eng.records)
        self.check_packets_accounted()
        self.check_flow_table()
        self.check_snat()
        if new or not self.flows_before:
            self.check_down_backends()
        self.flows_before = {f.id: (f.deadline_ms, f.kind, f.vm, f.rule) for f in eng.flows()}

    def check_step(self, step: Step) -> None:
        eng = self.eng
        if step.disposition not in DISPOSITIONS:
            self.fail(f"unknown disposition {step.disposition!r}", step)
        if not step.reason or not step.reason.strip():
            self.fail("a step without a reason", step)
        if step.packet is not None and step.conn is not None:
            key = (step.conn, step.packet)
            if self.pending[key] > 0:
                self.pending[key] -= 1
                if self.pending[key] == 0:
                    del self.pending[key]
                    self.due.pop(key, None)
        packet = step.packet
        if packet is not None and packet.family == IPv6:
            # Facts 19, 134: NSGs filter IPv4 only.
            if step.disposition == DROPPED_NSG:
                self.fail("an IPv6 packet was dropped by an NSG", step)
            # Fact 18: a VM's only IPv6 peer is the load balancer.
            owners = eng.topology.owners
            src, dst = owners.get(packet.src), owners.get(packet.dst)
            if src is not None and dst is not None and src.kind == "vm" and dst.kind == "vm" \
                    and step.disposition not in DROPS:
                self.fail("IPv6 went from VM to VM", step)
        if step.kind == "receive" and packet is not None and step.conn is not None:
            conn = eng.connection(step.conn)
            ends = {(a.src, a.sport) for a in conn.attempts}
            if (packet.dst, packet.dport) not in ends:
                self.fail(f"a reply reached {conn.origin} at {packet.dst}:{packet.dport}, "
                          f"which is none of its attempts' sources {sorted(ends)}", step)
        if step.kind == "idle-timeout" and step.disposition == EXPIRED:
            m = FLOW_ID.search(step.reason)
            if m:
                before = self.flows_before.get(int(m.group(1)))
                if before is not None and before[0] > step.t_ms:
                    self.fail(f"flow #{m.group(1)} expired before its deadline {before[0]}", step)
        if step.kind == "nat" and step.disposition == TRANSLATED and "new flow #" in step.reason:
            flow = eng.state.flows.get(int(FLOW_ID.search(step.reason).group(1)))
            if flow is not None and flow.kind == INBOUND:
                rule = eng.topology.rules.get(flow.rule)
                ok, state = vm_eligible(eng, flow.vm, rule.probe if rule else None)
                if not ok:
                    self.fail(f"a new flow went to {flow.vm}, which is {state}", step)

    def check_packets_accounted(self) -> None:
        """Every packet handed to the next hop shows up in a later step of its connection."""
        now = self.eng.now
        lost = [(k, t) for k, t in self.due.items() if t < now and self.pending.get(k)]
        if lost:
            (conn, packet), t = lost[0]
            raise InvariantError(f"packet {packet.describe()} of {conn}, due at {t} ms, never "
                                 f"reached a step (now {now} ms)")

    def check_flow_table(self) -> None:
        eng = self.eng
        table = eng.state.flows
        flows = table.values()
        xlats = Counter(f.xlat for f in flows)
        dup = [t for t, n in xlats.items() if n > 1]
        if dup:
            self.fail(f"two live flows share the translated tuple {dup[0]}")
        origs = Counter(f.orig for f in flows)
        dup = [t for t, n in origs.items() if n > 1]
        if dup:
            self.fail(f"two live flows share the original tuple {dup[0]}")
        for f in flows:
            if table.lookup(f.orig) is not f:
                self.fail(f"flow #{f.id} is not found by its original tuple")
            if table.lookup_reply(f.reply_key()) is not f:
                self.fail(f"a reply to flow #{f.id} does not map back to it")
            if f.kind != OUTBOUND and f.xlat[1:3] != f.orig[1:3]:
                self.fail(f"inbound flow #{f.id} changed the client's source {f.orig} → {f.xlat}")
            if f.kind == OUTBOUND and f.xlat[3:] != f.orig[3:]:
                self.fail(f"outbound flow #{f.id} changed the destination {f.orig} → {f.xlat}")
            # Idle flows disappear at their deadline (and not before, checked on expiry).
            if f.deadline_ms < eng.now:
                self.fail(f"flow #{f.id} outlived its idle deadline {f.deadline_ms}")
        if len(table.by_orig) != len(flows) or len(table.by_reply) != len(flows):
            self.fail(f"flow indexes out of step: {len(flows)} flows, {len(table.by_orig)} by "
                      f"original, {len(table.by_reply)} by reply")

    def check_snat(self) -> None:
        """A port is never handed out twice for the same frontend, protocol and destination."""
        eng = self.eng
        snat = eng.state.snat
        for f in eng.flows():
            if f.kind != OUTBOUND:
                continue
            _, public, port, dst, dport = f.xlat
            users = snat.in_use.get((public, f.proto, port), {})
            if (dst, dport) not in users:
                self.fail(f"outbound flow #{f.id} holds SNAT port {public}:{port} towards "
                          f"{dst}:{dport}, which the SNAT table thinks is free")
        # Blocks of different VMs on one frontend never overlap (fact 118).
        by_frontend: dict = {}
        for (frontend, private, proto), (start, count) in snat.blocks.items():
            by_frontend.setdefault((frontend, proto), []).append((start, start + count, private))
        for key, blocks in by_frontend.items():
            blocks.sort()
            for (a0, a1, pa), (b0, b1, pb) in zip(blocks, blocks[1:]):
                if b0 < a1:
                    self.fail(f"SNAT blocks of {pa} and {pb} overlap on {key}")

    def check_down_backends(self) -> None:
        """Fact 82/84: a TCP flow to a probed-down VM lives only while another member is up."""
        eng = self.eng
        nxt = eng.peek()
        if nxt is not None and nxt <= eng.now:
            return  # decisions at this instant are still running (pool_check follows a flip)
        t = eng.topology
        for f in eng.flows():
            if f.kind != INBOUND or f.proto != TCP:
                continue
            rule = t.rules.get(f.rule)
            if rule is None or rule.probe is None:
                continue
            ps = eng.state.probes.get((rule.probe, f.vm))
            if ps is None or ps.state != DOWN:
                continue
            others = [m.vm for m in t.pools[rule.backend_pool].members
                      if vm_eligible(eng, m.vm, rule.probe)[0]]
            if not others:
                self.fail(f"TCP flow #{f.id} to {f.vm} (probed down) lives on with no member "
                          f"of {rule.backend_pool} in rotation")


def family(address: str) -> str:
    return family_of(address)
