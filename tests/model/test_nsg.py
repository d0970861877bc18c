"""Network security groups: default rules, priority, statefulness, IPv4 only (facts 19,
133-137)."""

from lb6.model.deployment.nodes import NsgRule
from lb6.model.behaviours.nsg import default_rules, evaluate, parse_port_range, would_deny_ipv6

from .helpers import FE_V4, FE_V6, conn_steps, engine, farm, first, run

CLIENT = "198.51.100.30"
VM = "10.0.0.4"


def in_vnet(address: str) -> bool:
    return address.startswith("10.")


def verdict(rules, src=CLIENT, dport=80, proto="Tcp", direction="Inbound", dst=VM):
    return evaluate(tuple(rules) + default_rules(), "nsg", direction, proto, src, 50000, dst,
                    dport, in_vnet)


def rule(name, priority, access, **kw):
    return NsgRule(name, priority, kw.pop("direction", "Inbound"), access, **kw)


# ---- evaluate() ---------------------------------------------------------------------------------


def test_default_rules_deny_internet_inbound():
    v = verdict([])
    assert (v.allowed, v.rule, v.priority) == (False, "DenyAllInbound", 65500)


def test_default_rules_allow_the_probe_source():
    v = verdict([], src="168.63.129.16")
    assert (v.allowed, v.rule) == (True, "AllowAzureLoadBalancerInBound")


def test_default_rules_allow_vnet_inbound():
    v = verdict([], src="10.0.0.5")
    assert (v.allowed, v.rule) == (True, "AllowVNetInBound")


def test_default_outbound_rules():
    assert verdict([], direction="Outbound", src=VM, dst="93.184.216.34").rule == "AllowInternetOutBound"
    assert verdict([], direction="Outbound", src=VM, dst="10.0.0.5").rule == "AllowVnetOutBound"


def test_lower_priority_number_wins():
    rules = [rule("allow-web", 200, "Allow", destination_port="80"),
             rule("deny-web", 100, "Deny", destination_port="80")]
    assert verdict(rules).rule == "deny-web"
    rules = [rule("allow-web", 100, "Allow", destination_port="80"),
             rule("deny-web", 200, "Deny", destination_port="80")]
    v = verdict(rules)
    assert v.allowed and v.rule == "allow-web"


def test_first_match_respects_protocol_and_ports():
    rules = [rule("deny-udp", 100, "Deny", protocol="Udp"),
             rule("allow-range", 200, "Allow", destination_port="8000-8100")]
    assert verdict(rules, dport=8080).rule == "allow-range"
    assert verdict(rules, dport=80).rule == "DenyAllInbound"
    assert verdict(rules, proto="Udp", dport=8080).rule == "deny-udp"


def test_port_range_parsing():
    assert parse_port_range("*") == ((0, 65535),)
    assert parse_port_range("80, 443,1000-2000") == ((80, 80), (443, 443), (1000, 2000))


def test_would_deny_ipv6_reports_the_rule_an_ipv4_packet_would_hit():
    rules = (rule("deny-web", 100, "Deny", source="Internet", destination_port="8080"),) + default_rules()
    v = would_deny_ipv6(rules, "nsg", "Tcp", "2001:db8:c::40", 50000, "fd00:10::4", 8080)
    assert v is not None and v.rule == "deny-web"


def test_would_deny_ipv6_counts_the_default_deny():
    v = would_deny_ipv6(default_rules(), "nsg", "Tcp", "2001:db8:c::40", 50000, "fd00:10::4", 8080)
    assert v is not None and v.rule == "DenyAllInbound"


def test_would_deny_ipv6_is_none_when_a_custom_rule_allows():
    rules = (rule("allow-web", 100, "Allow", destination_port="8080"),) + default_rules()
    assert would_deny_ipv6(rules, "nsg", "Tcp", "2001:db8:c::40", 50000, "fd00:10::4", 8080) is None


# ---- in the engine ------------------------------------------------------------------------------

DENY_WEB = """
nsgs:
  - name: web-nsg
    rules:
      - {name: deny-web, priority: 100, access: Deny, protocol: Tcp, source: Internet, destination_port: "80,8080"}
"""
ALLOW_WEB = """
nsgs:
  - name: web-nsg
    rules:
      - {name: allow-web, priority: 100, access: Allow, protocol: Tcp, source: Internet, destination_port: "80,8080"}
"""
EMPTY = "nsgs:\n  - {name: web-nsg}\n"


def two_clients(extra_v4="", extra_v6=""):
    return (f"- at: 1s\n  connect: {{id: v4, client: vera, to: {FE_V4}, port: 80{extra_v4}}}\n"
            f"- at: 2s\n  connect: {{id: v6, client: sixto, to: \"{FE_V6}\", port: 80{extra_v6}}}\n")


def test_nsg_denies_ipv4_and_ipv6_passes_with_warning():
    r = run(farm(nic_extra="nsg: web-nsg", nsgs=DENY_WEB, timeline=two_clients()))
    v4 = first(conn_steps(r.engine, "v4"), kind="nsg")
    assert v4.disposition == "dropped-nsg" and v4.refs.nsg_rule == "web-nsg/deny-web"
    assert r.engine.connection("v4").outcome == "dropped-nsg"
    v6 = first(conn_steps(r.engine, "v6"), kind="nsg")
    assert v6.disposition == "forwarded" and "nsg-ignores-ipv6" in v6.refs.ids
    assert "deny-web" in v6.reason
    assert r.engine.connection("v6").outcome == "delivered"
    assert [w.id for w in r.engine.warnings()] == ["nsg-ignores-ipv6"]


def test_empty_nsg_denies_internet_ipv4_by_default_but_not_ipv6():
    r = run(farm(nic_extra="nsg: web-nsg", nsgs=EMPTY, timeline=two_clients()))
    v4 = first(conn_steps(r.engine, "v4"), kind="nsg")
    assert v4.refs.nsg_rule == "web-nsg/DenyAllInbound"
    assert "nsg-default-rules" in v4.refs.ids
    assert r.engine.connection("v6").outcome == "delivered"
    assert "DenyAllInbound" in first(conn_steps(r.engine, "v6"), kind="nsg").reason
    # The probe still passes: AllowAzureLoadBalancerInBound (fact 65), and its step says so.
    assert all(p.state == "up" for p in r.engine.probe_states())
    probe = first(r.engine.records, kind="probe")
    assert "AllowAzureLoadBalancerInBound" in probe.reason
    assert "nsg-default-rules" in probe.refs.ids and 65 in probe.refs.facts


def test_allowing_nsg_passes_ipv4_and_raises_no_warning():
    r = run(farm(nic_extra="nsg: web-nsg", nsgs=ALLOW_WEB, timeline=two_clients()))
    allowed = first(conn_steps(r.engine, "v4"), kind="nsg")
    assert allowed.disposition == "forwarded" and allowed.refs.nsg_rule == "web-nsg/allow-web"
    assert r.engine.connection("v4").outcome == "delivered"
    assert r.engine.connection("v6").outcome == "delivered"
    assert not r.engine.warnings()


def test_nsg_on_subnet_applies_too():
    text = farm(nsgs=DENY_WEB, timeline=two_clients(),
                extra="vnet:\n  subnets:\n    - {name: web, prefix: 10.0.0.0/24, nsg: web-nsg}\n")
    text = text.replace("backend_pools: [pool-v4]}", "subnet: web, backend_pools: [pool-v4]}")
    r = run(text)
    assert r.engine.connection("v4").outcome == "dropped-nsg"
    assert r.engine.connection("v6").outcome == "delivered"


def test_no_nsg_is_open_by_default():
    eng = engine(farm(timeline=two_clients()))
    eng.run(until=5_000)
    deliver = first(conn_steps(eng, "v4"), kind="deliver")
    assert "open by default" in deliver.reason
    assert eng.connection("v4").outcome == "delivered"


def test_nsg_is_stateful_later_packets_ride_the_flow_record():
    eng = engine(farm(nic_extra="nsg: web-nsg", nsgs=ALLOW_WEB,
                      timeline=two_clients(extra_v4=", requests: 3")))
    eng.run(until=5_000)
    steps = conn_steps(eng, "v4")
    assert len([s for s in steps if s.kind == "nsg"]) == 1   # only the SYN is evaluated
    assert eng.connection("v4").answered == 3


def test_nsg_change_affects_new_connections_only():
    timeline = (f"- at: 1s\n  connect: {{id: old, client: vera, to: {FE_V4}, port: 80, hold: 20s, keepalive: 5s}}\n"
                "- at: 2s\n  set: {path: nsgs.web-nsg, value: {rules: [{name: deny-web, priority: 100, "
                "access: Deny, protocol: Tcp, source: Internet, destination_port: '80'}]}}\n"
                f"- at: 3s\n  connect: {{id: new, client: vera, to: {FE_V4}, port: 80}}\n")
    r = run(farm(nic_extra="nsg: web-nsg", nsgs=ALLOW_WEB, timeline=timeline))
    assert r.engine.connection("old").outcome == "delivered"
    assert r.engine.connection("new").outcome == "dropped-nsg"


def test_nsg_blocking_the_probe_takes_the_vm_down():
    deny_probe = """
nsgs:
  - name: web-nsg
    rules:
      - {name: deny-probe, priority: 100, access: Deny, source: AzureLoadBalancer}
"""
    r = run(farm(nic_extra="nsg: web-nsg", nsgs=deny_probe, duration="30s"))
    probes = [s for s in r.engine.records if s.kind == "probe"]
    assert probes and all(s.disposition == "probe-failed" for s in probes)
    assert probes[0].refs.nsg_rule == "web-nsg/deny-probe" and 130 in probes[0].refs.facts
    assert all(p.state == "down" for p in r.engine.probe_states())


def test_floating_ip_flows_still_meet_the_nsg():
    # Fact 171: with floating IP the VM receives the frontend address as destination; the
    # packet still arrives on the VM's NIC, so its NSG applies (fact 137).
    r = run(farm(nic_extra="nsg: web-nsg", nsgs=DENY_WEB, v4_rule=", floating_ip: true",
                 timeline=two_clients()))
    nat = first(conn_steps(r.engine, "v4"), kind="nat")
    assert nat.after.dst == FE_V4                       # destination kept
    assert r.engine.connection("v4").outcome == "dropped-nsg"
