"""The stepping engine: a SimPy-shaped environment that makes one decision per `step()`.

Vocabulary as in SimPy's `Environment`: `now`, `schedule`, `peek`, `step`, `run(until=...)`; a
heap ordered by (time, sequence number) so that ties run in the order they were scheduled and a
run is deterministic. Time is virtual, in integer milliseconds; every random choice draws from a
`random.Random` seeded by the scenario.

Each `step()` pops events until one makes a decision and records a frozen `Step`. Going back in
time (`back()`, `goto(n)`) restores the nearest checkpoint and replays: checkpoints are taken at
an interval that grows with the size of the state, so their cost per step stays constant. A
checkpoint is a `State.clone()` (records copied field by field, immutable values shared), not a
`copy.deepcopy`. Going back keeps the steps and checkpoints ahead, so a jump forward again
starts from the nearest checkpoint too; only an injection changes the future and drops them.
"""

from __future__ import annotations

import bisect
import gc
import heapq
from contextlib import contextmanager
from typing import Iterable

from . import events as _events  # noqa: F401  (registers handlers)
from . import probing as _probing  # noqa: F401
from . import traffic as _traffic  # noqa: F401
from .health import ProbeState
from .packet import Packet
from .registry import HANDLERS
from .scenario import Scenario, TimedEvent
from .state import Conn, State
from .trace import NO_REFS, RaisedWarning, Refs, Step

# A checkpoint at least every CHECKPOINT_MIN_STEPS steps, and no more often than every
# CHECKPOINT_FACTOR times the state's size: copying then costs O(1) per step, and going back
# replays at most that many steps. (Measured in tests/perf: a step costs as much as copying
# 10-20 flows, so a bigger factor would trade memory for little time.)
CHECKPOINT_MIN_STEPS = 1000
CHECKPOINT_FACTOR = 4


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector for a long run of steps, as `timeit` does.

    A run allocates millions of long-lived records and no reference cycles, yet the
    collector keeps rescanning them: a third or more of a 100k-flow run (tests/perf).
    Reference counting still frees everything; cycles made meanwhile wait for the next
    collection after the run.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Engine:
    def __init__(self, scenario: Scenario, seed: int | None = None):
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.records: list[Step] = []
        self.state = State(scenario.topology, scenario.raw, self.seed)
        self._bootstrap()
        self._checkpoints: list[tuple[int, State]] = [(0, self.state.clone())]
        self._marks: list[int] = [0]        # the checkpoints' step numbers, for bisect
        self._ahead: list[Step] = []        # steps already computed past this one, last first
        # Steps share equal node names and refs: a million steps repeat a few hundred values.
        self._names: dict[str, str] = {}
        self._refs: dict[tuple, Refs] = {}
        self._seen: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._since_checkpoint = 0
        # (step it follows, virtual time it was made at, event)
        self._injections: list[tuple[int, int, TimedEvent]] = []

    # ---- SimPy-shaped core ----------------------------------------------------------------

    @property
    def now(self) -> int:
        return self.state.now

    @property
    def topology(self):
        return self.state.topology

    def schedule(self, at_ms: int, name: str, *args) -> None:
        """Run handler `name` with `args` at virtual time `at_ms` (never in the past)."""
        s = self.state
        s.seq += 1
        heapq.heappush(s.heap, (max(at_ms, s.now), s.seq, name, args))

    def peek(self) -> int | None:
        """Time of the next event, or None when nothing is scheduled."""
        return self.state.heap[0][0] if self.state.heap else None

    def step(self, until: int | None = None) -> Step | None:
        """Process events until one records a decision; return it (None when idle).

        With `until`, stop before any event later than that time, so that silent events
        (ticks that record nothing) can never carry the clock past it.
        """
        s = self.state
        start = len(self.records)
        if s.injected_applied < len(self._injections):
            self._apply_injections()
        while s.heap and len(self.records) == start and (until is None or s.heap[0][0] <= until):
            at, _, name, args = heapq.heappop(s.heap)
            s.now = at
            HANDLERS[name](self, *args)
        if len(self.records) == start:
            return None
        if self._ahead:
            self._ahead.pop()  # computed again, identical by determinism
        self._since_checkpoint += 1
        # The state is measured only past the minimum spacing: most steps skip it.
        if self._since_checkpoint >= CHECKPOINT_MIN_STEPS and \
                self._since_checkpoint >= CHECKPOINT_FACTOR * self._state_size():
            self._checkpoint()
        return self.records[-1]

    def run(self, until: int | None = None) -> list[Step]:
        """Step until the next event is later than `until` (ms) or nothing is left."""
        out = []
        with collector_paused():
            while self.state.heap and (until is None or self.state.heap[0][0] <= until):
                rec = self.step(until)
                if rec is not None:
                    out.append(rec)
        if until is not None and until > self.state.now:
            self.state.now = until
        return out

    # ---- time travel ------------------------------------------------------------------------

    def _state_size(self) -> int:
        """What a checkpoint copies, roughly: every collection that grows during a run."""
        s = self.state
        return (len(s.flows) + len(s.conns) + len(s.heap) + len(s.warnings) + len(s.injected)
                + len(s.snat.in_use) + len(s.ports))

    def _checkpoint(self) -> None:
        """Keep a copy of the state after the current step (a replay finds it already kept)."""
        position = len(self.records)
        self._since_checkpoint = 0
        i = bisect.bisect_left(self._marks, position)
        if i < len(self._marks) and self._marks[i] == position:
            return
        self._marks.insert(i, position)
        self._checkpoints.insert(i, (position, self.state.clone()))

    def goto(self, n: int) -> Step | None:
        """Put the engine in the state just after step `n` (0 = the start).

        Restores the nearest checkpoint at or before `n` and replays from it, unless stepping
        on from the current state is shorter. Steps past `n` are kept (in `_ahead`) with their
        checkpoints, so a later jump forward restores a checkpoint instead of replaying all
        the way.
        """
        n = max(0, n)
        position = len(self.records)
        if n == position:
            return self.records[-1] if self.records else None
        i = bisect.bisect_right(self._marks, n) - 1
        k, snap = self._checkpoints[i]
        if n < position or position < k <= position + len(self._ahead):
            if k < position:
                self._ahead.extend(reversed(self.records[k:]))
                del self.records[k:]
            elif k > position:
                take = k - position
                self.records.extend(reversed(self._ahead[-take:]))
                del self._ahead[-take:]
            self.state = snap.clone()
            self._since_checkpoint = 0
        with collector_paused():
            while len(self.records) < n:
                if self.step() is None:
                    break
        return self.records[-1] if self.records else None

    def back(self) -> Step | None:
        return self.goto(len(self.records) - 1)

    # ---- recording ----------------------------------------------------------------------------

    def emit(self, node: str, kind: str, disposition: str, reason: str, *,
             packet: Packet | None = None, after: Packet | None = None, rewrite=(),
             rule: str | None = None, probe: str | None = None, nsg_rule: str | None = None,
             ids: Iterable[str] = (), facts: Iterable[int] = (), conn: Conn | None = None,
             detail=(), warn: Iterable[tuple[str, str, str]] = ()) -> Step:
        n = len(self.records) + 1
        ids = tuple(ids)
        for wid, subject, message in warn:
            self.state.warnings.append(RaisedWarning(wid, n, self.state.now, subject, message))
            if wid not in ids:
                ids += (wid,)
        facts = tuple(facts)
        key = (rule, probe, nsg_rule, ids, facts)
        refs = self._refs.get(key)
        if refs is None:
            refs = self._refs[key] = Refs(*key) if (rule or probe or nsg_rule or ids or facts) \
                else NO_REFS
        node = self._names.setdefault(node, node)
        step = Step(n, self.state.now, node, kind, packet, after, tuple(rewrite), disposition,
                    reason, refs, conn.id if conn else None, tuple(detail))
        self.records.append(step)
        if conn is not None and disposition not in conn.seen:
            # Distinct dispositions only, so it stays within the small vocabulary; as a tuple
            # shared by every connection that saw the same ones, a checkpoint need not copy it.
            seen = conn.seen + (disposition,)
            conn.seen = self._seen.setdefault(seen, seen)
        return step

    # ---- set-up and injection -------------------------------------------------------------

    def _bootstrap(self) -> None:
        s = self.state
        t = s.topology
        for vm in t.vms:
            s.vm_running[vm.name] = True
        for i, raw_vm in enumerate(s.raw.get("vms", []) or []):
            if isinstance(raw_vm, dict) and raw_vm.get("running") is False:
                s.vm_running[raw_vm["name"]] = False
        self.sync_probes()
        for i, ev in enumerate(self.scenario.events):
            self.schedule(ev.at_ms, "timeline", i)

    def sync_probes(self) -> None:
        """Create probe state (and a first tick) for every (probe, VM) pair not yet probed."""
        s = self.state
        for probe, vm in s.topology.probe_targets():
            key = (probe.name, vm.name)
            if key in s.probes:
                continue
            interval = probe.interval_s * 1000
            # The first probe lands at a seeded phase within one interval (fact 70's "phase"),
            # rounded to 100 ms to keep traces readable.
            first = s.now + (s.rng.randrange(interval) // 100) * 100
            state = ProbeState(probe.name, vm.name, first)
            state.stopped = not s.vm_running.get(vm.name, True)
            s.probes[key] = state
            self.schedule(first, "probe_tick", probe.name, vm.name)

    def inject(self, event: TimedEvent) -> None:
        """Add an event at the current step (from the explorer); ValueError if invalid.

        Injections live beside the state, keyed by the step they follow, so going back before
        one and forward again replays it: the future a learner saw stays the same. Injecting
        discards any injection that belonged to the future past the current step.
        """
        from .events import validate_injected
        validate_injected(self, event)
        position = len(self.records)
        self._injections = [i for i in self._injections if i[0] <= position]
        self._checkpoints = [c for c in self._checkpoints if c[0] <= position]
        self._marks = [k for k, _ in self._checkpoints]
        self._ahead.clear()  # that future is no longer the one ahead
        self._injections.append((position, self.state.now, event))
        self._apply_injections()

    def _apply_injections(self) -> None:
        """Schedule every injection registered at the current step that this state lacks."""
        s = self.state
        position = len(self.records)
        while s.injected_applied < len(self._injections) and \
                self._injections[s.injected_applied][0] <= position:
            index = s.injected_applied
            _, at, event = self._injections[index]
            s.injected.append(event)
            s.injected_applied += 1
            # At the time it was made, which may be later than the step it follows (the clock
            # moves on through silent events and run(until=...)); a replay must match it.
            # Ahead of everything else at that instant: a user's action takes effect at once.
            heapq.heappush(s.heap, (max(s.now, at), -1_000_000_000 + index, "injected",
                                    (len(s.injected) - 1,)))

    # ---- read-only views for the UI and the runner -----------------------------------------

    def flows(self):
        return self.state.flows.values()

    def probe_states(self) -> list[ProbeState]:
        return [self.state.probes[k] for k in sorted(self.state.probes)]

    def warnings(self) -> list[RaisedWarning]:
        return list(self.state.warnings)

    def connections(self) -> list[Conn]:
        return list(self.state.conns.values())

    def connection(self, cid: str) -> Conn | None:
        return self.state.conns.get(cid)
