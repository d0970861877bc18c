"""`present.step_plain` is exactly the text of `present.step_line` (issue 8: `lb6 run` into a
pipe writes the plain form, built without Rich, and must print what Rich would)."""

from lb6.model.scenario import library
from lb6.model.inputs import load_any
from lb6.model.engine.runner import run_scenario
from lb6.model.world.trace import Step
from lb6.tui import present


def test_step_plain_is_the_plain_text_of_step_line():
    checked = 0
    for path in library.shipped():
        for step in run_scenario(load_any(path).scenario).engine.records:
            assert present.step_plain(step) == present.step_line(step).plain, path.name
            checked += 1
    assert checked > 1000


def test_step_plain_strips_control_codes_as_text_does():
    step = next(iter(run_scenario(load_any(library.find("dual_stack_web_farm")).scenario)
                     .engine.records))
    odd = Step(**{**{f: getattr(step, f) for f in step.__dataclass_fields__},
                  "reason": "a\rb\x07c\td"}) if hasattr(step, "__dataclass_fields__") else step
    assert present.step_plain(odd) == present.step_line(odd).plain
