"""The pieces the importers share since they were cut along their jobs, and the names their
callers import: resource IDs the scripts pass around, the skipped-commands note, referenced
objects given by ID in PowerShell, and ARM child resources declared on their own."""

from __future__ import annotations

import json

from lb6.model.importers.arm import read_template
from lb6.model.importers.azcli import AzReader
from lb6.model.importers.powershell import PsReader, read_powershell
from lb6.model.importers.resources import Deployment, Origin, resource_id

from .helpers import template

BASE = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/lb6-resource-group"
        "/providers")


def test_the_importer_faces_still_hand_on_their_callers_names():
    from lb6.model.importers import mapping, resources, scenario_file
    from lb6.model.importers.detect import detect
    from lb6.model.importers.azcli import read_azcli
    assert callable(detect) and callable(read_azcli) and callable(read_template)
    for module, name in ((mapping, "to_scenario"), (scenario_file, "scenario_yaml"),
                         (resources, "Deployment"), (resources, "Note"), (resources, "Origin"),
                         (resources, "fail")):
        assert hasattr(module, name), name
    from lb6.model.exporters.pcap import (  # noqa: F401
        INTERFACES, INTERNET, VNET, export_pcapng, http_request, http_response, plan_capture,
        read_pcapng, tls_record, write_pcapng,
    )
    from lb6.model.catalogue import CATALOGUE, ERROR, INFO, WARNING, Entry, Finding, check, entry  # noqa: F401
    assert INTERFACES == (INTERNET, VNET) and CATALOGUE


def test_resource_id_of_a_resource_and_of_a_child():
    assert resource_id("Microsoft.Network/loadBalancers", "lb") == \
        f"{BASE}/Microsoft.Network/loadBalancers/lb"
    assert resource_id("Microsoft.Network/loadBalancers", "lb", "probes", "p") == \
        f"{BASE}/Microsoft.Network/loadBalancers/lb/probes/p"


def test_az_commands_print_the_ids_azure_would():
    reader = AzReader(
        "probe=$(az network lb probe show -g rg --lb-name lb -n hp --query id -o tsv)\n"
        "lbid=$(az network lb show -g rg -n lb --query id)\n"
        "avset=$(az vm availability-set create -g rg -n as1)\n"
        "az network lb create -g rg -n lb --public-ip-address pip\n"
        "again=$(az network lb address-pool create -g rg --lb-name lb -n be2)\n", "ids.sh")
    reader.read()
    assert reader.vars["probe"] == f"{BASE}/Microsoft.Network/loadBalancers/lb/probes/hp"
    assert reader.vars["lbid"] == f"{BASE}/Microsoft.Network/loadBalancers/lb"
    assert reader.vars["avset"] == f"{BASE}/Microsoft.Compute/availabilitySets/as1"
    assert reader.vars["again"] == f"{BASE}/Microsoft.Network/loadBalancers/lb/backendAddressPools/be2"


def test_powershell_objects_carry_the_ids_azure_would():
    reader = PsReader(
        "$pip = New-AzPublicIpAddress -Name pip -AllocationMethod Dynamic\n"
        "$as = New-AzAvailabilitySet -Name as1\n"
        "$fe = New-AzLoadBalancerFrontendIpConfig -Name fe -PublicIpAddress $pip\n"
        "$lb = New-AzLoadBalancer -Name lb -FrontendIpConfiguration $fe\n", "ids.ps1")
    reader.read()
    assert reader.vars["pip"]["Id"] == f"{BASE}/Microsoft.Network/publicIPAddresses/pip"
    assert reader.vars["as"]["Id"] == f"{BASE}/Microsoft.Compute/availabilitySets/as1"
    assert reader.vars["lb"]["Id"] == f"{BASE}/Microsoft.Network/loadBalancers/lb"


def test_skipped_commands_are_one_note_a_kind_with_their_lines():
    dep = Deployment("cli")
    dep.note_skipped({"echo": [1, 3], "az group create": [2], "ls": list(range(10, 20))})
    assert [(n.message, n.origin.line) for n in dep.notes] == [
        ("skipped `echo` (lines 1, 3): it does not change what lb6 models", 1),
        ("skipped `az group create` (line 2): it does not change what lb6 models", 2),
        ("skipped `ls` (lines 10, 11, 12, 13, 14, 15, 16, 17 …): it does not change what lb6 "
         "models", 10),
    ]
    assert isinstance(dep.notes[0].origin, Origin)


PS_BY_ID = """\
$pip = New-AzPublicIpAddress -Name pip -AllocationMethod Dynamic -IpAddressVersion IPv6
$fe = New-AzLoadBalancerFrontendIpConfig -Name fe -PublicIpAddressId $pip.Id
$pool = New-AzLoadBalancerBackendAddressPoolConfig -Name be
$probe = New-AzLoadBalancerProbeConfig -Name hp -Protocol Tcp -Port 80 -IntervalInSeconds 15 -ProbeCount 2
$nat = New-AzLoadBalancerInboundNatRuleConfig -Name ssh -FrontendIpConfigurationId 'x/frontendIPConfigurations/fe' -Protocol Tcp -FrontendPort 22 -BackendPort 22
$rule = New-AzLoadBalancerRuleConfig -Name web -FrontendIpConfiguration $fe -BackendAddressPoolId 'x/backendAddressPools/be' -ProbeId 'x/probes/hp' -Protocol Tcp -FrontendPort 80 -BackendPort 80
$lb = New-AzLoadBalancer -Name lb -FrontendIpConfiguration $fe -BackendAddressPool $pool -Probe $probe -LoadBalancingRule $rule -InboundNatRule $nat
$ip = New-AzNetworkInterfaceIpConfig -Name v6 -PrivateIpAddressVersion IPv6 -LoadBalancerBackendAddressPoolId 'x/backendAddressPools/be' -LoadBalancerInboundNatRuleId 'x/inboundNatRules/ssh'
$nic = New-AzNetworkInterface -Name nic -IpConfiguration $ip
"""


def test_powershell_takes_a_referenced_object_or_its_id():
    dep = read_powershell(PS_BY_ID, "by-id.ps1")
    lb = dep.load_balancer
    assert [(f.name, f.public_ip) for f in lb.frontends] == [("fe", "pip")]
    assert [(r.frontend, r.backend_pool, r.probe) for r in lb.rules] == [("fe", "be", "hp")]
    assert [r.frontend for r in lb.nat_rules] == ["fe"]
    cfg = dep.nics["nic"].ip_configs[0]
    assert (cfg.pools, cfg.nat_rules) == (["be"], ["ssh"])
    assert not any("-publicipaddressid" in n.message.lower() or "-probeid" in n.message.lower()
                   for n in dep.notes), [n.message for n in dep.notes]


def _expr(value: str) -> str:
    """A template string as an expression: `[x]` gives x, a literal gives 'literal'."""
    return value[1:-1] if value.startswith("[") else f"'{value}'"


def test_arm_child_resources_declared_on_their_own_join_their_parents():
    doc = template()
    lb = next(r for r in doc["resources"] if r["type"] == "Microsoft.Network/loadBalancers")
    nsg_rule = {"name": "allow-web", "properties": {
        "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
        "sourceAddressPrefix": "*", "sourcePortRange": "*", "destinationAddressPrefix": "*",
        "destinationPortRange": "80"}}
    probe = lb["properties"]["probes"].pop()
    doc["resources"] += [
        {"type": "Microsoft.Network/loadBalancers/probes", "apiVersion": "2016-03-30",
         "name": f"[concat({_expr(lb['name'])}, '/', {_expr(probe['name'])})]",
         "properties": probe["properties"]},
        {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2016-03-30",
         "name": "web-nsg", "location": "westus", "properties": {}},
        {"type": "Microsoft.Network/networkSecurityGroups/securityRules",
         "apiVersion": "2016-03-30", "name": "web-nsg/allow-web",
         "properties": nsg_rule["properties"]},
    ]
    dep = read_template(json.dumps(doc), "children.json")
    probe_names = [p.name for p in dep.load_balancer.probes]
    assert len(probe_names) == len(lb["properties"]["probes"]) + 1, probe_names
    assert [r.name for r in dep.nsgs["web-nsg"].rules] == ["allow-web"]
    assert dep.nsgs["web-nsg"].rules[0].values["destination_port"] == "80"
