"""Lesson questions are judged by the engine; the twin-stack comparison finds the first difference."""

from __future__ import annotations

from lb6.model.scenario import library
from lb6.model.teaching.compare import compare
from lb6.model.engine.runner import run_scenario
from lb6.model.scenario.document import load_scenario, load_scenario_text


def test_lesson_questions_are_answerable_from_the_engine():
    result = run_scenario(load_scenario(library.find("lesson_1_first_dual_stack_request")))
    questions = [v for v in result.verdicts if v.text.startswith("question")]
    assert len(questions) == 3 and all(v.passed for v in questions)


def test_a_question_whose_choices_miss_the_engine_answer_fails():
    text = library.find("lesson_1_first_dual_stack_request").read_text().replace(
        "choices: [web1, web2]", "choices: [web3, web4]")
    result = run_scenario(load_scenario_text(text, "changed.yaml"))
    failed = [v for v in result.verdicts if not v.passed]
    assert [v.text for v in failed] == ["question q-vm: the engine's answer is one of the choices"]


def test_question_naming_an_unknown_connection_is_bad_input():
    text = library.find("lesson_1_first_dual_stack_request").read_text().replace(
        "connection: vera-web\n    ask", "connection: nobody\n    ask")
    try:
        load_scenario_text(text, "bad.yaml")
    except Exception as exc:  # ScenarioError
        assert "questions[2].connection" in str(exc) and "nobody" in str(exc)
    else:
        raise AssertionError("an unknown connection in a question must be refused")


def test_compare_names_the_nsg_as_the_first_difference():
    sc = load_scenario(library.find("nsg_on_dual_stack_vm"))
    result = compare(sc, "dana", "contoso.westus.cloudapp.azure.com", 80)
    row = result.first_difference
    assert row is not None
    assert result.ipv4.steps[row].disposition == "dropped-nsg"
    assert result.ipv6.steps[row].kind == "nsg" and result.ipv6.steps[row].disposition == "forwarded"
    assert result.ipv6.outcome == "delivered"


def test_compare_with_a_missing_aaaa_differs_at_dns():
    text = library.find("dual_stack_web_farm").read_text().replace(
        '  - {name: pip-v6, version: IPv6, address: "2001:db8:1::10", dns_label: contoso}',
        '  - {name: pip-v6, version: IPv6, address: "2001:db8:1::10", dns_label: contoso-v6}')
    sc = load_scenario_text(text, "split.yaml")
    result = compare(sc, "dana", "contoso.westus.cloudapp.azure.com", 80)
    assert result.first_difference == 0
    assert result.ipv6.steps[0].disposition == "no-answer"
    assert result.ipv4.outcome == "delivered"


def test_compare_same_decisions_when_both_work():
    sc = load_scenario(library.find("lesson_1_first_dual_stack_request"))
    result = compare(sc, "dana", "contoso.westus.cloudapp.azure.com", 80)
    # The backend port differs (80 over IPv4, 8080 over IPv6): the first difference is the NAT.
    assert result.ipv4.steps[result.first_difference].kind == "nat"
