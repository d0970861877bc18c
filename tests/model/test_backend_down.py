"""One backend down versus all backends down (facts 58, 82-85, 141, 183)."""

from .helpers import FE_V4, FE_V6, conn_steps, engine, farm, first, run

# The probe watches a separate health port, so "failing" a VM drains it without touching the
# web service: exactly the case where established flows can carry on (fact 82).
HEALTH_PROBE = "{name: health, protocol: Tcp, port: 9000, interval_s: 5, number_of_probes: 2}"
TCP_SERVICES = ("[{protocol: Tcp, port: 80}, {protocol: Tcp, port: 8080}, "
                "{protocol: Tcp, port: 9000}]")
UDP_SERVICES = ("[{protocol: Udp, port: 80}, {protocol: Udp, port: 8080}, "
                "{protocol: Tcp, port: 9000}]")


def drain_farm(timeline, proto="Tcp", duration="60s"):
    return farm(probe=HEALTH_PROBE, v4_probe="health", v6_probe="health", proto=proto,
                services=TCP_SERVICES if proto == "Tcp" else UDP_SERVICES,
                timeline=timeline, duration=duration)


def served_by_first(text: str, conn: str) -> str:
    """Run once to learn where the hash sends `conn` (the draws do not depend on later events)."""
    r = run(text)
    return r.engine.connection(conn).served_by


def long_tcp(to=FE_V4, client="vera"):
    return (f"- at: 1s\n  connect: {{id: long, client: {client}, to: \"{to}\", port: 80, "
            "hold: 50s, keepalive: 10s}\n")


def test_established_tcp_flow_continues_on_a_failed_vm_while_new_flows_avoid_it():
    base = long_tcp() + "- at: 30s\n  send: {connection: long}\n"
    victim = served_by_first(drain_farm(base), "long")
    other = {"web1": "web2", "web2": "web1"}[victim]
    r = run(drain_farm(base + f"- at: 3s\n  fail_service: {{vm: {victim}, port: 9000}}\n"
                       f"- at: 25s\n  connect: {{id: new, client: vera, to: {FE_V4}, port: 80, "
                       "count: 6, every: 200ms}\n"))
    eng = r.engine
    down = [s for s in eng.records if s.disposition == "marked-down"]
    assert len(down) == 1 and down[0].t_ms < 25_000
    long = eng.connection("long")
    assert long.served_by == victim and long.outcome == "delivered" and long.answered == 2
    later = [s for s in conn_steps(eng, "long") if s.kind == "flow-lookup" and s.t_ms > down[0].t_ms]
    assert later and all("backend-down-tcp-continues" in s.refs.ids for s in later)
    assert 82 in later[0].refs.facts
    assert {eng.connection(f"new.{n}").served_by for n in range(1, 7)} == {other}


def test_udp_flow_moves_to_a_healthy_member():
    base = ("- at: 1s\n  connect: {id: u, client: vera, to: 203.0.113.10, port: 80, protocol: Udp}\n"
            "- at: 30s\n  send: {connection: u}\n")
    victim = served_by_first(drain_farm(base, proto="Udp"), "u")
    r = run(drain_farm(base + f"- at: 3s\n  fail_service: {{vm: {victim}, port: 9000}}\n",
                       proto="Udp"))
    eng = r.engine
    moved = first([s for s in conn_steps(eng, "u") if s.t_ms >= 30_000], kind="flow-lookup")
    assert "backend-down-udp-moves" in moved.refs.ids and 83 in moved.refs.facts
    assert [w.id for w in eng.warnings()] == ["backend-down-udp-moves"]
    conn = eng.connection("u")
    assert conn.served_by != victim and conn.answered == 2
    (flow,) = eng.flows()
    assert flow.vm != victim
    nat = first([s for s in conn_steps(eng, "u") if s.t_ms >= 30_000], kind="nat")
    assert nat.after.dst == eng.topology.vm_by_name[conn.served_by].address("IPv4")


def all_down_timeline(extra=""):
    return (long_tcp()
            + "- at: 3s\n  fail_service: {vm: web1, port: 9000}\n"
            + "- at: 3s\n  fail_service: {vm: web2, port: 9000}\n"
            + "- at: 30s\n  send: {connection: long}\n"
            + f"- at: 32s\n  connect: {{id: late, client: vera, to: {FE_V4}, port: 80}}\n" + extra)


def test_all_members_down_basic_ends_every_tcp_flow():
    r = run(drain_farm(all_down_timeline()))
    eng = r.engine
    term = first(eng.records, kind="terminate")
    assert term.disposition == "terminated" and term.node == "pool:pool-v4"
    assert "all-backends-down" in term.refs.ids and 84 in term.refs.facts
    assert {w.id for w in eng.warnings()} == {"all-backends-down", "no-healthy-backend"}
    long = eng.connection("long")
    assert long.outcome == "terminated"
    assert not [f for f in eng.flows() if f.rule == "rule-v4" and f.conn == "long"]
    # The connection is over: the later `send` has nothing to ride on.
    after = [s for s in conn_steps(eng, "long") if s.t_ms >= term.t_ms]
    assert [(s.t_ms, s.disposition) for s in after] == [(30_000, "cancelled")]


def test_all_members_down_syn_gets_no_answer():
    r = run(drain_farm(all_down_timeline()))
    eng = r.engine
    choice = first(conn_steps(eng, "late"), kind="backend-choice")
    assert choice.disposition == "dropped-no-healthy-backend"
    assert 85 in choice.refs.facts
    steps = conn_steps(eng, "late")
    assert not [s for s in steps if s.kind == "nat"]         # no SYN-ACK, no reset
    assert eng.connection("late").outcome == "dropped-no-healthy-backend"


def test_all_down_ends_udp_flows_too():
    base = ("- at: 1s\n  connect: {id: u, client: vera, to: 203.0.113.10, port: 80, protocol: Udp}\n"
            "- at: 3s\n  fail_service: {vm: web1, port: 9000}\n"
            "- at: 3s\n  fail_service: {vm: web2, port: 9000}\n")
    r = run(drain_farm(base, proto="Udp"))
    assert r.engine.connection("u").outcome == "terminated"
    assert len(r.engine.state.flows) == 0


def test_all_down_on_the_ipv4_side_takes_the_ipv6_side_with_it():
    timeline = (long_tcp(to=FE_V6, client="sixto")
                + "- at: 3s\n  fail_service: {vm: web1, port: 9000}\n"
                + "- at: 3s\n  fail_service: {vm: web2, port: 9000}\n")
    r = run(drain_farm(timeline))
    term = [s for s in r.engine.records if s.kind == "terminate"]
    assert [s.node for s in term] == ["pool:pool-v6"]
    assert r.engine.connection("long").outcome == "terminated"


def test_one_member_back_up_admits_new_flows_again():
    timeline = (all_down_timeline()
                + "- at: 35s\n  restore_service: {vm: web1, port: 9000}\n"
                + f"- at: 55s\n  connect: {{id: again, client: vera, to: {FE_V4}, port: 80}}\n")
    r = run(drain_farm(timeline, duration="70s"))
    again = r.engine.connection("again")
    assert again.outcome == "delivered" and again.served_by == "web1"


def test_stopping_the_last_running_member_ends_the_pools_flows():
    timeline = (long_tcp() + "- at: 3s\n  stop_vm: web1\n- at: 3s\n  stop_vm: web2\n")
    r = run(drain_farm(timeline))
    term = first(r.engine.records, kind="terminate")
    assert term.t_ms == 3_000
    assert r.engine.connection("long").outcome == "terminated"
