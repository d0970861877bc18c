"""Outbound traffic: a VM's own connections to Internet hosts through SNAT on the load
balancer (facts 6-7, 111-125), and to peers over the VNet, where IPv6 is refused (fact 18).
"""

from __future__ import annotations

from ..net.addressing import IPv4, IPv6, endpoint, family_of
from ..world.flows import ESTABLISHED, FIN_WAIT, OUTBOUND
from ..deployment.nodes import CONNECT_TIMEOUT_MS, HOST_INTERNET, INTERNET_LATENCY_MS
from .nsg import evaluate
from ..net.packet import TCP, Packet, rewrite
from ..world.registry import handler
from ..world.snat import OUTBOUND_IDLE_MS, RELEASE_AFTER_FIN_MS, RELEASE_AFTER_RST_MS, preallocation
from ..world.state import Attempt, Conn
from .connection import ephemeral_port, fail, live_flow
from .guest import guest_reply, service_answer
from ..world import trace as d
from ..deployment.node_ids import HOST, LB, VM, node_id

# Fact 111 (scenario 3): a VM with no public LB rule gets an address Azure picks and the user
# cannot control. lb6 shows it as this documentation address (RFC 5737).
DEFAULT_OUTBOUND_V4 = "192.0.2.1"
PRIVATE_HOP_MS = 1


def destination(eng, conn: Conn) -> tuple[str | None, str]:
    """The address a VM's connection goes to, and what it is (host name, kind)."""
    t = eng.topology
    host = t.host_by_name.get(conn.to) or next(
        (h for h in t.hosts if h.name.lower() == conn.to.lower()), None)
    if host is not None:
        if conn.want_family:
            return host.address(conn.want_family), host.name
        return host.addresses[0], host.name
    return conn.to, conn.to


def is_private_peer(eng, address: str) -> tuple[bool, str]:
    """True when the destination is inside Azure or on-premises rather than the Internet."""
    t = eng.topology
    owner = t.owners.get(address)
    if owner is not None and owner.kind == "vm":
        return True, f"VM {owner.name}"
    if owner is not None and owner.kind == "host":
        host = t.host_by_name[owner.name]
        if host.kind != HOST_INTERNET:
            return True, f"{host.kind} {host.name}"
    if family_of(address) == IPv4 and t.in_vnet(address):
        return True, "an address in the VNet"
    return False, ""


def begin_outbound(eng, conn: Conn) -> None:
    s = eng.state
    t = s.topology
    vm = t.vm_by_name[conn.origin]
    node = node_id(VM, vm.name)
    conn.status = "connecting"
    dst, label = destination(eng, conn)
    if dst is None:
        conn.status, conn.outcome = "failed", d.DROPPED_NO_ROUTE
        eng.emit(node, "send", d.DROPPED_NO_ROUTE,
                 f"{label} has no {conn.want_family} address", conn=conn)
        return
    family = family_of(dst)
    src = vm.address(family)
    conn.candidates = eng.shared(((family, dst),))
    if not s.vm_running.get(vm.name, True):
        conn.status, conn.outcome = "failed", d.NO_ANSWER
        eng.emit(node, "send", d.NO_ANSWER, f"{vm.name} is stopped", conn=conn, facts=(81,))
        return
    if src is None or (family == IPv6 and vm.os == "linux" and not vm.dhcpv6):
        conn.status, conn.outcome = "failed", d.DROPPED_LIMITATION
        if src is None:
            why, ids, facts = f"{vm.name} has no {family} address", (), ()
        else:
            why, ids, facts = (f"{vm.name} runs Linux without DHCPv6, so it has no IPv6 "
                               "address to send from", ("linux-dhcpv6",), (8, 9))
        eng.emit(node, "send", d.DROPPED_LIMITATION, why, conn=conn, ids=ids, facts=facts,
                 warn=[(i, vm.name, why) for i in ids])
        return
    private, what = is_private_peer(eng, dst)
    sport = ephemeral_port(eng, src)
    att = Attempt(family, src, sport, dst, conn.port)
    conn.attempts += (att,)
    packet = Packet(conn.proto, src, sport, dst, conn.port,
                    "SYN" if conn.proto == TCP else "", 0 if conn.proto == TCP else conn.request_bytes)
    if conn.proto != TCP:
        conn.awaiting = True
    if private and family == IPv6:
        fail(conn, att, d.DROPPED_LIMITATION)
        conn.status, conn.outcome = "failed", d.DROPPED_LIMITATION
        eng.emit(node, "send", d.DROPPED_LIMITATION,
                 f"{vm.name} cannot reach {what} over IPv6: a VM's only IPv6 peer is the load "
                 "balancer; the same over IPv4 works", packet=packet, conn=conn,
                 ids=("ipv6-only-to-load-balancer",), facts=(18,),
                 warn=[("ipv6-only-to-load-balancer", vm.name, f"IPv6 from {vm.name} to {what}")])
        return
    att.path = "direct" if private else "snat"
    verdict = outbound_nsg(eng, vm.name, packet)
    if verdict is not None and not verdict.allowed:
        fail(conn, att, d.DROPPED_NSG)
        conn.status, conn.outcome = "failed", d.DROPPED_NSG
        eng.emit(node, "send", d.DROPPED_NSG,
                 f"outbound NSG rule {verdict.nsg}/{verdict.rule} denies it", packet=packet,
                 conn=conn, nsg_rule=f"{verdict.nsg}/{verdict.rule}", facts=(135,))
        return
    nsg_note = f"; outbound NSG allows it ({verdict.nsg}/{verdict.rule})" if verdict else ""
    eng.emit(node, "send", d.FORWARDED,
             f"{vm.name} opens {conn.proto.upper()} to "
             f"{'' if label == dst else label + ' '}{endpoint(dst, conn.port)} over "
             f"{family}" + (f" ({what}, inside Azure: no translation)" if private else "")
             + nsg_note, packet=packet, conn=conn,
             facts=(18,) if private else (5,))
    eng.schedule(eng.now + CONNECT_TIMEOUT_MS, "connect_timeout", conn.id)
    next_hop_out(eng, conn, 0, packet)


def outbound_nsg(eng, vm: str, packet: Packet):
    """Fact 135: outbound rules, NIC then subnet; IPv4 only (fact 19). None when no NSG."""
    if packet.family == IPv6:
        return None
    t = eng.topology
    owner = t.owners.get(packet.src)
    nsgs = list(reversed(t.nsgs_for(vm, owner.nic))) if owner and owner.nic else []
    verdict = None
    for nsg in nsgs:
        verdict = evaluate(nsg.rules, nsg.name, "Outbound", packet.proto, packet.src,
                           packet.sport, packet.dst, packet.dport, t.in_vnet)
        if not verdict.allowed:
            return verdict
    return verdict


def next_hop_out(eng, conn: Conn, i: int, packet: Packet) -> None:
    if conn.attempts[i].path == "direct":
        eng.schedule(eng.now + PRIVATE_HOP_MS, "peer_in", conn.id, i, packet)
    else:
        eng.schedule(eng.now + PRIVATE_HOP_MS, "snat_out", conn.id, i, packet)


@handler("snat_out")
def snat_out(eng, conn_id: str, i: int, packet: Packet) -> None:
    s = eng.state
    t = s.topology
    conn = s.conns[conn_id]
    att = conn.attempts[i]
    lb_node = node_id(LB, t.load_balancer.name)
    flow = s.flows.lookup(packet.five_tuple)
    if flow is not None:
        flow = s.flows.edit(flow.id)  # touched below: a copy if a checkpoint shares it
        _, xsrc, xsport, _, _ = flow.xlat
        after, diff = rewrite(packet, src=xsrc, sport=xsport)
        flow.touch(s.now, packet.size)
        if "FIN" in packet.flags:
            flow.state = FIN_WAIT
        eng.emit(lb_node, "snat", d.TRANSLATED,
                 f"flow #{flow.id}: source {endpoint(packet.src, packet.sport)} → "
                 f"{endpoint(xsrc, xsport)}", packet=packet, after=after, rewrite=diff,
                 conn=conn, rule=flow.rule, facts=(6,))
        eng.schedule(eng.now + INTERNET_LATENCY_MS, "host_in", conn.id, i, after, flow.id)
        return
    family = packet.family
    frontends = t.outbound_frontends(conn.origin, family)
    # Fact 5-6: IPv6 connections can start from the VMs, not only reach them.
    ids = ("outbound-ipv6-snat", "ipv6-inbound-outbound") if family == IPv6 else ("snat-port-allocation",)
    if not frontends:
        if family == IPv6:
            fail(conn, att, d.DROPPED_LIMITATION)
            eng.emit(lb_node, "snat", d.DROPPED_LIMITATION,
                     f"{conn.origin} is in no pool behind an IPv6 rule: IPv6 leaves Azure only "
                     "as the load balancer's public IPv6", packet=packet, conn=conn,
                     ids=("outbound-ipv6-snat", "ipv6-only-to-load-balancer"), facts=(6, 18, 113))
            return
        public, fe_name, rule, pool_size, how = (DEFAULT_OUTBOUND_V4, "default", "default-outbound",
                                                 1, "no public rule covers this VM, so Azure "
                                                    "picks an address it cannot control")
        facts = (111, 113, 119)
    else:
        key = (conn.origin, family)
        if key not in s.outbound_frontend:
            # Fact 114: Basic uses one frontend for outbound; treat the choice as random.
            s.outbound_frontend[key] = s.rng.choice(frontends)
        fe_name = s.outbound_frontend[key]
        public = t.frontends[fe_name].address
        rule = next(r.name for r in t.load_balancer.rules if r.frontend == fe_name)
        pool_size = t.pool_size(conn.origin)
        how = (f"via frontend {fe_name}" + (f" (Basic picked one of {len(frontends)})"
                                            if len(frontends) > 1 else ""))
        facts = (6, 113, 114, 117, 118, 121, 123)
        if len(frontends) > 1:
            ids += ("basic-outbound-frontend-random",)
    size = preallocation(pool_size)
    port = s.snat.allocate(public, packet.src, packet.proto, size, packet.dst, packet.dport)
    if port is None:
        fail(conn, att, d.DROPPED_SNAT)
        eng.emit(lb_node, "snat", d.DROPPED_SNAT,
                 f"{conn.origin} has used all {size} preallocated SNAT ports on {public} "
                 f"towards {endpoint(packet.dst, packet.dport)}; the connection fails until ports "
                 "are released", packet=packet, conn=conn, ids=("snat-exhaustion",),
                 facts=(118, 125),
                 warn=[("snat-exhaustion", conn.origin, f"SNAT ports exhausted on {public}")])
        return
    after, diff = rewrite(packet, src=public, sport=port)
    flow = s.flows.add(OUTBOUND, packet.proto, packet.five_tuple, after.five_tuple, conn.origin,
                       fe_name, rule, "SYN_SENT" if packet.proto == TCP else "UDP", s.now,
                       OUTBOUND_IDLE_MS, conn.id)
    flow.touch(s.now, packet.size)
    flow.nsg_checked = True
    att.flow = flow.id
    eng.schedule(flow.deadline_ms, "flow_expiry", flow.id)
    used = s.snat.used(public, packet.src, packet.proto)
    eng.emit(lb_node, "snat", d.TRANSLATED,
             f"source {endpoint(packet.src, packet.sport)} → {endpoint(public, port)} {how}; "
             f"SNAT port {used} of {size} preallocated for {conn.origin}",
             packet=packet, after=after, rewrite=diff, conn=conn, rule=rule, ids=ids, facts=facts,
             detail=(("preallocation", f"pool of {pool_size}: {size} ports (fact 118)"),))
    eng.schedule(eng.now + INTERNET_LATENCY_MS, "host_in", conn.id, i, after, flow.id)


@handler("host_in")
def host_in(eng, conn_id: str, i: int, packet: Packet, flow_id: int | None) -> None:
    s = eng.state
    t = s.topology
    conn = s.conns[conn_id]
    owner = t.owners.get(packet.dst)
    if owner is None or owner.kind != "host":
        fail(conn, conn.attempts[i], d.DROPPED_NO_ROUTE)
        eng.emit("internet", "deliver", d.DROPPED_NO_ROUTE,
                 f"no host at {packet.dst} in this scenario", packet=packet, conn=conn)
        return
    host = t.host_by_name[owner.name]
    svc = host.service(packet.proto, packet.dport)
    mode = "ok" if svc is not None else "refuse"
    reply, disposition, what = guest_reply(conn, packet, mode)
    conn.server_saw = packet.src
    if reply is None and disposition != d.DELIVERED:
        fail(conn, conn.attempts[i], disposition)
    eng.emit(node_id(HOST, host.name), "deliver", disposition,
             f"{host.name} sees the connection from {packet.src}; {what}", packet=packet,
             conn=conn, ids=("outbound-ipv6-snat",) if packet.family == IPv6 else (),
             facts=(6, 7))
    if reply is not None:
        eng.schedule(eng.now + INTERNET_LATENCY_MS, "snat_in", conn.id, i, reply, flow_id)


@handler("snat_in")
def snat_in(eng, conn_id: str, i: int, reply: Packet, flow_id: int) -> None:
    s = eng.state
    conn = s.conns[conn_id]
    lb_node = node_id(LB, s.topology.load_balancer.name)
    flow = live_flow(eng, conn, i, reply, flow_id, lb_node, "snat",
                     "the SNAT flow is gone; the reply is dropped", facts=(124,))
    if flow is None:
        return
    _, src, sport, _, _ = flow.orig
    after, diff = rewrite(reply, dst=src, dport=sport)
    flow.touch(s.now, reply.size)
    closing = ""
    if "RST" in reply.flags:
        s.flows.remove(flow)
        release_snat(eng, flow, RELEASE_AFTER_RST_MS)
        closing = "; flow removed, SNAT port released in 15 s"
    elif "FIN" in reply.flags and flow.state == FIN_WAIT:
        s.flows.remove(flow)
        release_snat(eng, flow, RELEASE_AFTER_FIN_MS)
        closing = "; flow removed, SNAT port released in 240 s"
    elif "SYN" in reply.flags:
        flow.state = ESTABLISHED
    eng.emit(lb_node, "snat", d.TRANSLATED,
             f"reply destination {endpoint(reply.dst, reply.dport)} → {endpoint(src, sport)}"
             f"{closing}", packet=reply, after=after, rewrite=diff, conn=conn, rule=flow.rule,
             facts=(6, 124) if closing else (6,))
    eng.schedule(eng.now + PRIVATE_HOP_MS, "origin_in", conn.id, i, after)


def release_snat(eng, flow, delay_ms: int) -> None:
    """Fact 124: a port is freed 240 s after FIN, 15 s after RST, or at the idle timeout."""
    _, public, port, dst, dport = flow.xlat
    if delay_ms <= 0:
        eng.state.snat.release(public, flow.proto, port, dst, dport)
    else:
        eng.schedule(eng.now + delay_ms, "snat_release", public, flow.proto, port, dst, dport)


@handler("snat_release")
def snat_release(eng, public: str, proto: str, port: int, dst: str, dport: int) -> None:
    eng.state.snat.release(public, proto, port, dst, dport)


@handler("peer_in")
def peer_in(eng, conn_id: str, i: int, packet: Packet) -> None:
    """A VM's IPv4 packet to a peer inside Azure or on-premises: no translation."""
    s = eng.state
    t = s.topology
    conn = s.conns[conn_id]
    owner = t.owners.get(packet.dst)
    if owner is not None and owner.kind == "vm":
        node = node_id(VM, owner.name)
        for nsg in t.nsgs_for(owner.name, owner.nic):
            v = evaluate(nsg.rules, nsg.name, "Inbound", packet.proto, packet.src, packet.sport,
                         packet.dst, packet.dport, t.in_vnet)
            if not v.allowed:
                fail(conn, conn.attempts[i], d.DROPPED_NSG)
                eng.emit(node, "deliver", d.DROPPED_NSG, f"NSG {nsg.name}/{v.rule} denies it",
                         packet=packet, conn=conn, nsg_rule=f"{nsg.name}/{v.rule}", facts=(135,))
                return
        mode, text = service_answer(eng, owner.name, packet)
        if not s.vm_running.get(owner.name, True):
            mode, text = "hang", f"{owner.name} is stopped"
    elif owner is not None and owner.kind == "host":
        node = node_id(HOST, owner.name)
        svc = t.host_by_name[owner.name].service(packet.proto, packet.dport)
        mode, text = ("ok", "listening") if svc else ("refuse", "nothing listens")
    else:
        fail(conn, conn.attempts[i], d.DROPPED_NO_ROUTE)
        eng.emit("vnet", "deliver", d.DROPPED_NO_ROUTE, f"nothing at {packet.dst}",
                 packet=packet, conn=conn)
        return
    reply, disposition, what = guest_reply(conn, packet, mode)
    conn.server_saw = packet.src
    if reply is None and disposition != d.DELIVERED:
        fail(conn, conn.attempts[i], disposition)
    eng.emit(node, "deliver", disposition, f"{text}; {what} (over IPv4, sees {packet.src})",
             packet=packet, conn=conn, ids=("ipv6-only-to-load-balancer",), facts=(16, 18))
    if reply is not None:
        eng.schedule(eng.now + PRIVATE_HOP_MS, "origin_in", conn.id, i, reply)
