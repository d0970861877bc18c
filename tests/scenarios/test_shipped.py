"""Every shipped scenario loads and replays with all its expectations met."""

import pytest

from lb6.model.scenario import library
from lb6.model.engine.runner import run_scenario
from lb6.model.scenario.document import load_scenario

SHIPPED = library.shipped()


def test_there_are_shipped_scenarios():
    assert library.DEFAULT_SCENARIO in library.names()


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_meets_its_expectations(path):
    result = run_scenario(load_scenario(path))
    failed = [f"{v.text}: {v.detail}" for v in result.verdicts if not v.passed]
    assert result.verdicts, "a shipped scenario must pin its behaviour with expectations"
    assert not failed, failed
