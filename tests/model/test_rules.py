"""Rule matching and backend choice: frontend IP + protocol + port (facts 20, 26, 51, 54, 56),
the documented hash over healthy members (facts 41-43, 179) and the fixed IPv6 settings
(facts 21-22)."""

import pytest

from lb6.model.net.packet import Packet
from lb6.model.behaviours.distribution import choose, hash_inputs, hash_value

from .helpers import FE_V4, FE_V6, FQDN, conn_steps, engine, farm, first, run

SRC = Packet("Tcp", "198.51.100.20", 50000, FE_V4, 80, "SYN")


def connect(client, to, port=80, cid="c1", at="1s", protocol="Tcp", count=1, every="0s"):
    return (f"- at: {at}\n  connect: {{id: {cid}, client: {client}, to: \"{to}\", port: {port}, "
            f"protocol: {protocol}, count: {count}, every: {every}}}\n")


# ---- the hash itself --------------------------------------------------------------------------


@pytest.mark.parametrize("mode, inputs", [
    ("Default", ("198.51.100.20", "50000", FE_V4, "80", "Tcp")),
    ("SourceIPProtocol", ("198.51.100.20", FE_V4, "Tcp")),
    ("SourceIP", ("198.51.100.20", FE_V4)),
])
def test_hash_inputs_per_mode(mode, inputs):
    assert hash_inputs(SRC, mode) == inputs


def test_hash_is_documented_sha256_prefix():
    import hashlib
    inputs = hash_inputs(SRC, "Default")
    expected = int.from_bytes(hashlib.sha256("|".join(inputs).encode()).digest()[:8], "big")
    assert hash_value(inputs) == expected
    assert choose(SRC, "Default", 3).index == expected % 3


def test_source_port_matters_only_to_the_five_tuple():
    other = Packet("Tcp", SRC.src, 50001, SRC.dst, 80, "SYN")
    assert hash_inputs(other, "SourceIP") == hash_inputs(SRC, "SourceIP")
    assert hash_inputs(other, "Default") != hash_inputs(SRC, "Default")


# ---- matching ---------------------------------------------------------------------------------


def test_matching_rule_forwards_to_backend_port():
    eng = engine(farm(timeline=connect("vera", FE_V4)))
    eng.run(until=3_000)
    steps = conn_steps(eng, "c1")
    match = first(steps, kind="rule-match")
    assert match.refs.rule == "rule-v4" and match.disposition == "forwarded"
    nat = first(steps, kind="nat")
    assert nat.after.dport == 80 and nat.after.dst in ("10.0.0.4", "10.0.0.5")


def test_no_rule_on_ipv4_frontend_is_dropped_without_ipv6_warning():
    r = run(farm(timeline=connect("vera", FE_V4, port=443)))
    step = first(conn_steps(r.engine, "c1"), kind="rule-match")
    assert step.disposition == "dropped-no-rule"
    assert "ipv6-only-rule-ports-exposed" not in step.refs.ids
    assert r.engine.connection("c1").outcome == "dropped-no-rule"
    assert not r.engine.warnings()


def test_no_rule_on_ipv6_frontend_raises_ipv6_only_rule_ports_exposed():
    r = run(farm(timeline=connect("sixto", FE_V6, port=22)))
    step = first(conn_steps(r.engine, "c1"), kind="rule-match")
    assert step.disposition == "dropped-no-rule"
    assert "ipv6-only-rule-ports-exposed" in step.refs.ids and 20 in step.refs.facts
    assert "Tcp 80" in step.reason
    assert [w.id for w in r.engine.warnings()] == ["ipv6-only-rule-ports-exposed"]
    assert r.engine.connection("c1").outcome == "dropped-no-rule"


def test_protocol_is_part_of_the_match():
    r = run(farm(timeline=connect("vera", FE_V4, protocol="Udp")))
    assert first(conn_steps(r.engine, "c1"), kind="rule-match").disposition == "dropped-no-rule"


def test_vm_private_address_is_not_reachable_from_the_internet():
    r = run(farm(timeline=connect("sixto", "fd00:10::4")))
    step = first(conn_steps(r.engine, "c1"), kind="route")
    assert step.disposition == "dropped-no-route" and 4 in step.refs.facts


@pytest.mark.parametrize("client, frontend", [("vera", FE_V4), ("sixto", FE_V6)])
def test_icmp_is_dropped_on_both_families(client, frontend):
    r = run(farm(timeline=connect(client, frontend, protocol="Icmp")))
    step = first(conn_steps(r.engine, "c1"), kind="rule-match")
    assert step.disposition == "dropped-icmp"
    assert "icmp-dropped" in step.refs.ids and 26 in step.refs.facts
    assert r.engine.connection("c1").outcome == "dropped-icmp"
    assert [w.id for w in r.engine.warnings()] == ["icmp-dropped"]     # a live warning too


def test_inbound_nat_rule_forwards_to_its_one_vm():
    lb_extra = ("  inbound_nat_rules:\n"
                "    - {name: ssh-web2, frontend: fe-v4, protocol: Tcp, frontend_port: 50002, "
                "backend_port: 22}\n")
    text = farm(lb_extra=lb_extra, timeline=connect("vera", FE_V4, port=50002, count=4, every="1s"),
                services="[{protocol: Tcp, port: 80}, {protocol: Tcp, port: 8080}, "
                         "{protocol: Tcp, port: 22}]")
    text = text.replace(
        '{name: ipv4, version: IPv4, address: 10.0.0.5, backend_pools: [pool-v4]}',
        '{name: ipv4, version: IPv4, address: 10.0.0.5, backend_pools: [pool-v4], '
        'inbound_nat_rules: [ssh-web2]}')
    r = run(text)
    for n in range(1, 5):
        conn = r.engine.connection(f"c1.{n}")
        assert conn.served_by == "web2" and conn.outcome == "delivered"
    nat = first(conn_steps(r.engine, "c1.1"), kind="nat")
    assert nat.after.dport == 22 and nat.after.dst == "10.0.0.5"
    assert "inbound-nat-rule" in first(conn_steps(r.engine, "c1.1"), kind="rule-match").refs.ids


# ---- distribution -----------------------------------------------------------------------------


def served(r, base, n):
    return [r.engine.connection(f"{base}.{i}").served_by for i in range(1, n + 1)]


def test_default_spreads_connections_of_one_client():
    r = run(farm(timeline=connect("vera", FE_V4, count=12, every="100ms")))
    assert set(served(r, "c1", 12)) == {"web1", "web2"}


def test_source_ip_sends_every_connection_of_a_client_to_one_vm_on_ipv4():
    r = run(farm(v4_rule=", load_distribution: SourceIP",
                 timeline=connect("vera", FE_V4, count=12, every="100ms")))
    assert len(set(served(r, "c1", 12))) == 1
    choice = first(conn_steps(r.engine, "c1.1"), kind="backend-choice")
    assert "2-tuple" in choice.reason and "source-ip-affinity" in choice.refs.ids
    assert dict(choice.detail)["hash inputs"] == f"198.51.100.30 | {FE_V4}"


def test_source_ip_protocol_uses_three_tuple():
    r = run(farm(v4_rule=", load_distribution: SourceIPProtocol",
                 timeline=connect("vera", FE_V4, count=8, every="100ms")))
    assert len(set(served(r, "c1", 8))) == 1
    choice = first(conn_steps(r.engine, "c1.1"), kind="backend-choice")
    assert dict(choice.detail)["hash inputs"] == f"198.51.100.30 | {FE_V4} | Tcp"


def test_ipv6_rule_ignores_source_ip_and_keeps_five_tuple():
    r = run(farm(v6_rule=", load_distribution: SourceIP",
                 timeline=connect("sixto", FE_V6, count=12, every="100ms")))
    assert set(served(r, "c1", 12)) == {"web1", "web2"}
    match = first(conn_steps(r.engine, "c1.1"), kind="rule-match")
    assert "ipv6-distribution-fixed" in match.refs.ids and 22 in match.refs.facts
    choice = first(conn_steps(r.engine, "c1.1"), kind="backend-choice")
    assert "5-tuple" in choice.reason and "fixed for IPv6" in dict(choice.detail)["mode"]
    assert "ipv6-distribution-fixed" in {w.id for w in r.engine.warnings()}


def test_backend_choice_reason_shows_inputs_and_candidates():
    eng = engine(farm(timeline=connect("vera", FE_V4)))
    eng.run(until=3_000)
    detail = dict(first(conn_steps(eng, "c1"), kind="backend-choice").detail)
    assert set(detail) >= {"mode", "hash inputs", "hash", "candidates", "pick"}
    assert "web1 10.0.0.4 up" in detail["candidates"] and "web2 10.0.0.5 up" in detail["candidates"]


def test_engine_pick_is_the_hash_modulo_healthy_members_in_name_order():
    eng = engine(farm(timeline=connect("vera", FE_V4, count=6, every="1s")))
    eng.run(until=10_000)
    for n in range(1, 7):
        syn = first(conn_steps(eng, f"c1.{n}"), kind="send").packet
        expected = ["web1", "web2"][choose(syn, "Default", 2).index]
        assert eng.connection(f"c1.{n}").served_by == expected
