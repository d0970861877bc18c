"""The commands that show the explorer: explore, serve (browsers, a class) and screenshot.

Only these import Textual (and textual-serve), each inside the command, so that `lb6 check` and
`lb6 run` never pay for it (tests/test_import_hygiene.py).
"""

from __future__ import annotations

from ...model.errors import Problem, ScenarioError
from .console import EXIT_BAD_INPUT, EXIT_OK, error, load_from, rich_console
from .export import write_text, writable_path
from .report import print_result


def cmd_explore(args) -> int:
    scenario = load_from(args)
    try:
        from ..app import run_explorer
    except ImportError:  # the explorer is not built yet: replay headless instead
        from ...model.engine.runner import run_scenario
        print_result(rich_console(), run_scenario(scenario))
        rich_console().print("The interactive explorer is coming; this was the headless replay.")
        return EXIT_OK
    return run_explorer(scenario)


def cmd_serve(args) -> int:
    scenario = load_from(args)  # a bad scenario is exit 2 before anything listens
    try:
        from ..classroom.hub import Hub, new_token
        from ..classroom.server import ClassServer, ServeError, explorer_command
    except ImportError as exc:
        error(f"lb6 serve needs textual-serve, which is not installed ({exc.name} is missing): "
              "pip install 'lb6[serve]'")
        return EXIT_BAD_INPUT
    hub = Hub(join_token=new_token(), lead_token=new_token() if args.lead else None)
    server = ClassServer(explorer_command(args.target, args.format, args.parameters), hub,
                         host=args.host, port=args.port, title=scenario.title)
    try:
        server.serve()
    except ServeError as exc:
        error(f"lb6 serve: {exc}")
        return EXIT_BAD_INPUT
    return EXIT_OK


def _parse_size(text: str) -> tuple[int, int]:
    import re
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text or "")
    if not m:
        raise ScenarioError("--size", [Problem(f"'{text}' is not COLSxROWS, e.g. 120x40")])
    cols, rows = int(m.group(1)), int(m.group(2))
    if not (40 <= cols <= 400 and 12 <= rows <= 200):
        raise ScenarioError("--size", [Problem(
            f"{cols}x{rows} is out of range: columns 40-400, rows 12-200")])
    return cols, rows


def cmd_screenshot(args) -> int:
    import asyncio
    from rich.text import Text
    from ...model.engine.engine import Engine
    size = _parse_size(args.size)
    scenario = load_from(args)
    engine = Engine(scenario)
    engine.run(until=scenario.duration_ms)
    last = len(engine.records)
    step = last if args.step is None else args.step
    if not 0 <= step <= last:
        raise ScenarioError("--step", [Problem(
            f"{scenario.name} has steps 0 to {last} within its {scenario.duration_ms // 1000} s; "
            f"{step} is outside them")])
    out = writable_path(args.output or f"{scenario.name}-step{step}.svg", "screenshot")
    svg = asyncio.run(_screenshot_svg(scenario, step, size))
    write_text(str(out), svg, "screenshot")
    rich_console(stderr=True).print(Text(f"wrote {out}: the explorer at step {step}/{last}, "
                                     f"{size[0]}x{size[1]}", style="green"), soft_wrap=True)
    return EXIT_OK


async def _screenshot_svg(scenario, step: int, size: tuple[int, int]) -> str:
    from ..app import Lb6App
    app = Lb6App(scenario)
    async with app.run_test(size=size) as pilot:
        app.session.goto(step)
        app.refresh_panes()
        await pilot.pause()
        return app.export_screenshot(title=f"lb6 — {scenario.title} — step {step}")
