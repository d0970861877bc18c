"""Durations in scenario files: `250ms`, `1.5s`, `4m`, `2h`, or a bare number of seconds."""

from __future__ import annotations

import math
import re

_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h)?\s*$")
# Compound durations such as 4m30s or 1h15m: every part carries its unit.
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|min|m|h)")
_COMPOUND = re.compile(r"^\s*(?:\d+(?:\.\d+)?(?:ms|s|min|m|h)){2,}\s*$")
# A day of virtual time is the longest run anything here needs; a week leaves room.
MAX_MS = 7 * 24 * 3_600_000


def parse_duration(value) -> int:
    """Milliseconds for a duration value; raises ValueError with a readable message."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 250ms, 1.5s, 4m or a number of seconds")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"duration must be zero or more, got {value}")
        ms = round(value * 1000)
    elif isinstance(value, str):
        if _COMPOUND.match(value):
            return _check_limit(value, round(sum(float(n) * _UNITS[u]
                                                 for n, u in _PART.findall(value))))
        match = _PATTERN.match(value)
        if not match:
            raise ValueError(
                f"'{value}' is not a duration; use 250ms, 1.5s, 4m, 4m30s, 2h or a number of "
                "seconds"
            )
        number, unit = match.groups()
        ms = round(float(number) * _UNITS[unit or "s"])
    else:
        raise ValueError("expected a duration such as 250ms, 1.5s, 4m or a number of seconds")
    return _check_limit(value, ms)


def _check_limit(value, ms: int) -> int:
    if ms > MAX_MS:
        raise ValueError(f"duration {value} is longer than the 7-day limit")
    return ms


def format_ms(ms: int) -> str:
    """Virtual clock as `m:ss.mmm` (or `h:mm:ss.mmm` past an hour)."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}.{millis:03d}"
    return f"{minutes}:{seconds:02d}.{millis:03d}"
