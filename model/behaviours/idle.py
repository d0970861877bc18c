"""Idle timeout: a flow nobody used for its idle time leaves the table silently, with no reset
to either side (facts 21, 83, 99-106); an outbound flow's SNAT port goes back to the pool
(fact 124).
"""

from __future__ import annotations

from ..net.addressing import IPv6, family_of
from .outbound import release_snat
from ..net.packet import UDP
from ..world.registry import handler
from ..world import trace as d
from ..deployment.node_ids import FRONTEND, LB, node_id


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
        release_snat(eng, flow, 0)
    node = node_id(FRONTEND, flow.frontend) if flow.frontend in s.topology.frontends else \
        node_id(LB, s.topology.load_balancer.name)
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
