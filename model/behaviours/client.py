"""Starting an Internet client's connection: DNS or a literal address, the choice of family
(Happy Eyeballs), one attempt per address, and the connect timeout (facts 24, 31, 58, 197-209).

Each handler makes at most one decision and records it with `engine.emit`; the first packet
goes on to the load balancer (`lb_in`, behaviours/inbound.py).
"""

from __future__ import annotations

from ..net.addressing import IPv6, endpoint, family_of
from .connection import ephemeral_port, fail, origin_node
from .dns import resolve
from ..net.packet import ICMP, TCP, UDP, Packet
from ..world.registry import handler
from ..world.state import Attempt, Conn
from ..world import trace as d
from ..deployment.node_ids import CLIENT, DNS, node_id


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
            eng.emit(node_id(CLIENT, client.name), "choose", d.DROPPED_LIMITATION,
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
        eng.emit(node_id(DNS, name.name), "dns", d.NO_ANSWER, base, ids=ids, facts=facts, conn=conn,
                 warn=warn)
        return
    eng.emit(node_id(DNS, name.name), "dns", d.ANSWERED, base, ids=("dns-a-and-aaaa",),
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
    eng.emit(node_id(CLIENT, client.name), "choose", d.CHOSEN,
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
    eng.emit(node_id(CLIENT, client.name), "send", d.FORWARDED,
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
