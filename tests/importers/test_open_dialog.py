"""The explorer's Open dialog is the same door as the command line (issue 14): it opens a
shipped scenario, an ARM template, an az CLI or a PowerShell script, and what it opens replays
exactly as `lb6 run FILE --json` does."""

from __future__ import annotations

import json

import pytest

from lb6.model.engine.runner import run_scenario, to_json
from lb6.model.inputs import open_input
from lb6.model.scenario import library
from lb6.tui.app import Lb6App

from .helpers import CLI_SCRIPT, PS_SCRIPT, TEMPLATE, main

SIZE = (160, 48)


async def open_in_dialog(app: Lb6App, pilot, target: str) -> None:
    await pilot.press("ctrl+o")
    assert type(app.screen).__name__ == "OpenScreen"
    app.screen.query_one("#path").value = target
    await pilot.click("#ok")
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("path, fmt", [(TEMPLATE, "arm"), (CLI_SCRIPT, "azcli"),
                                       (PS_SCRIPT, "powershell")],
                         ids=["arm", "azcli", "powershell"])
async def test_the_open_dialog_opens_templates_and_scripts_as_the_cli_does(path, fmt, capsys):
    app = Lb6App(open_input(library.DEFAULT_SCENARIO).scenario)
    async with app.run_test(size=SIZE) as pilot:
        await open_in_dialog(app, pilot, str(path))
        opened = app.session.scenario
        assert opened.source == str(path)
        assert app.title == f"lb6 — {opened.title}"
        notes = [n.message for n in app._notifications]
        assert any(f"as {fmt};" in m and "not modelled" in m for m in notes), notes
    capsys.readouterr()
    assert main(["run", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == to_json(run_scenario(opened))


async def test_the_open_dialog_still_lists_and_opens_shipped_scenarios():
    app = Lb6App(open_input(library.DEFAULT_SCENARIO).scenario)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        listed = [o.id for o in app.screen.query_one("#shipped").options]
        assert listed == library.names()
        await pilot.press("escape")
        await open_in_dialog(app, pilot, "ipv6_only_client")
        assert app.session.scenario.name == "ipv6_only_client"


async def test_the_open_dialog_refuses_what_the_cli_refuses_with_the_same_message(tmp_path,
                                                                                   capsys):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello\n")
    app = Lb6App(open_input(library.DEFAULT_SCENARIO).scenario)
    async with app.run_test(size=SIZE) as pilot:
        before = app.session.scenario
        await open_in_dialog(app, pilot, str(junk))
        assert app.session.scenario is before
        errors = [n.message for n in app._notifications if n.severity == "error"]
    assert main(["check", str(junk)]) == 2
    cli = " ".join(capsys.readouterr().err.split())
    assert len(errors) == 1 and cli == "lb6: " + " ".join(errors[0].split())
