"""The step log: every step of the trace, fast at a million lines.

A line-API scroll view (as toolong's log view): it renders only the visible lines, straight from
the session's list of steps, so its cost does not depend on the length of the trace. Steps past
the current one (already computed, shown again when you step forward) are dimmed.
"""

from __future__ import annotations

from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .. import present
from .catchup import CatchUpPane, Moment
from .linetext import text_strip

CURRENT = Style(reverse=True, bold=True)
FUTURE = Style(dim=True)


class StepLog(CatchUpPane, ScrollView, can_focus=True):
    """The trace so far; Enter or a click moves the simulation to that step."""

    DEFAULT_CSS = """
    StepLog { height: 1fr; overflow-x: hidden; }
    """
    BINDINGS = [
        Binding("up", "cursor(-1)", "Prev line", show=False, id="log.up"),
        Binding("down", "cursor(1)", "Next line", show=False, id="log.down"),
        Binding("pageup", "cursor(-20)", show=False, id="log.pageup"),
        Binding("pagedown", "cursor(20)", show=False, id="log.pagedown"),
        # The scroll view's own home/end would only scroll; here they move through time.
        Binding("home", "app.start", show=False, id="log.home"),
        Binding("end", "app.end", show=False, id="log.end"),
    ]

    class Selected(Message):
        """The user picked a step in the log."""

        def __init__(self, n: int) -> None:
            self.n = n
            super().__init__()

    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self._session = session
        self._cache: dict[tuple, Strip] = {}
        self._shown: tuple[int, int] | None = None  # (position, known) last painted
        self._revision = session.revision

    @property
    def session(self):
        return self._session

    @session.setter
    def session(self, session) -> None:
        """Another scenario opened: nothing painted or cached is valid."""
        self._session = session
        self._revision = session.revision
        self._cache.clear()
        self._shown = None

    def paint(self, moment: Moment) -> None:
        """Resize to the known trace, keep the current step in view, repaint what changed.

        A step changes two lines (the old current one and the new), so only those are
        repainted (scrolling repaints the view by itself): repainting the whole log would redraw
        its scroll bar too, a good share of a keypress.
        """
        if moment.session is not self._session:
            self.session = moment.session
        session = self.session
        position, total = session.position, session.known
        self.virtual_size = Size(self.size.width, max(total, 1))
        if len(self._cache) > 1000:  # a few screens; each strip is a dozen objects to the GC
            self._cache.clear()
        if session.revision != self._revision:  # a reset or an injection rewrote the future
            self._revision = session.revision
            self._cache.clear()
            self._shown = None
        shown, self._shown = self._shown, (position, total)
        if not self._keep_current_in_view():
            self.call_after_refresh(self._keep_current_in_view)
        if shown is None or total < shown[1]:
            self.refresh()
            return
        # Rows (0-based) whose step changed state: from the earlier current step to the later
        # one, and any steps newly computed at the end.
        start, end = max(min(shown[0], position) - 1, 0), max(shown[0], position)
        if total != shown[1]:
            start, end = min(start, shown[1]), total
        # Only rows in view: a jump's range can be 100k rows (Textual marks each dirty).
        top = round(self.scroll_offset.y)
        start, end = max(start, top), min(end, top + self.scrollable_content_region.height)
        if start < end:
            self.refresh_lines(start, end - start)

    def _keep_current_in_view(self) -> bool:
        """Scroll so the current step shows; False if the view is not laid out yet."""
        position = self.session.position
        height = self.scrollable_content_region.height
        if not position:
            return True
        if height <= 0:
            return False
        row = position - 1
        top = round(self.scroll_offset.y)
        if top <= row < top + height:
            return True
        self.scroll_to(y=max(0, row - height // 2), animate=False)
        top = round(self.scroll_offset.y)
        return top <= row < top + height

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        row = self.scroll_offset.y + y
        session = self.session
        if row >= session.known:
            return Strip.blank(width)
        n = row + 1
        position = session.position
        state = 1 if n == position else (2 if n > position else 0)
        key = (n, state, width)
        strip = self._cache.get(key)
        if strip is None:
            step = session.step_at(n)
            style = CURRENT if state == 1 else (FUTURE if state == 2 else None)
            node_width = 22 if width >= 100 else 16
            strip = text_strip(self.app.console, present.step_line(step, node_width), width, style)
            self._cache[key] = strip
        return strip

    def on_resize(self, event: events.Resize) -> None:
        self._cache.clear()
        self._shown = None
        self.catch_up()

    def on_click(self, event: events.Click) -> None:
        row = self.scroll_offset.y + event.y
        if 0 <= row < self.session.known:
            self.post_message(self.Selected(row + 1))

    def action_cursor(self, delta: int) -> None:
        target = min(max(self.session.position + delta, 0), self.session.known + (1 if delta > 0 else 0))
        self.post_message(self.Selected(target))
