"""`lb6 run -q`: the one summary line says how many connections failed and how, not only how
many expectations passed (issue 15 item 5), and `--json` is not changed by it."""

from __future__ import annotations

import json

from lb6.model.engine.runner import run_scenario
from lb6.model.scenario import library
from lb6.model.scenario.document import load_scenario
from lb6.tui.cli import main


def run(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().out


def test_quiet_line_counts_connections_when_none_failed(capsys):
    code, out = run(capsys, "run", "-q", "dual_stack_web_farm")
    assert code == 0
    assert "PASS  dual_stack_web_farm: 67 steps, 5/5 expectations, 0 of 3 connections failed\n" in out


def test_quiet_line_names_the_dispositions_of_failed_connections(capsys):
    # The NSG drops the IPv4 client at the NIC; the scenario still passes, and the line says so.
    code, out = run(capsys, "run", "-q", "nsg_on_dual_stack_vm")
    assert code == 0
    assert "6/6 expectations, 1 of 3 connections failed (dropped-nsg 1)" in out


def test_quiet_line_lists_each_disposition_with_its_count(capsys):
    code, out = run(capsys, "run", "--quiet", "all_backends_down")
    assert code == 0
    assert ("2 of 3 connections failed (terminated 1, dropped-no-healthy-backend 1)") in out


def test_tally_counts_failed_connections_by_outcome():
    from lb6.model.engine.runner import tally_connections
    result = run_scenario(load_scenario(library.find("all_backends_down")))
    tally = tally_connections(result.engine)
    conns = result.engine.connections()
    assert tally.total == len(conns) == 3
    assert tally.failed == sum(c.status == "failed" for c in conns) == 2
    assert dict(tally.dispositions) == {"terminated": 1, "dropped-no-healthy-backend": 1}


def test_json_has_no_summary_text(capsys):
    # The -q wording lives in the report only: the --json document (pinned by SHA-256 in
    # tests/model/test_trace_stability.py) keeps PRODUCT.md's keys and no new prose.
    _, out = run(capsys, "run", "nsg_on_dual_stack_vm", "--json")
    doc = json.loads(out)
    assert "connections failed" not in out
    assert [c["outcome"] for c in doc["connections"]].count("dropped-nsg") == 1
