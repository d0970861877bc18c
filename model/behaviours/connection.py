"""What every connection's handlers share: the node a connection starts from, its ephemeral
ports, how a failed packet is noted, whether a VM is in rotation, and the flow a packet in
transit belongs to. Inbound (client, inbound, guest, lifecycle) and outbound handlers build on
these; this module depends on no other behaviour, so none of them imports in a circle.
"""

from __future__ import annotations

from ..net.packet import Packet
from ..world.state import Attempt, Conn
from ..world import trace as d
from ..deployment.node_ids import CLIENT, VM, node_id

# Not in the facts: delay from the load balancer's host agent to the VM, 1 ms.
HOST_HOP_MS = 1


def origin_node(conn: Conn) -> str:
    return node_id(CLIENT, conn.origin) if conn.kind == "inbound" else node_id(VM, conn.origin)


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
