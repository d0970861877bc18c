"""Inputs that lean on Azure's defaults and forgiveness (issue 15): `az network lb create` with
no public IP or subnet, and a key given twice in an ARM parameters file or template."""

from __future__ import annotations

import json

from lb6.model.inputs import load_any

from .helpers import FIXTURES, PARAMETERS, TEMPLATE, run_cli

LB_DEFAULTS = FIXTURES / "cli_lb_defaults.sh"


# ---- az network lb create without --public-ip-address ---------------------------------------


def test_lb_create_alone_makes_the_default_frontend_and_public_ip():
    loaded = load_any(LB_DEFAULTS)
    t = loaded.scenario.topology
    assert [(f.name, f.public_ip) for f in t.load_balancer.frontends] == [
        ("LoadBalancerFrontEnd", "PublicIPshopLb"), ("fe-v6", "shop-v6")]
    pip = next(p for p in t.public_ips if p.name == "PublicIPshopLb")
    assert (pip.version, pip.allocation) == ("IPv4", "Dynamic")
    # The rule named no frontend and no pool: az takes the only ones, the defaults.
    assert {r.name: (r.frontend, r.backend_pool) for r in t.load_balancer.rules} == {
        "web-v4": ("LoadBalancerFrontEnd", "shopLbbepool"), "web-v6": ("fe-v6", "pool-v6")}
    note = next(n for n in loaded.notes if "PublicIPshopLb" in n.message)
    assert "no --public-ip-address" in note.message and note.origin.line == 11


def test_the_default_frontend_carries_ipv4_traffic(capsys):
    code, out, _ = run_cli(capsys, "run", LB_DEFAULTS, "--json")
    assert code == 0
    conns = json.loads(out)["connections"]
    v4 = [c for c in conns if c["family"] == "IPv4"]
    assert v4 and all(c["outcome"] == "delivered" and c["client_saw"] == "203.0.113.10"
                      for c in v4)


def test_lb_create_with_a_subnet_or_an_empty_public_ip_gets_no_public_frontend(tmp_path):
    for extra in ("--vnet-name v --subnet s", '--public-ip-address ""'):
        path = tmp_path / "lb.sh"
        path.write_text(f"az network lb create -g rg -n lb {extra}\n")
        loaded = load_any(path)
        assert not any(p.name == "PublicIPlb" for p in loaded.scenario.topology.public_ips)


# ---- a key given twice --------------------------------------------------------------------

REPEATED_PARAMETERS = FIXTURES / "quickstart_2016.repeated.parameters.json"


def test_a_parameter_given_twice_keeps_the_last_value_with_a_note():
    loaded = load_any(TEMPLATE, parameters=REPEATED_PARAMETERS)
    assert [d.name for d in loaded.scenario.topology.dns] == [
        "contoso-shop.westus.cloudapp.azure.com"]
    twice = [n for n in loaded.notes if "given twice" in n.message]
    assert [(n.origin.line, n.location(str(TEMPLATE))) for n in twice] == [
        (9, f"{REPEATED_PARAMETERS} line 9, parameters.dnsNameforIPv4LbIP"),
        (10, f"{REPEATED_PARAMETERS} line 10, parameters.dnsNameforIPv6LbIP")]
    assert "'dnsNameforIPv4LbIP' is given twice (lines 7 and 9)" in twice[0].message


def test_check_lists_the_repeat_as_info(capsys):
    code, out, _ = run_cli(capsys, "check", TEMPLATE, "--parameters", REPEATED_PARAMETERS,
                           "--json")
    assert code == 0
    infos = [n for n in json.loads(out)["not_modelled"] if "given twice" in n["message"]]
    assert len(infos) == 2 and all(n["severity"] == "info" for n in infos)


def test_a_problem_in_the_kept_value_names_its_own_line(tmp_path, capsys):
    # The second value is the one judged, so the message points at the second line.
    text = PARAMETERS.read_text().replace(
        '"adminUsername": { "value": "azureuser" },',
        '"ipv6PublicIPAddressType": { "value": "Dynamic" },\n'
        '    "adminUsername": { "value": "azureuser" },\n'
        '    "ipv6PublicIPAddressType": { "value": "Static" },')
    ppath = tmp_path / "p.json"
    ppath.write_text(text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if '"Static"' in l)
    code, _, err = run_cli(capsys, "check", TEMPLATE, "--parameters", ppath)
    assert code == 2 and f"p.json line {line}" in err and "allowedValues" in err


def test_a_template_key_given_twice_keeps_the_last_too(tmp_path):
    # Resource Manager, az (Python's json) and Azure PowerShell (Json.NET) all take the last.
    text = TEMPLATE.read_text().replace('"ipv4ipv6lbProbeName": "tcpProbeIPv4IPv6",',
                                        '"ipv4ipv6lbProbeName": "tcpProbeIPv4IPv6",\n'
                                        '    "vnetName": "shopVNet",')
    path = tmp_path / "azuredeploy.json"
    path.write_text(text)
    loaded = load_any(path, parameters=PARAMETERS)
    assert loaded.scenario.topology.vnet.name == "shopVNet"
    note = next(n for n in loaded.notes if "given twice" in n.message)
    assert "'vnetName' is given twice (lines 22 and 35)" in note.message
    assert note.location(str(path)) == f"{path} line 35, variables.vnetName"


def test_json_reader_keeps_the_last_only_when_asked():
    import pytest
    from lb6.model.importers.jsonpos import DuplicateKey, JsonProblem, load_json
    text = '{\n "a": {"x": 1,\n  "y": 2},\n "b": 0,\n "a": {"x": 3}\n}'
    with pytest.raises(JsonProblem):
        load_json(text)
    repeats: list[DuplicateKey] = []
    doc = load_json(text, repeats)
    assert doc.data == {"a": {"x": 3}, "b": 0}
    assert repeats == [DuplicateKey(("a",), 2, 5)]
    # The earlier value's lines are forgotten: a path only it had falls back to the winner.
    assert doc.line_of(("a", "x")) == 5 and doc.line_of(("a", "y")) == 5
