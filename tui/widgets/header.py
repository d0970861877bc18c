"""The explorer's header: Textual's `Header`, with a title that repaints without a layout.

The status line (step, time, flows) is the app's sub-title and changes on every step. Textual's
header updates its title with a layout of the whole screen each time, yet the title's size is
fixed (one row, the header's width), so a repaint is all it needs.
"""

from __future__ import annotations

from textual.widgets import Header
from textual.widgets._header import HeaderTitle


class FixedTitle(HeaderTitle):
    """A header title whose size never depends on its text."""

    def update(self, content="", *, layout: bool = False) -> None:
        super().update(content, layout=False)


class StatusHeader(Header):
    """`Header` with a `FixedTitle`; looks the same."""

    def compose(self):
        for widget in super().compose():
            yield FixedTitle() if type(widget) is HeaderTitle else widget
