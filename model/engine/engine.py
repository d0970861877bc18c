"""The stepping engine: a SimPy-shaped environment that makes one decision per `step()`.

Vocabulary as in SimPy's `Environment`: `now`, `schedule`, `peek`, `step`, `run(until=...)`; a
heap ordered by (time, sequence number) so that ties run in the order they were scheduled and a
run is deterministic. Time is virtual, in integer milliseconds; every random choice draws from a
`random.Random` seeded by the scenario.

Each `step()` pops events until one makes a decision and records a frozen `Step` in the
engine's timeline (model/engine/timeline.py), the one store of steps: the explorer, lessons,
the comparison and the exporters read it through `position`, `known`, `step_at`, `steps_of`,
`index_of_time` and `records`. Going back in time (`back()`, `goto(n)`) restores the checkpoint
before n (model/engine/timetravel.py) and replays at most `CHECKPOINT_STEPS` steps, each checked
against the step stored. Going back keeps the steps and checkpoints ahead; only an injection
changes the future and drops them. `lookahead()` runs forward and comes back exactly.
"""

from __future__ import annotations

import heapq
from contextlib import contextmanager
from typing import Iterable, Iterator

from .events import validate_injected  # importing events registers its handlers
from . import timetravel
from .timeline import Records, Timeline
from .timetravel import TimeTravel, collector_paused
from ..behaviours import probing as _probing  # noqa: F401
from ..behaviours import handlers as _handlers  # noqa: F401
from ..world.health import ProbeState
from ..net.packet import Packet
from ..world.registry import HANDLERS
from ..scenario.document import Scenario, TimedEvent
from ..world.state import Conn, State
from ..world.trace import NO_REFS, RaisedWarning, Refs, Step


class Engine:
    """One simulation of a scenario: its state at the current step, the timeline of every step
    computed, and the checkpoints to go back to. All of it changes only in `step()`, `goto()`
    (and `back()`, `lookahead()`) and `inject()`; everything else reads."""

    def __init__(self, scenario: Scenario, seed: int | None = None):
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.timeline = Timeline()          # every step computed, past the current one too
        self._last: Step | None = None      # the step made last, not yet read back from the log
        self._position = 0                  # the current step: the number recorded so far
        self.records = Records(self)        # the steps up to the current one
        self.state = State(scenario.topology, scenario.raw, self.seed)
        self._travel = TimeTravel(self.state)
        self._looking = 0                   # how many lookaheads are open: no injection then
        self._bootstrap()
        self._travel.begin()                # checkpoint 0: the state as set up
        # Steps share equal node names and refs: a million steps repeat a few hundred values.
        self._names: dict[str, str] = {}
        self._refs: dict[tuple, Refs] = {}
        self._seen: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._shared: dict[tuple, tuple] = {}
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
        entry = (max(at_ms, s.now), s.seq, name, args)
        heapq.heappush(s.heap, entry)
        self._travel.pushed.append(entry)

    def peek(self) -> int | None:
        """Time of the next event, or None when nothing is scheduled."""
        return self.state.heap[0][0] if self.state.heap else None

    def step(self, until: int | None = None) -> Step | None:
        """Process events until one records a decision; return it (None when idle).

        With `until`, stop before any event later than that time, so that silent events
        (ticks that record nothing) can never carry the clock past it.
        """
        s = self.state
        start = self._position
        if s.injected_applied < len(self._injections):
            self._apply_injections()
        popped = self._travel.popped
        while s.heap and self._position == start and (until is None or s.heap[0][0] <= until):
            entry = heapq.heappop(s.heap)
            popped.append(entry)
            s.now = entry[0]
            HANDLERS[entry[2]](self, *entry[3])
        if self._position == start:
            return None
        if self._position % timetravel.CHECKPOINT_STEPS == 0:
            self._travel.checkpoint(self._position // timetravel.CHECKPOINT_STEPS)
        return self._last

    def run(self, until: int | None = None) -> list[Step]:
        """Step until the next event is later than `until` (ms) or nothing is left."""
        out = []
        with collector_paused(freeze=True):
            while self.state.heap and (until is None or self.state.heap[0][0] <= until):
                rec = self.step(until)
                if rec is not None:
                    out.append(rec)
        if until is not None and until > self.state.now:
            self.state.now = until
        return out

    # ---- time travel ------------------------------------------------------------------------

    def goto(self, n: int) -> Step | None:
        """Put the engine in the state just after step `n` (0 = the start).

        Restores the checkpoint at or before `n` and replays from it, unless stepping on from
        the current state is shorter. Steps past `n` are kept, with their
        checkpoints, so a later jump forward restores a checkpoint instead of replaying.
        """
        n = max(0, n)
        position = self._position
        if n == position:
            return self._current()
        travel = self._travel
        target = min(n // timetravel.CHECKPOINT_STEPS, travel.closed)
        with collector_paused(freeze=True):  # a restore allocates much; the GC would scan all
            if n < position or target > travel.base:
                travel.restore(target)
                self._position = target * timetravel.CHECKPOINT_STEPS  # steps past stay known
            while self._position < n:
                if self.step() is None:
                    break
        return self._current()

    def back(self) -> Step | None:
        return self.goto(self._position - 1)

    @contextmanager
    def lookahead(self, keep: bool = False) -> Iterator["Engine"]:
        """Run forward inside the block, then come back to exactly this state and position.

        For a look at what is coming (the next step, a lesson question's answer) without a
        copy of the engine. The steps it computed past those known are dropped with their
        checkpoints, so that `known` (which the explorer shows) is as before; with `keep` they
        stay known, as the future of this state (a peek at the next step shows it). An
        injection inside the block is not allowed.
        """
        with collector_paused():
            saved = self._travel.save()
            position, last, known = self._position, self._last, self.known
            self._looking += 1
            try:
                yield self
            finally:
                self._looking -= 1
                self._travel.resume(saved)
                self._position, self._last = position, last
                if not keep and self.known > known:
                    self.timeline.forget_from(known)
                    self._travel.forget_after(known)

    def _current(self) -> Step | None:
        """The current step, without decoding its block when it was just made."""
        last = self._last
        if last is not None and last.n == self._position:
            return last
        return self.timeline.step_at(self._position) if self._position else None

    # ---- the timeline, for the explorer, lessons, comparison and exporters ------------------

    @property
    def position(self) -> int:
        """The current step's number: how many steps the state has been through."""
        return self._position

    @property
    def known(self) -> int:
        """How many steps have been computed, past the current one too."""
        return len(self.timeline)

    def step_at(self, n: int) -> Step:
        """Known step `n` (1-based), whether before or after the current one."""
        return self.timeline.step_at(n)

    def steps_of(self, conn_id: str) -> list[Step]:
        """Every known step of connection `conn_id`, in order."""
        return self.timeline.steps_of(conn_id)

    def path_of(self, conn_id: str, until: int) -> list[str]:
        """The places connection `conn_id` went through in its steps up to step `until`."""
        return self.timeline.path_of(conn_id, until)

    def index_of_time(self, t_ms: int) -> int:
        """How many known steps are at or before virtual time `t_ms`."""
        return self.timeline.index_of_time(t_ms)

    # ---- recording ----------------------------------------------------------------------------

    def emit(self, node: str, kind: str, disposition: str, reason: str, *,
             packet: Packet | None = None, after: Packet | None = None, rewrite=(),
             rule: str | None = None, probe: str | None = None, nsg_rule: str | None = None,
             ids: Iterable[str] = (), facts: Iterable[int] = (), conn: Conn | None = None,
             detail=(), warn: Iterable[tuple[str, str, str]] = ()) -> Step:
        n = self._position + 1
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
        self.timeline.record(step)  # on a replay, checks that it is the one stored
        self._last = step
        self._position = n
        if conn is not None and disposition not in conn.seen:
            # Distinct dispositions only, so it stays within the small vocabulary; as a tuple
            # shared by every connection that saw the same ones, a checkpoint need not copy it.
            seen = conn.seen + (disposition,)
            conn.seen = self._seen.setdefault(seen, seen)
        return step

    def shared(self, value: tuple) -> tuple:
        """One object for every equal tuple (a connection's DNS candidates): 100k connections
        to one name need one copy of its answers, not 100k."""
        return self._shared.setdefault(value, value)

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
        if self._looking:
            # Refused before anything changes: an injection drops the known future, which a
            # lookahead could not put back.
            raise RuntimeError("an injection inside a lookahead cannot be undone")
        validate_injected(self, event)
        position = self._position
        self._injections = [i for i in self._injections if i[0] <= position]
        self._travel.forget_after(position)
        self.timeline.forget_from(position)  # that future is no longer the one ahead
        self._last = None
        self._injections.append((position, self.state.now, event))
        self._apply_injections()

    def _apply_injections(self) -> None:
        """Schedule every injection registered at the current step that this state lacks."""
        s = self.state
        position = self._position
        while s.injected_applied < len(self._injections) and \
                self._injections[s.injected_applied][0] <= position:
            index = s.injected_applied
            _, at, event = self._injections[index]
            s.injected.append(event)
            s.injected_applied += 1
            # Ahead of everything else at that instant: a user's action takes effect at once.
            entry = (injection_time(s.now, at), -1_000_000_000 + index, "injected",
                     (len(s.injected) - 1,))
            heapq.heappush(s.heap, entry)
            self._travel.pushed.append(entry)

    # ---- read-only views for the UI and the runner -----------------------------------------

    def flows(self):
        return self.state.flows.values()

    @property
    def flow_count(self) -> int:
        return len(self.state.flows)

    def running(self, vm: str) -> bool:
        """Is the VM running now (a stopped VM is out of rotation and unprobed, fact 81)?"""
        return self.state.vm_running.get(vm, True)

    @property
    def probe_map(self):
        """(probe, VM) → its probe state, read-only, for the graph's rotation queries."""
        return self.state.probes

    def probe_states(self) -> list[ProbeState]:
        return [self.state.probes[k] for k in sorted(self.state.probes)]

    def warnings(self) -> list[RaisedWarning]:
        return list(self.state.warnings)

    def connections(self) -> list[Conn]:
        return list(self.state.conns.values())

    def connection(self, cid: str) -> Conn | None:
        return dict.get(self.state.conns, cid)  # for reading: `conns.get` copies to change it


def injection_time(now: int, made_at: int) -> int:
    """When an injected event runs, first time or replayed: at the time it was made, which may
    be later than the step it follows (the clock moves on through silent events and
    `run(until=...)`); a replay reaches that step at its own, earlier time and must match."""
    return max(now, made_at)
