"""The `lb6` command: `main`, the entry point of the console script and of `python -m lb6`.

Cut along its jobs: `parser` (arguments and help), `console` (output, errors, opening an input
through the one door), `commands` (the headless ones), `export` (export and golden traces),
`explorer` (explore, serve, screenshot: the only ones that import Textual) and `report` (the
headless Rich report). Textual is imported only by the commands that open the explorer, so
`lb6 --help`, `lb6 run` and `lb6 check` start fast and work without a terminal.
"""

from __future__ import annotations

import os

from ...model.errors import ScenarioError
from ...model.scenario import library
from .commands import (cmd_catalogue, cmd_check, cmd_compare, cmd_import, cmd_run,
                                  cmd_scenarios, cmd_schema)
from .console import EXIT_BAD_INPUT, EXIT_OK, error
from .explorer import cmd_explore, cmd_screenshot, cmd_serve
from .export import cmd_export
from .parser import build_parser

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = {"compare": cmd_compare, "run": cmd_run, "check": cmd_check, "import": cmd_import,
            "scenarios": cmd_scenarios, "schema": cmd_schema,
            "catalogue": cmd_catalogue, "explore": cmd_explore,
            "export": cmd_export, "screenshot": cmd_screenshot, "serve": cmd_serve}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "explore"
    if command == "explore" and not hasattr(args, "target"):
        args.target = library.DEFAULT_SCENARIO
    try:
        return COMMANDS[command](args)
    except ScenarioError as exc:
        error(exc.render())
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug in lb6, not bad input: say so without a traceback
        if os.environ.get("LB6_DEBUG"):
            raise
        error(f"internal error ({type(exc).__name__}: {exc}). Set LB6_DEBUG=1 for the traceback "
              "and please report it with the scenario file.")
        return 70

