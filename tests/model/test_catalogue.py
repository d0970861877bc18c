"""The catalogue: every PRODUCT.md ID exists with facts and an explanation, and each static
check finds what Azure would refuse (severity error) or what a lint should flag."""

import pytest

from lb6.model.scenario import library
from lb6.model.catalogue import CATALOGUE, ERROR, INFO, WARNING, check
from lb6.model.scenario.document import load_scenario

from .helpers import farm, load

PRODUCT_IDS = """
ipv6-load-balancing dual-stack-vms ipv6-inbound-outbound tcp-udp-http dns-a-and-aaaa
outbound-ipv6-snat linux-dhcpv6 ipv4-probe-governs-both portal-cannot-add-ipv6-rules
no-ipv6-upgrade-of-existing-vm one-ipv6-per-nic no-public-ipv6-on-vm no-ipv6-reverse-dns
no-cloud-service-membership no-private-ipv6-in-scale-sets ipv6-only-to-load-balancer
nsg-ignores-ipv6 ipv6-only-rule-ports-exposed ipv6-idle-timeout-fixed ipv6-distribution-fixed
no-static-ipv6 no-nat64 no-secondary-nic-ipv6-in-pool
""".split()


def findings(text):
    return check(load(text).topology)


def ids(text, severity=None):
    return {f.id for f in findings(text) if severity is None or f.severity == severity}


def test_every_product_id_is_in_the_catalogue():
    missing = [i for i in PRODUCT_IDS if i not in CATALOGUE]
    assert not missing


@pytest.mark.parametrize("entry", list(CATALOGUE.values()), ids=list(CATALOGUE))
def test_every_entry_has_title_explanation_and_facts(entry):
    assert entry.title and len(entry.explanation) > 40
    assert entry.facts and all(isinstance(f, int) and 1 <= f <= 209 for f in entry.facts)
    assert entry.kind in ("feature", "detail", "limitation", "behaviour", "lint")


def test_the_quickstart_shape_is_clean_but_warns_about_the_probe_port():
    found = findings(farm())
    assert not [f for f in found if f.severity == ERROR]
    (lint,) = [f for f in found if f.id == "probe-misses-ipv6-port"]
    assert lint.severity == WARNING and lint.subject == "rule-v6"     # fact 97
    assert "8080" in lint.message


def test_probe_on_the_ipv6_backend_port_silences_the_lint():
    text = farm(probe="{name: tcp-8080, protocol: Tcp, port: 8080, interval_s: 5, number_of_probes: 2}",
                v4_probe="tcp-8080", v6_probe="tcp-8080")
    assert "probe-misses-ipv6-port" not in ids(text)


def test_findings_are_sorted_errors_first():
    text = farm(v6_rule=", idle_timeout_min: 10")
    sev = [f.severity for f in findings(text)]
    order = {ERROR: 0, WARNING: 1, INFO: 2}
    assert sev == sorted(sev, key=order.get)


# ---- configurations Azure refuses ---------------------------------------------------------------


def refused(text) -> set[str]:
    return ids(text, ERROR)


def test_static_ipv6_public_ip():
    text = farm().replace('version: IPv6, address: "2001:db8:1::10"',
                          'version: IPv6, allocation: Static, address: "2001:db8:1::10"')
    assert refused(text) == {"no-static-ipv6"}


def test_static_ipv4_public_ip_is_fine():
    text = farm().replace("version: IPv4, address: 203.0.113.10",
                          "version: IPv4, allocation: Static, address: 203.0.113.10")
    assert refused(text) == set()


def test_two_ipv6_configs_on_a_vm():
    text = farm().replace(
        '          - {name: ipv6, version: IPv6, address: "fd00:10::4", backend_pools: [pool-v6]}\n',
        '          - {name: ipv6, version: IPv6, address: "fd00:10::4", backend_pools: [pool-v6]}\n'
        '          - {name: ipv6b, version: IPv6, address: "fd00:10::14"}\n', 1)
    assert refused(text) == {"one-ipv6-per-nic"}


def test_public_ipv6_on_a_vm_nic():
    text = farm().replace("public_ips:\n", "public_ips:\n  - {name: vm-pip6, version: IPv6}\n", 1)
    text = text.replace('address: "fd00:10::4", backend_pools: [pool-v6]}',
                        'address: "fd00:10::4", public_ip: vm-pip6, backend_pools: [pool-v6]}')
    assert refused(text) == {"no-public-ipv6-on-vm"}


def test_reverse_fqdn_on_ipv6_public_ip():
    text = farm().replace('dns_label: contoso}\nload', 'dns_label: contoso, reverse_fqdn: www.contoso.com}\nload')
    assert "reverse_fqdn" in text
    assert refused(text) == {"no-ipv6-reverse-dns"}


@pytest.mark.parametrize("membership, finding", [
    ("scale_set: web-vmss", "no-private-ipv6-in-scale-sets"),
    ("cloud_service: web-cs", "no-cloud-service-membership"),
])
def test_ipv6_vm_in_scale_set_or_cloud_service(membership, finding):
    text = farm(web1_extra=membership)
    assert finding in refused(text)


def test_scale_set_without_ipv6_is_fine():
    text = farm(web1_extra="scale_set: web-vmss")
    text = text.replace('          - {name: ipv6, version: IPv6, address: "fd00:10::4", backend_pools: [pool-v6]}\n', "")
    assert "no-private-ipv6-in-scale-sets" not in refused(text)


def test_secondary_nic_ipv6_in_a_pool():
    text = farm().replace(
        "  - name: web2\n",
        "  - name: web3\n    availability_set: web-avset\n    nics:\n"
        "      - {name: web3-nic, ip_configs: [{name: ipv4, address: 10.0.0.6, backend_pools: [pool-v4]}]}\n"
        "      - {name: web3-nic2, ip_configs: [{name: ipv6, version: IPv6, backend_pools: [pool-v6]}]}\n"
        "  - name: web2\n", 1)
    assert refused(text) == {"no-secondary-nic-ipv6-in-pool"}


def test_changed_idle_timeout_on_ipv6_rule():
    assert refused(farm(v6_rule=", idle_timeout_min: 10")) == {"ipv6-idle-timeout-fixed"}
    assert refused(farm(v4_rule=", idle_timeout_min: 10")) == set()


def test_changed_distribution_on_ipv6_rule():
    assert refused(farm(v6_rule=", load_distribution: SourceIP")) == {"ipv6-distribution-fixed"}
    assert refused(farm(v4_rule=", load_distribution: SourceIP")) == set()


def test_portal_deployment_with_ipv6_rule():
    assert refused(farm(extra="deployment: portal")) == {"portal-cannot-add-ipv6-rules"}
    assert refused(farm(extra="deployment: cli")) == set()


def test_ipv6_added_to_an_existing_vm():
    assert refused(farm(web1_extra="ipv6_added_after_creation: true")) == {
        "no-ipv6-upgrade-of-existing-vm"}


def test_probe_limits():
    text = farm(probe="{name: tcp-80, protocol: Tcp, port: 80, interval_s: 3, number_of_probes: 1}")
    msgs = [f.message for f in findings(text) if f.id == "probe-thresholds"]
    assert len(msgs) == 2                                       # fact 71
    text = farm(probe="{name: tcp-80, protocol: Tcp, port: 80, interval_s: 60, number_of_probes: 3}")
    assert refused(text) == {"probe-thresholds"}                # 180 s > 120 s


def test_idle_timeout_outside_4_to_30():
    assert refused(farm(v4_rule=", idle_timeout_min: 31")) == {"idle-timeout-range"}


# ---- warnings and information -------------------------------------------------------------------


def test_nsg_on_dual_stack_vm_warns_nsg_ignores_ipv6():
    text = farm(nic_extra="nsg: web-nsg", nsgs="nsgs:\n  - {name: web-nsg}\n")
    warn = [f for f in findings(text) if f.id == "nsg-ignores-ipv6"]
    assert {f.subject for f in warn} == {"web1", "web2"} and warn[0].severity == WARNING


def test_linux_without_dhcpv6_warns():
    assert "linux-dhcpv6" in ids(farm(vm_extra="dhcpv6: false"), WARNING)
    assert "linux-dhcpv6" not in ids(farm(vm_extra="os: windows\n    dhcpv6: false"))


def test_service_only_on_ipv4_warns_no_nat64():
    text = farm().replace("    - {name: rule-v6,", "    - {name: rule-v6x,").replace(
        "frontend_port: 80, backend_port: 8080", "frontend_port: 443, backend_port: 8080")
    (f,) = [f for f in findings(text) if f.id == "no-nat64"]
    assert f.severity == WARNING and f.subject == "Tcp 80"


def test_nsg_blocking_the_probe_warns():
    nsgs = ("nsgs:\n  - name: web-nsg\n    rules:\n      - {name: no-lb, priority: 100, "
            "access: Deny, source: AzureLoadBalancer}\n")
    found = [f for f in findings(farm(nic_extra="nsg: web-nsg", nsgs=nsgs))
             if f.id == "nsg-default-rules"]
    assert found and found[0].severity == WARNING


def test_rule_without_probe_warns():
    assert "rule-without-probe" in ids(farm(v4_probe=""), WARNING)


def test_protocols_in_use_are_reported():
    (f,) = [f for f in findings(farm(proto="Udp")) if f.id == "tcp-udp-http"]
    assert f.severity == INFO and f.message == "rules carry Udp; probes use Tcp"


def test_shared_probe_is_reported_as_governing_both():
    (f,) = [f for f in findings(farm()) if f.id == "ipv4-probe-governs-both"]
    assert f.severity == INFO and "rule-v4" in f.message and "rule-v6" in f.message


@pytest.mark.parametrize("path", library.shipped(), ids=[p.stem for p in library.shipped()])
def test_shipped_scenarios_have_no_errors_except_the_limitation_they_show(path):
    # A scenario that demonstrates a refused configuration names that ID in `covers`; any
    # other error would be a mistake in the file.
    sc = load_scenario(path)
    errors = {f.id for f in check(sc.topology) if f.severity == ERROR}
    assert errors <= set(sc.covers), errors
    for cid in sc.covers:
        assert cid in CATALOGUE
