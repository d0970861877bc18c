"""Issue 15 item 3: an input of a kind lb6 does not model is named first, in one paragraph.

Each fixture in fixtures/kinds/ is a small input written in the shape people publish; each
refusal goes through `open_input`, so every command gets it, with exit 2 and the file named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lb6.model.inputs import open_input
from lb6.model.scenario import library

from .helpers import FIXTURES, resource, run_cli, variant

KINDS = FIXTURES / "kinds"
VNET_MODEL = "dual-stack VNet model"
LB = "Microsoft.Network/loadBalancers"


def refused(capsys, path: Path, command: str = "check") -> str:
    """The one paragraph `command` prints for `path`, after checking exit 2 and the file name."""
    code, out, err = run_cli(capsys, command, path)
    assert code == 2, (out, err)
    assert "Traceback" not in err and err.strip().count("\n") == 0, err
    assert err.startswith(f"lb6: {path} line "), err
    return err


def test_xplat_cli_is_named_before_a_variable_error(capsys):
    # Line 13 uses $subscriptionId, set as $subscription: the importer's variable error used
    # to come first, and the "retired CLI" message only once that was edited away.
    err = refused(capsys, KINDS / "xplat_cli_2016.sh")
    assert "line 8:" in err and "retired Azure cross-platform CLI" in err
    assert "lb6 reads `az` scripts" in err and "subscriptionId" not in err


@pytest.mark.parametrize("name, line, field, what", [
    ("standard_lb.sh", 12, "--sku", "load balancer 'std-lb'"),
    ("standard_lb.ps1", 6, "-Sku", "load balancer 'std-lb'"),
    ("standard_pip.ps1", 5, "-Sku", "public IP 'pip-v4'"),
])
def test_standard_sku_in_a_script_is_refused_first(capsys, name, line, field, what):
    err = refused(capsys, KINDS / name)
    assert f"line {line}, {field}: {what} has SKU Standard" in err
    assert "Basic SKU (retired 2025-09-30" in err and "a later version of lb6 models Standard" in err


def test_a_standard_public_ip_in_an_az_script_is_refused_first(tmp_path, capsys):
    path = tmp_path / "pip.sh"
    path.write_text("az network public-ip create -g rg -n web-pip --sku=Standard \\\n"
                    "    --allocation-method Static\naz network lb create -g rg -n lb "
                    "--public-ip-address web-pip\n")
    err = refused(capsys, path)
    assert "line 1, --sku: public IP 'web-pip' has SKU Standard" in err
    assert "a later version of lb6 models Standard" in err


@pytest.mark.parametrize("rtype, what", [(LB, "load balancer"),
                                         ("Microsoft.Network/publicIPAddresses", "public IP")])
def test_standard_sku_in_a_template_is_refused_first(tmp_path, capsys, rtype, what):
    path = variant(tmp_path, lambda doc: resource(doc, rtype).__setitem__("sku", {"name": "Standard"}))
    err = refused(capsys, path)
    assert f"{what} '" in err and "has SKU Standard" in err and ".sku:" in err
    assert "a later version of lb6 models Standard" in err


@pytest.mark.parametrize("name, line, evidence", [
    ("dual_stack_vnet.json", 22, "IPv6 prefix fd00:db8:20::/48"),
    ("dual_stack_vnet.sh", 6, "IPv6 prefix fd00:db8:30::/48"),
    ("dual_stack_nsg.ps1", 2, "IPv6 prefix 2001:db8:abcd::/48"),
    ("dual_stack_nic.ps1", 7, "an IPv6 IP configuration that names a subnet"),
])
def test_the_dual_stack_vnet_model_is_refused_not_read_as_legacy(capsys, name, line, evidence):
    err = refused(capsys, KINDS / name)
    assert f"line {line}" in err and VNET_MODEL in err and evidence in err
    assert "NSGs do filter IPv6 there" in err


def test_a_template_ipv6_ipconfig_on_a_subnet_is_the_vnet_model(tmp_path, capsys):
    # Without the IPv6 prefixes, the ipconfig that names a subnet alone tells the model apart.
    text = (KINDS / "dual_stack_vnet.json").read_text().replace('"[variables(\'v6Space\')]"', "") \
        .replace(', "[variables(\'v6Subnet\')]"', "").replace('["[variables(\'v4Space\')]", ]',
                                                             '["[variables(\'v4Space\')]"]')
    path = tmp_path / "v6nic.json"
    path.write_text(text)
    err = refused(capsys, path)
    assert "properties.ipConfigurations[1].properties.subnet" in err and VNET_MODEL in err


def test_bicep_is_named_with_how_to_compile_it(capsys):
    err = refused(capsys, KINDS / "main.bicep")
    assert "line 4:" in err and "Bicep file" in err  # the first resource declaration
    assert "`az bicep build --file main.bicep`" in err and "main.json" in err


def test_terraform_is_named(capsys):
    err = refused(capsys, KINDS / "main.tf")
    assert "Terraform configuration" in err
    assert "ARM templates (JSON), az CLI scripts and PowerShell scripts" in err


@pytest.mark.parametrize("command", ["run", "import"])
def test_every_command_gets_the_refusal(capsys, command):
    err = refused(capsys, KINDS / "main.bicep", command)
    assert "Bicep file" in err


def test_explore_gets_the_refusal(capsys):
    code, _, err = run_cli(capsys, "explore", KINDS / "xplat_cli_2016.sh")
    assert code == 2 and "retired Azure cross-platform CLI" in err


def test_inputs_lb6_reads_are_not_refused():
    """Every importer fixture and every shipped scenario still opens."""
    paths = [p for p in sorted(FIXTURES.iterdir())
             if p.is_file() and not p.name.endswith(".parameters.json")]
    assert len(paths) >= 6
    for path in paths:
        params = path.with_name(path.stem + ".parameters.json")
        open_input(str(path), parameters=str(params) if params.is_file() else None)
    for name in library.names():
        open_input(name)
