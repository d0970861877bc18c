"""az CLI and PowerShell scripts: the walkthrough shapes, each limitation broken, bad input."""

import pytest

from lb6.model.catalogue import check
from lb6.model.inputs import load_any

from .helpers import CLI_SCRIPT, FIXTURES, PS_SCRIPT, check_json, run_cli


def write_script(tmp_path, text, name):
    path = tmp_path / name
    path.write_text(text)
    return path


# ---- az CLI -------------------------------------------------------------------------------


def test_cli_walkthrough_matches_the_article():
    loaded = load_any(CLI_SCRIPT)
    t = loaded.scenario.topology
    assert loaded.format == "azcli" and t.deployment == "cli"
    rules = {r.name: (r.frontend, r.frontend_port, r.backend_port, r.probe)
             for r in t.load_balancer.rules}
    assert rules == {  # fact 166
        "LBRuleForIPv4-Port80": ("FrontendVipIPv4", 80, 80, "ProbeForIPv4AndIPv6"),
        "LBRuleForIPv6-Port80": ("FrontendVipIPv6", 80, 8080, "ProbeForIPv4AndIPv6")}
    nat = {r.name: (r.frontend_port, r.backend_port, r.target.vm)
           for r in t.load_balancer.inbound_nat_rules}
    assert nat == {"NatRule-For-Rdp-VM1": (3389, 3389, "myIPv4IPv6VM1"),
                   "NatRule-For-Rdp-VM2": (3391, 3389, "myIPv4IPv6VM2")}
    probe = t.probes["ProbeForIPv4AndIPv6"]
    assert (probe.interval_s, probe.number_of_probes) == (15, 2)  # fact 96
    # Shared --dns-name: one name with A and AAAA (fact 35).
    assert [d.name for d in t.dns] == ["contoso09152016.southcentralus.cloudapp.azure.com"]
    assert {v.os for v in t.vms} == {"windows"}
    assert not [f for f in check(t) if f.severity == "error"]
    assert any("az group create" in n.message for n in loaded.notes)


def test_cli_bash_style_script():
    loaded = load_any(FIXTURES / "cli_bash.sh")
    t = loaded.scenario.topology
    vm = t.vm_by_name["web1"]
    assert vm.os == "linux"
    assert {c.version: c.backend_pools for _, c in vm.ip_configs()} == {
        "IPv4": ("pool-v4",), "IPv6": ("pool-v6",)}
    assert t.vnet.subnets[0].prefix == "10.1.2.0/24"
    assert sorted(d.name for d in t.dns) == ["web4.westeurope.cloudapp.azure.com",
                                            "web6.westeurope.cloudapp.azure.com"]
    assert any("`for`" in n.message for n in loaded.notes)


CLI_BASE = CLI_SCRIPT.read_text()

CLI_LIMITS = [
    ("no-static-ipv6", "myIPv6Vip",
     lambda s: s.replace("--version IPv6 --allocation-method Dynamic", "--version IPv6 --allocation-method Static")),
    ("ipv6-idle-timeout-fixed", "LBRuleForIPv6-Port80",
     lambda s: s + "\naz network lb rule update -g $rgName --lb-name $lbName -n $lbRule1V6Name --idle-timeout 15\n"),
    ("ipv6-distribution-fixed", "LBRuleForIPv6-Port80",
     lambda s: s + "\naz network lb rule update -g $rgName --lb-name $lbName -n $lbRule1V6Name --load-distribution SourceIP\n"),
    ("no-ipv6-reverse-dns", "myIPv6Vip",
     lambda s: s.replace("--version IPv6 --allocation-method Dynamic", "--version IPv6 --allocation-method Dynamic --reverse-fqdn www.contoso.com.")),
    ("no-public-ipv6-on-vm", "myIPv4IPv6VM1/myIPv4IPv6Nic1/IPv6IPConfig",
     lambda s: s.replace("--nic-name $nic1Name --private-ip-address-version IPv6",
                         "--nic-name $nic1Name --public-ip-address $publicIpv6Name --private-ip-address-version IPv6")),
    ("one-ipv6-per-nic", "myIPv4IPv6VM1",
     lambda s: s.replace("$availabilitySetName = ", "az network nic ip-config create -g $rgName -n second-v6 "
                         "--nic-name $nic1Name --private-ip-address-version IPv6\n$availabilitySetName = ")),
    ("no-secondary-nic-ipv6-in-pool", "myIPv4IPv6VM1/extra-nic",
     lambda s: s.replace("$availabilitySetName = ", "az network nic create -g $rgName -n extra-nic --subnet $subnet1Id\n"
                         "az network nic ip-config create -g $rgName -n v6 --nic-name extra-nic --private-ip-address-version IPv6 --lb-address-pools $backendAddressPoolV6Id\n"
                         "$availabilitySetName = ")
                  .replace("--nics $nic1Name", "--nics $nic1Name extra-nic")),
]


@pytest.mark.parametrize("finding, subject, change", CLI_LIMITS, ids=[x[0] for x in CLI_LIMITS])
def test_cli_limitations_exit_1(tmp_path, capsys, finding, subject, change):
    path = write_script(tmp_path, change(CLI_BASE), "deploy.sh")
    code, report = check_json(capsys, path)
    assert report["errors"] == [] and code == 1, report
    assert any(f["id"] == finding and f["subject"] == subject and f["severity"] == "error"
               for f in report["findings"]), report["findings"]
    assert "deploy.sh line " in report["where"][subject]


def test_cli_unbalanced_quote_names_the_line(tmp_path, capsys):
    text = CLI_BASE.replace('$lbName = "myIPv4IPv6Lb"', '$lbName = "myIPv4IPv6Lb')
    line = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("$lbName ="))
    code, _, err = run_cli(capsys, "check", write_script(tmp_path, text, "deploy.sh"))
    assert code == 2 and f"line {line}" in err and "unbalanced quote" in err


def test_cli_unset_variable_names_the_line(tmp_path, capsys):
    text = "az network lb create -g rg -n lb --public-ip-address $missingIp\n"
    code, _, err = run_cli(capsys, "check", write_script(tmp_path, text, "x.sh"))
    assert code == 2 and "line 1" in err and "$missingIp" in err


def test_cli_quoted_assignments_are_assignments_as_bash_reads_them(tmp_path, capsys):
    """`rg="x"` sets rg (bash reads `name=` before the quote); `"rg=x"` is a command named
    rg=x and sets nothing."""
    text = ('rg="lb6-rg"\nlb=\'web-lb\'\npip="${lb}-ip"\n'
            'az network lb create -g $rg -n "$lb" --public-ip-address $pip\n')
    loaded = load_any(write_script(tmp_path, text, "q.sh"))
    assert loaded.scenario.topology.load_balancer.name == "web-lb"
    assert "web-lb-ip" in {p.name for p in loaded.scenario.topology.public_ips}
    code, _, err = run_cli(capsys, "check", write_script(
        tmp_path, '"rg=x" is-a-command\naz network lb create -g $rg -n lb\n', "r.sh"))
    assert code == 2 and "$rg" in err and "line 2" in err


def test_cli_reference_to_unknown_pool_points_at_the_command(tmp_path, capsys):
    text = CLI_BASE.replace("--backend-pool-name $backendAddressPoolV6Name\n", "--backend-pool-name nosuchpool\n", 1)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "nosuchpool" in l)
    code, _, err = run_cli(capsys, "check", write_script(tmp_path, text, "deploy.sh"))
    assert code == 2 and f"line {line}, --backend-pool-name" in err and "nosuchpool" in err


def test_cli_rule_update_of_unknown_rule(tmp_path, capsys):
    text = CLI_BASE + "az network lb rule update -g x --lb-name $lbName -n nope --idle-timeout 10\n"
    code, _, err = run_cli(capsys, "check", write_script(tmp_path, text, "deploy.sh"))
    assert code == 2 and "no rule named 'nope'" in err


# ---- PowerShell ---------------------------------------------------------------------------


def test_ps_walkthrough_matches_the_article():
    loaded = load_any(PS_SCRIPT)
    t = loaded.scenario.topology
    assert loaded.format == "powershell" and t.deployment == "powershell"
    pips = {p.name: (p.version, p.allocation) for p in t.public_ips}
    assert pips == {"pub-ipv4": ("IPv4", "Static"), "pub-ipv6": ("IPv6", "Dynamic")}  # fact 167
    assert sorted(d.name for d in t.dns) == ["lbnrpipv4.westus.cloudapp.azure.com",
                                            "lbnrpipv6.westus.cloudapp.azure.com"]  # fact 36
    rules = {r.name: (r.frontend_port, r.backend_port) for r in t.load_balancer.rules}
    assert rules == {"HTTPv4": (80, 8080), "HTTPv6": (80, 8080), "RDPrule": (3389, 3389)}
    nat = {r.name: (r.frontend, r.frontend_port, r.backend_port, r.target and r.target.vm)
           for r in t.load_balancer.inbound_nat_rules}
    assert nat["NicNatRulev6"] == ("LB-Frontendv6", 443, 4443, "myNrpIPv6VM0")
    probe = t.probes["HealthProbe-v4v6"]
    assert (probe.protocol, probe.port, probe.request_path) == ("Http", 80, "HealthProbe.aspx")
    assert {v.availability_set for v in t.vms} == {"myNrpIPv6AvSet"}
    assert {v.os for v in t.vms} == {"windows"}
    assert not [f for f in check(t) if f.severity == "error"]


def test_azurerm_names_give_the_same_deployment():
    az = load_any(PS_SCRIPT).scenario.topology
    rm = load_any(FIXTURES / "ps_walkthrough_azurerm.ps1").scenario.topology
    assert [f.to_json() for f in check(az)] == [f.to_json() for f in check(rm)]
    notes = [n.message for n in load_any(FIXTURES / "ps_walkthrough_azurerm.ps1").notes]
    assert any("Login-AzureRmAccount" in n for n in notes)


PS_BASE = PS_SCRIPT.read_text()

PS_LIMITS = [
    ("no-static-ipv6", "pub-ipv6",
     lambda s: s.replace("-AllocationMethod Dynamic -IpAddressVersion IPv6", "-AllocationMethod Static -IpAddressVersion IPv6")),
    ("ipv6-idle-timeout-fixed", "HTTPv6",
     lambda s: s.replace("$RDPrule = ", "$lbrule1v6.IdleTimeoutInMinutes = 15\n$RDPrule = ")),
    ("ipv6-distribution-fixed", "HTTPv6",
     lambda s: s.replace("-Probe $HealthProbe -Protocol Tcp -FrontendPort 80 -BackendPort 8080\n$RDPrule",
                         "-Probe $HealthProbe -Protocol Tcp -FrontendPort 80 -BackendPort 8080 -LoadDistribution SourceIP\n$RDPrule")),
    ("no-ipv6-reverse-dns", "pub-ipv6",
     lambda s: s.replace("-DomainNameLabel lbnrpipv6", "-DomainNameLabel lbnrpipv6 -ReverseFqdn www.contoso.com.")),
    ("no-public-ipv6-on-vm", "myNrpIPv6VM0/myNrpIPv6Nic0/IPv6IPConfig",
     lambda s: s.replace('$nic1IPv6 = New-AzNetworkInterfaceIpConfig -Name "IPv6IPConfig"',
                         '$nic1IPv6 = New-AzNetworkInterfaceIpConfig -Name "IPv6IPConfig" -PublicIpAddress $publicIPv6')),
    ("one-ipv6-per-nic", "myNrpIPv6VM0",
     lambda s: s.replace("-IpConfiguration $nic1IPv4,$nic1IPv6 ", "-IpConfiguration @($nic1IPv4, $nic1IPv6, $extraV6) ")
                .replace("$nic1 = New-AzNetworkInterface",
                         '$extraV6 = New-AzNetworkInterfaceIpConfig -Name "Extra" -PrivateIpAddressVersion IPv6\n$nic1 = New-AzNetworkInterface')),
]


PS_LIMITS.append(
    ("no-secondary-nic-ipv6-in-pool", "myNrpIPv6VM0/myNrpIPv6Nic0b",
     lambda s: s.replace("New-AzAvailabilitySet -Name",
                         '$extraV4 = New-AzNetworkInterfaceIpConfig -Name "v4" -Subnet $backendSubnet\n'
                         '$extraV6 = New-AzNetworkInterfaceIpConfig -Name "v6" -PrivateIpAddressVersion IPv6 '
                         '-LoadBalancerBackendAddressPool $backendpoolipv6\n'
                         "$nic1b = New-AzNetworkInterface -Name 'myNrpIPv6Nic0b' -IpConfiguration $extraV4,$extraV6 "
                         "-ResourceGroupName NRP-RG -Location 'West US'\n"
                         "New-AzAvailabilitySet -Name", 1)
                .replace("$vm1 = Add-AzVMNetworkInterface -VM $vm1 -Id $nic1.Id -Primary",
                         "$vm1 = Add-AzVMNetworkInterface -VM $vm1 -Id $nic1.Id -Primary\n"
                         "$vm1 = Add-AzVMNetworkInterface -VM $vm1 -Id $nic1b.Id")))


@pytest.mark.parametrize("finding, subject, change", PS_LIMITS, ids=[x[0] for x in PS_LIMITS])
def test_ps_limitations_exit_1(tmp_path, capsys, finding, subject, change):
    path = write_script(tmp_path, change(PS_BASE), "deploy.ps1")
    code, report = check_json(capsys, path)
    assert report["errors"] == [] and code == 1, report
    assert any(f["id"] == finding and f["subject"] == subject and f["severity"] == "error"
               for f in report["findings"]), report["findings"]


def test_ps_property_set_is_located_at_the_assignment(tmp_path, capsys):
    text = PS_BASE.replace("$RDPrule = ", "$lbrule1v6.Protocol = 'Icmp'\n$RDPrule = ")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "'Icmp'" in l)
    code, _, err = run_cli(capsys, "check", write_script(tmp_path, text, "deploy.ps1"))
    assert code == 2 and f"line {line}" in err and "HTTPv6" in err


def test_ps_unbalanced_quote_names_the_line(tmp_path, capsys):
    text = PS_BASE.replace("-Name 'pub-ipv6'", "-Name 'pub-ipv6")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "'pub-ipv6 " in l)
    code, _, err = run_cli(capsys, "check", write_script(tmp_path, text, "deploy.ps1"))
    assert code == 2 and f"line {line}" in err and "unbalanced quote" in err


def test_ps_unknown_variable(tmp_path, capsys):
    text = "$lb = New-AzLoadBalancer -Name lb -FrontendIpConfiguration $nothing\n"
    code, _, err = run_cli(capsys, "check", write_script(tmp_path, text, "x.ps1"))
    assert code == 2 and "line 1" in err and "$nothing" in err


def test_old_xplat_cli_is_named_not_misread(tmp_path, capsys):
    text = "azure config mode arm\nazure network lb create -g rg -n lb -l westus\n"
    code, _, err = run_cli(capsys, "check", write_script(tmp_path, text, "old.txt"))
    assert code == 2 and "xplat" in err and "line 1" in err


def test_cli_malformed_command_line_names_the_line(tmp_path, capsys):
    text = CLI_BASE.replace("--probe-name $probeV4V6Name --backend-pool-name $backendAddressPoolV4Name",
                            "--probe-name $probeV4V6Name stray --backend-pool-name $backendAddressPoolV4Name")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "stray" in l)
    code, _, err = run_cli(capsys, "check", write_script(tmp_path, text, "deploy.sh"))
    assert code == 2 and f"line {line}" in err


def test_cli_missing_required_option(tmp_path, capsys):
    text = CLI_BASE + "az network lb probe create -g x --lb-name $lbName -n p2 --protocol tcp\n"
    line = len(text.splitlines())
    code, _, err = run_cli(capsys, "check", write_script(tmp_path, text, "deploy.sh"))
    assert code == 2 and f"line {line}, --port" in err and "needs --port" in err
