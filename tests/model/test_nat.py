"""NAT both ways and the flow table (facts 3-4, 57, 170-182): the VM sees the client, the
client only ever sees the frontend."""

import pytest

from .helpers import FE_V4, FE_V6, conn_steps, engine, farm, first


def connect(client, to, cid="c1", extra=""):
    return f"- at: 1s\n  connect: {{id: {cid}, client: {client}, to: \"{to}\", port: 80{extra}}}\n"


@pytest.mark.parametrize("client, frontend, backend_port", [
    ("vera", FE_V4, 80), ("sixto", FE_V6, 8080)])
def test_client_only_ever_sees_the_frontend(client, frontend, backend_port):
    eng = engine(farm(timeline=connect(client, frontend, extra=", requests: 3")))
    eng.run(until=10_000)
    steps = conn_steps(eng, "c1")
    at_client = [s for s in steps if s.node == f"client:{client}" and s.packet is not None]
    assert at_client
    for s in at_client:
        other = s.packet.dst if s.kind == "send" else s.packet.src
        other_port = s.packet.dport if s.kind == "send" else s.packet.sport
        assert (other, other_port) == (frontend, 80), s
    assert eng.connection("c1").client_saw == frontend


@pytest.mark.parametrize("client, frontend", [("vera", FE_V4), ("sixto", FE_V6)])
def test_inbound_nat_rewrites_destination_and_keeps_client_source(client, frontend):
    eng = engine(farm(timeline=connect(client, frontend)))
    eng.run(until=3_000)
    nat = first(conn_steps(eng, "c1"), kind="nat")
    fields = {f for f, _, _ in nat.rewrite}
    assert "dst" in fields and "src" not in fields          # fact 57: source preserved
    assert nat.after.src == nat.packet.src
    delivered = first(conn_steps(eng, "c1"), kind="deliver")
    assert delivered.packet.src == nat.packet.src           # the VM sees the client


def test_reply_nat_rewrites_source_back_to_frontend():
    eng = engine(farm(timeline=connect("sixto", FE_V6)))
    eng.run(until=3_000)
    steps = [s for s in conn_steps(eng, "c1") if s.kind == "nat"]
    reply = steps[1]
    assert reply.packet.flags == "SYN,ACK"
    assert reply.rewrite == (("src", reply.packet.src, FE_V6), ("sport", 8080, 80))
    assert reply.after.src == FE_V6 and reply.after.sport == 80


def test_flow_table_entry_while_open():
    eng = engine(farm(timeline=connect("sixto", FE_V6, extra=", hold: 30s")))
    eng.run(until=5_000)
    (flow,) = eng.flows()
    assert flow.orig[3:] == (FE_V6, 80)
    assert flow.xlat[3] in ("fd00:10::4", "fd00:10::5") and flow.xlat[4] == 8080
    assert flow.orig[1:3] == flow.xlat[1:3]
    assert flow.state == "ESTABLISHED"
    assert flow.rule == "rule-v6" and flow.frontend == "fe-v6"
    assert flow.packets >= 4 and flow.bytes == 200 + 1200
    assert flow.idle_ms == 4 * 60_000
    doc = flow.to_json(eng.now)
    assert doc["original"]["dst"] == FE_V6 and doc["translated"]["dport"] == 8080
    assert eng.flows()[0] is flow


def test_flow_removed_after_fin_exchange():
    eng = engine(farm(timeline=connect("vera", FE_V4)))
    eng.run(until=5_000)
    assert len(eng.state.flows) == 0
    assert eng.connection("c1").status == "closed"


def test_flow_state_is_syn_sent_until_the_syn_ack_passes():
    eng = engine(farm(timeline=connect("vera", FE_V4)))
    eng.run(until=1_010)   # the SYN reached the frontend at 1010 and was translated
    (flow,) = eng.flows()
    assert flow.state == "SYN_SENT"
    eng.run(until=1_012)   # the VM answered at 1011; the SYN-ACK passes the LB at 1012
    assert flow.state == "ESTABLISHED"


def test_flow_lookup_index_is_by_original_and_reply_tuple():
    eng = engine(farm(timeline=connect("vera", FE_V4, extra=", hold: 30s")))
    eng.run(until=5_000)
    (flow,) = eng.flows()
    assert eng.state.flows.lookup(flow.orig) is flow
    assert eng.state.flows.lookup_reply(flow.reply_key()) is flow


def test_flow_table_indexes_by_rule_and_forgets_removed_flows():
    from lb6.model.world.flows import FlowTable
    table = FlowTable()
    a = table.add("inbound", "Tcp", ("Tcp", "1.1.1.1", 1, FE_V4, 80), ("Tcp", "1.1.1.1", 1, "10.0.0.4", 80),
                  "web1", "fe-v4", "rule-v4", "SYN_SENT", 0, 240_000, "c1")
    b = table.add("inbound", "Tcp", ("Tcp", "1.1.1.1", 2, FE_V4, 80), ("Tcp", "1.1.1.1", 2, "10.0.0.5", 80),
                  "web2", "fe-v4", "rule-v4", "SYN_SENT", 0, 240_000, "c2")
    assert table.of_rule("rule-v4") == [a, b]
    table.remove(a)
    assert table.of_rule("rule-v4") == [b] and table.lookup(a.orig) is None
    table.remove(b)
    assert table.of_rule("rule-v4") == [] and len(table) == 0


def test_connection_keeps_distinct_dispositions_only():
    eng = engine(farm(timeline=connect("vera", FE_V4, extra=", requests: 20")))
    eng.run(until=5_000)
    seen = eng.connection("c1").seen
    assert len(seen) == len(set(seen)) and "delivered" in seen
