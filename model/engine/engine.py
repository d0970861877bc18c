"""The stepping engine: a SimPy-shaped environment that makes one decision per `step()`.

Vocabulary as in SimPy's `Environment`: `now`, `schedule`, `peek`, `step`, `run(until=...)`; a
heap ordered by (time, sequence number) so that ties run in the order they were scheduled and a
run is deterministic. Time is virtual, in integer milliseconds; every random choice draws from a
`random.Random` seeded by the scenario.

Each `step()` pops events until one makes a decision and records a frozen `Step`. Going back in
time (`back()`, `goto(n)`) never replays more than `CHECKPOINT_STEPS` steps: every that many
steps a checkpoint keeps what changed since the last one (model/journal.py: the connections and
flow table journal their old values and copy records on write; the heap's pushes and pops are
listed; the rest of the state is small and copied). Going to step n applies the changes between
here and the checkpoint before n in one `dict.update` per collection, rebuilds the heap once,
then replays the few steps left. A checkpoint costs O(what changed), so they can be dense.
Going back keeps the steps and checkpoints ahead; only an injection changes the future and
drops them.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import operator
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Iterable

from lb6.model.engine import events as _events  # noqa: F401  (registers handlers)
from lb6.model.behaviours import probing as _probing  # noqa: F401
from lb6.model.behaviours import handlers as _handlers  # noqa: F401
from lb6.model.world.health import ProbeState
from lb6.model.world.journal import apply_changes
from lb6.model.net.packet import Packet
from lb6.model.world.registry import HANDLERS
from lb6.model.scenario.document import Scenario, TimedEvent
from lb6.model.world.state import Conn, State
from lb6.model.world.trace import NO_REFS, RaisedWarning, Refs, Step, StepLog

# A checkpoint every CHECKPOINT_STEPS steps: going anywhere replays at most that many steps
# (about 25 µs each, tests/perf), after applying the changes in between. Denser costs memory:
# each checkpoint keeps the records it changed and a copy of the small part of the state.
# (10k-flow load test: 500 against 1000 took goto from 18-26 ms to 10 ms at the median and
# checkpoints from 93 to 114 bytes a step.)
CHECKPOINT_STEPS = 500
# Every ANCHOR_CHUNKS checkpoints an anchor also keeps plain copies of the big collections, so
# that a far goto applies fewer than that many chunks of changes. Copying from an anchor
# costs about as much as applying ANCHOR_COST_CHUNKS chunks (tests/perf, 100k flows); an anchor
# holds one dict per collection, about 50 bytes per entry. (100k flows, 1.88M steps: 128 gave
# goto p50 48 ms and max 77 ms; 64 gives 30 ms and 47 ms, under issue 8's 50 ms, for peak RSS
# 804 instead of 670 bytes a step.)
ANCHOR_CHUNKS = 64
ANCHOR_COST_CHUNKS = 16
# Objects left alive by a paused run above which they are frozen out of the collector's sight.
FREEZE_AFTER = 5_000


class Chunk:
    """What changed from one checkpoint to the next: a `journal.Diff` per journaled collection,
    and the heap entries pushed (and still there) and popped (that were there before), each
    by sequence number (unique, so it identifies an entry)."""

    __slots__ = ("diffs", "heap_add", "heap_del")

    def __init__(self, diffs: tuple, heap_add: dict, heap_del: dict):
        self.diffs = diffs
        self.heap_add = heap_add
        self.heap_del = heap_del


@contextmanager
def collector_paused(freeze: bool = False):
    """Pause Python's cyclic garbage collector for a long run of steps, as `timeit` does.

    A run allocates millions of long-lived records and no reference cycles, yet the
    collector keeps rescanning them: a third or more of a 100k-flow run (tests/perf).
    Reference counting still frees everything; cycles made meanwhile wait for the next
    collection after the run.

    On the way out, if the run left many new objects alive, they are frozen (`gc.freeze`): records, checkpoints and state, kept for good,
    which the next full collection would otherwise scan, a pause of up to a second at a
    million steps (a goto measured 0.7 s CPU). Frozen objects are still freed by reference
    counting; only a cycle that is already garbage then stays, hence the threshold: a single
    step does not freeze the explorer's passing garbage. `freeze` freezes whatever the count:
    `goto` and `run` ask for it, since a goto leaves few new objects yet the 100k-flow
    benchmark measured full collections of 0.9 s CPU in its gotos without it (58 ms with).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    _pause[0] += 1
    _pause[1] = _pause[1] or freeze
    try:
        yield
    finally:
        # Nested pauses (the explorer's session around an engine goto) decide once, at the
        # outermost exit, and a freeze asked for inside is kept for it.
        _pause[0] -= 1
        if _pause[0] == 0:
            asked, _pause[1] = _pause[1], False
            if was_enabled:
                if asked or gc.get_count()[0] >= FREEZE_AFTER:
                    gc.freeze()
                gc.enable()


_pause = [0, False]  # how deep the pauses are nested, and whether one of them asked to freeze


class Records(Sequence):
    """The steps up to the engine's current one, read-only. A view over every step computed,
    so that going back or forward moves an index instead of a million list entries."""

    __slots__ = ("_engine",)

    def __init__(self, engine: "Engine"):
        self._engine = engine

    def __len__(self) -> int:
        return self._engine._position

    def __getitem__(self, i):
        n = self._engine._position
        if isinstance(i, slice):
            return self._engine._steps[slice(*i.indices(n))]
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("step index out of range")
        return self._engine._steps[i]

    def __iter__(self):
        return itertools.islice(self._engine._steps, self._engine._position)

    def __eq__(self, other) -> bool:
        if not isinstance(other, (Records, list, tuple)):
            return NotImplemented
        return len(self) == len(other) and all(map(operator.eq, self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} steps>"


class Engine:
    def __init__(self, scenario: Scenario, seed: int | None = None):
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self._steps = StepLog()             # every step computed, past the current one too
        self._last: Step | None = None      # the step made last, not yet read back from the log
        self._position = 0                  # the current step: the number recorded so far
        self.records = Records(self)        # the steps up to the current one
        self.state = State(scenario.topology, scenario.raw, self.seed)
        self._pushed: list[tuple] = []      # heap entries pushed and popped since checkpoint _base
        self._popped: list[tuple] = []
        self._bootstrap()
        for d in self.state.journaled():
            d.journal = {}
        self._pushed.clear()
        self.state.freeze()
        # Checkpoint i is step i * CHECKPOINT_STEPS: the small part of the state there, and
        # `_chunks[i]`, the change from it to checkpoint i + 1.
        self._marks: list[dict] = [self.state.mark()]
        self._chunks: list[Chunk] = []
        self._anchors: list[tuple] = [self._anchor()]  # at every ANCHOR_CHUNKS-th checkpoint
        self._base = 0                      # the live journal runs from checkpoint _base
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
        self._pushed.append(entry)

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
        popped = self._popped
        while s.heap and self._position == start and (until is None or s.heap[0][0] <= until):
            entry = heapq.heappop(s.heap)
            popped.append(entry)
            s.now = entry[0]
            HANDLERS[entry[2]](self, *entry[3])
        if self._position == start:
            return None
        if self._position % CHECKPOINT_STEPS == 0:
            self._checkpoint()
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

    def _checkpoint(self) -> None:
        """Close the interval that ends at this step: keep its changes, unless a replay finds
        them already kept. Either way the records stored so far become shared."""
        s = self.state
        i = self._position // CHECKPOINT_STEPS
        if i > len(self._chunks):
            pushed = {e[1]: e for e in self._pushed}
            popped = {e[1]: e for e in self._popped}
            added = {seq: e for seq, e in pushed.items() if seq not in popped}
            removed = {seq: e for seq, e in popped.items() if seq not in pushed}
            self._chunks.append(Chunk(tuple(d.take_diff() for d in s.journaled()), added, removed))
            self._marks.append(self._share_unchanged(s.mark(), self._marks[-1]))
            if i % ANCHOR_CHUNKS == 0:
                self._anchors.append(self._anchor())
        else:
            for d in s.journaled():
                d.journal = {}
        self._pushed = []
        self._popped = []
        s.freeze()
        self._base = i

    def _anchor(self) -> tuple:
        """Plain copies of the journaled collections and the heap (sorted): a restore far
        from the live state starts from the nearest of these instead of walking every chunk
        in between. The records are shared; `freeze` right after makes them copy-on-write."""
        s = self.state
        return tuple(dict(d) for d in s.journaled()), sorted(s.heap)

    @staticmethod
    def _share_unchanged(mark: dict, before: dict) -> dict:
        """Share the previous checkpoint's copy of what has not changed since (the random
        generator's 2.5 KB state, the warnings raised): marks are never changed in place."""
        for name in ("rng", "warnings"):
            if mark[name] == before[name] if name == "warnings" else \
                    mark[name].getstate() == before[name].getstate():
                mark[name] = before[name]
        return mark

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
        target = min(n // CHECKPOINT_STEPS, len(self._chunks))
        with collector_paused(freeze=True):  # a restore allocates much; the GC would scan all
            if n < position or target > self._base:
                self._restore(target)
            while self._position < n:
                if self.step() is None:
                    break
        return self._current()

    def _current(self) -> Step | None:
        """The current step, without decoding its block when it was just made."""
        last = self._last
        if last is not None and last.n == self._position:
            return last
        return self.records[-1] if self.records else None

    def _restore(self, target: int) -> None:
        """Put the state at checkpoint `target`, from the live state or from the nearest
        anchor, whichever has fewer chunks of changes in between."""
        s = self.state
        journaled = s.journaled()
        # Only forward from an anchor: the entries the chunks then drop from its sorted heap
        # are a prefix of it (the heap pops its least first), and keys are seldom deleted.
        anchor = target // ANCHOR_CHUNKS
        start = anchor * ANCHOR_CHUNKS
        if target - start + ANCHOR_COST_CHUNKS < abs(target - self._base):
            # Start from the anchor's copies: the live journal no longer matters.
            copies, sorted_heap = self._anchors[anchor]
            for d, copy in zip(journaled, copies):
                d.journal = {}
                dict.clear(d)
                dict.update(d, copy)
            changes = [[] for _ in journaled]
            pushed: set[int] = set()
            back: dict[int, tuple] = {}
            heap = sorted_heap  # copied below: a sorted list is a heap, and stays one
        else:
            # Undo the live journal back to checkpoint `_base`: the pushes and pops since.
            start = self._base
            changes = [[d.take_undo()] for d in journaled]
            pushed = {e[1] for e in self._pushed}
            back = {e[1]: e for e in self._popped if e[1] not in pushed}
            heap = s.heap
        # The heap: each entry is pushed once and popped once, in that order, so over a run
        # of chunks the change is "drop the entries of `gone`, add those of `back`" whatever
        # the order.
        gone: set[int] = set()
        if target >= start:
            for chunk in self._chunks[start:target]:
                for c, diff in zip(changes, chunk.diffs):
                    c.append(diff.redo)
                gone.update(chunk.heap_del)
                back.update(chunk.heap_add)
        else:
            for chunk in reversed(self._chunks[target:start]):
                for c, diff in zip(changes, chunk.diffs):
                    c.append(diff.undo)
                gone.update(chunk.heap_add)
                back.update(chunk.heap_del)
        for d, c in zip(journaled, changes):
            new = apply_changes(d, c) if c else 0
            if new and d is s.flows.by_id:
                _keep_id_order(d, new)
        add = [e for seq, e in back.items() if seq not in gone]
        if heap is s.heap:
            s.heap = _rebuilt_heap(heap, pushed | gone, add)
        else:
            s.heap = _from_sorted(heap, gone, add)
        self._position = target * CHECKPOINT_STEPS  # the steps past it stay known
        s.restore_mark(self._marks[target])
        s.freeze()
        self._pushed = []
        self._popped = []
        self._base = target

    def back(self) -> Step | None:
        return self.goto(self._position - 1)

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
        if n > len(self._steps):
            self._steps.append(step)
        self._last = step
        # else a replay: the step kept is the same, by determinism
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
        from lb6.model.engine.events import validate_injected
        validate_injected(self, event)
        position = self._position
        self._injections = [i for i in self._injections if i[0] <= position]
        # The checkpoints past the current interval belong to the future being replaced.
        del self._chunks[self._base:]
        del self._marks[self._base + 1:]
        del self._anchors[self._base // ANCHOR_CHUNKS + 1:]
        del self._steps[position:]  # that future is no longer the one ahead
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
            # At the time it was made, which may be later than the step it follows (the clock
            # moves on through silent events and run(until=...)); a replay must match it.
            # Ahead of everything else at that instant: a user's action takes effect at once.
            entry = (max(s.now, at), -1_000_000_000 + index, "injected", (len(s.injected) - 1,))
            heapq.heappush(s.heap, entry)
            self._pushed.append(entry)

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
        return dict.get(self.state.conns, cid)  # for reading: `conns.get` copies to change it


def _keep_id_order(by_id: dict, appended: int) -> None:
    """Flows came back (`dict.update` appended them): keep the table in id order (creation
    order, which `values()` and the explorer show). The rest was in order already, so only
    the appended keys and the one before them need a look."""
    tail = list(itertools.islice(reversed(by_id), appended + 1))
    if tail != sorted(tail, reverse=True):
        items = sorted(dict.items(by_id))
        dict.clear(by_id)
        dict.update(by_id, items)


def _rebuilt_heap(heap: list, drop: set, add: list) -> list:
    """The heap without the entries whose sequence number is in `drop`, with `add`."""
    if not drop and len(add) * 16 < len(heap):
        for e in add:
            heapq.heappush(heap, e)
        return heap
    if drop:
        heap = [e for e in heap if e[1] not in drop]
    heap.extend(add)
    heapq.heapify(heap)
    return heap


def _from_sorted(ordered: list, drop: set, add: list) -> list:
    """A heap from an anchor's sorted heap, without `drop`, with `add`.

    Going forward, the anchor's entries that were popped are a prefix of it: while two of
    them are in the heap the lesser goes first. Slicing that prefix off keeps the rest sorted,
    and so a heap, without looking at every entry. (The other sequence numbers in `drop` are
    of entries pushed after the anchor, which are not in it.)
    """
    cut = 0
    for e in ordered:
        if e[1] not in drop:
            break
        cut += 1
    heap = ordered[cut:]
    if len(add) * 16 < len(heap):
        for e in add:
            heapq.heappush(heap, e)
    else:
        heap.extend(add)
        heap.sort()  # a sorted run and a short one: Timsort merges them in about O(n)
    return heap
