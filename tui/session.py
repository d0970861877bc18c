"""The explorer's view of one simulation: an engine, and where the learner is in its trace.

The engine keeps every step it computed, past the current one too (its timeline), so going
back and forward again scrubs a trace the learner has seen; the session holds no steps of its
own and reads them through the engine's API (`position`, `known`, `step_at`, `path_of`,
`index_of_time`). Injecting an event changes the future: the engine drops the steps past the
current one, and the session's `revision` changes so that views drop what they cached.

Pure Python, no Textual: the app and its widgets read from here, and Pilot tests drive it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..model.catalogue import Finding, check
from ..model.engine.engine import Engine
from ..model.engine.timetravel import collector_paused
from ..model.scenario.document import Scenario, TimedEvent
from ..model.world.trace import Step


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
        self._findings: tuple[object, list[Finding]] = (None, [])

    # ---- where we are ------------------------------------------------------------------------

    @property
    def position(self) -> int:
        return self.engine.position

    @property
    def current(self) -> Step | None:
        position = self.engine.position
        return self.engine.step_at(position) if position else None

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
        return self.engine.known

    def step_at(self, n: int) -> Step:
        return self.engine.step_at(n)

    def path_so_far(self) -> list[str]:
        """Places the current step's connection has visited, up to the current step."""
        step = self.current
        if step is None or step.conn is None:
            return [step.node] if step else []
        return self.engine.path_of(step.conn, self.position)

    # ---- moving ----------------------------------------------------------------------------

    def forward(self, count: int = 1) -> Moved:
        start = self.position
        with collector_paused():
            for _ in range(count):
                if self.engine.step() is None:
                    break
        return Moved(self.position, self.position != start)

    def back(self, count: int = 1) -> Moved:
        return self.goto(self.position - count)

    def goto(self, n: int) -> Moved:
        start = self.position
        n = max(0, n)
        if n == start:
            return Moved(start, False)
        if n <= self.known:
            self.engine.goto(n)  # pauses the collector and freezes what it leaves alive
        else:
            self.goto(self.known)
            self.forward(n - self.position)
        return Moved(self.position, self.position != start)

    def goto_time(self, t_ms: int) -> Moved:
        """The last step at or before `t_ms`, computing forward if it is not known yet."""
        start = self.position
        engine = self.engine
        if engine.index_of_time(t_ms) == engine.known:  # the known steps may not reach t_ms
            self.goto(engine.known)
            with collector_paused():
                while (nxt := engine.peek()) is not None and nxt <= t_ms:
                    if not self.forward().changed:
                        break
        self.goto(engine.index_of_time(t_ms))
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
