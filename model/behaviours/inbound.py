"""Inbound traffic: an Internet client's connection through DNS, the frontend, the rule, the
hash, the NAT, the NSG and the VM, and the reply back (facts 3-4, 20, 26, 41-58, 82-85,
99-107, 133-137, 170-182, 197-209).

Each handler makes at most one decision and records it with `engine.emit`; the next hop is
scheduled as a new event, so the explorer can show the packet one place at a time. The
connection state machine (`origin_in`, `origin_next`) is shared with outbound connections.
"""

from __future__ import annotations

from lb6.model.net.addressing import IPv6, endpoint, family_of
from lb6.model.behaviours.dns import resolve
from lb6.model.world.flows import ESTABLISHED, FIN_WAIT, INBOUND, NAT_RULE, SYN_SENT, UDP_STATE
from lb6.model.deployment.nodes import DEFAULT_IDLE_TIMEOUT_MIN, InboundNatRule
from lb6.model.behaviours.nsg import evaluate, would_deny_ipv6
from lb6.model.net.packet import ICMP, TCP, UDP, Packet, rewrite
from lb6.model.world.registry import handler
from lb6.model.behaviours.distribution import MODE_TUPLES, choose
from lb6.model.world.state import Attempt, Conn
from lb6.model.world import trace as d

# Not in the facts: delay from the load balancer's host agent to the VM, 1 ms.
HOST_HOP_MS = 1
# Fact 99-100 (and 21 for IPv6): the default idle timeout, used for UDP table housekeeping too.
DEFAULT_IDLE_MS = DEFAULT_IDLE_TIMEOUT_MIN * 60_000


# ---- small helpers ----------------------------------------------------------------------------


def origin_node(conn: Conn) -> str:
    return f"client:{conn.origin}" if conn.kind == "inbound" else f"vm:{conn.origin}"


def ephemeral_port(eng, address: str) -> int:
    """Next source port for an address: a seeded start in 49152-65535, then sequential."""
    ports = eng.state.ports
    if address not in ports:
        ports[address] = 49152 + eng.state.rng.randrange(16384)
    port = ports[address]
    ports[address] = 49152 + (port - 49152 + 1) % 16384
    return port


def fail(conn: Conn, att: Attempt | None, disposition: str, known: bool = False) -> None:
    """Note a failed packet: a connecting attempt waits for its timer, an open one ends.

    A silent drop leaves the attempt pending, because the client cannot tell it from a slow
    answer: Happy Eyeballs cancels it when another attempt wins (fact 204). `known` marks a
    failure the client itself sees (no address of that family).
    """
    if conn.status == "connecting" and att is not None and att.state == "connecting":
        att.failure = disposition
        conn.last_failure = disposition
        if known:
            att.state = "failed"
    elif conn.status in ("open", "closing"):
        conn.outcome = disposition
        conn.status = "failed"
        conn.awaiting = False


def vm_eligible(eng, vm: str, probe: str | None) -> tuple[bool, str]:
    """Is a VM in rotation for a rule with `probe`? (stopped VMs never are, fact 81)."""
    s = eng.state
    if not s.vm_running.get(vm, True):
        return False, "stopped"
    if probe is None:
        return True, "no probe"  # fact 87: a rule without a probe keeps everyone in rotation
    ps = s.probes.get((probe, vm))
    if ps is None:
        return True, "not probed"
    return ps.eligible, ps.state


def live_flow(eng, conn: Conn, i: int, packet: Packet, flow_id: int, node: str, kind: str,
              why: str = "the flow ended while the packet was on its way", facts=()):
    """The flow a packet in transit belongs to, or None after recording the drop.

    A flow can end between two hops (idle timeout, Basic ending a dead pool's flows, fact 84);
    the packet then meets no state and is dropped.
    """
    flow = eng.state.flows.edit(flow_id)  # the caller changes it (touch, state)
    if flow is None:
        fail(conn, conn.attempts[i], d.DROPPED_NO_FLOW)
        eng.emit(node, kind, d.DROPPED_NO_FLOW, why, packet=packet, conn=conn, facts=facts)
    return flow


# ---- starting a connection --------------------------------------------------------------------


def begin_inbound(eng, conn: Conn) -> None:
    """First decision of an Internet client's connection: DNS, or the literal address."""
    t = eng.topology
    client = t.client_by_name[conn.origin]
    name = t.dns_by_name.get(conn.to.lower())
    conn.status = "connecting"
    if name is None:
        family = family_of(conn.to)
        conn.candidates = eng.shared(((family, conn.to),))
        if client.address(family) is None:
            conn.status = "failed"
            conn.outcome = d.DROPPED_LIMITATION
            eng.emit(f"client:{client.name}", "choose", d.DROPPED_LIMITATION,
                     f"{client.name} has no {family} address, so it cannot reach {conn.to}; "
                     "nothing translates between families (no NAT64, fact 24)",
                     ids=("no-nat64",), facts=(24,), conn=conn,
                     warn=[("no-nat64", conn.id, f"{client.name} cannot reach {conn.to}")])
            return
        eng.schedule(eng.now, "choose_family", conn.id, 0)
        eng.schedule(eng.now + client.connect_timeout_ms, "connect_timeout", conn.id)
        # A literal address needs no DNS and no choice: the attempt is the first decision.
        return
    res = resolve(client, name)
    answers = ", ".join(f"{'AAAA' if f == IPv6 else 'A'} {a}" for f, a in res.answers) or "nothing usable"
    conn.candidates = eng.shared(tuple(res.answers))
    base = (f"{client.name} ({client.stack} stack) asks {' then '.join(res.asked)} for "
            f"{name.name}: {answers}")
    if conn.want_family:
        # A connection pinned to one family (the twin-stack comparison) uses only that answer.
        conn.candidates = eng.shared(tuple(c for c in conn.candidates if c[0] == conn.want_family))
        base += f"; this connection uses {conn.want_family} only"
    if not conn.candidates:
        conn.status = "failed"
        conn.outcome = d.NO_ANSWER
        warn, ids, facts = [], ("dns-a-and-aaaa",), (31,)
        if client.stack == "ipv6" and name.a:
            ids += ("no-nat64",)
            facts += (24,)
            warn = [("no-nat64", conn.id, f"IPv6-only {client.name} gets no AAAA for {name.name}")]
            base += ("; the name has only an A record, and IPv6 is never translated to IPv4 "
                     "(no NAT64)")
        eng.emit(f"dns:{name.name}", "dns", d.NO_ANSWER, base, ids=ids, facts=facts, conn=conn,
                 warn=warn)
        return
    eng.emit(f"dns:{name.name}", "dns", d.ANSWERED, base, ids=("dns-a-and-aaaa",),
             facts=(31, 198), conn=conn, detail=(("decision", res.reason),))
    eng.schedule(eng.now + res.decide_after_ms, "choose_family", conn.id, res.decide_after_ms)
    eng.schedule(eng.now + res.decide_after_ms + client.connect_timeout_ms, "connect_timeout",
                 conn.id)


@handler("choose_family")
def choose_family(eng, conn_id: str, waited_ms: int) -> None:
    conn = eng.state.conns[conn_id]
    if conn.status != "connecting":
        return
    client = eng.topology.client_by_name[conn.origin]
    delay = client.connection_attempt_delay_ms
    if len(conn.candidates) == 1 or conn.proto != TCP:
        # One address, or not TCP (Happy Eyeballs races handshakes): go straight to it.
        eng.schedule(eng.now, "attempt", conn.id, 0)
        return
    order = " then ".join(f"{f} {endpoint(a, conn.port)}" for f, a in conn.candidates)
    name = eng.topology.dns_by_name.get(conn.to.lower())
    why = resolve(client, name).reason if name else "a literal address"
    eng.emit(f"client:{client.name}", "choose", d.CHOSEN,
             f"Happy Eyeballs: {why}. Order: {order}; each next attempt starts {delay} ms "
             "after the previous one unless it has completed",
             ids=("dns-a-and-aaaa",), facts=(199, 200, 201, 202, 206, 207, 209), conn=conn)
    for i in range(len(conn.candidates)):
        eng.schedule(eng.now + i * delay, "attempt", conn.id, i)


@handler("attempt")
def attempt(eng, conn_id: str, i: int) -> None:
    conn = eng.state.conns[conn_id]
    if conn.status != "connecting" or i >= len(conn.candidates) or i < len(conn.attempts):
        return
    if i > len(conn.attempts):  # an earlier attempt has not started yet: keep the order
        eng.schedule(eng.now, "attempt", conn.id, i)
        return
    client = eng.topology.client_by_name[conn.origin]
    family, dst = conn.candidates[i]
    src = client.address(family)
    if src is None:
        conn.attempts += (Attempt(family, "", 0, dst, conn.port),)
        fail(conn, conn.attempts[-1], d.DROPPED_LIMITATION, known=True)
        eng.schedule(eng.now, "attempt", conn.id, i + 1)
        return
    sport = 0 if conn.proto == ICMP else ephemeral_port(eng, src)
    att = Attempt(family, src, sport, dst, 0 if conn.proto == ICMP else conn.port)
    conn.attempts += (att,)
    if conn.proto == TCP:
        packet = Packet(TCP, src, sport, dst, conn.port, "SYN", 0)
        what = "SYN"
    elif conn.proto == UDP:
        packet = Packet(UDP, src, sport, dst, conn.port, "", conn.request_bytes)
        conn.awaiting = True
        what = f"a {conn.request_bytes}-byte datagram"
    else:
        packet = Packet(ICMP, src, 0, dst, 0, "echo-request", 64)
        what = "an ICMP echo request (ping)"
    nth = f"attempt {i + 1} over {family}" if len(conn.candidates) > 1 else f"over {family}"
    eng.emit(f"client:{client.name}", "send", d.FORWARDED,
             f"{client.name} sends {what} {nth} to {endpoint(dst, packet.dport)}",
             packet=packet, conn=conn, facts=(202,) if i else ())
    eng.schedule(eng.now + client.latency_ms, "lb_in", conn.id, i, packet)


@handler("connect_timeout")
def connect_timeout(eng, conn_id: str) -> None:
    conn = eng.state.conns[conn_id]
    if conn.status != "connecting":
        return
    conn.status = "failed"
    conn.outcome = conn.last_failure or d.TIMED_OUT
    for att in conn.attempts:
        if att.state == "connecting":
            att.state = "failed"
    why = f" (last failure: {conn.last_failure})" if conn.last_failure else ""
    eng.emit(origin_node(conn), "timeout", d.TIMED_OUT,
             f"no attempt completed; {conn.origin} gives up on {conn.to}{why}",
             conn=conn, facts=(58,))


# ---- at the load balancer ---------------------------------------------------------------------


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
    node = f"frontend:{frontend.name}"
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
    pool = t.pools[rule.backend_pool]
    up = [m for m in sorted(pool.members, key=lambda m: (m.vm, m.nic, m.ip_config))
          if vm_eligible(eng, m.vm, rule.probe)[0]]
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
        node = f"frontend:{rule.frontend}"
        target = rule.target
        if target is None:
            fail(conn, att, d.DROPPED_NO_RULE)
            eng.emit(node, "backend-choice", d.DROPPED_NO_RULE,
                     f"inbound NAT rule {rule.name} is bound to no IP configuration",
                     packet=packet, conn=conn, rule=rule.name, facts=(54,))
            return
        eng.emit(f"vm:{target.vm}", "backend-choice", d.FORWARDED,
                 f"NAT rule {rule.name} always forwards to {target.vm} "
                 f"({target.nic}/{target.ip_config}); NAT rules use no probe and no hash",
                 packet=packet, conn=conn, rule=rule.name, ids=("inbound-nat-rule",), facts=(54,))
        eng.schedule(eng.now, "nat_new", conn.id, i, packet, rule.name, True, target.vm,
                     target.address)
        return
    rule = t.rules[rule_name]
    pool = t.pools[rule.backend_pool]
    members = sorted(pool.members, key=lambda m: (m.vm, m.nic, m.ip_config))
    states = [(m, *vm_eligible(eng, m.vm, rule.probe)) for m in members]
    table = ", ".join(f"{m.vm} {m.address} {'up' if ok else st}" for m, ok, st in states) or "empty pool"
    up = [m for m, ok, _ in states if ok]
    node = f"pool:{pool.name}"
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
    eng.emit(f"frontend:{frontend.name}", "nat", d.TRANSLATED,
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
    eng.emit(f"frontend:{flow.frontend}", "nat", d.TRANSLATED,
             f"flow #{flow.id}: destination {endpoint(packet.dst, packet.dport)} → "
             f"{endpoint(dst, dport)}", packet=packet, after=after, rewrite=diff, conn=conn,
             rule=flow.rule, facts=(181,))
    eng.schedule(eng.now + HOST_HOP_MS, "vm_in", conn.id, i, after, flow.id)


# ---- at the VM ----------------------------------------------------------------------------------


def _receiving_nic(t, flow, family: str) -> str | None:
    """The NIC a flow's packets arrive on. With floating IP the destination stays the
    frontend address (fact 171), so the NIC is found from the VM's configuration of the
    packet's family instead of from the address."""
    owner = t.owners.get(flow.xlat[3])
    if owner is not None and owner.kind == "vm":
        return owner.nic
    vm = t.vm_by_name.get(flow.vm)
    for nic, cfg in vm.ip_configs() if vm else ():
        if cfg.version == family and nic.primary:
            return nic.name
    return None


@handler("vm_in")
def vm_in(eng, conn_id: str, i: int, packet: Packet, flow_id: int) -> None:
    """The NSG decision for a new flow (stateful afterwards), then delivery."""
    s = eng.state
    t = s.topology
    conn = s.conns[conn_id]
    flow = live_flow(eng, conn, i, packet, flow_id, "internet", "nsg")
    if flow is None:
        return
    if flow.nsg_checked:
        deliver(eng, conn, i, packet, flow)
        return
    flow.nsg_checked = True
    nic = _receiving_nic(t, flow, packet.family)
    nsgs = t.nsgs_for(flow.vm, nic) if nic else []
    if not nsgs:
        deliver(eng, conn, i, packet, flow, note="no NSG on the subnet or NIC (Basic is open "
                                                 "by default, fact 133)")
        return
    node = f"vm:{flow.vm}"
    names = ", ".join(n.name for n in nsgs)
    if packet.family == IPv6:
        warn, why = [], ""
        for nsg in nsgs:
            v = would_deny_ipv6(nsg.rules, nsg.name, packet.proto, packet.src, packet.sport,
                                packet.dst, packet.dport)
            if v is not None:
                why = f"; rule {nsg.name}/{v.rule} would have denied it over IPv4"
                warn = [("nsg-ignores-ipv6", flow.vm,
                         f"IPv6 packet passed although {nsg.name}/{v.rule} denies it for IPv4")]
                break
        eng.emit(node, "nsg", d.FORWARDED,
                 f"NSG {names} not evaluated: NSGs filter IPv4 only in the Basic IPv6 model{why}",
                 packet=packet, conn=conn, ids=("nsg-ignores-ipv6",), facts=(19, 134), warn=warn)
        eng.schedule(eng.now, "deliver", conn.id, i, packet, flow.id)
        return
    for nsg in nsgs:
        v = evaluate(nsg.rules, nsg.name, "Inbound", packet.proto, packet.src, packet.sport,
                     packet.dst, packet.dport, t.in_vnet)
        if not v.allowed:
            fail(conn, conn.attempts[i], d.DROPPED_NSG)
            eng.emit(node, "nsg", d.DROPPED_NSG,
                     f"NSG {nsg.name} rule {v.rule} (priority {v.priority}) denies "
                     f"{packet.proto} from {packet.src} to port {packet.dport}; the NSG sees the "
                     "client as source and the VM as destination",
                     packet=packet, conn=conn, nsg_rule=f"{nsg.name}/{v.rule}",
                     ids=("nsg-default-rules",) if v.rule == "DenyAllInbound" else (),
                     facts=(135, 136, 137))
            return
    eng.emit(node, "nsg", d.FORWARDED,
             f"NSG {names} allows it ({v.nsg}/{v.rule}, priority {v.priority}); later packets "
             "of this flow pass on the flow record", packet=packet, conn=conn,
             nsg_rule=f"{v.nsg}/{v.rule}", facts=(135, 136, 137))
    eng.schedule(eng.now, "deliver", conn.id, i, packet, flow.id)


@handler("deliver")
def deliver_event(eng, conn_id: str, i: int, packet: Packet, flow_id: int) -> None:
    conn = eng.state.conns[conn_id]
    flow = live_flow(eng, conn, i, packet, flow_id, "internet", "deliver")
    if flow is not None:
        deliver(eng, conn, i, packet, flow)


def service_answer(eng, vm_name: str, packet: Packet) -> tuple[str, str]:
    """How a VM's guest answers a packet: (mode, text). mode: ok | http_500 | refuse | hang."""
    vm = eng.topology.vm_by_name[vm_name]
    svc = vm.service(packet.proto, packet.dport)
    if svc is None:
        return "refuse", f"nothing listens on {packet.proto} {packet.dport}"
    mode = eng.state.service_mode.get((vm_name, packet.proto, packet.dport), "ok")
    if mode == "ok" and svc.http_status not in (None, 200):
        return "http_500", f"the service answers HTTP {svc.http_status}"
    texts = {"ok": f"{packet.proto} {packet.dport} is listening",
             "refuse": f"the service on {packet.proto} {packet.dport} is down",
             "hang": f"the service on {packet.proto} {packet.dport} hangs",
             "http_500": f"the service on {packet.proto} {packet.dport} answers HTTP 500"}
    return mode, texts[mode]


def guest_reply(conn: Conn, packet: Packet, mode: str) -> tuple[Packet | None, str, str]:
    """The guest's reply to `packet`: (reply, disposition, what happened)."""
    if packet.proto == UDP:
        if mode in ("refuse", "hang"):
            return None, d.NO_ANSWER, "no reply (an ICMP unreachable would be dropped, fact 26)"
        return packet.reply("", conn.response_bytes), d.DELIVERED, \
            f"answers with a {conn.response_bytes}-byte datagram"
    flags = packet.flags
    if mode == "hang":
        return None, d.NO_ANSWER, "no answer"
    if "SYN" in flags:
        if mode == "refuse":
            return packet.reply("RST,ACK"), d.REFUSED, "answers RST"
        return packet.reply("SYN,ACK"), d.DELIVERED, "answers SYN-ACK"
    if "RST" in flags:
        return None, d.DELIVERED, "drops the connection"
    if mode == "refuse":
        # The service is gone and its sockets with it: every segment of an old connection,
        # keep-alives and FINs included, meets a reset from the guest's stack.
        return packet.reply("RST,ACK"), d.REFUSED, "answers RST (service gone)"
    if "FIN" in flags:
        return packet.reply("FIN,ACK"), d.DELIVERED, "closes its side: FIN-ACK"
    if packet.size == 0:
        return packet.reply("ACK"), d.DELIVERED, "acknowledges the keep-alive"
    status = " with HTTP 500" if mode == "http_500" else ""
    return packet.reply("PSH,ACK", conn.response_bytes), d.DELIVERED, \
        f"answers {conn.response_bytes} bytes{status}"


def deliver(eng, conn: Conn, i: int, packet: Packet, flow, note: str = "") -> None:
    s = eng.state
    vm = s.topology.vm_by_name[flow.vm]
    node = f"vm:{vm.name}"
    att = conn.attempts[i]
    prefix = f"{note}; " if note else ""
    if not s.vm_running.get(vm.name, True):
        fail(conn, att, d.NO_ANSWER)
        eng.emit(node, "deliver", d.NO_ANSWER, f"{prefix}{vm.name} is stopped: nothing answers",
                 packet=packet, conn=conn, facts=(81,))
        return
    if packet.family == IPv6 and vm.os == "linux" and not vm.dhcpv6:
        fail(conn, att, d.DROPPED_LIMITATION)
        eng.emit(node, "deliver", d.DROPPED_LIMITATION,
                 f"{prefix}{vm.name} runs Linux without DHCPv6, so the guest never took "
                 f"{packet.dst}: the packet finds no one", packet=packet, conn=conn,
                 ids=("linux-dhcpv6",), facts=(8, 9),
                 warn=[("linux-dhcpv6", vm.name, f"IPv6 to {vm.name} fails: no DHCPv6 in the guest")])
        return
    mode, state_text = service_answer(eng, vm.name, packet)
    reply, disposition, what = guest_reply(conn, packet, mode)
    if "SYN" in packet.flags or (packet.proto == UDP and disposition == d.DELIVERED):
        conn.served_by = vm.name if disposition == d.DELIVERED else conn.served_by
    if reply is None and disposition != d.DELIVERED:
        fail(conn, att, disposition)
    blind = blind_probe(eng, flow, packet) if disposition in (d.REFUSED, d.NO_ANSWER) else None
    eng.emit(node, "deliver", disposition, f"{prefix}{state_text}; {vm.name} {what}"
             + (f"; {blind[1]}" if blind else ""),
             packet=packet, conn=conn, facts=(57,) + ((97, 10) if blind else ()),
             warn=[("probe-misses-ipv6-port", flow.rule, blind[1])] if blind else ())
    if reply is not None:
        eng.schedule(eng.now + HOST_HOP_MS, "nat_out", conn.id, i, reply, flow.id)


def blind_probe(eng, flow, packet: Packet):
    """(probe, why) when a failing IPv6 service stays in rotation because the shared IPv4
    probe tests another port (fact 97); None otherwise."""
    t = eng.topology
    rule = t.rules.get(flow.rule)
    if flow.kind != INBOUND or rule is None or packet.family != IPv6 or not rule.probe:
        return None
    probe = t.probes.get(rule.probe)
    if probe is None or probe.port == rule.backend_port or not vm_eligible(eng, flow.vm, rule.probe)[0]:
        return None
    return probe.name, (f"yet {flow.vm} stays in rotation: probe {probe.name} tests port "
                        f"{probe.port}, never the IPv6 backend port {rule.backend_port}")


@handler("nat_out")
def nat_out(eng, conn_id: str, i: int, reply: Packet, flow_id: int) -> None:
    s = eng.state
    conn = s.conns[conn_id]
    flow = live_flow(eng, conn, i, reply, flow_id, "internet", "nat",
                     "the reply's flow was ended on the way", facts=(84,))
    if flow is None:
        return
    _, _, _, fdst, fdport = flow.orig
    after, diff = rewrite(reply, src=fdst, sport=fdport)
    flow.touch(s.now, reply.size)
    closing = ""
    if "RST" in reply.flags or ("FIN" in reply.flags and flow.state == FIN_WAIT):
        s.flows.remove(flow)
        closing = f"; flow #{flow.id} closed and removed"
    elif "SYN" in reply.flags:
        flow.state = ESTABLISHED
    eng.emit(f"frontend:{flow.frontend}", "nat", d.TRANSLATED,
             f"reply source {endpoint(reply.src, reply.sport)} → {endpoint(fdst, fdport)}; it "
             f"goes straight back to the client (direct server return){closing}",
             packet=reply, after=after, rewrite=diff, conn=conn, rule=flow.rule,
             facts=(57, 170, 182))
    delay = eng.topology.client_by_name[conn.origin].latency_ms
    eng.schedule(eng.now + delay, "origin_in", conn.id, i, after)


# ---- back at the initiator: the connection state machine --------------------------------------


@handler("origin_in")
def origin_in(eng, conn_id: str, i: int, packet: Packet) -> None:
    conn = eng.state.conns[conn_id]
    att = conn.attempts[i]
    node = origin_node(conn)
    flags = packet.flags
    if "RST" in flags:
        if conn.status == "connecting":
            att.state = "failed"
            att.failure = d.REFUSED
            conn.last_failure = d.REFUSED
            nxt = len(conn.attempts)
            more = nxt < len(conn.candidates)
            eng.emit(node, "receive", d.REFUSED,
                     f"{conn.origin} gets a reset from {endpoint(packet.src, packet.sport)}"
                     + ("; the next attempt starts at once" if more else ""),
                     packet=packet, conn=conn)
            if more:
                eng.schedule(eng.now, "attempt", conn.id, nxt)
            elif all(a.state == "failed" for a in conn.attempts):
                conn.status = "failed"
                conn.outcome = d.REFUSED
            return
        conn.outcome = d.REFUSED
        conn.status = "failed"
        conn.awaiting = False
        eng.emit(node, "receive", d.REFUSED, f"{conn.origin} gets a reset: the connection is "
                 "over", packet=packet, conn=conn)
        return
    if conn.status == "connecting" and ("SYN" in flags or conn.proto == UDP):
        established(eng, conn, att, packet, node)
        return
    if conn.status == "connecting" or att.state == "cancelled":
        eng.emit(node, "receive", d.CANCELLED, f"late answer on a cancelled attempt over "
                 f"{att.family}; {conn.origin} ignores it (it already uses another attempt)",
                 packet=packet, conn=conn, facts=(204,))
        return
    if "FIN" in flags:
        conn.status = "closed"
        conn.awaiting = False
        if conn.outcome is None:
            conn.outcome = d.DELIVERED
        eng.emit(node, "receive", d.DELIVERED, f"{conn.origin} gets FIN-ACK: connection closed",
                 packet=packet, conn=conn)
        return
    if packet.size == 0 and conn.proto == TCP:
        eng.emit(node, "receive", d.DELIVERED, "keep-alive acknowledged: the flow stays fresh",
                 packet=packet, conn=conn, ids=("idle-timeout-expiry",), facts=(104,))
        return
    conn.awaiting = False
    conn.requests_left = max(0, conn.requests_left - 1)
    conn.answered += 1
    if conn.outcome is None or conn.outcome == "open":
        conn.outcome = d.DELIVERED if conn.requests_left == 0 else conn.outcome
    eng.emit(node, "receive", d.DELIVERED,
             f"{conn.origin} receives {packet.size} bytes from {endpoint(packet.src, packet.sport)}"
             f" (answer {conn.answered})", packet=packet, conn=conn)
    eng.schedule(eng.now, "origin_next", conn.id)


def established(eng, conn: Conn, att: Attempt, packet: Packet, node: str) -> None:
    conn.status = "open"
    conn.family = att.family
    att.state = "established"
    if conn.kind == "inbound":
        conn.client_saw = packet.src
    others = [a for a in conn.attempts if a is not att and a.state == "connecting"]
    for a in others:
        a.state = "cancelled"
    cancelled = (f"; the {', '.join(a.family for a in others)} attempt is cancelled"
                 if others else "")
    if conn.proto == UDP:
        conn.awaiting = False
        conn.requests_left = max(0, conn.requests_left - 1)
        conn.answered += 1
        if conn.requests_left == 0:
            conn.outcome = d.DELIVERED
        eng.emit(node, "receive", d.DELIVERED,
                 f"{conn.origin} receives {packet.size} bytes over {att.family} from "
                 f"{endpoint(packet.src, packet.sport)}", packet=packet, conn=conn)
    else:
        if conn.requests_left == 0:
            conn.outcome = d.DELIVERED
        eng.emit(node, "receive", d.DELIVERED,
                 f"handshake over {att.family} completes with {endpoint(packet.src, packet.sport)}"
                 f"{cancelled}", packet=packet, conn=conn, facts=(204,) if others else ())
    eng.schedule(eng.now, "origin_next", conn.id)


@handler("origin_next")
def origin_next(eng, conn_id: str) -> None:
    """What the initiator sends next: a request, a keep-alive, a FIN, or nothing yet."""
    conn = eng.state.conns[conn_id]
    if conn.status != "open" or conn.awaiting:
        return
    if conn.requests_left > 0:
        size = conn.request_bytes
        send(eng, conn, "PSH,ACK", size, f"sends a {size}-byte request")
        return
    if conn.proto != TCP:
        # UDP has no closing exchange: the socket stays usable for later `send`s until the
        # timeline closes it; the load balancer only ages its flow out (fact 106).
        return
    if conn.close and conn.hold_ms and conn.hold_until is None:
        conn.hold_until = eng.now + conn.hold_ms
        eng.schedule(conn.hold_until, "close_conn", conn.id)
    if conn.keepalive_ms and conn.keepalive_due is None:
        conn.keepalive_due = eng.now + conn.keepalive_ms
        eng.schedule(conn.keepalive_due, "keepalive", conn.id)
    if conn.close and not conn.hold_ms:
        eng.schedule(eng.now, "close_conn", conn.id)


@handler("keepalive")
def keepalive(eng, conn_id: str) -> None:
    conn = eng.state.conns[conn_id]
    if conn.status != "open" or conn.keepalive_due != eng.now:
        return
    if conn.hold_until is not None and eng.now >= conn.hold_until:
        return
    conn.keepalive_due = eng.now + conn.keepalive_ms
    eng.schedule(conn.keepalive_due, "keepalive", conn.id)
    send(eng, conn, "ACK", 0, "sends a TCP keep-alive", ids=("idle-timeout-expiry",),
         facts=(104,), track=False)


@handler("close_conn")
def close_conn(eng, conn_id: str) -> None:
    conn = eng.state.conns[conn_id]
    if conn.status != "open" or conn.proto != TCP:
        return
    if conn.awaiting or conn.requests_left > 0:
        conn.close = True  # finish the requests first; origin_next closes afterwards
        conn.hold_ms = 0
        return
    conn.status = "closing"
    conn.keepalive_due = None
    send(eng, conn, "FIN,ACK", 0, "closes the connection: FIN")


def send(eng, conn: Conn, flags: str, size: int, what: str, ids=(), facts=(),
         track: bool = True) -> None:
    att = conn.active
    if att is None:
        return
    packet = Packet(conn.proto, att.src, att.sport, att.dst, att.dport, flags, size)
    if track:
        conn.awaiting = True
    eng.emit(origin_node(conn), "send", d.FORWARDED, f"{conn.origin} {what}", packet=packet,
             conn=conn, ids=ids, facts=facts)
    i = conn.attempts.index(att)
    if conn.kind == "inbound":
        client = eng.topology.client_by_name[conn.origin]
        eng.schedule(eng.now + client.latency_ms, "lb_in", conn.id, i, packet)
    else:
        from lb6.model.behaviours.outbound import next_hop_out
        next_hop_out(eng, conn, i, packet)


# ---- idle timeout -------------------------------------------------------------------------------


@handler("flow_expiry")
def flow_expiry(eng, flow_id: int) -> None:
    s = eng.state
    flow = s.flows.edit(flow_id)
    if flow is None:
        return
    if s.now < flow.deadline_ms:
        flow.expiry_at = flow.deadline_ms
        eng.schedule(flow.deadline_ms, "flow_expiry", flow.id)
        return
    s.flows.remove(flow)
    conn = s.conns.get(flow.conn) if flow.conn else None
    minutes = flow.idle_ms // 60_000
    if flow.kind == "outbound":
        from lb6.model.behaviours.outbound import release_snat
        release_snat(eng, flow, 0)
    node = f"frontend:{flow.frontend}" if flow.frontend in s.topology.frontends else \
        f"lb:{s.topology.load_balancer.name}"
    if flow.proto == UDP:
        eng.emit(node, "idle-timeout", d.EXPIRED,
                 f"UDP flow #{flow.id} aged out of the table after {minutes} min; UDP is hashed "
                 "per packet, so a later datagram is simply forwarded again",
                 conn=conn, rule=flow.rule, facts=(106, 83))
        return
    if conn is not None and conn.status in ("open", "closing"):
        conn.flow_expired = True
    ipv6 = family_of(flow.orig[1]) == IPv6  # fact 21: its 4 minutes could not be changed
    eng.emit(node, "idle-timeout", d.EXPIRED,
             f"flow #{flow.id} ({flow.vm}) idle for {minutes} min: removed silently; Basic sends "
             "no reset to either side", conn=conn, rule=flow.rule,
             ids=("idle-timeout-expiry",) + (("ipv6-idle-timeout-fixed",) if ipv6 else ()),
             facts=(99, 100, 102, 103) + ((21,) if ipv6 else ()))
