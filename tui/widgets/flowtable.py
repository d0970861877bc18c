"""The flow table, in the manner of `conntrack -L`: one line per connection the load balancer
tracks, sortable by any column and filtered with `/`.

A line-API view over the engine's flows (STYLE.md's large-list rule): it keeps a sorted list of
flow references and renders only the visible lines, so 100k flows stay responsive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .. import present
from .catchup import CatchUpPane, Moment
from .linetext import text_strip


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    key: Callable
    cell: Callable


COLUMNS = (
    Column("id", 6, lambda f, now: f.id, lambda f, now: str(f.id)),
    Column("proto", 5, lambda f, now: f.proto, lambda f, now: f.proto.lower()),
    Column("original (client → frontend)", 46, lambda f, now: f.orig, lambda f, now: present.flow_tuple(f.orig)),
    Column("translated (as the VM sees it)", 46, lambda f, now: f.xlat, lambda f, now: present.flow_tuple(f.xlat)),
    Column("vm", 10, lambda f, now: f.vm, lambda f, now: f.vm),
    Column("rule", 12, lambda f, now: f.rule, lambda f, now: f.rule),
    Column("state", 11, lambda f, now: f.state, lambda f, now: f.state),
    Column("idle left", 9, lambda f, now: f.deadline_ms - now,
           lambda f, now: present.time_left(f.deadline_ms, now)[:-4]),
    Column("pkts", 6, lambda f, now: f.packets, lambda f, now: str(f.packets)),
    Column("bytes", 9, lambda f, now: f.bytes, lambda f, now: str(f.bytes)),
)
HEADER_STYLE = Style(bold=True, underline=True)
WIDTH = sum(c.width + 1 for c in COLUMNS)


class FlowTable(CatchUpPane, ScrollView, can_focus=True):
    DEFAULT_CSS = """
    FlowTable { height: 1fr; }
    """
    BINDINGS = [
        Binding("o", "sort_next", "Sort", id="flows.sort"),
        Binding("O", "sort_reverse", "Reverse", id="flows.reverse"),
        # Arrows keep stepping through time everywhere; shift+arrows scroll the wide table.
        Binding("right", "app.forward", show=False, id="flows.forward"),
        Binding("left", "app.back", show=False, id="flows.back"),
        Binding("shift+right", "scroll_right", show=False, id="flows.scroll_right"),
        Binding("shift+left", "scroll_left", show=False, id="flows.scroll_left"),
    ]

    sort_column: reactive[int] = reactive(0)
    sort_reverse: reactive[bool] = reactive(False)
    filter_text: reactive[str] = reactive("")

    class Summary(Message):
        def __init__(self, shown: int, total: int) -> None:
            self.shown = shown
            self.total = total
            super().__init__()

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._rows: list = []
        self._now = 0

    def paint(self, moment: Moment) -> None:
        """Re-read the flows at the engine's current step, sorted and filtered.

        Only while shown (`CatchUpPane`): listing, filtering and sorting 100k flows on every
        step would cost more than the step itself.
        """
        engine = moment.session.engine
        self._now = now = engine.now
        flows = engine.flows()
        total = len(flows)
        if self.filter_text:
            needle = self.filter_text.lower()
            flows = [f for f in flows if needle in self._row_text(f, now).lower()]
        column = COLUMNS[self.sort_column]
        if self.sort_column != 0 or self.sort_reverse:
            flows.sort(key=lambda f: column.key(f, now), reverse=self.sort_reverse)
        self._rows = flows
        self.virtual_size = Size(WIDTH, len(flows) + 1)
        self.refresh()
        self.post_message(self.Summary(len(flows), total))

    def _row_text(self, f, now: int) -> str:
        return " ".join(c.cell(f, now) for c in COLUMNS)

    def watch_sort_column(self) -> None:
        self.catch_up()

    def watch_sort_reverse(self) -> None:
        self.catch_up()

    def watch_filter_text(self) -> None:
        self.scroll_to(y=0, animate=False)
        self.catch_up()

    def action_sort_next(self) -> None:
        self.sort_column = (self.sort_column + 1) % len(COLUMNS)

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse

    # Page and line keys scroll at once: an animated page at 100k rows repaints the table some
    # twenty times (0.4 s of frames), and a key pressed meanwhile waits behind them.
    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)

    def action_scroll_down(self) -> None:
        self.scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.scroll_up(animate=False)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        x = self.scroll_offset.x
        if y == 0:
            header = Text()
            for i, c in enumerate(COLUMNS):
                mark = (" ▼" if self.sort_reverse else " ▲") if i == self.sort_column else ""
                header.append(f"{(c.title + mark)[:c.width]:<{c.width}} ")
            return text_strip(self.app.console, header, width, HEADER_STYLE, x)
        row = self.scroll_offset.y + y - 1
        if row >= len(self._rows):
            return Strip.blank(width)
        f = self._rows[row]
        line = Text()
        for c in COLUMNS:
            cell = c.cell(f, self._now)
            style = "cyan" if c.title == "vm" else ("yellow" if c.title == "idle left" else "")
            line.append(f"{cell[:c.width]:<{c.width}} ", style=style)
        return text_strip(self.app.console, line, width, None, x)

    def on_click(self, event: events.Click) -> None:
        if event.y != 0:
            return
        x = event.x + self.scroll_offset.x
        edge = 0
        for i, c in enumerate(COLUMNS):
            edge += c.width + 1
            if x < edge:
                if i == self.sort_column:
                    self.sort_reverse = not self.sort_reverse
                else:
                    self.sort_column = i
                return

    def on_resize(self, event: events.Resize) -> None:
        if self._stale:
            self.catch_up()
        self.refresh()
