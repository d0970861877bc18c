"""Small measuring tools shared by the benchmarks: timers, percentiles, memory."""

from __future__ import annotations

import gc
import resource
import sys
import time
import types
from collections.abc import Iterable


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (0-100) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def peak_rss_bytes() -> int:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize()


_SKIP = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
         types.MethodType, types.CodeType)


def deep_size(roots: Iterable, seen: set[int]) -> int:
    """Bytes of every object reachable from `roots` not already in `seen` (which grows).

    Follows containers, `__slots__` and `__dict__`; classes, modules and functions are not
    counted. Objects shared with something measured earlier (interned strings, a shared Refs)
    count once, where they were first met.
    """
    total = 0
    stack = list(roots)
    getsizeof = sys.getsizeof
    while stack:
        obj = stack.pop()
        oid = id(obj)
        if oid in seen or isinstance(obj, _SKIP):
            continue
        seen.add(oid)
        total += getsizeof(obj)
        if isinstance(obj, (str, bytes, int, float, bool)) or obj is None:
            continue
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
            continue
        if isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
            continue
        for cls in type(obj).__mro__:
            for name in cls.__dict__.get("__slots__", ()):
                value = getattr(obj, name, None)
                if value is not None:
                    stack.append(value)
        d = getattr(obj, "__dict__", None)
        if d is not None:
            stack.append(d)
    return total


class Windows:
    """Cost of a long run by ranges of steps, from (steps so far, CPU seconds) samples."""

    def __init__(self):
        self.samples: list[tuple[int, float]] = [(0, 0.0)]
        self._start = time.process_time()

    def sample(self, steps: int) -> None:
        self.samples.append((steps, time.process_time() - self._start))

    def _cpu_at(self, steps: int) -> float:
        """CPU seconds when the run reached `steps`, interpolated between samples."""
        prev = self.samples[0]
        for cur in self.samples[1:]:
            if cur[0] >= steps:
                if cur[0] == prev[0]:
                    return cur[1]
                return prev[1] + (cur[1] - prev[1]) * (steps - prev[0]) / (cur[0] - prev[0])
            prev = cur
        return prev[1]

    def mean_us(self, first: int, last: int) -> float | None:
        """Mean µs per step over steps [first, last); None past the end of the run."""
        if last > self.samples[-1][0] or last <= first:
            return None
        return (self._cpu_at(last) - self._cpu_at(first)) / (last - first) * 1e6


def collect() -> None:
    gc.collect()
