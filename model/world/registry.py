"""Named event handlers. The heap stores handler names, not functions, so checkpoints copy
plain data and a trace never depends on object identity."""

from __future__ import annotations

from typing import Callable

HANDLERS: dict[str, Callable] = {}


def handler(name: str):
    def register(fn):
        if name in HANDLERS:
            raise RuntimeError(f"handler {name} registered twice")
        HANDLERS[name] = fn
        return fn
    return register
