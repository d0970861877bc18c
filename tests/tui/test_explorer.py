"""Pilot tests: every control of the explorer and each pane's main behaviour."""

from __future__ import annotations

import pytest

from lb6.model.scenario import library
from lb6.model.scenario.document import load_scenario
from lb6.tui.app import Lb6App
from lb6.tui.widgets.flowtable import FlowTable
from lb6.tui.widgets.steplog import StepLog


def make_app() -> Lb6App:
    return Lb6App(load_scenario(library.find(library.DEFAULT_SCENARIO)))


async def test_step_forward_and_back_move_the_simulation():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("right", "right", "n")
        assert app.session.position == 3
        assert "step 3/3" in app.sub_title
        await pilot.press("left", "p")
        assert app.session.position == 1
        # The trace seen so far is kept: stepping back does not forget step 3.
        assert app.session.known == 3
        assert app.session.current.kind == "dns"


async def test_start_end_and_reset():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("end")
        end = app.session.position
        assert app.session.now <= app.session.scenario.duration_ms
        assert end > 40
        await pilot.press("home")
        assert app.session.position == 0
        await pilot.press("right", "right", "r")
        assert app.session.position == 0 and app.session.known == 0


async def test_jump_to_step_and_to_time(shown):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("j")
        await pilot.press(*"12", "enter")
        assert app.session.position == 12
        await pilot.press("j")
        await pilot.press(*"2.05s", "enter")
        assert app.session.current.t_ms <= 2050
        assert app.session.engine.peek() > 2050
        await pilot.press("j")
        await pilot.press(*"soon", "enter")
        assert "not a duration" in shown(app.screen.query_one("#error"))
        await pilot.press("escape")


async def test_play_advances_and_pauses():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        # 10 steps a second: the scenario's 68 steps take 6.8 s. Pilot's key press waits until
        # the app looks idle, up to a second or two while it plays; at 50 a second the whole
        # scenario played out inside that wait on a busy machine, and "playing" was over.
        await pilot.press("plus")
        await pilot.press("space")
        assert "playing" in app.sub_title
        await pilot.pause(0.4)
        await pilot.press("space")
        moved = app.session.position
        assert moved >= 3
        await pilot.pause(0.2)
        assert app.session.position == moved
        assert "playing" not in app.sub_title


async def test_step_log_click_and_keys_select_a_step():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("right", "right", "right", "right", "right")
        log = app.query_one(StepLog)
        log.focus()
        await pilot.click(StepLog, offset=(10, 1))
        assert app.session.position == 2
        await pilot.press("down", "down")
        assert app.session.position == 4


async def test_inspector_shows_nat_before_and_after_with_bracketed_ipv6(shown):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.session.goto(6)
        app.refresh_panes()
        await pilot.pause()
        body = shown(app.query_one("#inspector-body"))
        assert "translated" in body
        # The bracketed IPv6 endpoint survives rendering (STYLE.md's markup trap).
        assert "[2001:db8:1::10]:80" in body and "[fd00:10::5]:8080" in body
        assert "dst 2001:db8:1::10 → fd00:10::5" in body


async def test_backend_choice_explains_why_this_vm(shown):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        app.session.goto(5)
        app.refresh_panes()
        await pilot.pause()
        body = shown(app.query_one("#inspector-body"))
        assert "Why this VM" in body and "hash inputs" in body and "candidates" in body


async def test_map_marks_current_place_and_down_vm(shown):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press(*["right"] * 4)
        current = app.query_one("#n-frontend_fe-v6")
        assert current.has_class("-current")
        await pilot.press("f")
        await pilot.click("#ok")  # web1 Tcp 80 stops (the first service)
        await pilot.press("end")
        web1 = app.query_one("#n-vm_web1")
        assert web1.has_class("-down")
        assert "v6▼" in shown(web1)


async def test_selecting_a_map_node_shows_its_configuration(shown):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.click("#n-rule_http-v6")
        body = shown(app.query_one("#inspector-body"))
        assert "backend_port" in body and "8080" in body
        await pilot.press("escape")
        assert "At the start" in shown(app.query_one("#inspector-body"))


async def test_connect_dialog_injects_a_connection():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("c")
        await pilot.click("#ok")
        await pilot.pause()
        conn = app.session.engine.connection("live1")
        assert conn is not None
        assert app.session.current.conn == "live1"


async def test_invalid_injection_is_refused_and_state_kept():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("right", "right")
        before = app.session.position
        await pilot.press("c")
        port = app.screen.query_one("#port")
        port.value = "70000"
        await pilot.click("#ok")
        await pilot.pause()
        assert app.session.position == before
        assert any("port" in n.message and "Refused" in n.message for n in app._notifications)


async def test_set_dialog_validates_and_reports_findings():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("s")
        app.screen.query_one("#suggest").value = "load_balancer.rules.http-v4.idle_timeout_min"
        await pilot.pause()
        assert app.screen.query_one("#path").value.endswith("http-v4.idle_timeout_min")
        app.screen.query_one("#value").value = "12"
        await pilot.click("#ok")
        await pilot.pause()
        assert app.session.current.kind == "config"
        assert app.session.engine.topology.rules["http-v4"].idle_timeout_min == 12
        await pilot.press("s")
        app.screen.query_one("#path").value = "load_balancer.rules.http-v6.idle_timeout_min"
        app.screen.query_one("#value").value = "10"
        await pilot.click("#ok")
        await pilot.pause()
        assert "ipv6-idle-timeout-fixed" in app.session.current.refs.ids
        position = app.session.position
        await pilot.press("s")
        app.screen.query_one("#path").value = "load_balancer.rules.nope.idle_timeout_min"
        app.screen.query_one("#value").value = "10"
        await pilot.click("#ok")
        await pilot.pause()
        assert app.session.position == position
        assert any("no item named 'nope'" in n.message for n in app._notifications)


async def test_service_and_vm_dialogs():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("v")
        await pilot.click("#ok")
        await pilot.pause()
        assert app.session.engine.state.vm_running["web1"] is False
        await pilot.press("v")
        await pilot.click("#ok")
        await pilot.pause()
        assert app.session.engine.state.vm_running["web1"] is True
        await pilot.press("f")
        await pilot.click("#ok")
        await pilot.pause()
        assert app.session.engine.state.service_mode[("web1", "Tcp", 80)] == "refuse"


async def test_flow_table_sort_and_filter():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        # vera opens a connection held for 5 s, so it overlaps dana's IPv6 one at 1.04 s.
        assert app.inject("connect", {"client": "vera", "to": "contoso.westus.cloudapp.azure.com",
                                      "port": 80, "hold": "5s", "id": "live1"}, "live1")
        app.session.goto_time(1040)
        app.refresh_panes()
        await pilot.press("2")
        table = app.query_one(FlowTable)
        assert len(table._rows) == 2
        await pilot.press("slash")
        await pilot.press(*"203.0.113")
        assert [f.vm for f in table._rows] and all("203.0.113" in f.orig[3] for f in table._rows)
        await pilot.press("enter")
        table.focus()
        await pilot.press("o")
        assert table.sort_column == 1
        await pilot.press("O")
        assert table.sort_reverse


async def test_probes_and_warnings_panes():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("end", "3")
        probes = app.query_one("#probetable")
        assert probes.row_count == 2
        await pilot.press("4")
        warnings = app.query_one("#warningtable")
        assert warnings.row_count >= len(app.session.findings)
        warnings.focus()
        await pilot.press("enter")
        assert type(app.screen).__name__ == "WarningScreen"
        await pilot.press("escape")


async def test_warning_selection_jumps_to_the_step_that_raised_it(tmp_path):
    text = library.find("dual_stack_web_farm").read_text().replace(
        "port: 80}\n  - at: 2s", "port: 443}\n  - at: 2s", 1)
    path = tmp_path / "no_rule.yaml"
    path.write_text(text.replace("expect:", "expect: []\nx:").split("\nx:")[0])
    app = Lb6App(load_scenario(path))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("end", "home", "4")
        table = app.query_one("#warningtable")
        assert table.row_count >= 1  # warnings up to the current step only
        await pilot.press("end")
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "WarningScreen"
        await pilot.press("enter")
        await pilot.pause()
        assert "ipv6-only-rule-ports-exposed" in app.session.current.refs.ids


async def test_help_palette_open_and_screenshot(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        from textual.command import CommandPalette
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Connect")
        await pilot.pause(0.3)
        await pilot.press("escape")
        await pilot.press("ctrl+o")
        assert type(app.screen).__name__ == "OpenScreen"
        await pilot.press("escape")
        await pilot.press("ctrl+s")
        assert list(tmp_path.glob("*.svg"))


async def test_open_another_scenario_from_the_picker(tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(library.find("dual_stack_web_farm").read_text().replace(
        "title: Dual-stack web farm", "title: Another farm"))
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("ctrl+o")
        app.screen.query_one("#path").value = str(other)
        await pilot.click("#ok")
        await pilot.pause()
        assert app.session.scenario.title == "Another farm"
        await pilot.press("ctrl+o")
        app.screen.query_one("#path").value = str(tmp_path / "missing.yaml")
        await pilot.click("#ok")
        await pilot.pause()
        assert app.session.scenario.title == "Another farm"
        assert any(n.severity == "error" for n in app._notifications)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 48)])
async def test_layout_classes_follow_the_terminal_size(size):
    app = make_app()
    async with app.run_test(size=size):
        screen = app.screen
        assert screen.has_class("-stacked") == (size[0] < 140)
        assert screen.has_class("-compact") == (size[0] < 100 or size[1] < 30)


async def test_jump_to_a_time_not_yet_computed_refreshes_the_screen():
    app = Lb6App(load_scenario(library.find("dual_stack_web_farm")))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("j")
        await pilot.press(*"25s", "enter")
        await pilot.pause()
        assert app.session.position > 0
        assert f"step {app.session.position}/" in app.sub_title
