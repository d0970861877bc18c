"""Where the command line writes, and how it opens what it is given.

The Rich console (imported on first use), the one-paragraph error on stderr, the exit codes, and
`load`: an input opened through the one door (`lb6.model.inputs.open_input`), with one line on
stderr when an imported file holds things lb6 does not model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the loader (pydantic, the schema) loads when a command opens an input,
    from ...model.inputs import Loaded  # so `lb6 --help` and `lb6 schema` stay light

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def rich_console(stderr: bool = False):
    from rich.console import Console
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def error(message: str) -> None:
    """One clear paragraph on stderr; never a traceback."""
    from rich.text import Text
    text = Text("lb6: ", style="bold red")
    text.append(message)
    rich_console(stderr=True).print(text, soft_wrap=True)


def load_from(args, target: str | None = None):
    """`load` with the command's own --format and --parameters (when it has them)."""
    return load(target if target is not None else args.target,
                getattr(args, "format", None), getattr(args, "parameters", None))


def load(target: str, format: str | None = None, parameters: str | None = None):
    """The scenario in `target`: a scenario file or name, an ARM template, an az CLI or
    PowerShell script (detected from the content unless `format` says). For an imported file,
    one line on stderr says how many things it holds that lb6 does not model."""
    from ...model.inputs import open_input
    loaded = open_input(target, format, parameters)
    if loaded.format != "scenario" and loaded.notes:
        from rich.text import Text
        n = len(loaded.notes)
        again = f"lb6 check {target}" + (f" --parameters {parameters}" if parameters else "")
        rich_console(stderr=True).print(Text(
            f"lb6: read {target} as {loaded.format}; {n} thing{'s' if n != 1 else ''} not "
            f"modelled ({again} lists them)", style="dim"), soft_wrap=True)
    return loaded.scenario


def print_notes(console, loaded: Loaded, source: str) -> None:
    """What the imported file holds that lb6 does not model (info, never a failure)."""
    from rich.text import Text
    if not loaded.notes:
        return
    console.print(Text(f"Not modelled ({len(loaded.notes)}, info):", style="bold"))
    for note in loaded.notes:
        line = Text("  • ")
        line.append(note.location(source), style="dim")
        line.append(": " + note.message)
        console.print(line, soft_wrap=True)
