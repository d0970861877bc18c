"""Turning Rich `Text` into a Textual `Strip` for line-API views (step log, flow table)."""

from __future__ import annotations

from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip


def text_strip(console: Console, text: Text, width: int, style: Style | None = None,
               crop_from: int = 0) -> Strip:
    """One line of `text`, cropped to the visible window and padded to `width`."""
    text = text.copy()
    text.no_wrap = True
    text.end = ""
    segments = list(text.render(console))
    strip = Strip(segments).crop(crop_from, crop_from + width).extend_cell_length(width)
    if style is not None:
        strip = strip.apply_style(style)
    return strip
