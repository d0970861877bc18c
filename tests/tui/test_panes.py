"""Pilot tests for how the explorer feeds its panes (issue 14): one reactive moment bound to
every pane, one catch-up rule for hidden tabs, typed row keys, text that keeps its brackets."""

from __future__ import annotations

from lb6.model.scenario import library
from lb6.model.scenario.document import load_scenario
from lb6.tui.app import Lb6App
from lb6.tui.widgets.flowtable import FlowTable
from lb6.tui.widgets.panes import Inspector, ProbesTable, WarningsTable
from lb6.tui.widgets.rowkeys import FindingRow, TrafficWarningRow
from lb6.tui.widgets.steplog import StepLog

PANES = (Inspector, StepLog, FlowTable, ProbesTable, WarningsTable)


def make_app() -> Lb6App:
    return Lb6App(load_scenario(library.find(library.DEFAULT_SCENARIO)))


async def test_every_pane_is_bound_to_the_apps_moment():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.session.goto(5)
        app.refresh_panes()
        await pilot.pause()
        assert app.moment.position == 5 and app.moment.session is app.session
        for pane in PANES:
            assert app.query_one(pane).moment is app.moment, pane.__name__


async def test_a_hidden_step_log_catches_up_when_its_tab_is_shown():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("right")
        log = app.query_one(StepLog)
        assert log._shown == (1, 1)
        await pilot.press("2", "right", "right", "right")
        assert app.session.position == 4
        assert log._shown == (1, 1)  # hidden: not painted on every step
        await pilot.press("1")
        await pilot.pause()
        assert log._shown == (4, 4)


async def test_stepping_back_repaints_lines_not_the_whole_step_log(monkeypatch):
    """The moment is a plain `var`: a repainting reactive would redraw the whole log (and its
    scroll bar) on every step, which the partial repaint of issue 8 avoids."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("right", "right", "right")
        await pilot.pause()
        log = app.query_one(StepLog)
        whole: list[dict] = []
        original = log.refresh

        def counting(*regions, **flags):
            if not regions:
                whole.append(flags)
            return original(*regions, **flags)

        monkeypatch.setattr(log, "refresh", counting)
        await pilot.press("left")
        await pilot.pause()
        assert app.session.position == 2
        assert whole == []


async def test_warning_rows_are_keyed_by_kind():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("end", "4")
        table = app.query_one(WarningsTable)
        keys = [row.key.value for row in table.ordered_rows]
        assert keys and all(isinstance(k, (TrafficWarningRow, FindingRow)) for k in keys)
        findings = [k for k in keys if isinstance(k, FindingRow)]
        assert [k.index for k in findings] == list(range(len(app.session.findings)))


def rendered(widget) -> str:
    """What a Static shows, after any markup was applied to its content."""
    return str(widget.render())


async def test_the_flow_summary_keeps_a_bracketed_ipv6_filter():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.session.goto_time(1040)
        app.refresh_panes()
        await pilot.press("slash")
        await pilot.press(*"[2001:db8:1::10]:80")
        await pilot.pause()
        table = app.query_one(FlowTable)
        assert table._rows  # dana's IPv6 flow matches the bracketed endpoint
        assert "matching '[2001:db8:1::10]:80'" in rendered(app.query_one("#flow-summary"))
        # Whatever is typed is shown as typed: as markup, `[b]` would be taken as a style tag.
        app.query_one("#flow-filter").value = "[b]"
        await pilot.pause()
        assert "matching '[b]'" in rendered(app.query_one("#flow-summary"))


def test_a_finding_row_opens_the_finding_it_showed_even_after_the_findings_changed():
    """The warnings table keys a finding's row by the finding itself: a `set` that changes the
    configuration after the table was painted cannot make the row open another finding, or
    fail on an index that is gone."""
    from types import SimpleNamespace

    from lb6.tui.screens.forms import WarningScreen
    from lb6.tui.session import Session

    shown = Session(load_scenario(library.find("dual_stack_web_farm"))).findings[0]
    now = SimpleNamespace(findings=[])  # the findings after a change: that one is gone
    dialog = WarningScreen.for_row(now, FindingRow(0, shown))
    assert (dialog.entry.id, dialog.subject, dialog.message) == \
        (shown.id, shown.subject, shown.message)
