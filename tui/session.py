"""The explorer's view of one simulation: an engine plus the trace it has shown so far.

The engine holds the state at the current step; the session also remembers the steps already
computed beyond it, so that going back and forward again scrubs a trace the learner has seen
(replaying is deterministic, so those steps come back identical). Injecting an event changes
the future: the remembered steps past the current one are dropped.

Pure Python, no Textual: the app and its widgets read from here, and Pilot tests drive it.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from lb6.model.catalogue import Finding, check
from lb6.model.engine.engine import Engine, collector_paused
from lb6.model.scenario.document import Scenario, TimedEvent
from lb6.model.world.trace import Step

@dataclass(frozen=True)
class Moved:
    """What a navigation did: where it ended and whether anything changed."""

    position: int
    changed: bool


class Session:
    _revisions = itertools.count(1)

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        # Changes whenever known steps may have been replaced (a reset, an injection), so a
        # view that caches lines of the trace knows to drop them.
        self.revision = next(self._revisions)
        self.engine = Engine(scenario)
        self.timeline: list[Step] = []
        self._times: list[int] = []
        self._by_conn: dict[str, list[int]] = {}
        self._findings: tuple[object, list[Finding]] = (None, [])

    # ---- where we are ------------------------------------------------------------------------

    @property
    def position(self) -> int:
        return len(self.engine.records)

    @property
    def current(self) -> Step | None:
        return self.timeline[self.position - 1] if self.position else None

    @property
    def now(self) -> int:
        return self.engine.now

    @property
    def at_end(self) -> bool:
        return self.engine.peek() is None

    @property
    def findings(self) -> list[Finding]:
        """Catalogue findings for the configuration in force at the current step."""
        topology = self.engine.topology
        if self._findings[0] is not topology:
            self._findings = (topology, check(topology))
        return self._findings[1]

    @property
    def known(self) -> int:
        return len(self.timeline)

    def step_at(self, n: int) -> Step:
        return self.timeline[n - 1]

    def path_so_far(self) -> list[str]:
        """Places the current step's connection has visited, up to the current step."""
        step = self.current
        if step is None or step.conn is None:
            return [step.node] if step else []
        indexes = self._by_conn.get(step.conn, [])
        stop = bisect.bisect_right(indexes, self.position - 1)
        nodes: list[str] = []
        for i in indexes[:stop]:
            node = self.timeline[i].node
            if not nodes or nodes[-1] != node:
                nodes.append(node)
        return nodes

    def peek_next(self) -> Step | None:
        """The step that `forward()` would show next, without moving (computing it if needed)."""
        if self.position < self.known:
            return self.timeline[self.position]
        moved = self.forward()
        if not moved.changed:
            return None
        step = self.current
        self.goto(self.position - 1)
        return step

    def steps_of(self, conn: str) -> list[Step]:
        return [self.timeline[i] for i in self._by_conn.get(conn, [])]

    # ---- moving ----------------------------------------------------------------------------

    def _remember(self, step: Step) -> None:
        if step.n <= len(self.timeline):
            return  # a replay of a step already known: identical by determinism
        self.timeline.append(step)
        self._times.append(step.t_ms)
        if step.conn is not None:
            self._by_conn.setdefault(step.conn, []).append(step.n - 1)

    def forward(self, count: int = 1) -> Moved:
        start = self.position
        with collector_paused():
            for _ in range(count):
                step = self.engine.step()
                if step is None:
                    break
                self._remember(step)
        return Moved(self.position, self.position != start)

    def back(self, count: int = 1) -> Moved:
        return self.goto(self.position - count)

    def goto(self, n: int) -> Moved:
        start = self.position
        n = max(0, n)
        if n == start:
            return Moved(start, False)
        if n <= self.position or n <= self.known:
            self.engine.goto(n)  # pauses the collector and freezes what it leaves alive
            if n > self.position:
                return self.forward(n - self.position)
        else:
            self.forward(n - self.position)
        return Moved(self.position, self.position != start)

    def goto_time(self, t_ms: int) -> Moved:
        """The last step at or before `t_ms`, computing forward if it is not known yet."""
        start = self.position
        if not self._times or self._times[-1] <= t_ms:
            self.goto(self.known)
            with collector_paused():
                while (nxt := self.engine.peek()) is not None and nxt <= t_ms:
                    if not self.forward().changed:
                        break
        self.goto(bisect.bisect_right(self._times, t_ms))
        return Moved(self.position, self.position != start)

    def to_start(self) -> Moved:
        return self.goto(0)

    def to_end(self) -> Moved:
        """The scenario's end: every step up to its duration."""
        start = self.position
        moved = self.goto_time(max(self.scenario.duration_ms, self.now))
        return Moved(moved.position, moved.position != start)

    def reset(self) -> None:
        """Back to the scenario as loaded: a fresh engine, injected events forgotten."""
        self.__init__(self.scenario)

    # ---- changing the future ---------------------------------------------------------------

    def inject(self, event: TimedEvent) -> None:
        """Add an event at the current time; raises ValueError (nothing changes) if invalid."""
        self.engine.inject(event)
        self.revision = next(self._revisions)
        del self.timeline[self.position:]
        del self._times[self.position:]
        for conn, indexes in list(self._by_conn.items()):
            cut = bisect.bisect_left(indexes, self.position)
            del indexes[cut:]
            if not indexes:
                del self._by_conn[conn]
