"""Timeline events: the scenario's (and the explorer's) actions on the simulated world."""

from __future__ import annotations

from ..catalogue import check
from ..errors import ScenarioError
from ..world.health import DOWN
from ..world.registry import handler
from ..scenario.document import TimedEvent
from ..scenario.eventcheck import check_event
from ..scenario.setpath import apply_set, topology_from_raw
from ..world.state import Conn
from ..world import trace as d
from ..deployment.node_ids import CLIENT, LB, VM, node_id
from ..behaviours.client import begin_inbound
from ..behaviours.outbound import begin_outbound
from ..behaviours.probing import restart_probes


@handler("timeline")
def timeline(eng, index: int) -> None:
    dispatch(eng, eng.scenario.events[index])


@handler("injected")
def injected(eng, index: int) -> None:
    dispatch(eng, eng.state.injected[index])


def dispatch(eng, ev: TimedEvent) -> None:
    ACTIONS[ev.kind](eng, ev)


def _connect(eng, ev: TimedEvent) -> None:
    b = ev.body
    conn = Conn(ev.conn_id, "inbound", b.client, b.to, b.protocol, b.port)
    _copy_traffic_settings(conn, b)
    conn.want_family = b.family
    conn.keepalive_ms = b.keepalive
    eng.state.conns[conn.id] = conn
    begin_inbound(eng, conn)


def _outbound(eng, ev: TimedEvent) -> None:
    b = ev.body
    conn = Conn(ev.conn_id, "outbound", b.vm, b.to, b.protocol, b.port)
    _copy_traffic_settings(conn, b)
    conn.want_family = b.family
    eng.state.conns[conn.id] = conn
    begin_outbound(eng, conn)


def _copy_traffic_settings(conn: Conn, b) -> None:
    conn.requests_left = b.requests
    conn.request_bytes = b.request_bytes
    conn.response_bytes = b.response_bytes
    conn.hold_ms = b.hold
    conn.close = b.close


def _send(eng, ev: TimedEvent) -> None:
    b = ev.body
    conn = eng.state.conns.get(b.connection)
    if conn is None or conn.status not in ("open", "connecting"):
        state = "has not started" if conn is None else f"is {conn.status}"
        eng.emit(node_id(CLIENT, conn.origin) if conn and conn.kind == "inbound" else "timeline",
                 "event", d.CANCELLED, f"connection {b.connection} {state}: nothing sent",
                 conn=conn)
        return
    conn.requests_left += b.requests
    conn.request_bytes = b.request_bytes
    conn.response_bytes = b.response_bytes
    if conn.outcome == d.DELIVERED:
        conn.outcome = None
    eng.schedule(eng.now, "origin_next", conn.id)


def _close(eng, ev: TimedEvent) -> None:
    conn = eng.state.conns.get(ev.body.connection)
    if conn is not None and conn.proto != "Tcp" and conn.status == "open":
        conn.status = "closed"  # no FIN for UDP: the client just stops sending
        return
    if conn is not None:
        conn.close = True
        conn.hold_ms = 0
        eng.schedule(eng.now, "close_conn", conn.id)


def _fail_service(eng, ev: TimedEvent) -> None:
    b = ev.body
    eng.state.service_mode[(b.vm, b.protocol, b.port)] = b.mode
    what = {"refuse": "stops: connections are refused with RST",
            "hang": "hangs: it accepts nothing and answers nothing",
            "http_500": "starts answering HTTP 500"}[b.mode]
    eng.emit(node_id(VM, b.vm), "event", d.CONFIG_CHANGED,
             f"the service on {b.protocol} {b.port} of {b.vm} {what}")


def _restore_service(eng, ev: TimedEvent) -> None:
    b = ev.body
    eng.state.service_mode.pop((b.vm, b.protocol, b.port), None)
    eng.emit(node_id(VM, b.vm), "event", d.CONFIG_CHANGED,
             f"the service on {b.protocol} {b.port} of {b.vm} is healthy again")


def _stop_vm(eng, ev: TimedEvent) -> None:
    vm = ev.body.vm
    s = eng.state
    s.vm_running[vm] = False
    for (probe, name), ps in s.probes.items():
        if name == vm:
            ps.stopped = True
    eng.emit(node_id(VM, vm), "event", d.CONFIG_CHANGED,
             f"{vm} stops: it answers nothing, takes no new flows and is not probed",
             ids=("stopped-vm-not-probed",), facts=(81,))
    # A stopped VM is out of rotation at once; if it was the last one up, the pool is down.
    t = s.topology
    for rule in t.load_balancer.rules:
        if rule.backend_pool in t.pools_of_vm.get(vm, ()):
            eng.schedule(eng.now, "pool_check", rule.name)


def _start_vm(eng, ev: TimedEvent) -> None:
    vm = ev.body.vm
    s = eng.state
    s.vm_running[vm] = True
    for (probe, name), ps in s.probes.items():
        if name == vm:
            ps.stopped = False
            ps.state = DOWN
            ps.streak = 0
    restart_probes(eng, vm)
    eng.emit(node_id(VM, vm), "event", d.CONFIG_CHANGED,
             f"{vm} starts; it rejoins rotation once its probe succeeds the required number of "
             "times in a row", ids=("stopped-vm-not-probed",), facts=(80, 81))


def _set(eng, ev: TimedEvent) -> None:
    s = eng.state
    b = ev.body
    lb = node_id(LB, s.topology.load_balancer.name)
    try:
        raw = apply_set(s.raw, b.path, b.value)
        topology = topology_from_raw(raw)
    except (ValueError, ScenarioError) as exc:
        eng.emit(lb, "config", d.CANCELLED, f"change refused: {exc}")
        return
    busy = busy_removals(eng, topology)
    if busy:
        eng.emit(lb, "config", d.CANCELLED, f"change refused: it removes {', '.join(busy)}, "
                 "still in use by traffic in flight; let those connections end first")
        return
    before = {(f.id, f.subject) for f in check(s.topology)}
    s.raw, s.topology = raw, topology
    eng.sync_probes()
    new = [f for f in check(topology) if (f.id, f.subject) not in before]
    found = "; ".join(f"{f.severity} {f.id}: {f.message}" for f in new)
    eng.emit(lb, "config", d.CONFIG_CHANGED,
             f"set {b.path} = {b.value!r}; applies to new flows only"
             + (f". New findings: {found}" if found else ""),
             ids=tuple(dict.fromkeys(f.id for f in new)), facts=(136,),
             warn=[(f.id, f.subject, f.message) for f in new if f.severity != "info"])


def busy_removals(eng, topology) -> list[str]:
    """What a change would remove (or rename) that traffic in flight still names.

    Handlers look rules, VMs, clients and frontends up by name; removing one under a live flow,
    a packet on its way or a timeline event still to come would break that handler (found by
    tests/robustness). Names held only by probe timers or by ended connections are free to go.
    """
    s = eng.state
    in_use: set[str] = set()
    for flow in s.flows.values():
        in_use.update((flow.vm, flow.rule, flow.frontend))
    for conn in s.conns.values():
        if conn.status not in ("closed", "failed"):
            in_use.add(conn.origin)
    for _, _, name, args in s.heap:
        if name in ("timeline", "injected"):  # an event still to come names its client or VM
            ev = eng.scenario.events[args[0]] if name == "timeline" else s.injected[args[0]]
            in_use.update(v for v in (getattr(ev.body, "client", None), getattr(ev.body, "vm", None))
                          if isinstance(v, str))
            continue
        conn = s.conns.get(args[0]) if args and isinstance(args[0], str) else None
        if conn is not None:  # a packet or timer of a connection, with the names it carries
            in_use.add(conn.origin)
            in_use.update(a for a in args[1:] if isinstance(a, str))
    old = s.topology
    busy = []
    for what, before, after in (
            ("rule", old.rules, topology.rules), ("inbound NAT rule", old.nat_rules, topology.nat_rules),
            ("VM", old.vm_by_name, topology.vm_by_name),
            ("client", old.client_by_name, topology.client_by_name),
            ("frontend", old.frontends, topology.frontends)):
        busy += [f"{what} {name}" for name in sorted(set(before) - set(after)) if name in in_use]
    return busy


ACTIONS = {
    "connect": _connect, "outbound": _outbound, "send": _send, "close": _close,
    "fail_service": _fail_service, "restore_service": _restore_service,
    "stop_vm": _stop_vm, "start_vm": _start_vm, "set": _set,
}


def validate_injected(eng, ev: TimedEvent) -> None:
    """Refuse an explorer-injected event that names something unknown (ValueError).

    The same `check_event` that checks a scenario file's timeline, so a live event and a file's
    event give the same message (`connect.client: no client named …`, without the file's
    location). Only a live `set` has one check more: it may not remove what traffic in flight
    still uses, which a file cannot know while loading.
    """
    known = eng.state.conns
    checked = check_event(ev.kind, ev.body, eng.topology, eng.state.raw, known,
                          [ev.conn_id] if ev.conn_id is not None else ())
    if checked.problems:
        raise ValueError(checked.message())
    if ev.kind == "set":
        busy = busy_removals(eng, checked.topology)
        if busy:
            raise ValueError(f"set.value: it removes {', '.join(busy)}, still in use by "
                             "traffic in flight")
