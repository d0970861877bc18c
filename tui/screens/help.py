"""The `?` help screen: every key, grouped as the footer shows them."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = (
    ("Move through time", (
        ("→  n", "step forward: the next decision"),
        ("←  p", "step back"),
        ("space", "play / pause"),
        ("+  -", "play faster / slower"),
        ("home  end", "jump to the start / the scenario's end"),
        ("j", "jump to a step number or a time (e.g. 120, 1.5s, 4m)"),
        ("r", "reset: reload the scenario, forget injected events"),
    )),
    ("Change the world (applies from the current step)", (
        ("c", "a client connects (pick client, name or address, protocol, port)"),
        ("f", "fail or restore a VM's service"),
        ("v", "stop or start a VM"),
        ("s", "set a configuration value (validated, findings shown at once)"),
    )),
    ("Panes", (
        ("1 2 3 4", "show the step log, flows, probes or warnings"),
        ("/", "filter the flow table; o / O sort by the next column / reverse"),
        ("tab", "move focus; ↑ ↓ in the step log move through time"),
        ("enter / click", "on a map box: its configuration; on a warning: explanation, jump"),
    )),
    ("Lessons and comparisons", (
        ("]  [", "next / previous lesson note"),
        ("k", "return to a checkpoint"),
        ("u", "the lesson summary and score"),
        ("t", "twin-stack comparison: one request over IPv4 and over IPv6, side by side"),
        ("e / g", "in a class (lb6 serve --lead): explore on your own / rejoin the class"),
    )),
    ("Everything else", (
        ("ctrl+o", "open another scenario"),
        ("ctrl+s", "save an SVG screenshot"),
        ("ctrl+p", "command palette (every action, and the theme picker)"),
        ("?", "this help"),
        ("q", "quit"),
    )),
)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("lb6 keys", style="bold"))
            for title, rows in KEYS:
                table = Table(title=title, title_justify="left", show_header=False, box=None,
                              title_style="bold magenta", padding=(0, 2))
                table.add_column(style="bold cyan", no_wrap=True)
                table.add_column()
                for key, text in rows:
                    table.add_row(key, text)
                yield Static(table)
            yield Static(Text("Esc closes this help.", style="dim"))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
