"""`lb6 run` and `lb6 import` on real deployments; format detection; the round trip."""

import json

import pytest

from lb6.model.catalogue import check
from lb6.model.importers.detect import detect
from lb6.model.inputs import load_any
from lb6.model.scenario.document import load_scenario

from .helpers import CLI_SCRIPT, FIXTURES, PARAMETERS, PS_SCRIPT, TEMPLATE, run_cli

ALL_INPUTS = [
    (TEMPLATE, ("--parameters", PARAMETERS)),
    (FIXTURES / "quickstart_2020.json", ()),
    (CLI_SCRIPT, ()),
    (FIXTURES / "cli_bash.sh", ()),
    (PS_SCRIPT, ()),
    (FIXTURES / "ps_walkthrough_azurerm.ps1", ()),
]


def test_run_on_a_template_traces_ipv4_and_ipv6_with_the_templates_ports(capsys):
    code, out, _ = run_cli(capsys, "run", TEMPLATE, "--parameters", PARAMETERS, "--json")
    assert code == 0
    doc = json.loads(out)
    conns = {c["id"]: c for c in doc["connections"]}
    assert conns["v4-tcp80"]["outcome"] == "delivered" and conns["v4-tcp80"]["family"] == "IPv4"
    assert conns["v6-tcp80"]["outcome"] == "delivered" and conns["v6-tcp80"]["family"] == "IPv6"
    assert conns["dual-tcp80"]["family"] == "IPv6"  # Happy Eyeballs prefers IPv6 (fact 209)
    nat = [s for s in doc["steps"] if s["disposition"] == "translated" and s["rewrite"]
           and s["rewrite"][0]["field"] == "dst"]
    v6 = [s for s in nat if ":" in s["packet"]["dst"]]
    v4 = [s for s in nat if "." in s["packet"]["dst"]]
    # IPv6 rule 80 → 8080 and IPv4 rule 80 → 80, as the template says (fact 154).
    assert any({"field": "dport", "old": 80, "new": 8080} in s["rewrite"] for s in v6)
    assert any(s["rewrite"][0]["new"].startswith("fd00:") for s in v6)
    assert v4 and all(not any(r["field"] == "dport" for r in s["rewrite"]) for s in v4)
    assert any(s["rewrite"][0]["new"].startswith("10.0.0.") for s in v4)
    delivered = {s["node"] for s in doc["steps"] if s["disposition"] == "delivered"
                 and s["node"].startswith("vm:")}
    assert delivered <= {"vm:myIPv6VM0", "vm:myIPv6VM1"} and delivered


def test_run_human_output_on_a_script(capsys):
    code, out, _ = run_cli(capsys, "run", CLI_SCRIPT, "-q")
    assert code == 0 and "PASS" in out


@pytest.mark.parametrize("path, extra", ALL_INPUTS, ids=[p.name for p, _ in ALL_INPUTS])
def test_import_round_trips_to_the_same_findings(tmp_path, capsys, path, extra):
    out = tmp_path / "scenario.yaml"
    code, _, err = run_cli(capsys, "import", path, *extra, "-o", out)
    assert code == 0 and "wrote" in err
    text = out.read_text()
    assert text.startswith("# Imported by lb6")
    original = load_any(path, parameters=extra[1] if extra else None).scenario
    again = load_scenario(out)
    assert [f.to_json() for f in check(again.topology)] == \
        [f.to_json() for f in check(original.topology)]
    assert [c.name for c in again.topology.clients] == ["dual-client", "ipv4-client", "ipv6-client"]
    assert len(again.events) == len(original.events) > 0


def test_import_prints_to_stdout_and_refuses_to_overwrite(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "import", PS_SCRIPT)
    assert code == 0 and "load_balancer:" in out and "Not modelled" in out
    target = tmp_path / "s.yaml"
    target.write_text("keep me")
    code, _, err = run_cli(capsys, "import", PS_SCRIPT, "-o", target)
    assert code == 2 and "--force" in err and target.read_text() == "keep me"


def test_import_of_a_scenario_is_refused(capsys):
    code, _, err = run_cli(capsys, "import", "dual_stack_web_farm")
    assert code == 2 and "already a scenario" in err


@pytest.mark.parametrize("text, name, expected", [
    ('{"$schema": "x", "resources": []}', "t.txt", "arm"),
    ("// comment\n{}", "t", "arm"),
    ("az network lb create -g x -n y\n", "deploy.txt", "azcli"),
    ("$x = \"1\"\naz network nic create -n a\n", "deploy.ps1", "azcli"),
    ("x=$(az network lb show -n a --query id)\n", "d", "azcli"),
    ("$lb = New-AzLoadBalancer -Name a\n", "deploy.txt", "powershell"),
    ("New-AzureRmPublicIpAddress -Name a\n", "x", "powershell"),
    ("title: t\nvms: []\n", "x.txt", "scenario"),
    ("hello world\n", "notes.txt", None),
    ("hello world\n", "notes.ps1", "powershell"),
])
def test_detect_from_content(text, name, expected):
    assert detect(text, name) == expected


def test_a_file_that_is_none_of_these_exits_2(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("just some words\n")
    code, _, err = run_cli(capsys, "check", path)
    assert code == 2 and "not a file lb6 can read" in err and "line 1" in err


def test_format_option_overrides_detection(tmp_path, capsys):
    path = tmp_path / "deploy.txt"
    path.write_text(CLI_SCRIPT.read_text())
    code, report = _check(capsys, path, "--format", "azcli")
    assert code == 0 and report["format"] == "azcli"
    code, report = _check(capsys, path, "--format", "arm")
    assert code == 2 and report["format"] == "arm" and "JSON syntax error" in report["errors"][0]["message"]


def test_parameters_only_for_templates(capsys):
    code, _, err = run_cli(capsys, "check", CLI_SCRIPT, "--parameters", PARAMETERS)
    assert code == 2 and "ARM templates only" in err


def test_missing_parameters_file(capsys):
    code, _, err = run_cli(capsys, "check", TEMPLATE, "--parameters", "nope.json")
    assert code == 2 and "no such parameters file" in err


def test_check_lists_not_modelled_in_human_output(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    code, out, _ = run_cli(capsys, "check", PS_SCRIPT)
    assert code == 0 and "Not modelled" in out and "Get-Credential" in out


def test_explore_accepts_the_options():
    from lb6.tui.cli import build_parser
    args = build_parser().parse_args(["explore", str(TEMPLATE), "--parameters", str(PARAMETERS),
                                      "--format", "arm"])
    assert args.parameters == str(PARAMETERS) and args.format == "arm"


def test_run_hands_its_format_to_the_loader(capsys):
    # Read as a scenario, a template is bad input: proof that --format reached the loader.
    code, _, err = run_cli(capsys, "run", TEMPLATE, "--format", "scenario", "-q")
    assert code == 2 and "Traceback" not in err


def _check(capsys, path, *extra):
    code, out, _ = run_cli(capsys, "check", path, "--json", *extra)
    return code, json.loads(out)


def test_run_says_on_stderr_that_some_things_are_not_modelled(capsys):
    code, out, err = run_cli(capsys, "run", TEMPLATE, "--parameters", PARAMETERS, "--json")
    assert code == 0 and json.loads(out)["scenario"]
    assert "not modelled" in err and f"--parameters {PARAMETERS}" in err


def test_a_scenario_quoting_az_commands_is_still_a_scenario():
    text = ("title: t\nsummary: |\n  The CLI walkthrough runs\n  az network lb rule create ...\n"
            "  New-AzLoadBalancer -Name lb\n")
    assert detect(text, "lesson.yaml") == "scenario"
