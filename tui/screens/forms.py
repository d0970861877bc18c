"""Dialogs that ask for something: a jump target, an event to inject, a scenario to open.

Each returns its answer through `dismiss`; the app validates it with the same pydantic models
as the scenario file, so a bad value is refused with a message naming the field.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from ...model.catalogue import CATALOGUE
from .. import present
from ..widgets.rowkeys import FindingRow, TrafficWarningRow, WarningRow

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 72; max-width: 96%; height: auto; max-height: 95%;
    border: thick $primary; background: $surface; padding: 0 1; }}
{name} Label {{ margin-top: 1; }}
{name} .title {{ text-style: bold; }}
{name} .error {{ color: $error; }}
{name} Horizontal {{ height: auto; margin-top: 1; }}
{name} Button {{ margin-right: 2; }}
"""


class AnswerOnce:
    """A dialog that answers once, however many Enters or clicks are queued.

    A second Enter can arrive before the first closed the dialog: its message reaches the
    screen after it left the stack, and dismissing again would pop the screen under it (found by
    tests/tui/test_monkey.py: ScreenStackError, or a second dialog closed by the first one's
    echo).
    """

    def dismiss(self, result=None):
        if not self.is_active:
            return AwaitComplete.nothing()
        return super().dismiss(result)


class Form(AnswerOnce, ModalScreen[Any]):
    """Base: Escape cancels, the OK button (or Enter in the last field) submits."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="form.cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)

    def buttons(self) -> ComposeResult:
        with Horizontal():
            yield Button("OK", variant="primary", id="ok")
            yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.submit()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.submit()

    def submit(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        self.query_one("#error", Static).update(message)


class JumpScreen(Form):
    """Jump to a step number (`120`) or a time (`1.5s`, `4m`)."""

    DEFAULT_CSS = FORM_CSS.format(name="JumpScreen")
    AUTO_FOCUS = "#target"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Jump to a step or a time", classes="title")
            yield Label("Step number, or a time such as 250ms, 1.5s, 4m")
            yield Input(placeholder="120  or  1.5s", id="target")
            yield Static("", id="error", classes="error")
            yield from self.buttons()

    def submit(self) -> None:
        from ...model.scenario.durations import parse_duration
        text = self.query_one("#target", Input).value.strip()
        if not text:
            self.show_error("type a step number (120) or a time (1.5s, 4m)")
            return
        if text.isdigit():
            self.dismiss(("step", int(text)))
            return
        try:
            self.dismiss(("time", parse_duration(text)))
        except ValueError as exc:
            self.show_error(str(exc))


def _options(values) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


def client_picker(clients: list[str]) -> ComposeResult:
    """A labelled Select of client names, the first one chosen (shared by two dialogs)."""
    yield Label("Client")
    yield Select(_options(clients), value=clients[0] if clients else Select.BLANK,
                 id="client", allow_blank=not clients)


class ClientForm(Form):
    """A dialog that asks for a client and a destination name."""

    def __init__(self, clients: list[str], names: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.clients = clients
        self.names = names


class ConnectScreen(ClientForm):
    """A client connects: returns the `connect` mapping of a timeline entry."""

    DEFAULT_CSS = FORM_CSS.format(name="ConnectScreen")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("A client connects", classes="title")
            yield from client_picker(self.clients)
            yield Label("To: a DNS name or an address")
            yield Input(value=self.names[0] if self.names else "", id="to")
            yield Label("Protocol")
            yield Select(_options(["Tcp", "Udp", "Icmp"]), value="Tcp", id="protocol", allow_blank=False)
            yield Label("Port")
            yield Input(value="80", id="port")
            yield Static("", id="error", classes="error")
            yield from self.buttons()

    def submit(self) -> None:
        client = self.query_one("#client", Select).value
        port = self.query_one("#port", Input).value.strip()
        self.dismiss({
            "client": None if client is Select.BLANK else client,
            "to": self.query_one("#to", Input).value.strip(),
            "protocol": self.query_one("#protocol", Select).value,
            "port": int(port) if port.isdigit() else port,
        })


class ServiceScreen(Form):
    """Fail or restore a VM's service: returns (kind, mapping)."""

    DEFAULT_CSS = FORM_CSS.format(name="ServiceScreen")

    def __init__(self, services: list[tuple[str, str, int]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.services = services  # (vm, protocol, port)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Fail or restore a service", classes="title")
            yield Label("Service")
            opts = [(f"{vm} {proto} {port}", f"{vm}|{proto}|{port}") for vm, proto, port in self.services]
            yield Select(opts, value=opts[0][1] if opts else Select.BLANK, id="service",
                         allow_blank=not opts)
            yield Label("What happens")
            yield Select([("stop: refuse connections (RST)", "refuse"),
                          ("hang: answer nothing", "hang"),
                          ("answer HTTP 500", "http_500"),
                          ("restore: healthy again", "restore")], value="refuse", id="mode",
                         allow_blank=False)
            yield Static("", id="error", classes="error")
            yield from self.buttons()

    def submit(self) -> None:
        value = self.query_one("#service", Select).value
        if value is Select.BLANK:
            self.show_error("this scenario has no services")
            return
        vm, proto, port = str(value).split("|")
        mode = self.query_one("#mode", Select).value
        body = {"vm": vm, "protocol": proto, "port": int(port)}
        if mode == "restore":
            self.dismiss(("restore_service", body))
        else:
            self.dismiss(("fail_service", {**body, "mode": mode}))


class VmPowerScreen(Form):
    DEFAULT_CSS = FORM_CSS.format(name="VmPowerScreen")

    def __init__(self, vms: list[tuple[str, bool]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.vms = vms

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Stop or start a VM", classes="title")
            yield Label("VM (its current state in brackets)")
            opts = [(f"{name} ({'running' if running else 'stopped'})", name) for name, running in self.vms]
            yield Select(opts, value=opts[0][1] if opts else Select.BLANK, id="vm", allow_blank=not opts)
            yield Static("", id="error", classes="error")
            yield from self.buttons()

    def submit(self) -> None:
        name = self.query_one("#vm", Select).value
        if name is Select.BLANK:
            self.show_error("no VM chosen")
            return
        running = dict(self.vms)[name]
        self.dismiss(("stop_vm" if running else "start_vm", {"vm": name}))


class SetScreen(Form):
    """Change one configuration value: a dotted path and a YAML value."""

    DEFAULT_CSS = FORM_CSS.format(name="SetScreen")
    AUTO_FOCUS = "#path"  # keyboard users type the path; the list is there for the mouse

    def __init__(self, examples: list[str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.examples = examples

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Change a configuration value", classes="title")
            yield Label("Common settings (or type any path below)")
            yield Select(_options(self.examples), id="suggest", prompt="pick a setting")
            yield Label("Path (list items by name, e.g. nsgs.NAME.rules.RULE.access)")
            yield Input(placeholder=self.examples[0] if self.examples else "", id="path")
            yield Label("Value (YAML: 10, Deny, SourceIP, {priority: 100, ...})")
            yield Input(id="value")
            yield Static("", id="error", classes="error")
            yield from self.buttons()

    @on(Select.Changed, "#suggest")
    def _suggest(self, event: Select.Changed) -> None:
        if event.value is not Select.BLANK:
            self.query_one("#path", Input).value = str(event.value)
            self.query_one("#value", Input).focus()

    def submit(self) -> None:
        import yaml
        path = self.query_one("#path", Input).value.strip()
        raw = self.query_one("#value", Input).value
        if not path:
            self.show_error("path: pick a setting or type a path")
            return
        try:
            value = yaml.safe_load(raw) if raw.strip() else None
        except yaml.YAMLError as exc:
            self.show_error(f"value: not valid YAML ({getattr(exc, 'problem', exc)})")
            return
        self.dismiss(("set", {"path": path, "value": value}))


class OpenScreen(Form):
    """Open a shipped scenario, or a file in any format lb6 reads (a scenario, an ARM template,
    an az CLI or PowerShell script); the app opens the answer through `open_input`."""

    DEFAULT_CSS = FORM_CSS.format(name="OpenScreen") + """
    OpenScreen OptionList { height: auto; max-height: 14; }
    """

    def __init__(self, shipped: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.shipped = shipped  # (name, title)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Open a scenario", classes="title")
            yield OptionList(*[Option(f"{name} — {title}", id=name) for name, title in self.shipped],
                             id="shipped")
            yield Label("…or a file: a scenario, an ARM template, an az CLI or PowerShell script")
            yield Input(placeholder="path/to/scenario.yaml or azuredeploy.json", id="path")
            yield Static("", id="error", classes="error")
            yield from self.buttons()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def submit(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if path:
            self.dismiss(path)
            return
        ol = self.query_one("#shipped", OptionList)
        if ol.highlighted is not None:
            self.dismiss(self.shipped[ol.highlighted][0])
        else:
            self.show_error("pick a scenario or type a path")


class WarningScreen(AnswerOnce, ModalScreen[int | None]):
    """A catalogue entry explained, with the steps that raised it; picking one jumps there."""

    DEFAULT_CSS = FORM_CSS.format(name="WarningScreen") + """
    WarningScreen OptionList { height: auto; max-height: 12; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="warning.close")]

    def __init__(self, entry, subject: str, message: str, steps: list[tuple[int, str]], **kwargs):
        """`steps`: (number, reason) of each step that raised the warning."""
        super().__init__(**kwargs)
        self.entry = entry
        self.subject = subject
        self.message = message
        self.steps = steps

    @classmethod
    def for_row(cls, session, key: WarningRow) -> WarningScreen:
        """The dialog for a picked row of the warnings table: a traffic warning with the steps
        (up to the current one) that raised it, or a configuration finding."""
        match key:
            case TrafficWarningRow(id=wid, subject=subject):
                raised = [w for w in session.engine.warnings() if w.id == wid
                          and w.subject == subject and w.n <= session.position]
                steps = [(w.n, session.step_at(w.n).reason) for w in raised[:50]]
                message = raised[0].message if raised else ""
            case FindingRow(finding=finding):
                wid, subject, message, steps = finding.id, finding.subject, finding.message, []
            case _:
                raise TypeError(f"not a row of the warnings table: {key!r}")
        return cls(CATALOGUE[wid], subject, message, steps)

    def compose(self) -> ComposeResult:
        from rich.text import Text
        with Vertical():
            yield Static(Text(f"{self.entry.id} — {self.entry.title}"), classes="title")
            yield Static(Text(f"{self.subject}: {self.message}"))
            yield Static(Text(self.entry.explanation))
            yield Static(Text(f"facts {', '.join(map(str, self.entry.facts))} · kind {self.entry.kind}",
                              style="dim"))
            if self.steps:
                yield Label("Raised at (Enter jumps there)")
                yield OptionList(*[Option(present.raised_at(n, reason), id=str(n))
                                   for n, reason in self.steps])
            else:
                yield Static(Text("A configuration finding: no step raised it.", style="dim"))
            with Horizontal():
                yield Button("Close", id="close")

    @on(OptionList.OptionSelected)
    def _jump(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
