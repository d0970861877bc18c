"""Pilot tests for the explorer's partial repaints (issue 8): what a step no longer redraws must
still be right when it is shown."""

from __future__ import annotations

import gc

from lb6.model.scenario import library
from lb6.model.scenario.durations import format_ms
from lb6.model.scenario.document import load_scenario
from lb6.tui import present
from lb6.tui.app import Lb6App
from lb6.model.engine.timetravel import FREEZE_AFTER
from lb6.tui.session import Session
from lb6.tui.widgets.panes import ProbesTable
from lb6.tui.widgets.steplog import StepLog


def make_app() -> Lb6App:
    return Lb6App(load_scenario(library.find(library.DEFAULT_SCENARIO)))


def line_text(log: StepLog, row: int) -> str:
    return "".join(segment.text for segment in log.render_line(row - round(log.scroll_offset.y)))


async def test_step_log_lines_follow_the_current_step():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("right", "right", "right", "left")
        log = app.query_one(StepLog)
        for n in (1, 2, 3):
            step = app.session.step_at(n)
            assert present.step_line(step, 22).plain[:40] in line_text(log, n - 1)
        # The current step's line is the highlighted one, the step after it is dimmed.
        assert log.render_line(1 - round(log.scroll_offset.y))._segments[0].style.reverse
        assert log.render_line(2 - round(log.scroll_offset.y))._segments[0].style.dim


async def test_step_log_shows_the_new_step_after_an_injection_rewrites_it():
    """The log caches lines by step number; an injection replaces the steps after the current
    one, so the cached line of the old step must not come back."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("end", "home", *["right"] * 8, "left")
        position = app.session.position
        old = app.session.step_at(position + 1)
        app.inject("fail_service", {"vm": "web1", "port": 80, "protocol": "Tcp",
                                    "mode": "refuse"})
        await pilot.pause()
        new = app.session.step_at(position + 1)
        assert new is not old
        assert present.step_line(new, 22).plain[:60] in line_text(app.query_one(StepLog), position)


async def test_probes_table_catches_up_when_shown_and_keeps_its_cursor():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("end")  # the probes tab is hidden: the table is not filled yet
        await pilot.press("3")
        table = app.query_one(ProbesTable)
        assert table.row_count == 2
        table.move_cursor(row=1)
        await pilot.press("home")
        await pilot.press("right", "right")
        assert table.row_count == 2
        assert table.cursor_row == 1  # updated in place, not rebuilt
        next_probe = [str(table.get_row_at(i)[-1]) for i in range(2)]
        now = app.session.now
        expected = []
        for ps in app.session.engine.probe_states():
            expected.append("not probed" if ps.stopped else format_ms(max(0, ps.next_ms - now)))
        assert next_probe == expected


def test_a_long_run_is_frozen_out_of_the_collector():
    """Computing many steps moves them to the permanent generation, so a full collection in a
    keypress does not rescan the trace; going back frees what it replaces (no growth)."""
    from tests.perf import generate
    gc.unfreeze()
    try:
        session = Session(generate.load(generate.load_test(1000)))
        session.to_end()
        frozen = gc.get_freeze_count()
        assert frozen > session.known > FREEZE_AFTER
        for _ in range(20):
            session.back()
        assert gc.get_freeze_count() < frozen * 1.2
    finally:
        gc.unfreeze()
