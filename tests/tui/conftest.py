"""Helpers for Pilot tests: read what a widget shows as plain text."""

from __future__ import annotations

import io

import pytest
from rich.console import Console


def plain(content) -> str:
    """Plain text of a Static's content (Rich renderable, Text or str)."""
    if isinstance(content, str):
        return content
    console = Console(width=200, file=io.StringIO(), color_system=None, record=True)
    console.print(content)
    return console.export_text()


@pytest.fixture
def shown():
    def read(widget) -> str:
        if hasattr(widget, "content"):
            return plain(widget.content)
        return str(widget.render())
    return read
