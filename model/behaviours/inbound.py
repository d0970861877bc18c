"""The load balancer's inbound path: frontend, existing flow or rule, the backend choice by
hash over the members in rotation, and the destination NAT towards the VM (facts 3-4, 14, 20-22,
26, 41-58, 82-85, 171, 179-183).

Each handler makes at most one decision and records it with `engine.emit`; the translated
packet goes on to the VM (`vm_in`, behaviours/guest.py).
"""

from __future__ import annotations

from ..net.addressing import IPv6, endpoint
from .connection import HOST_HOP_MS, fail, live_flow, vm_eligible
from .distribution import MODE_TUPLES, choose
from ..deployment.nodes import DEFAULT_IDLE_TIMEOUT_MIN, InboundNatRule
from ..net.packet import ICMP, TCP, UDP, Packet, rewrite
from ..world.flows import FIN_WAIT, INBOUND, NAT_RULE, SYN_SENT, UDP_STATE
from ..world.registry import handler
from ..world.state import Conn
from ..world import trace as d
from ..deployment.node_ids import FRONTEND, POOL, VM, node_id


@handler("lb_in")
def lb_in(eng, conn_id: str, i: int, packet: Packet) -> None:
    s = eng.state
    t = s.topology
    conn = s.conns[conn_id]
    att = conn.attempts[i]
    frontend = t.frontend_at(packet.dst)
    if frontend is None:
        owner = t.owners.get(packet.dst)
        on_nic = next((p for p in t.public_ips if p.address == packet.dst), None)
        if owner is not None and owner.kind == "vm":
            why = (f"{packet.dst} is a private address of {owner.name}; the Internet reaches VMs "
                   "only through the load balancer's frontends (facts 3-4)")
        elif on_nic is not None:
            why = (f"{packet.dst} is public IP {on_nic.name}, attached to a VM's NIC rather than "
                   "to a frontend; a public IPv6 can only sit on the load balancer (fact 14), and "
                   "lb6 does not model instance-level public IPs")
        else:
            why = f"nothing in this deployment owns {packet.dst}"
        fail(conn, att, d.DROPPED_NO_ROUTE)
        eng.emit("internet", "route", d.DROPPED_NO_ROUTE, why, packet=packet, conn=conn,
                 facts=(3, 4))
        return
    node = node_id(FRONTEND, frontend.name)
    if packet.proto == ICMP:
        fail(conn, att, d.DROPPED_ICMP)
        eng.emit(node, "rule-match", d.DROPPED_ICMP,
                 "ICMP is blocked in Azure and never load balanced: ping to a frontend always "
                 "fails; test with TCP instead", packet=packet, conn=conn,
                 ids=("icmp-dropped",), facts=(26, 56),
                 warn=[("icmp-dropped", frontend.name, f"{conn.origin}'s ping to {packet.dst} "
                                                       "is dropped")])
        return
    flow = s.flows.lookup(packet.five_tuple)
    if flow is not None:
        existing_flow(eng, conn, i, packet, flow, node)
        return
    if packet.proto == TCP and "SYN" not in packet.flags:
        if conn.flow_expired:
            fail(conn, att, d.DROPPED_IDLE)
            eng.emit(node, "flow-lookup", d.DROPPED_IDLE,
                     "no flow for this connection: it was removed at its idle timeout and Basic "
                     "sent no reset, so the client still thinks it is open",
                     packet=packet, conn=conn, ids=("idle-timeout-expiry",), facts=(99, 102, 103),
                     warn=[("idle-timeout-expiry", conn.id,
                            f"{conn.id}: a packet after the idle timeout is dropped")])
        else:
            fail(conn, att, d.DROPPED_NO_FLOW)
            eng.emit(node, "flow-lookup", d.DROPPED_NO_FLOW,
                     "a mid-connection packet with no flow behind it (the flow was ended)",
                     packet=packet, conn=conn, facts=(84,))
        return
    rule = t.rule_for(frontend.name, packet.proto, packet.dport)
    if rule is None:
        fail(conn, att, d.DROPPED_NO_RULE)
        if frontend.family == IPv6:
            ports = sorted({f"{r.protocol} {r.frontend_port}" for r in
                            list(t.load_balancer.rules) + list(t.load_balancer.inbound_nat_rules)
                            if r.frontend == frontend.name})
            eng.emit(node, "rule-match", d.DROPPED_NO_RULE,
                     f"no rule on IPv6 frontend {frontend.name} for {packet.proto} {packet.dport}; "
                     f"over IPv6 only rule ports are reachable ({', '.join(ports) or 'none'}) "
                     "and the frontend sends no answer",
                     packet=packet, conn=conn, ids=("ipv6-only-rule-ports-exposed",),
                     facts=(20, 58),
                     warn=[("ipv6-only-rule-ports-exposed", frontend.name,
                            f"{packet.proto} {packet.dport} is not exposed over IPv6")])
        else:
            eng.emit(node, "rule-match", d.DROPPED_NO_RULE,
                     f"no rule on frontend {frontend.name} for {packet.proto} {packet.dport}; "
                     "the frontend sends no answer", packet=packet, conn=conn, facts=(51, 58))
        return
    if isinstance(rule, InboundNatRule):
        eng.emit(node, "rule-match", d.FORWARDED,
                 f"matches inbound NAT rule {rule.name}: {frontend.name} {rule.protocol} "
                 f"{rule.frontend_port} → one VM's port {rule.backend_port}",
                 packet=packet, conn=conn, rule=rule.name, ids=("inbound-nat-rule",),
                 facts=(54, 51))
        eng.schedule(eng.now, "pick_backend", conn.id, i, packet, rule.name, True)
        return
    notes, warn, ids = [], [], []
    if frontend.family == IPv6:
        if rule.idle_timeout_min != DEFAULT_IDLE_TIMEOUT_MIN:
            notes.append(f"its idle timeout of {rule.idle_timeout_min} min is ignored: IPv6 keeps 4")
            ids.append("ipv6-idle-timeout-fixed")
            warn.append(("ipv6-idle-timeout-fixed", rule.name, "IPv6 rule idle timeout fixed at 4 min"))
        if rule.load_distribution != "Default":
            notes.append(f"its {rule.load_distribution} distribution is ignored: IPv6 keeps 5-tuple")
            ids.append("ipv6-distribution-fixed")
            warn.append(("ipv6-distribution-fixed", rule.name, "IPv6 rule distribution fixed to Default"))
    extra = f"; {'; '.join(notes)}" if notes else ""
    eng.emit(node, "rule-match", d.FORWARDED,
             f"matches rule {rule.name}: {frontend.name} {rule.protocol} {rule.frontend_port} → "
             f"pool {rule.backend_pool} port {rule.backend_port}{extra}",
             packet=packet, conn=conn, rule=rule.name,
             ids=tuple(ids) + (("ipv6-load-balancing",) if frontend.family == IPv6 else ()),
             facts=(51, 3) + ((21, 22) if notes else ()), warn=warn)
    eng.schedule(eng.now, "pick_backend", conn.id, i, packet, rule.name, False)


def existing_flow(eng, conn: Conn, i: int, packet: Packet, flow, node: str) -> None:
    t = eng.topology
    rule = t.rules.get(flow.rule)
    ids, facts, reason = (), (183,), f"existing flow #{flow.id} → {flow.vm} (rule {flow.rule})"
    warn: list = []
    if rule is not None and flow.kind == INBOUND:
        ok, state = vm_eligible(eng, flow.vm, rule.probe)
        if not ok and packet.proto == UDP:
            moved = repick(eng, packet, rule)
            if moved is not None:
                old = flow.vm
                member, _ = moved
                xlat = (flow.proto, packet.src, packet.sport,
                        packet.dst if rule.floating_ip else member.address, rule.backend_port)
                flow = eng.state.flows.retarget(flow, xlat, member.vm)
                reason = (f"UDP flow #{flow.id} moves from {old} ({state}) to {member.vm}: UDP "
                          "keeps no connection state, so it is hashed again over healthy members")
                ids, facts = ("backend-down-udp-moves",), (83,)
                warn = [("backend-down-udp-moves", conn.id,
                         f"UDP flow #{flow.id} moved from {old} to {member.vm}")]
        elif not ok:
            reason += (f"; {flow.vm} is {state}, but an established TCP flow keeps going while "
                       "another member is up")
            ids, facts = ("backend-down-tcp-continues",), (82, 183)
    eng.emit(node, "flow-lookup", d.FORWARDED, reason, packet=packet, conn=conn, rule=flow.rule,
             ids=ids, facts=facts, warn=warn)
    eng.schedule(eng.now, "nat_in", conn.id, i, packet, flow.id)


def repick(eng, packet: Packet, rule):
    t = eng.topology
    up = [m for m in t.candidates(rule.name) if vm_eligible(eng, m.vm, rule.probe)[0]]
    if not up:
        return None
    mode = "Default" if t.is_ipv6_rule(rule) else rule.load_distribution
    c = choose(packet, mode, len(up))
    return up[c.index], c


@handler("pick_backend")
def pick_backend(eng, conn_id: str, i: int, packet: Packet, rule_name: str, nat: bool) -> None:
    s = eng.state
    t = s.topology
    conn = s.conns[conn_id]
    att = conn.attempts[i]
    if nat:
        rule = t.nat_rules[rule_name]
        node = node_id(FRONTEND, rule.frontend)
        target = rule.target
        if target is None:
            fail(conn, att, d.DROPPED_NO_RULE)
            eng.emit(node, "backend-choice", d.DROPPED_NO_RULE,
                     f"inbound NAT rule {rule.name} is bound to no IP configuration",
                     packet=packet, conn=conn, rule=rule.name, facts=(54,))
            return
        eng.emit(node_id(VM, target.vm), "backend-choice", d.FORWARDED,
                 f"NAT rule {rule.name} always forwards to {target.vm} "
                 f"({target.nic}/{target.ip_config}); NAT rules use no probe and no hash",
                 packet=packet, conn=conn, rule=rule.name, ids=("inbound-nat-rule",), facts=(54,))
        eng.schedule(eng.now, "nat_new", conn.id, i, packet, rule.name, True, target.vm,
                     target.address)
        return
    rule = t.rules[rule_name]
    pool = t.pools[rule.backend_pool]
    members = t.candidates(rule.name)
    states = [(m, *vm_eligible(eng, m.vm, rule.probe)) for m in members]
    table = ", ".join(f"{m.vm} {m.address} {'up' if ok else st}" for m, ok, st in states) or "empty pool"
    up = [m for m, ok, _ in states if ok]
    node = node_id(POOL, pool.name)
    probe_note = f" by probe {rule.probe}" if rule.probe else ""
    if not up:
        fail(conn, att, d.DROPPED_NO_HEALTHY)
        eng.emit(node, "backend-choice", d.DROPPED_NO_HEALTHY,
                 f"no member of {pool.name} is in rotation{probe_note} ({table}); the frontend "
                 "gives no answer, not even a reset", packet=packet, conn=conn, rule=rule.name,
                 probe=rule.probe, ids=("no-healthy-backend", "all-backends-down"),
                 warn=[("no-healthy-backend", pool.name, f"{pool.name} has no healthy member; "
                                                         f"{conn.id} gets no answer")],
                 facts=(58, 84, 85), detail=(("candidates", table),))
        return
    ipv6 = t.is_ipv6_rule(rule)
    mode = "Default" if ipv6 else rule.load_distribution  # fact 22: IPv6 keeps Default
    c = choose(packet, mode, len(up))
    member = up[c.index]
    ids = ("five-tuple-hash",) if mode == "Default" else ("source-ip-affinity",)
    if ipv6 and rule.probe:
        ids += ("ipv4-probe-governs-both",)
    detail = (
        ("rule", f"{rule.name} picked pool {pool.name}"),
        ("mode", f"{mode} ({MODE_TUPLES[mode]})" + (" — fixed for IPv6" if ipv6 else "")),
        ("hash inputs", " | ".join(c.inputs)),
        ("hash", f"{c.value:#018x}"),
        ("candidates", table),
        ("pick", f"hash mod {len(up)} healthy = {c.index} → {member.vm}"),
    )
    eng.emit(node, "backend-choice", d.FORWARDED,
             f"{MODE_TUPLES[mode]} hash over {len(up)} healthy of {len(members)} members picks "
             f"{member.vm} ({member.address})" + (
                 "; out of rotation: " + ", ".join(
                     f"{m.vm} ({'stopped' if st == 'stopped' else 'down' + probe_note})"
                     for m, ok, st in states if not ok)
                 if len(up) < len(members) else ""),
             packet=packet, conn=conn, rule=rule.name, probe=rule.probe, ids=ids,
             facts=(41, 42, 43, 179) + ((10,) if ipv6 and rule.probe else ()), detail=detail)
    eng.schedule(eng.now, "nat_new", conn.id, i, packet, rule.name, False, member.vm,
                 member.address)


@handler("nat_new")
def nat_new(eng, conn_id: str, i: int, packet: Packet, rule_name: str, nat: bool, vm: str,
            address: str) -> None:
    s = eng.state
    t = s.topology
    conn = s.conns[conn_id]
    rule = t.nat_rules[rule_name] if nat else t.rules[rule_name]
    frontend = t.frontends[rule.frontend]
    ipv6 = frontend.family == IPv6
    # Fact 21/107: IPv6 flows keep 4 minutes whatever the rule says; fact 106: UDP housekeeping.
    idle_min = DEFAULT_IDLE_TIMEOUT_MIN if (ipv6 or packet.proto == UDP) else rule.idle_timeout_min
    dst = packet.dst if rule.floating_ip else address  # fact 171: floating IP keeps the VIP
    after, diff = rewrite(packet, dst=dst, dport=rule.backend_port)
    flow = s.flows.add(NAT_RULE if nat else INBOUND, packet.proto, packet.five_tuple,
                       after.five_tuple, vm, frontend.name, rule.name,
                       SYN_SENT if packet.proto == TCP else UDP_STATE, s.now, idle_min * 60_000,
                       conn.id)
    flow.touch(s.now, packet.size)
    conn.attempts[i].flow = flow.id
    flow.expiry_at = deadline = flow.deadline_ms  # one int for both: 100k flows wait on it
    eng.schedule(deadline, "flow_expiry", flow.id)
    fip = "; floating IP keeps the frontend address as destination" if rule.floating_ip else ""
    eng.emit(node_id(FRONTEND, frontend.name), "nat", d.TRANSLATED,
             f"destination {endpoint(packet.dst, packet.dport)} → {endpoint(dst, rule.backend_port)}"
             f" on {vm}; new flow #{flow.id}, idle timeout {idle_min} min"
             + (" (fixed for IPv6)" if ipv6 else "") + fip,
             packet=packet, after=after, rewrite=diff, conn=conn, rule=rule.name,
             facts=(3, 57, 181) + ((21,) if ipv6 else ()) + ((171,) if rule.floating_ip else ()))
    eng.schedule(eng.now + HOST_HOP_MS, "vm_in", conn.id, i, after, flow.id)


@handler("nat_in")
def nat_in(eng, conn_id: str, i: int, packet: Packet, flow_id: int) -> None:
    s = eng.state
    conn = s.conns[conn_id]
    flow = live_flow(eng, conn, i, packet, flow_id, "internet", "nat")
    if flow is None:
        return
    _, _, _, dst, dport = flow.xlat
    after, diff = rewrite(packet, dst=dst, dport=dport)
    flow.touch(s.now, packet.size)
    if "FIN" in packet.flags:
        flow.state = FIN_WAIT
    eng.emit(node_id(FRONTEND, flow.frontend), "nat", d.TRANSLATED,
             f"flow #{flow.id}: destination {endpoint(packet.dst, packet.dport)} → "
             f"{endpoint(dst, dport)}", packet=packet, after=after, rewrite=diff, conn=conn,
             rule=flow.rule, facts=(181,))
    eng.schedule(eng.now + HOST_HOP_MS, "vm_in", conn.id, i, after, flow.id)
