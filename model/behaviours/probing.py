"""Health probes from 168.63.129.16 and what their verdicts do (facts 10, 64-85, 130).

The platform probes each VM's IPv4 address at the probe's interval. A verdict flip takes both
the VM's IPv4 and IPv6 endpoints in or out of rotation (fact 10). When every member of a pool is
down, Basic ends all of the pool's flows (fact 84).
"""

from __future__ import annotations

from ..net.addressing import IPv4, PROBE_SOURCE, endpoint
from ..world.flows import INBOUND
from ..world.health import DOWN, UP
from .nsg import evaluate
from ..net.packet import TCP, Packet
from ..world.registry import handler
from .connection import vm_eligible
from .guest import service_answer
from ..world import trace as d
from ..deployment.node_ids import LB, POOL, VM, node_id

PROBE_SOURCE_PORT = 54321  # the platform's side of the probe handshake; any port would do


def probe_verdict(eng, probe, vm, packet: Packet) -> tuple[bool, bool, str, str | None, int]:
    """(ok, immediate_down, what happened, NSG rule that blocked it, wait_ms).

    `wait_ms` is how long the platform waits before it calls an unanswered probe failed: a TCP
    probe fails when the interval elapses and the next one is sent, an HTTP probe after the
    shorter of the interval and 30 s (fact 79). That wait is why detecting a dead VM takes
    about interval × numberOfProbes plus the phase (fact 70).
    """
    t = eng.topology
    owner = t.owners.get(packet.dst)
    allowed_by = ""
    timeout_s = min(probe.interval_s, 30) if probe.protocol == "Http" else probe.interval_s
    # Fact 78: for an HTTP probe a reset or a missing reply marks the VM down at once.
    http = probe.protocol == "Http"
    for nsg in t.nsgs_for(vm.name, owner.nic) if owner and owner.nic else []:
        v = evaluate(nsg.rules, nsg.name, "Inbound", TCP, packet.src, packet.sport, packet.dst,
                     packet.dport, t.in_vnet)
        if not v.allowed:
            return (False, http, f"blocked by NSG rule {nsg.name}/{v.rule}: no answer within "
                    f"{timeout_s} s", f"{nsg.name}/{v.rule}", timeout_s * 1000)
        allowed_by = f"NSG {nsg.name} lets it in ({v.rule}); "
    ok, immediate, what, wait_ms = _guest_verdict(eng, probe, vm, packet, timeout_s)
    return ok, immediate, allowed_by + what, None, wait_ms


def _guest_verdict(eng, probe, vm, packet: Packet, timeout_s: int) -> tuple[bool, bool, str, int]:
    http = probe.protocol == "Http"
    mode, _ = service_answer(eng, vm.name, packet)
    if mode == "refuse":
        return False, http, "the VM answers RST: nothing listens", 0   # facts 77-78
    if mode == "hang":
        return False, http, f"no answer within {timeout_s} s", timeout_s * 1000
    if http:
        svc = vm.service(TCP, probe.port)
        failed = eng.state.service_mode.get((vm.name, TCP, probe.port)) == "http_500"
        status = 500 if failed else (svc.http_status or 200)
        if status != 200:
            return False, True, f"GET {probe.request_path or '/'} answers HTTP {status}", 0
        return True, False, f"GET {probe.request_path or '/'} answers HTTP 200", 0
    return True, False, "the handshake completes", 0


def restart_probes(eng, vm_name: str) -> None:
    """Resume a started VM's probe chains on their old phase (the next multiple of the
    interval after the last tick), unless a tick is still pending."""
    s = eng.state
    for (probe_name, name), ps in sorted(s.probes.items()):
        probe = s.topology.probes.get(probe_name)
        if name != vm_name or probe is None or ps.next_ms > s.now:
            continue
        interval = probe.interval_s * 1000
        missed = (s.now - ps.next_ms) // interval + 1
        ps.next_ms += missed * interval
        eng.schedule(ps.next_ms, "probe_tick", probe_name, vm_name)


@handler("probe_tick")
def probe_tick(eng, probe_name: str, vm_name: str) -> None:
    s = eng.state
    t = s.topology
    ps = s.probes.get((probe_name, vm_name))
    probe = t.probes.get(probe_name)
    vm = t.vm_by_name.get(vm_name)
    if ps is None or probe is None or vm is None:
        s.probes.pop((probe_name, vm_name), None)
        return
    if s.now != ps.next_ms:
        return  # a tick from a chain that start_vm has replaced
    address = vm.address(IPv4)
    if not s.vm_running.get(vm_name, True) or address is None:
        # Fact 81: stopped VMs are not probed. The chain ends here (start_vm restarts it), so
        # that no silent event repeats forever and `step()` always finds a decision or stops.
        ps.stopped = not s.vm_running.get(vm_name, True)
        return
    ps.next_ms = s.now + probe.interval_s * 1000
    eng.schedule(ps.next_ms, "probe_tick", probe_name, vm_name)
    packet = Packet(TCP, PROBE_SOURCE, PROBE_SOURCE_PORT, address, probe.port, "SYN")
    ok, immediate, what, nsg_rule, wait_ms = probe_verdict(eng, probe, vm, packet)
    if wait_ms:
        # Nothing came back: the verdict is known only when the wait is over.
        eng.schedule(s.now + wait_ms, "probe_timeout", probe_name, vm_name, packet, immediate,
                     what, nsg_rule, s.now)
        return
    record_result(eng, probe, vm, packet, ok, immediate, what, nsg_rule)


@handler("probe_timeout")
def probe_timeout(eng, probe_name: str, vm_name: str, packet: Packet, immediate: bool, what: str,
                  nsg_rule: str | None, sent_ms: int) -> None:
    s = eng.state
    probe = s.topology.probes.get(probe_name)
    vm = s.topology.vm_by_name.get(vm_name)
    if (probe_name, vm_name) not in s.probes or probe is None or vm is None:
        return
    record_result(eng, probe, vm, packet, False, immediate,
                  f"sent at {sent_ms / 1000:g} s, {what}", nsg_rule)


def record_result(eng, probe, vm, packet: Packet, ok: bool, immediate: bool, what: str,
                  nsg_rule: str | None) -> None:
    """Count one probe result toward the threshold (fact 69), record it, flip if due."""
    s = eng.state
    ps = s.probes[(probe.name, vm.name)]
    before = ps.state
    flipped = ps.record(ok, probe.number_of_probes, s.now, immediate)
    if flipped:
        count = "at once (HTTP probe)" if immediate else f"{probe.number_of_probes} in a row"
        progress = f"; {count}: marking {ps.state.upper()}"
    elif (before == UP) != ok and ps.streak:
        progress = f"; {ps.streak} of {probe.number_of_probes} toward {'DOWN' if ok is False else 'UP'}"
    else:
        progress = f"; stays {ps.state.upper()}"
    # Fact 65: the default rule AllowAzureLoadBalancerInBound is what lets probes through.
    via_default = "AllowAzureLoadBalancerInBound" in what
    ids = ("probe-thresholds",) + (("http-probe-non-200",) if immediate else ()) + \
        (("nsg-default-rules",) if nsg_rule or via_default else ())
    facts = (64, 69, 72, 74) + ((77, 79) if probe.protocol == "Tcp" else (78, 79)) + \
        ((130,) if nsg_rule else ()) + ((65,) if via_default else ())
    eng.emit(node_id(VM, vm.name), "probe", d.PROBE_OK if ok else d.PROBE_FAILED,
             f"probe {probe.name} ({probe.protocol.upper()} {probe.port}, every {probe.interval_s} s)"
             f" to {endpoint(packet.dst, probe.port)}: {what}{progress}",
             packet=packet, probe=probe.name, nsg_rule=nsg_rule, ids=ids, facts=facts)
    if flipped:
        eng.schedule(s.now, "probe_flip", probe.name, vm.name)


def governed(eng, probe_name: str, vm_name: str) -> list[tuple[str, str, str]]:
    """(rule, family, address) endpoints of a VM whose rotation this probe decides."""
    t = eng.topology
    out = []
    for r in t.load_balancer.rules:
        if r.probe != probe_name:
            continue
        for m in t.pools[r.backend_pool].members:
            if m.vm == vm_name:
                out.append((r.name, m.family, m.address))
    return out


@handler("probe_flip")
def probe_flip(eng, probe_name: str, vm_name: str) -> None:
    s = eng.state
    ps = s.probes.get((probe_name, vm_name))
    if ps is None:
        return
    endpoints = governed(eng, probe_name, vm_name)
    families = sorted({f for _, f, _ in endpoints})
    listing = ", ".join(f"{endpoint(a, None)} ({r})" for r, _, a in endpoints)
    down = ps.state == DOWN
    verb = "leave" if down else "return to"
    ids = ("ipv4-probe-governs-both",) if len(families) > 1 else ()
    eng.emit(node_id(LB, s.topology.load_balancer.name), "probe-state",
             d.MARKED_DOWN if down else d.MARKED_UP,
             f"{vm_name} marked {ps.state.upper()} by probe {probe_name}: {listing} {verb} "
             "rotation" + (" — one IPv4 probe decides both families" if ids else ""),
             probe=probe_name, ids=ids + (("backend-down-tcp-continues",) if down else ()),
             facts=(10, 69, 80, 82) if down else (10, 69, 80))
    if down:
        for rule_name in sorted({r for r, _, _ in endpoints}):
            eng.schedule(s.now, "pool_check", rule_name)


@handler("pool_check")
def pool_check(eng, rule_name: str) -> None:
    """Fact 84: with every member down, Basic ends every flow of the rule's pool."""
    s = eng.state
    t = s.topology
    rule = t.rules.get(rule_name)
    if rule is None:
        return
    members = t.pools[rule.backend_pool].members
    if any(vm_eligible(eng, m.vm, rule.probe)[0] for m in members):
        return
    doomed = [f for f in s.flows.of_rule(rule_name) if f.kind == INBOUND]
    if not doomed:
        return
    for f in doomed:
        s.flows.remove(f)
        conn = s.conns.get(f.conn) if f.conn else None
        if conn is not None and conn.status in ("open", "closing", "connecting"):
            conn.status = "failed"
            conn.outcome = d.TERMINATED
            conn.awaiting = False
    eng.emit(node_id(POOL, rule.backend_pool), "terminate", d.TERMINATED,
             f"every member of {rule.backend_pool} is down: Basic ends all {len(doomed)} flows of "
             f"rule {rule_name} (TCP and UDP); new SYNs get no answer",
             rule=rule_name, probe=rule.probe, ids=("all-backends-down",), facts=(84, 85, 141),
             warn=[("all-backends-down", rule.backend_pool,
                    f"every member of {rule.backend_pool} is down: {len(doomed)} flows ended")],
             detail=(("flows", ", ".join(f"#{f.id}" for f in doomed[:50])),))
