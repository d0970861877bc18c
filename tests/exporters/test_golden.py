"""`lb6 run --golden`: an unchanged replay matches its stored trace; a changed one fails at the
first step that differs, shown side by side; a bad golden file is bad input (exit 2)."""

from __future__ import annotations

import copy
import json

import pytest

from lb6.model.errors import ScenarioError
from lb6.model.exporters.golden import compare, load_golden
from lb6.model.engine.runner import run_scenario, to_json
from lb6.tui.cli import main

from .conftest import replay

NAME = "dual_stack_web_farm"


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(json.dumps(to_json(replay(NAME))))  # exactly what a file round trip gives


def write(tmp_path, doc, name="golden.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return str(path)


def test_an_unchanged_replay_matches(golden):
    again = json.loads(json.dumps(to_json(replay(NAME))))
    assert compare(golden, again) is None


def test_a_changed_step_is_found_at_its_number(golden):
    changed = copy.deepcopy(golden)
    changed["steps"][11]["reason"] = "something else"
    changed["steps"][20]["node"] = "vm:web9"  # later differences do not hide the first
    diff = compare(changed, golden)
    assert (diff.section, diff.index, diff.fields) == ("steps", 11, ("reason",))
    assert diff.golden["n"] == 12 and diff.describe() == "step 12: reason differs"


def test_a_shorter_or_longer_trace_is_a_difference(golden):
    shorter = copy.deepcopy(golden)
    del shorter["steps"][40:]
    diff = compare(shorter, golden)
    assert diff.index == 40 and diff.golden is None and diff.replay["n"] == 41
    diff = compare(golden, shorter)
    assert diff.index == 40 and diff.replay is None and "replay ends before it" in diff.describe()


def test_keys_a_newer_lb6_adds_do_not_fail_old_goldens(golden):
    replay_doc = copy.deepcopy(golden)
    for step in replay_doc["steps"]:
        step["new_key"] = 1
    assert compare(golden, replay_doc) is None


def test_expectation_verdicts_are_compared_after_the_steps(golden):
    changed = copy.deepcopy(golden)
    changed["expectations"][0]["passed"] = False
    diff = compare(changed, golden)
    assert diff.section == "expectations" and diff.fields == ("passed",)


# ---- the command line ------------------------------------------------------------------------


def test_cli_unchanged_exits_0(tmp_path, golden, capsys):
    path = write(tmp_path, golden)
    assert main(["run", "--golden", path]) == 0  # the scenario named in the file
    assert main(["run", NAME, "--golden", path]) == 0
    out = capsys.readouterr().out
    assert out.count("SAME") == 2 and f"{len(golden['steps'])} steps" in out


def test_cli_modified_golden_exits_1_and_shows_both_versions(tmp_path, golden, capsys,
                                                             monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # one line per field, so whole values can be matched
    changed = copy.deepcopy(golden)
    old = changed["steps"][5]["reason"]
    changed["steps"][5]["reason"] = "the golden said otherwise"
    assert main(["run", "--golden", write(tmp_path, changed)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT" in out and "at step 6: reason differs" in out
    row = next(line for line in out.splitlines() if "the golden said otherwise" in line)
    assert "≠" in row and "reason" in row and old in row
    assert "[2001:db8:1::10]:80" in old  # the bracketed endpoint survived Rich markup


def test_cli_uses_the_golden_seed(tmp_path, capsys):
    other = json.loads(json.dumps(to_json(run_scenario(replay(NAME).scenario, 1234))))
    assert main(["run", "--golden", write(tmp_path, other)]) == 0
    assert main(["run", "--golden", write(tmp_path, other), "--seed", "7"]) == 1
    capsys.readouterr()


def test_cli_runs_document_matches_by_scenario_name(tmp_path, golden, capsys):
    other = json.loads(json.dumps(to_json(replay("ipv6_only_client"))))
    doc = {"runs": [other, golden], "passed": True}
    assert main(["run", "--golden", write(tmp_path, doc)]) == 0
    assert main(["run", NAME, "--golden", write(tmp_path, doc)]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("content, message", [
    ('{"steps": [', "line 1: not valid JSON"),
    ("[1, 2]", "not an lb6 trace"),
    ('{"scenario": "dual_stack_web_farm", "steps": [{"x": 1}]}', "steps[0]: expected a step object"),
    ('{"scenario": 3, "steps": []}', "scenario: expected \"scenario\""),
    ('{"scenario": "no_such_lesson", "steps": []}', "no shipped scenario by that name"),
])
def test_cli_bad_golden_exits_2_with_one_paragraph(tmp_path, capsys, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert main(["run", "--golden", str(path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert message in err and "Traceback" not in err


def test_cli_missing_golden_and_mismatched_scenario_exit_2(tmp_path, golden, capsys):
    assert main(["run", "--golden", str(tmp_path / "nope.json")]) == 2
    assert "no such golden file" in capsys.readouterr().err
    doc = {"runs": [golden]}
    assert main(["run", "ipv6_only_client", "--golden", write(tmp_path, doc)]) == 2
    assert "holds no trace of scenario ipv6_only_client" in " ".join(capsys.readouterr().err.split())
    assert main(["run", "--golden", write(tmp_path, golden), "--json"]) == 2
    capsys.readouterr()


def test_load_golden_points_at_the_line(tmp_path):
    path = tmp_path / "g.json"
    path.write_text('{\n  "scenario": "x",\n  "steps": [1,,]\n}', encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_golden(path)
    assert err.value.problems[0].line == 3
