"""The headless Rich report: a replay's trace, tables and verdicts, and a golden trace's diff.

Formatting of steps, flows and findings comes from `lb6.tui.present`, the one formatting place;
this module only lays those pieces out for a terminal or a pipe.
"""

from __future__ import annotations

import json
from pathlib import Path

def print_result(console, result, quiet: bool = False) -> None:
    from rich.rule import Rule
    from rich.text import Text
    from .. import present
    eng = result.engine
    sc = result.scenario
    console.print(Rule(Text(f"{sc.title}  ({sc.name}, seed {eng.seed})"), align="left"))
    if not quiet:
        if console.color_system is None:
            # A pipe or a file (CI, `> trace.txt`): Rich would emit each line's plain text, so
            # write that directly; printing 7,000 lines one by one through Rich takes a second.
            console.file.write("".join(present.step_plain(step) + "\n" for step in eng.records))
        else:
            for step in eng.records:
                console.print(present.step_line(step), soft_wrap=True)
        flows = eng.flows()
        if flows:
            console.print(present.flows_table(flows[:200], eng.now))
        if eng.probe_states():
            console.print(present.probes_table(eng.probe_states(), eng.now))
        if eng.warnings():
            console.print(present.warnings_table(eng.warnings()))
    if result.verdicts:
        console.print(Text("Expectations", style="bold"))
        for v in result.verdicts:
            console.print(present.verdict_line(v), soft_wrap=True)
    status = Text("PASS" if result.passed else "FAIL",
                  style="bold green" if result.passed else "bold red")
    console.print(Text.assemble(status, f"  {sc.name}: {len(eng.records)} steps, "
                                        f"{sum(v.passed for v in result.verdicts)}/"
                                        f"{len(result.verdicts)} expectations, "
                                        f"{failed_connections(result)}"), soft_wrap=True)


def failed_connections(result) -> str:
    """`2 of 6 connections failed (dropped-nsg 2)`: the summary line's word on connections, so
    `run -q` shows a drop that no expectation pins (the `--json` document already lists them)."""
    from ...model.engine.runner import tally_connections
    tally = tally_connections(result.engine)
    text = f"{tally.failed} of {tally.total} connection{'s' if tally.total != 1 else ''} failed"
    if tally.dispositions:
        text += " (" + ", ".join(f"{d} {n}" for d, n in tally.dispositions) + ")"
    return text


def golden_table(diff, golden_name: str):
    """The differing item, golden and replay side by side; changed fields marked."""
    from rich.table import Table
    from rich.text import Text
    table = Table(title=Text(diff.label), title_justify="left", show_lines=False, expand=True)
    table.add_column("", width=1, no_wrap=True)
    table.add_column("field", no_wrap=True)
    table.add_column(f"golden ({Path(golden_name).name})", overflow="fold", ratio=1)
    table.add_column("replay", overflow="fold", ratio=1)
    keys = list(dict.fromkeys(list(diff.golden or {}) + list(diff.replay or {})))
    for key in keys:
        old = "—" if diff.golden is None else _cell(diff.golden.get(key, "(absent)"))
        new = "—" if diff.replay is None else _cell(diff.replay.get(key, "(absent)"))
        changed = key in diff.fields or diff.golden is None or diff.replay is None
        style = "bold red" if changed else "dim"
        table.add_row(Text("≠" if changed else "", style=style), Text(key, style=style),
                      Text(old, style="" if changed else "dim"),
                      Text(new, style="" if changed else "dim"))
    return table


def _cell(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
