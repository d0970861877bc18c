"""At the VM: the NSG decision for a new inbound flow, then the guest itself: whether it is
running and has its IPv6 address, how its service answers, and the reply it sends (facts 8-10,
19, 26, 57, 77-81, 97, 133-137).

`service_answer` and `guest_reply` also answer outbound peers and the probes
(behaviours/outbound.py, behaviours/probing.py); the reply goes back through the frontend
(`nat_out`, behaviours/lifecycle.py).
"""

from __future__ import annotations

from ..net.addressing import IPv6
from .connection import HOST_HOP_MS, fail, live_flow, vm_eligible
from .nsg import evaluate, would_deny_ipv6
from ..net.packet import UDP, Packet
from ..world.flows import INBOUND
from ..world.registry import handler
from ..world.state import Conn
from ..world import trace as d
from ..deployment.node_ids import VM, node_id


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
    node = node_id(VM, flow.vm)
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
    node = node_id(VM, vm.name)
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
