"""Lesson dialogs: a question before a step is revealed, the summary, the checkpoints, and the
twin-stack comparison."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from .. import present
from .forms import FORM_CSS, ClientForm, client_picker


class QuestionScreen(ModalScreen[str | None]):
    """Predict before you see: pick one choice (Esc skips the question)."""

    DEFAULT_CSS = FORM_CSS.format(name="QuestionScreen") + """
    QuestionScreen OptionList { height: auto; max-height: 10; }
    """
    BINDINGS = [Binding("escape", "skip", "Skip", id="question.skip")]

    def __init__(self, question, number: int, total: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.question = question
        self.number = number
        self.total = total

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Question {self.number} of {self.total} — predict, then see",
                              style="bold"), classes="title")
            yield Static(Text(self.question.text))
            yield OptionList(*[Option(Text(c), id=str(i)) for i, c in enumerate(self.question.choices)],
                             id="choices")
            yield Static(Text("Enter answers, Esc skips.", style="dim"))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.question.choices[int(event.option.id)])

    def action_skip(self) -> None:
        self.dismiss(None)


class SummaryScreen(ModalScreen[None]):
    DEFAULT_CSS = FORM_CSS.format(name="SummaryScreen") + """
    SummaryScreen > VerticalScroll { width: 100; max-width: 96%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,enter", "close", "Close", id="summary.close")]

    def __init__(self, lesson, **kwargs) -> None:
        super().__init__(**kwargs)
        self.lesson = lesson

    def compose(self) -> ComposeResult:
        right, asked = self.lesson.score
        table = present.answers_table(self.lesson.questions, self.lesson.answers)
        with VerticalScroll():
            yield Static(Text(f"Lesson summary: {right} of {asked} predictions right "
                              f"({len(self.lesson.questions)} questions in the lesson)",
                              style="bold"), classes="title")
            yield Static(table)
            with Horizontal():
                yield Button("Close", id="close")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class CheckpointScreen(ModalScreen[int | None]):
    DEFAULT_CSS = FORM_CSS.format(name="CheckpointScreen") + """
    CheckpointScreen OptionList { height: auto; max-height: 12; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="checkpoint.close")]

    def __init__(self, checkpoints, **kwargs) -> None:
        super().__init__(**kwargs)
        self.checkpoints = checkpoints

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Return the class to a checkpoint", style="bold"), classes="title")
            yield OptionList(*[Option(present.checkpoint_label(c.name, c.at), id=str(c.at))
                               for c in self.checkpoints])

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    def action_close(self) -> None:
        self.dismiss(None)


class CompareAskScreen(ClientForm):
    """Which request to trace over both families."""

    DEFAULT_CSS = FORM_CSS.format(name="CompareAskScreen")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Twin-stack comparison: the same request over IPv4 and IPv6",
                         classes="title")
            yield from client_picker(self.clients)
            yield Label("DNS name and port (NAME:PORT)")
            yield Input(value=f"{self.names[0]}:80" if self.names else "", id="to")
            yield Static("", id="error", classes="error")
            yield from self.buttons()

    def submit(self) -> None:
        client = self.query_one("#client", Select).value
        name, _, port = self.query_one("#to", Input).value.strip().rpartition(":")
        if client is Select.BLANK:
            self.show_error("no dual-stack client in this scenario")
        elif not name or not port.isdigit():
            self.show_error("to: expected NAME:PORT, e.g. www.example.com:80")
        else:
            self.dismiss((str(client), name, int(port)))


class CompareScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    CompareScreen { align: center middle; }
    CompareScreen > VerticalScroll { width: 96%; height: 90%; border: thick $primary;
        background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="compare.close")]

    def __init__(self, renderable, **kwargs) -> None:
        super().__init__(**kwargs)
        self.renderable = renderable

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.renderable)
            yield Static(Text("Esc closes.", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
