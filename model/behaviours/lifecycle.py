"""The reply's way back and the initiator's connection state machine: the frontend's source
NAT of the reply (direct server return), then at the client or VM that opened the connection:
handshake, answers, keep-alives, the close, and every later packet it sends (facts 57, 104,
170, 182, 204).

The state machine is shared by inbound connections (the packet goes to `lb_in`) and a VM's
outbound ones (`next_hop_out`, behaviours/outbound.py).
"""

from __future__ import annotations

from ..net.addressing import endpoint
from .connection import live_flow, origin_node
from .outbound import next_hop_out
from ..net.packet import TCP, UDP, Packet, rewrite
from ..world.flows import ESTABLISHED, FIN_WAIT
from ..world.registry import handler
from ..world.state import Attempt, Conn
from ..world import trace as d
from ..deployment.node_ids import FRONTEND, node_id


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
    eng.emit(node_id(FRONTEND, flow.frontend), "nat", d.TRANSLATED,
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
        next_hop_out(eng, conn, i, packet)
