"""At the VM: a listener answers, none refuses, and a Linux guest without DHCPv6 never takes
its IPv6 address (facts 8-9, 57)."""

from .helpers import FE_V4, FE_V6, conn_steps, farm, first, run

HOSTS = """
hosts:
  - {name: api, kind: internet, addresses: ["2606:2800:220:1::10"], services: [{protocol: Tcp, port: 443}]}
"""


def connect(client, to, port=80):
    return f"- at: 1s\n  connect: {{id: c, client: {client}, to: \"{to}\", port: {port}}}\n"


def test_listening_service_answers_syn_ack():
    r = run(farm(timeline=connect("vera", FE_V4)))
    step = first(conn_steps(r.engine, "c"), kind="deliver")
    assert step.disposition == "delivered" and "SYN-ACK" in step.reason


def test_no_listener_answers_rst_and_the_client_sees_refused():
    r = run(farm(timeline=connect("sixto", FE_V6), services="[{protocol: Tcp, port: 80}]"))
    step = first(conn_steps(r.engine, "c"), kind="deliver")
    assert step.disposition == "refused" and "nothing listens on Tcp 8080" in step.reason
    reply = first(conn_steps(r.engine, "c"), kind="receive")
    assert reply.disposition == "refused" and reply.packet.src == FE_V6   # RST via the frontend
    assert r.engine.connection("c").outcome == "refused"


def test_linux_without_dhcpv6_drops_ipv6_and_raises_linux_dhcpv6():
    r = run(farm(timeline=connect("sixto", FE_V6), vm_extra="dhcpv6: false"))
    step = first(conn_steps(r.engine, "c"), kind="deliver")
    assert step.disposition == "dropped-limitation"
    assert "linux-dhcpv6" in step.refs.ids and 8 in step.refs.facts
    assert "linux-dhcpv6" in {w.id for w in r.engine.warnings()}
    assert r.engine.connection("c").outcome == "dropped-limitation"


def test_linux_without_dhcpv6_still_serves_ipv4():
    r = run(farm(timeline=connect("vera", FE_V4), vm_extra="dhcpv6: false"))
    assert r.engine.connection("c").outcome == "delivered"
    assert not r.engine.warnings()


def test_windows_needs_no_dhcpv6_setting():
    r = run(farm(timeline=connect("sixto", FE_V6), vm_extra="os: windows\n    dhcpv6: false"))
    assert r.engine.connection("c").outcome == "delivered"


def test_linux_without_dhcpv6_cannot_send_ipv6_out():
    r = run(farm(hosts=HOSTS, vm_extra="dhcpv6: false",
                 timeline="- at: 1s\n  outbound: {id: o, vm: web1, to: api, port: 443}\n"))
    conn = r.engine.connection("o")
    assert conn.outcome == "dropped-limitation"
    assert "linux-dhcpv6" in first(conn_steps(r.engine, "o"), kind="send").refs.ids


def test_stopped_vm_answers_nothing_on_an_existing_flow():
    base = f"- at: 1s\n  connect: {{id: c, client: vera, to: {FE_V4}, port: 80, close: false}}\n"
    victim = run(farm(timeline=base)).engine.connection("c").served_by
    r = run(farm(timeline=base + f"- at: 2s\n  stop_vm: {victim}\n- at: 3s\n  send: {{connection: c}}\n"))
    deliver = [s for s in conn_steps(r.engine, "c") if s.kind == "deliver"][-1]
    assert deliver.disposition == "no-answer" and 81 in deliver.refs.facts
    assert deliver.node == f"vm:{victim}"
