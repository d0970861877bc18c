"""The engine's timeline: every step it computed, the one store of steps in lb6.

The steps themselves sit compactly in a `trace.StepLog`; beside them the timeline keeps two
small indexes the explorer asks for at every repaint: the time of each step (an `array('q')`,
8 bytes a step) and, per connection, the numbers of its steps (an `array('I')`, 4 bytes a
step). The explorer, the lessons, the twin-stack comparison and the exporters read steps from
here through the engine (`step_at`, `steps_of`, `index_of_time`, `records`), never a copy.

A replay (a goto that recomputes steps already known) is checked against what was stored:
determinism is the product's promise, so a step that comes back different is a bug, raised as
`ReplayDiverged` with both versions.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from array import array
from collections.abc import Sequence

from ..errors import InternalError
from ..world.trace import Step, StepLog


class ReplayDiverged(InternalError):
    """A replayed step differs from the one recorded the first time: the engine is not
    deterministic somewhere (state that time travel did not put back, an unseeded choice)."""

    def __init__(self, stored: Step, replayed: Step):
        self.n = stored.n
        self.stored = stored
        self.replayed = replayed
        fields = [name for name in Step.__slots__
                  if getattr(stored, name) != getattr(replayed, name)]
        diff = "; ".join(f"{name}: stored {getattr(stored, name)!r}, replayed "
                         f"{getattr(replayed, name)!r}" for name in fields) \
            or "the digest of its texts differs"
        super().__init__(f"step {self.n} came back different on a replay ({diff})")


class Timeline:
    """Every step computed, in order (1-based numbers), with its time and connection indexes."""

    __slots__ = ("log", "times", "by_conn")

    def __init__(self):
        self.log = StepLog()
        self.times = array("q")
        self.by_conn: dict[str, array] = {}

    def __len__(self) -> int:
        return len(self.log)

    def record(self, step: Step) -> None:
        """Keep `step`: the next one (its number is one past the last known) or a replay of a
        known one, which must be equal to it."""
        if step.n > len(self.log):
            self.log.append(step)
            self.times.append(step.t_ms)
            if step.conn is not None:
                numbers = self.by_conn.get(step.conn)
                if numbers is None:
                    numbers = self.by_conn[step.conn] = array("I")
                numbers.append(step.n)
        elif not self.log.same(step.n - 1, step):
            raise ReplayDiverged(self.log[step.n - 1], step)

    def step_at(self, n: int) -> Step:
        """Step `n` (1-based); IndexError outside 1..len."""
        if not 1 <= n <= len(self.log):
            raise IndexError(f"no step {n}: {len(self.log)} known")
        return self.log[n - 1]

    def numbers_of(self, conn: str) -> Sequence[int]:
        """The numbers of the steps of connection `conn`, in order."""
        return self.by_conn.get(conn, ())

    def steps_of(self, conn: str) -> list[Step]:
        return [self.log[n - 1] for n in self.numbers_of(conn)]

    def path_of(self, conn: str, until: int) -> list[str]:
        """The places connection `conn` visited in its steps up to step `until`, each run of
        steps at one place once (read without decoding the steps' texts)."""
        numbers = self.numbers_of(conn)
        nodes: list[str] = []
        for n in itertools.islice(numbers, bisect.bisect_right(numbers, until)):
            node = self.log.node_at(n - 1)
            if not nodes or nodes[-1] != node:
                nodes.append(node)
        return nodes

    def index_of_time(self, t_ms: int) -> int:
        """How many known steps are at or before `t_ms` (steps are in time order)."""
        return bisect.bisect_right(self.times, t_ms)

    def forget_from(self, position: int) -> None:
        """Drop the steps after `position`: an injection changed that future."""
        del self.log[position:]
        del self.times[position:]
        for conn, numbers in list(self.by_conn.items()):
            cut = bisect.bisect_right(numbers, position)
            if cut < len(numbers):
                del numbers[cut:]
                if not numbers:
                    del self.by_conn[conn]


class Records(Sequence):
    """The steps up to an engine's current one, read-only. A view over its timeline, so that
    going back or forward moves an index instead of a million list entries."""

    __slots__ = ("_engine",)

    def __init__(self, engine):
        self._engine = engine

    def __len__(self) -> int:
        return self._engine.position

    def __getitem__(self, i):
        n = self._engine.position
        log = self._engine.timeline.log
        if isinstance(i, slice):
            return log[slice(*i.indices(n))]
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("step index out of range")
        return log[i]

    def __iter__(self):
        return itertools.islice(self._engine.timeline.log, self._engine.position)

    def __eq__(self, other) -> bool:
        if not isinstance(other, (Records, list, tuple)):
            return NotImplemented
        return len(self) == len(other) and all(map(operator.eq, self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} steps>"
