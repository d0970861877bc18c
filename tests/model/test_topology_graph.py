"""The topology graph answers "what is connected to what" (issue 14, item 4): node ids, the map's
columns, rotation per family, the endpoints a frontend or rule reaches, the NSGs on a VM's path,
and on every shipped scenario the same answers as the look-ups the engine reads."""

from types import SimpleNamespace

import pytest

from lb6.model.behaviours.probing import governed
from lb6.model.deployment.node_ids import (DNS, FRONTEND, NAT_RULE, POOL, RULE, VM, node_id,
                                           split_node_id)
from lb6.model.net.addressing import IPv4, IPv6
from lb6.model.scenario import library
from lb6.model.scenario.document import load_scenario
from tests.model.helpers import FQDN, farm, load

DOWN = SimpleNamespace(eligible=False)
UP = SimpleNamespace(eligible=True)


def _topology(**parts):
    return load(farm(**parts)).topology


def test_node_ids_keep_their_text_and_read_back():
    assert node_id(VM, "web1") == "vm:web1"  # in every trace: the SHA-256 pins depend on it
    assert node_id(NAT_RULE, "rdp") == "natrule:rdp"
    assert split_node_id("frontend:fe-v6") == (FRONTEND, "fe-v6")
    assert split_node_id("internet") == ("internet", "")


def test_edges_carry_their_family():
    t = _topology()
    edges = set(t.edges())
    dns = node_id(DNS, FQDN)
    assert (dns, "frontend:fe-v4", "answers", IPv4) in edges  # the A record
    assert (dns, "frontend:fe-v6", "answers", IPv6) in edges  # the AAAA record
    assert ("frontend:fe-v6", "rule:rule-v6", "matches", IPv6) in edges
    assert ("rule:rule-v6", "pool:pool-v6", "forwards", IPv6) in edges
    assert ("pool:pool-v6", "vm:web1", "member", IPv6) in edges
    assert ("probe:tcp-80", "rule:rule-v6", "governs", None) in edges
    assert ("vm:web1", "frontend:fe-v6", "leaves-by", IPv6) in edges
    assert t.path("client:dana", "vm:web2")[:2] == ["client:dana", dns]


def test_map_columns_come_from_the_graph_in_configuration_order():
    t = _topology()
    assert t.node_ids("lb") == ["frontend:fe-v4", "frontend:fe-v6", "rule:rule-v4", "rule:rule-v6",
                                "probe:tcp-80", "pool:pool-v4", "pool:pool-v6"]
    assert t.node_ids("vm") == ["vm:web1", "vm:web2"]
    assert t.node(node_id(POOL, "pool-v6")).name == "pool-v6"
    assert [c.name for c in t.nodes_of(type(t.clients[0]))] == ["dana", "vera", "sixto"]


def test_rules_reaching_a_vm_are_those_of_its_family():
    t = _topology()
    assert [r.name for r in t.rules_reaching("web1", IPv4)] == ["rule-v4"]
    assert [r.name for r in t.rules_reaching("web1", IPv6)] == ["rule-v6"]
    assert t.rules_reaching("nobody", IPv6) == []


def test_one_ipv4_probe_takes_both_families_out_of_rotation():
    t = _topology()
    states = {("tcp-80", "web1"): DOWN, ("tcp-80", "web2"): UP}
    assert t.rotation("web1", IPv4, states) == "down"
    assert t.rotation("web1", IPv6, states) == "down"  # fact 10
    assert t.rotation("web2", IPv6, states) == "up"
    assert t.rotation("web1", IPv6, {}) == "up"  # no verdict yet: in rotation


def test_a_probe_governs_the_endpoints_of_the_rules_it_is_on():
    both = _topology()
    assert [(m.family, m.address) for m in both.governed_endpoints("tcp-80", "web1")] == [
        (IPv4, "10.0.0.4"), (IPv6, "fd00:10::4")]  # one IPv4 probe, both families (fact 10)
    v4_only = _topology(v6_probe="")
    assert [m.family for m in v4_only.governed_endpoints("tcp-80", "web1")] == [IPv4]


def test_a_rule_without_a_probe_keeps_its_family_in_rotation():
    t = _topology(v6_probe="")
    states = {("tcp-80", "web1"): DOWN}
    assert t.probe_of("rule-v6") is None
    assert t.rotation("web1", IPv4, states) == "down"
    assert t.rotation("web1", IPv6, states) == "up"  # fact 87


def test_a_vm_in_no_pool_of_a_family_has_no_rotation_there():
    t = load(farm().replace("backend_pools: [pool-v6]", "backend_pools: []")).topology
    assert t.rotation("web1", IPv4, {}) == "up"
    assert t.rotation("web1", IPv6, {}) == "none"
    assert t.reachable_endpoints("frontend:fe-v6", IPv6) == []


def test_reachable_endpoints_follow_the_family_from_frontend_to_vm():
    t = _topology()
    got = [(rule, m.vm, m.address) for rule, m in t.reachable_endpoints("frontend:fe-v6", IPv6)]
    assert got == [("rule-v6", "web1", "fd00:10::4"), ("rule-v6", "web2", "fd00:10::5")]
    assert t.reachable_endpoints("frontend:fe-v6", IPv4) == []  # no NAT64 (fact 24)
    assert t.reachable_endpoints("rule:no-such-rule", IPv4) == []
    assert [m.vm for _, m in t.reachable_endpoints(node_id(RULE, "rule-v4"), IPv4)] == ["web1", "web2"]


def test_a_nat_rule_reaches_its_one_vm():
    t = load_scenario(library.find("inbound_nat_rule_rdp")).topology
    nat = t.load_balancer.inbound_nat_rules[0]
    got = t.reachable_endpoints(node_id(NAT_RULE, nat.name), t.frontends[nat.frontend].family)
    assert [(rule, m.vm) for rule, m in got] == [(nat.name, nat.target.vm)]
    via_frontend = t.reachable_endpoints(node_id(FRONTEND, nat.frontend),
                                         t.frontends[nat.frontend].family)
    assert (nat.name, nat.target) in via_frontend


def test_nsgs_on_the_path_subnet_first_then_nic():
    t = load_scenario(library.find("lesson_4_security_nsg_and_rule_ports")).topology
    vm = t.vms[0]
    assert [n.name for n in t.nsgs_on_path(vm.name, vm.nics[0].name)][0] == "web-nsg"
    text = farm(nic_extra="nsg: nic-nsg", nsgs="nsgs:\n  - {name: nic-nsg, rules: []}\n")
    t2 = load(text).topology
    assert [n.name for n in t2.nsgs_on_path("web1", "web1-nic")] == ["nic-nsg"]
    assert t2.nsgs_on_path("web1", "no-such-nic") == []
    assert [n.name for n in t2.nsgs_on_path("web1")] == ["nic-nsg"]  # every NIC of the VM


@pytest.mark.parametrize("name", library.names())
def test_the_graph_agrees_with_the_engines_look_ups(name):
    """One answer: what the engine reads from its dicts is what the graph says, on every
    shipped scenario (candidates, probe targets, NSGs, outbound frontends)."""
    t = load_scenario(library.find(name)).topology
    for rule in t.load_balancer.rules:
        family = t.frontends[rule.frontend].family
        assert tuple(m for _, m in t.reachable_endpoints(node_id(RULE, rule.name), family)) \
            == t.candidates(rule.name)
    graph_targets = sorted((t.probe_of(r.name).name, vm) for vm in t.vm_by_name
                           for f in (IPv4, IPv6) for r in t.rules_reaching(vm, f)
                           if t.probe_of(r.name))
    assert sorted(set(graph_targets)) == [(p.name, vm.name) for p, vm in t.probe_targets()]
    engine_view = SimpleNamespace(topology=t)
    for probe, vm in t.probe_targets():
        assert {(m.family, m.address) for m in t.governed_endpoints(probe.name, vm.name)} \
            == {(f, a) for _, f, a in governed(engine_view, probe.name, vm.name)}
    for vm in t.vms:
        for f in (IPv4, IPv6):
            assert t.egress_frontends(vm.name, f) == t.outbound_frontends(vm.name, f)
        for nic in vm.nics:
            assert t.nsgs_on_path(vm.name, nic.name) == t.nsgs_for(vm.name, nic.name)
