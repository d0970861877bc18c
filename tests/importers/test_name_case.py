"""Names compared the way Azure compares them: any case matches, the first spelling is shown.

One test per kind, each on lb6's own fixture in a published shape: an az CLI script run from a
PowerShell window, a hand-typed PowerShell script, and a demo template with property, function
and resource names in another case than the schema's. And the places Azure is exact stay exact.
"""

import pytest

from lb6.model.errors import ScenarioError
from lb6.model.importers.expressions import Context, evaluate_string
from lb6.model.importers.names import FoldedDict, Spellings
from lb6.model.inputs import load_any

from .helpers import FIXTURES, run_cli


def _config(vm, version):
    return next(c for _, c in vm.ip_configs() if c.version == version)


def test_folded_dict_matches_any_case_and_keeps_the_first_spelling():
    d = FoldedDict()
    d["rgName"] = "a"
    d["RGNAME"] = "b"
    assert d["rgname"] == "b" and "RgName" in d and list(d) == ["rgName"]
    assert d.get("missing") is None and d.spelling("RGNAME") == "rgName"
    # Only keys fold: values, a password among them, stay exactly as written.
    d["adminPassword"] = "Pa55-Word"
    assert d["ADMINPASSWORD"] == "Pa55-Word"
    names = Spellings(["dsSubNET"])
    assert names("dssubnet") == "dsSubNET" and names("other") == "other"


def test_cli_script_from_a_powershell_window_matches_variables_and_names_in_any_case():
    loaded = load_any(FIXTURES / "cli_mixed_case.ps1")
    assert loaded.format == "azcli"
    t = loaded.scenario.topology
    lb = t.load_balancer
    # Each reference takes the spelling its target was created with.
    assert {r.name: (r.frontend, r.backend_pool, r.probe) for r in lb.rules} == {
        "http-v4": ("FE-v4", "Pool-V4", "Tcp-80"), "http-v6": ("fe-v6", "pool-v6", "Tcp-80")}
    vm = t.vm_by_name["ds-vm"]
    assert _config(vm, "IPv4").subnet == "dsSubNET"
    assert _config(vm, "IPv6").backend_pools == ("pool-v6",)
    assert vm.nics[0].name == "ds-nic" and vm.nics[0].nsg == "dsNSG"
    assert [r.name for r in t.nsg_by_name["dsNSG"].rules][:1] == ["allow-http"]
    assert sorted(d.name for d in t.dns) == ["dscase-v4.westus.cloudapp.azure.com",
                                            "dscase-v6.westus.cloudapp.azure.com"]


def test_bash_variables_stay_case_sensitive(tmp_path):
    """In bash $rg and $RG are two variables; only PowerShell-style ones fold."""
    path = tmp_path / "deploy.sh"
    path.write_text("rg=demo\naz network nsg create -g $RG -n nsg1\n")
    with pytest.raises(ScenarioError) as exc:
        load_any(path)
    assert "$RG is used but never set" in str(exc.value)


def test_powershell_script_reads_resources_back_by_a_name_in_any_case():
    loaded = load_any(FIXTURES / "ps_mixed_case.ps1")
    t = loaded.scenario.topology
    vm = t.vm_by_name["ds-vm"]
    assert vm.nics[0].name == "ds-nic"
    assert _config(vm, "IPv4").subnet == "dsSubNET"
    assert {c.version: c.backend_pools for _, c in vm.ip_configs()} == {
        "IPv4": ("pool-v4",), "IPv6": ("pool-v6",)}
    assert {r.name: r.frontend for r in t.load_balancer.rules} == {
        "http-v4": "fe-v4", "http-v6": "fe-v6"}


def test_powershell_parameter_not_modelled_is_named_as_the_script_spells_it(tmp_path):
    text = (FIXTURES / "ps_mixed_case.ps1").read_text().replace(
        '-Name "pool-v6"', '-Name "pool-v6" -DrainPeriodInSeconds 30')
    path = tmp_path / "deploy.ps1"
    path.write_text(text)
    notes = [n.message for n in load_any(path).notes]
    assert any("-DrainPeriodInSeconds not modelled" in n for n in notes), notes


def test_template_with_property_function_and_resource_names_in_another_case():
    loaded = load_any(FIXTURES / "demo_mixed_case.json")
    t = loaded.scenario.topology
    lb = t.load_balancer
    assert lb.name == "dsLB"
    assert {f.name: f.public_ip for f in lb.frontends} == {"fe-v4": "ds-pip-v4",
                                                            "fe-v6": "ds-pip-v6"}
    assert {r.name: (r.frontend, r.backend_pool, r.probe, r.frontend_port) for r in lb.rules} == {
        "http-v4": ("fe-v4", "pool-v4", "tcp-80", 80), "http-v6": ("fe-v6", "pool-v6", "tcp-80", 80)}
    vm = t.vm_by_name["ds-vm"]
    assert vm.nics[0].name == "ds-nic"
    assert _config(vm, "IPv4").subnet == "dsSubNET"
    assert {c.version: c.backend_pools for _, c in vm.ip_configs()} == {
        "IPv4": ("pool-v4",), "IPv6": ("pool-v6",)}
    # Concat( and CONCAT( with parameters('dnsprefix') for DnsPrefix: the label as written.
    assert sorted(d.name for d in t.dns) == [
        "mixedcase-demo-v4.westus.cloudapp.azure.com", "mixedcase-demo-v6.westus.cloudapp.azure.com"]


def test_template_error_names_the_property_as_the_file_spells_it(tmp_path, capsys):
    text = (FIXTURES / "demo_mixed_case.json").read_text()
    bad = text.replace('"FrontendPort": 80, "BackendPort": 80', '"FrontendPort": 80, "BackendPort": 70000')
    assert bad != text
    path = tmp_path / "azuredeploy.json"
    path.write_text(bad)
    line = next(i for i, row in enumerate(bad.splitlines(), 1) if "70000" in row)
    code, _, err = run_cli(capsys, "check", path)
    assert code == 2 and "Traceback" not in err
    assert f"line {line}, resources[3].properties.LoadBalancingRules[0].properties.BackendPort" in err


def test_string_comparison_inside_expressions_stays_exact():
    ctx = Context(lambda n: None, lambda n: None, lambda *a: None, "westus", None)
    assert evaluate_string("[equals('dsSubNET', 'dssubnet')]", ctx) is False
    assert evaluate_string("[Equals('a', 'a')]", ctx) is True
