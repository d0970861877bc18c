"""Snapshot tests (snap_compare): how the explorer looks, pinned.

Update after an intended change with `pytest tests/snapshots --snapshot-update`, then look at
the new SVGs before committing them.
"""

from __future__ import annotations

from lb6.model.scenario import library
from lb6.model.scenario.document import load_scenario
from lb6.tui.app import Lb6App


def app() -> Lb6App:
    return Lb6App(load_scenario(library.find(library.DEFAULT_SCENARIO)))


def test_main_screen_80x24(snap_compare):
    assert snap_compare(app(), terminal_size=(80, 24))


def test_main_screen_160x48(snap_compare):
    assert snap_compare(app(), terminal_size=(160, 48))


def test_step_with_nat_ipv6_endpoints(snap_compare):
    # Six steps in: the IPv6 destination is rewritten to the chosen VM's private address.
    assert snap_compare(app(), press=["right"] * 6, terminal_size=(160, 48))


def test_failover_marks_the_vm_down(snap_compare):
    async def fail_web1(pilot):
        pilot.app.inject("fail_service", {"vm": "web1", "port": 80, "protocol": "Tcp",
                                          "mode": "refuse"})
        pilot.app.session.to_end()
        pilot.app.refresh_panes()
        await pilot.pause()

    assert snap_compare(app(), run_before=fail_web1, press=["3"], terminal_size=(120, 40))


def test_help_screen(snap_compare):
    assert snap_compare(app(), press=["question_mark"], terminal_size=(100, 36))


def test_command_palette(snap_compare):
    assert snap_compare(app(), press=["ctrl+p", *"jump"], terminal_size=(100, 30))


def test_lesson_mode_with_narration(snap_compare):
    lesson = Lb6App(load_scenario(library.find("lesson_1_first_dual_stack_request")))
    assert snap_compare(lesson, press=["right_square_bracket"], terminal_size=(120, 40))


def test_lesson_question_dialog(snap_compare):
    async def to_question(pilot):
        for _ in range(10):
            await pilot.press("right")
            await pilot.pause()
            if type(pilot.app.screen).__name__ == "QuestionScreen":
                return

    lesson = Lb6App(load_scenario(library.find("lesson_1_first_dual_stack_request")))
    assert snap_compare(lesson, run_before=to_question, terminal_size=(100, 30))
