"""Idle timeout: IPv4 rules 4-30 minutes (default 4), IPv6 fixed at 4, silent removal on Basic,
keep-alives (facts 21, 99-107)."""

import pytest

from .helpers import FE_V4, FE_V6, conn_steps, engine, farm, first, run

MIN = 60_000


def idle_then_send(to, client, send_at, extra=""):
    return (f"- at: 1s\n  connect: {{id: c, client: {client}, to: \"{to}\", port: 80, "
            f"close: false{extra}}}\n"
            f"- at: {send_at}\n  send: {{connection: c}}\n")


def expiry(eng):
    return first(eng.records, kind="idle-timeout")


def test_ipv4_default_is_4_minutes_then_the_next_packet_is_dropped():
    r = run(farm(timeline=idle_then_send(FE_V4, "vera", "6m"), duration="7m"))
    eng = r.engine
    gone = expiry(eng)
    assert gone.disposition == "expired" and gone.conn == "c"
    last_packet = max(s.t_ms for s in conn_steps(eng, "c") if s.kind == "nat")
    assert gone.t_ms == last_packet + 4 * MIN
    assert "idle-timeout-expiry" in gone.refs.ids and 102 in gone.refs.facts
    drop = first(conn_steps(eng, "c"), disposition="dropped-idle-timeout")
    assert drop.t_ms > 6 * MIN and drop.node == "frontend:fe-v4"
    assert eng.connection("c").outcome == "dropped-idle-timeout"
    assert [w.id for w in eng.warnings()] == ["idle-timeout-expiry"]


def test_basic_sends_no_reset_at_expiry():
    eng = engine(farm(timeline=idle_then_send(FE_V4, "vera", "6m"), duration="7m"))
    eng.run(until=5 * MIN + 30_000)
    assert eng.connection("c").status == "open"     # the client still thinks it is open
    assert [s for s in conn_steps(eng, "c") if s.packet and "RST" in s.packet.flags] == []


def test_ipv4_rule_idle_timeout_is_configurable():
    r = run(farm(v4_rule=", idle_timeout_min: 10",
                 timeline=idle_then_send(FE_V4, "vera", "8m"), duration="9m"))
    conn = r.engine.connection("c")
    assert conn.outcome == "delivered" and conn.answered == 2
    nat = first(conn_steps(r.engine, "c"), kind="nat")
    assert "idle timeout 10 min" in nat.reason
    assert (r.engine.flows()[0].idle_ms) == 10 * MIN


def test_ipv6_rule_keeps_4_minutes_whatever_it_says():
    r = run(farm(v6_rule=", idle_timeout_min: 10",
                 timeline=idle_then_send(FE_V6, "sixto", "8m"), duration="9m"))
    eng = r.engine
    nat = first(conn_steps(eng, "c"), kind="nat")
    assert "idle timeout 4 min (fixed for IPv6)" in nat.reason and 21 in nat.refs.facts
    assert "ipv6-idle-timeout-fixed" in first(conn_steps(eng, "c"), kind="rule-match").refs.ids
    assert eng.connection("c").outcome == "dropped-idle-timeout"
    assert 21 in expiry(eng).refs.facts
    assert "ipv6-idle-timeout-fixed" in expiry(eng).refs.ids
    assert "ipv6-idle-timeout-fixed" in {w.id for w in eng.warnings()}


@pytest.mark.parametrize("to, client", [(FE_V4, "vera"), (FE_V6, "sixto")])
def test_keepalive_shorter_than_the_timeout_keeps_the_flow(to, client):
    r = run(farm(timeline=idle_then_send(to, client, "9m", extra=", keepalive: 3m"),
                 duration="10m"))
    eng = r.engine
    assert [s for s in eng.records if s.kind == "idle-timeout"] == []
    conn = eng.connection("c")
    assert conn.outcome == "delivered" and conn.answered == 2
    kas = [s for s in conn_steps(eng, "c") if s.kind == "send" and "keep-alive" in s.reason]
    assert len(kas) >= 2 and 104 in kas[0].refs.facts


def test_keepalive_longer_than_the_timeout_does_not_save_it():
    r = run(farm(timeline=idle_then_send(FE_V4, "vera", "9m", extra=", keepalive: 5m"),
                 duration="10m"))
    assert r.engine.connection("c").outcome == "dropped-idle-timeout"


def test_expired_flow_is_removed_from_the_table():
    eng = engine(farm(timeline=idle_then_send(FE_V4, "vera", "9m"), duration="10m"))
    eng.run(until=2 * MIN)
    assert len(eng.state.flows) == 1
    eng.run(until=5 * MIN)
    assert len(eng.state.flows) == 0


def test_udp_flow_ages_out_and_the_next_datagram_is_simply_forwarded():
    services = "[{protocol: Udp, port: 80}, {protocol: Udp, port: 8080}, {protocol: Tcp, port: 80}]"
    timeline = ("- at: 1s\n  connect: {id: u, client: vera, to: 203.0.113.10, port: 80, protocol: Udp}\n"
                "- at: 6m\n  send: {connection: u}\n")
    r = run(farm(proto="Udp", services=services, v4_probe="", v6_probe="", timeline=timeline,
                 duration="7m"))
    eng = r.engine
    aged = expiry(eng)
    assert aged.disposition == "expired" and 106 in aged.refs.facts
    conn = eng.connection("u")
    assert conn.answered == 2 and conn.outcome == "delivered"
    assert "dropped-idle-timeout" not in conn.seen
