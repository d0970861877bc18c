"""ARM templates: both quickstart generations, each limitation broken, and bad input."""

import json

import pytest

from lb6.model.catalogue import check
from lb6.model.inputs import load_any

from .helpers import (FIXTURES, PARAMETERS, TEMPLATE, check_json, resource, run_cli,
                      template, variant, write)

LB = "Microsoft.Network/loadBalancers"
NIC = "Microsoft.Network/networkInterfaces"
PIP = "Microsoft.Network/publicIPAddresses"
VM = "Microsoft.Compute/virtualMachines"


def test_old_quickstart_with_parameters_loads_as_the_document_describes():
    loaded = load_any(TEMPLATE, parameters=PARAMETERS)
    t = loaded.scenario.topology
    assert loaded.format == "arm"
    assert sorted(v.name for v in t.vms) == ["myIPv6VM0", "myIPv6VM1"]
    assert {v.os for v in t.vms} == {"windows"}
    assert {v.availability_set for v in t.vms} == {"myIPv6AvSet"}
    rules = {r.name: r for r in t.load_balancer.rules}
    assert (rules["LBRuleIPv4"].frontend_port, rules["LBRuleIPv4"].backend_port) == (80, 80)
    assert rules["LBRuleIPv4"].idle_timeout_min == 5  # fact 108
    assert (rules["LBRuleIPv6"].frontend_port, rules["LBRuleIPv6"].backend_port) == (80, 8080)
    nat = {r.name: r for r in t.load_balancer.inbound_nat_rules}
    assert nat["RDP-VM1"].frontend_port == 50002 and nat["RDP-VM1"].target.vm == "myIPv6VM1"
    # Shared label: one name with A and AAAA (fact 33).
    names = {d.name: d for d in t.dns}
    assert list(names) == ["contoso-web.westus.cloudapp.azure.com"]
    assert names["contoso-web.westus.cloudapp.azure.com"].a and \
        names["contoso-web.westus.cloudapp.azure.com"].aaaa
    found = {f.id for f in check(t)}
    assert {"dual-stack-vms", "ipv4-probe-governs-both", "probe-misses-ipv6-port",
            "dns-a-and-aaaa"} <= found
    assert not [f for f in check(t) if f.severity == "error"]
    assert any("storageAccounts" in n.message for n in loaded.notes)


def test_missing_parameters_get_placeholders_and_are_listed():
    loaded = load_any(TEMPLATE)
    t = loaded.scenario.topology
    # Separate labels: two names (fact 36).
    assert sorted(d.name for d in t.dns) == ["dnsnameforipv4lbip.westus.cloudapp.azure.com",
                                            "dnsnameforipv6lbip.westus.cloudapp.azure.com"]
    notes = [n.message for n in loaded.notes]
    assert any("'dnsNameforIPv4LbIP' has no value" in n for n in notes)


def test_newer_quickstart_with_resource_id_children_and_property_copy():
    loaded = load_any(FIXTURES / "quickstart_2020.json")
    t = loaded.scenario.topology
    assert loaded.scenario.title == "Dual-stack Basic load balancer, newer template style"
    vm = t.vm_by_name["myIPv6VM1"]
    assert vm.os == "linux"
    assert [c.name for _, c in vm.ip_configs()] == ["ipv4IPConfig", "ipv6IPConfig"]
    assert {r.name: r.backend_port for r in t.load_balancer.rules}["LBRuleIPv6"] == 8080
    assert t.vnet.subnets[0].nsg == "myIPv4Subnet-nsg"
    found = {f.id for f in check(t)}
    assert "nsg-ignores-ipv6" in found  # the empty subnet NSG of the later templates (fact 138)
    assert any("outputs" in n.message for n in loaded.notes)


def test_check_of_clean_template_exits_0_and_reports_format(capsys):
    code, report = check_json(capsys, TEMPLATE, "--parameters", PARAMETERS)
    assert code == 0
    assert report["format"] == "arm" and report["errors"] == []
    assert any("storageAccounts" in n["message"] for n in report["not_modelled"])


def _static_v6(doc):
    resource(doc, PIP, 1)["properties"]["publicIPAllocationMethod"] = "Static"


def _idle_v6(doc):
    resource(doc, LB)["properties"]["loadBalancingRules"][1]["properties"]["idleTimeoutInMinutes"] = 15


def _distribution_v6(doc):
    resource(doc, LB)["properties"]["loadBalancingRules"][1]["properties"]["loadDistribution"] = "SourceIP"


def _public_v6_on_nic(doc):
    cfg = resource(doc, NIC)["properties"]["ipConfigurations"][1]["properties"]
    cfg["publicIPAddress"] = {"id": "[resourceId('Microsoft.Network/publicIPAddresses', 'myIPv6PublicIP')]"}


def _two_v6(doc):
    configs = resource(doc, NIC)["properties"]["ipConfigurations"]
    extra = json.loads(json.dumps(configs[1]))
    extra["name"] = "ipv6IPConfig2"
    configs.append(extra)


def _reverse_fqdn(doc):
    resource(doc, PIP, 1)["properties"]["dnsSettings"]["reverseFqdn"] = "www.contoso.com."


def _scale_set(doc):
    doc["resources"] = [r for r in doc["resources"] if r["type"] not in (VM, NIC)]
    doc["resources"].append({
        "type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2017-03-30",
        "name": "webss", "location": "[variables('location')]", "sku": {"name": "Standard_D1", "capacity": 2},
        "properties": {"virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": [{
            "name": "nic", "properties": {"primary": True, "ipConfigurations": [
                {"name": "v4", "properties": {"subnet": {"id": "[variables('subnetRef')]"},
                                              "loadBalancerBackendAddressPools": [{"id": "[variables('ipv4LbBackendPoolID')]"}]}},
                {"name": "v6", "properties": {"privateIPAddressVersion": "IPv6",
                                              "loadBalancerBackendAddressPools": [{"id": "[variables('ipv6LbBackendPoolID')]"}]}}]}}]}}}})


def _secondary_nic(doc):
    nic = resource(doc, NIC)
    nic["properties"]["ipConfigurations"][0]["properties"]["loadBalancerInboundNatRules"] = []
    second = json.loads(json.dumps(nic))
    second["name"] = "[concat('second', parameters('nicNamePrefix'), copyIndex())]"
    second["properties"]["ipConfigurations"][0]["properties"]["loadBalancerBackendAddressPools"] = []
    doc["resources"].append(second)
    vm = resource(doc, VM)
    vm["properties"]["networkProfile"]["networkInterfaces"] = [
        {"id": "[resourceId('Microsoft.Network/networkInterfaces', concat(parameters('nicNamePrefix'), copyIndex()))]",
         "properties": {"primary": True}},
        {"id": "[resourceId('Microsoft.Network/networkInterfaces', concat('second', parameters('nicNamePrefix'), copyIndex()))]",
         "properties": {"primary": False}}]
    # The primary NIC keeps IPv4 only, so the only IPv6 is on the secondary NIC.
    nic["properties"]["ipConfigurations"] = nic["properties"]["ipConfigurations"][:1]
    second["properties"]["ipConfigurations"] = second["properties"]["ipConfigurations"][1:]


LIMITS = [
    (_static_v6, "no-static-ipv6", "myIPv6PublicIP"),
    (_idle_v6, "ipv6-idle-timeout-fixed", "LBRuleIPv6"),
    (_distribution_v6, "ipv6-distribution-fixed", "LBRuleIPv6"),
    (_public_v6_on_nic, "no-public-ipv6-on-vm", "myIPv6VM0/IPv6Nic0/ipv6IPConfig"),
    (_two_v6, "one-ipv6-per-nic", "myIPv6VM0"),
    (_reverse_fqdn, "no-ipv6-reverse-dns", "myIPv6PublicIP"),
    (_scale_set, "no-private-ipv6-in-scale-sets", "webss-0"),
    (_secondary_nic, "no-secondary-nic-ipv6-in-pool", "myIPv6VM0/secondIPv6Nic0"),
]


@pytest.mark.parametrize("change, finding, subject", LIMITS, ids=[x[1] for x in LIMITS])
def test_each_limitation_broken_in_a_template_exits_1_naming_id_and_resource(
        tmp_path, capsys, monkeypatch, change, finding, subject):
    monkeypatch.setenv("COLUMNS", "250")  # the human table must not wrap the ID
    path = variant(tmp_path, change)
    code, report = check_json(capsys, path, "--parameters", PARAMETERS)
    assert code == 1, report
    hits = [f for f in report["findings"] if f["id"] == finding and f["severity"] == "error"]
    assert hits and any(f["subject"] == subject for f in hits), report["findings"]
    assert "azuredeploy.json line " in report["where"][subject]  # the resource in the template
    code, out, _ = run_cli(capsys, "check", path, "--parameters", PARAMETERS)
    assert code == 1 and finding in out and "refuse" in out


def test_allowed_values_are_checked_against_the_parameters_file(tmp_path, capsys):
    params = json.loads(PARAMETERS.read_text())
    params["parameters"]["ipv6PublicIPAddressType"] = {"value": "Static"}
    ppath = write(tmp_path, params, "p.json")
    code, out, err = run_cli(capsys, "check", TEMPLATE, "--parameters", ppath)
    assert code == 2
    assert "p.json line" in err and "ipv6PublicIPAddressType" in err and "allowedValues" in err


def test_parameter_not_declared_is_an_error(tmp_path, capsys):
    ppath = write(tmp_path, {"parameters": {"nosuch": {"value": 1}}}, "p.json")
    code, _, err = run_cli(capsys, "check", TEMPLATE, "--parameters", ppath)
    assert code == 2 and "nosuch" in err and "not declared" in err


def test_variables_that_are_not_an_object_are_bad_input_not_a_crash(tmp_path, capsys):
    path = variant(tmp_path, lambda doc: doc.__setitem__("variables", "oops"))
    code, _, err = run_cli(capsys, "check", path)
    assert code == 2 and "variables" in err and "expected 'variables' to be an object" in err
    assert "internal error" not in err


def test_unknown_function_names_the_expression_and_where(tmp_path, capsys):
    text = TEMPLATE.read_text().replace(
        '"protocol": "Tcp", "port": 80,', '"protocol": "[toTitle(\'tcp\')]", "port": 80,')
    path = write(tmp_path, text)
    code, _, err = run_cli(capsys, "check", path)
    assert code == 2
    assert "unknown function 'toTitle()'" in err and "[toTitle('tcp')]" in err
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "toTitle" in l)
    assert f"line {line}, resources[6].properties.probes[0].properties.protocol" in err


def test_unmodelled_resources_are_not_evaluated(tmp_path):
    # listKeys() is not understood, but lb6 never needs the storage account's properties.
    text = TEMPLATE.read_text().replace(
        '"accountType": "Standard_LRS"', '"accountType": "[listKeys(\'x\', \'1\')]"')
    loaded = load_any(write(tmp_path, text), parameters=PARAMETERS)
    assert any("storageAccounts" in n.message for n in loaded.notes)


def test_missing_referenced_resource_names_json_path_and_line(tmp_path, capsys):
    doc = template()
    doc["resources"] = [r for r in doc["resources"] if r["type"] != LB]
    path = write(tmp_path, doc)
    code, report = check_json(capsys, path, "--parameters", PARAMETERS)
    assert code == 2 and report["findings"] == []
    [error] = report["errors"]
    assert "myIPv4IPv6LB" in error["message"] and "does not define" in error["message"]
    assert "resources[5].properties.ipConfigurations[0].properties.loadBalancerBackendAddressPools[0].id" \
        in error["location"]
    assert "line " in error["location"]


def test_json_that_is_not_a_template(tmp_path, capsys):
    path = write(tmp_path, {"name": "something", "items": [1, 2]}, "data.json")
    code, _, err = run_cli(capsys, "check", path)
    assert code == 2 and "not an ARM template" in err and "line 1" in err


def test_a_parameters_file_given_as_the_template(capsys):
    code, _, err = run_cli(capsys, "check", PARAMETERS)
    assert code == 2 and "parameters file, not a template" in err


def test_json_syntax_error_in_a_template(tmp_path, capsys):
    path = write(tmp_path, '{\n  "$schema": "x",\n  "resources": [\n    {"type": }\n  ]\n}')
    code, _, err = run_cli(capsys, "check", path)
    assert code == 2 and "line 4" in err and "JSON syntax error" in err


def test_a_bad_value_is_reported_at_its_template_property(tmp_path, capsys):
    def change(doc):
        resource(doc, LB)["properties"]["loadBalancingRules"][0]["properties"]["protocol"] = "Icmp"
    path = variant(tmp_path, change)
    code, _, err = run_cli(capsys, "check", path, "--parameters", PARAMETERS)
    assert code == 2
    assert "loadBalancingRules[0].properties.protocol" in err and "LBRuleIPv4" in err


def test_standard_sku_is_refused_clearly(tmp_path, capsys):
    def change(doc):
        resource(doc, LB)["sku"] = {"name": "Standard"}
    code, _, err = run_cli(capsys, "check", variant(tmp_path, change))
    assert code == 2 and "Basic SKU" in err


def test_resource_condition_false_is_listed_not_deployed(tmp_path):
    def change(doc):
        resource(doc, "Microsoft.Storage/storageAccounts")["condition"] = "[equals(1, 2)]"
    loaded = load_any(variant(tmp_path, change), parameters=PARAMETERS)
    assert any("condition is false" in n.message for n in loaded.notes)


def test_nsg_rules_inline_are_imported(tmp_path):
    def change(doc):
        doc["resources"].append({
            "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2016-03-30",
            "name": "web-nsg", "location": "westus", "properties": {"securityRules": [
                {"name": "deny-rdp", "properties": {
                    "priority": 100, "direction": "Inbound", "access": "Deny", "protocol": "Tcp",
                    "sourceAddressPrefix": "Internet", "sourcePortRange": "*",
                    "destinationAddressPrefix": "*", "destinationPortRange": "3389"}}]}})
        resource(doc, NIC)["properties"]["networkSecurityGroup"] = {
            "id": "[resourceId('Microsoft.Network/networkSecurityGroups', 'web-nsg')]"}
    t = load_any(variant(tmp_path, change), parameters=PARAMETERS).scenario.topology
    nsg = t.nsgs[0]
    assert nsg.name == "web-nsg" and nsg.rules[0].access == "Deny"
    assert {f.id for f in check(t)} >= {"nsg-ignores-ipv6"}


def test_reference_reads_another_resource_of_the_same_template(tmp_path):
    def change(doc):
        resource(doc, PIP, 1)["properties"]["dnsSettings"]["domainNameLabel"] = (
            "[reference(resourceId('Microsoft.Network/publicIPAddresses', "
            "variables('ipv4PublicIPAddressName'))).dnsSettings.domainNameLabel]")
    t = load_any(variant(tmp_path, change), parameters=PARAMETERS).scenario.topology
    [name] = t.dns  # the IPv6 address copies the IPv4 label: one shared name
    assert name.a and name.aaaa


def test_reference_to_a_resource_outside_the_template_is_an_error(tmp_path, capsys):
    def change(doc):
        resource(doc, PIP, 1)["properties"]["dnsSettings"]["domainNameLabel"] = \
            "[reference('someOtherIp').dnsSettings.domainNameLabel]"
    code, _, err = run_cli(capsys, "check", variant(tmp_path, change))
    assert code == 2 and "reference('someOtherIp')" in err and "same template" in err


def test_variable_copy_loop(tmp_path):
    def change(doc):
        doc["variables"]["copy"] = [{"name": "ports", "count": 2,
                                     "input": "[add(8080, copyIndex('ports'))]"}]
        rule = resource(doc, LB)["properties"]["loadBalancingRules"][1]["properties"]
        rule["backendPort"] = "[variables('ports')[1]]"
    t = load_any(variant(tmp_path, change), parameters=PARAMETERS).scenario.topology
    assert {r.name: r.backend_port for r in t.load_balancer.rules}["LBRuleIPv6"] == 8081


def test_comments_in_a_template_are_accepted(tmp_path):
    # The template engine accepts // and /* */ comments; so does lb6.
    text = TEMPLATE.read_text().replace(
        '"contentVersion": "1.0.0.0",',
        '"contentVersion": "1.0.0.0", // the IPv6 quickstart\n  /* two VMs */')
    loaded = load_any(write(tmp_path, text), parameters=PARAMETERS)
    assert len(loaded.scenario.topology.vms) == 2
