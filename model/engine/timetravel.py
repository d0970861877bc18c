"""Time travel: the engine's checkpoints, and putting its state back at any of them.

Every `CHECKPOINT_STEPS` steps a checkpoint closes an interval: it keeps what changed since the
last one (model/world/journal.py: the connections and the flow table journal their old values
and copy records on write; the heap's pushes and pops are listed here; the rest of the state is
small and copied as a `state.Mark`). Going to step n applies the changes between here and the
checkpoint before n in one `dict.update` per collection, rebuilds the heap once, and leaves the
few steps left to the engine to replay. A checkpoint costs O(what changed), so they can be
dense; every `ANCHOR_CHUNKS`-th one also keeps plain copies (an anchor), so that a far jump
applies few chunks.

One `Interval` per checkpoint holds all three: its mark, the chunk of changes to the next
checkpoint (none yet while the interval is open), and its anchor if it has one.
"""

from __future__ import annotations

import gc
import heapq
import itertools
from contextlib import contextmanager

from ..world.journal import MISSING, Change, apply_changes
from ..world.state import Mark, State

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


class Anchor:
    """Plain copies of the journaled collections and the heap (sorted) at a checkpoint: a
    restore far from the live state starts from the nearest of these instead of walking every
    chunk in between. The records are shared; the state's `freeze` makes them copy-on-write."""

    __slots__ = ("copies", "heap")

    def __init__(self, state: State):
        self.copies = tuple(dict(d) for d in state.journaled())
        self.heap = sorted(state.heap)


class Interval:
    """One checkpoint and what follows it: the state's mark there, the chunk of changes to the
    next checkpoint (None while this is the last one), and an anchor at every ANCHOR_CHUNKS-th."""

    __slots__ = ("mark", "chunk", "anchor")

    def __init__(self, mark: Mark, anchor: Anchor | None):
        self.mark = mark
        self.chunk: Chunk | None = None
        self.anchor = anchor


class Saved:
    """A state kept by `TimeTravel.save` to come back to exactly (a lookahead): the live
    journal and the values it covers, the heap, the mark, and where the journal starts."""

    __slots__ = ("base", "journals", "values", "heap", "mark", "pushed", "popped")


class TimeTravel:
    """The checkpoints of one engine's state, and the heap's side of its live journal: the
    entries pushed and popped since checkpoint `base` (the engine appends to both)."""

    __slots__ = ("state", "intervals", "base", "pushed", "popped")

    def __init__(self, state: State):
        self.state = state
        self.intervals: list[Interval] = []
        self.base = 0           # the live journal runs from this checkpoint
        self.pushed: list[tuple] = []
        self.popped: list[tuple] = []

    def begin(self) -> None:
        """Take checkpoint 0: the state as set up, whatever setting it up journaled."""
        for d in self.state.journaled():
            d.journal = {}
        self._start(0)
        self.intervals.append(Interval(self.state.mark(), Anchor(self.state)))

    @property
    def closed(self) -> int:
        """How many intervals have their chunk: checkpoints 0..closed can be restored."""
        return len(self.intervals) - 1

    def checkpoint(self, i: int) -> None:
        """Checkpoint `i` is reached: keep the changes of the interval it closes, unless a replay
        finds them already kept. Either way the records stored so far become shared."""
        s = self.state
        if i > self.closed:
            pushed = {e[1]: e for e in self.pushed}
            popped = {e[1]: e for e in self.popped}
            added = {seq: e for seq, e in pushed.items() if seq not in popped}
            removed = {seq: e for seq, e in popped.items() if seq not in pushed}
            last = self.intervals[-1]
            last.chunk = Chunk(tuple(d.take_diff() for d in s.journaled()), added, removed)
            self.intervals.append(Interval(s.mark(last.mark),
                                           Anchor(s) if i % ANCHOR_CHUNKS == 0 else None))
        else:
            for d in s.journaled():
                d.journal = {}
        self._start(i)

    def forget_after(self, n: int) -> None:
        """Drop the checkpoints past step `n`, whose steps are being dropped: a future that an
        injection replaces, or what a lookahead computed. (The live journal's checkpoint is at
        or before `n`.)"""
        last = n // CHECKPOINT_STEPS
        if len(self.intervals) > last + 1:
            del self.intervals[last + 1:]
        self.intervals[last].chunk = None

    def restore(self, target: int) -> None:
        """Put the state at checkpoint `target`, from the live state or from the nearest
        anchor, whichever has fewer chunks of changes in between."""
        s = self.state
        journaled = s.journaled()
        # Only forward from an anchor: the entries the chunks then drop from its sorted heap
        # are a prefix of it (the heap pops its least first), and keys are seldom deleted.
        start = target // ANCHOR_CHUNKS * ANCHOR_CHUNKS
        if target - start + ANCHOR_COST_CHUNKS < abs(target - self.base):
            # Start from the anchor's copies: the live journal no longer matters.
            anchor = self.intervals[start].anchor
            for d, copy in zip(journaled, anchor.copies):
                d.journal = {}
                dict.clear(d)
                dict.update(d, copy)
            changes = [[] for _ in journaled]
            pushed: set[int] = set()
            back: dict[int, tuple] = {}
            heap = anchor.heap  # copied below: a sorted list is a heap, and stays one
        else:
            # Undo the live journal back to checkpoint `base`: the pushes and pops since.
            start = self.base
            changes = [[d.take_undo()] for d in journaled]
            pushed = {e[1] for e in self.pushed}
            back = {e[1]: e for e in self.popped if e[1] not in pushed}
            heap = s.heap
        # The heap: each entry is pushed once and popped once, in that order, so over a run
        # of chunks the change is "drop the entries of `gone`, add those of `back`" whatever
        # the order.
        gone: set[int] = set()
        if target >= start:
            for interval in self.intervals[start:target]:
                for c, diff in zip(changes, interval.chunk.diffs):
                    c.append(diff.redo)
                gone.update(interval.chunk.heap_del)
                back.update(interval.chunk.heap_add)
        else:
            for interval in reversed(self.intervals[target:start]):
                for c, diff in zip(changes, interval.chunk.diffs):
                    c.append(diff.undo)
                gone.update(interval.chunk.heap_add)
                back.update(interval.chunk.heap_del)
        for d, c in zip(journaled, changes):
            _apply(s, d, c)
        add = [e for seq, e in back.items() if seq not in gone]
        if heap is s.heap:
            s.heap = _rebuilt_heap(heap, pushed | gone, add)
        else:
            s.heap = _from_sorted(heap, gone, add)
        s.restore_mark(self.intervals[target].mark)
        self._start(target)

    def save(self) -> Saved:
        """Keep the live state, to come back to it exactly with `resume` (a lookahead): also a
        state no checkpoint and replay reaches, such as one whose clock `run(until=...)` moved
        on, or whose last `step()` popped silent events only.

        Costs a copy of the heap and of the small part of the state, and the journal's keys."""
        s = self.state
        saved = Saved()
        saved.base = self.base
        saved.journals = [dict(d.journal) for d in s.journaled()]
        get = dict.get
        saved.values = [Change({k: get(d, k, MISSING) for k in d.journal}) for d in s.journaled()]
        saved.heap = s.heap[:]
        saved.mark = s.mark()
        saved.pushed = self.pushed[:]
        saved.popped = self.popped[:]
        s.freeze()  # the records kept in `values` are now copied before they change
        return saved

    def resume(self, saved: Saved) -> None:
        """Put back the state `save` kept: checkpoint `saved.base`, then the values the live
        journal had changed since, and that journal itself."""
        s = self.state
        self.restore(saved.base)
        for d, values, journal in zip(s.journaled(), saved.values, saved.journals):
            _apply(s, d, [values])
            d.journal = journal
        s.heap = saved.heap
        s.restore_mark(saved.mark)
        s.freeze()
        self.pushed = saved.pushed
        self.popped = saved.popped

    def _start(self, i: int) -> None:
        """The live journal now runs from checkpoint `i`, in a new epoch."""
        self.pushed = []
        self.popped = []
        self.state.freeze()
        self.base = i


def _apply(s: State, d: dict, changes: list[Change]) -> None:
    """Apply `changes` to the journaled dict `d` without journaling them."""
    new = apply_changes(d, changes) if changes else 0
    if new and d is s.flows.by_id:
        _keep_id_order(d, new)


@contextmanager
def collector_paused(freeze: bool = False):
    """Pause Python's cyclic garbage collector for a long run of steps, as `timeit` does.

    A run allocates millions of long-lived records and no reference cycles, yet the
    collector keeps rescanning them: a third or more of a 100k-flow run (tests/perf).
    Reference counting still frees everything; cycles made meanwhile wait for the next
    collection after the run.

    On the way out, if the run left many new objects alive, they are frozen (`gc.freeze`):
    records, checkpoints and state, kept for good, which the next full collection would
    otherwise scan, a pause of up to a second at a million steps (a goto measured 0.7 s CPU).
    Frozen objects are still freed by reference counting; only a cycle that is already garbage
    then stays, hence the threshold: a single step does not freeze the explorer's passing
    garbage. `freeze` freezes whatever the count: `goto` and `run` ask for it, since a goto
    leaves few new objects yet the 100k-flow benchmark measured full collections of 0.9 s CPU
    in its gotos without it (58 ms with).
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
