"""Dicts that remember what changed, so the engine can move its state through time.

A checkpoint that copies the whole state costs O(state): with 100k flows it could only be taken
every few hundred thousand steps, and going back replayed that many (issue 8). Instead the big
collections (connections and the flow table) journal their first old value per key between two
checkpoints. At a checkpoint the journal becomes a diff, the values before and after, and going
to any step applies the diffs in between with C-level `dict.update`, then replays at most one
checkpoint's worth of steps.

The values themselves (a `Conn`, a `Flow`) are mutable records. They are copied on write: a
`CowDict` hands out a record for changing only once it belongs to the current epoch, cloning
one that a diff may still hold. The epoch changes at every checkpoint and every restore, so a
record kept in a diff is never changed again.
"""

from __future__ import annotations

import itertools
from typing import Any

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__slots__": ()})()

# Epochs are unique across engines: a record stamped by one can never pass for another's.
_epochs = itertools.count(1)


def new_epoch() -> int:
    return next(_epochs)


class JournaledDict(dict):
    """A dict that keeps, per key, the value it had at the last checkpoint (or MISSING).

    Reads are plain dict reads. Every way of writing goes through the journal; the engine's
    own restore uses `dict.update` and `dict.pop` directly, which it must not journal.
    """

    __slots__ = ("journal",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.journal: dict = {}

    def _note(self, key) -> None:
        journal = self.journal
        if key not in journal:
            journal[key] = dict.get(self, key, MISSING)

    def __setitem__(self, key, value) -> None:
        if key not in self.journal:
            self.journal[key] = dict.get(self, key, MISSING)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key) -> None:
        self._note(key)
        dict.__delitem__(self, key)

    def pop(self, key, *default):
        if key in self:
            self._note(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, key)

    def update(self, *args, **kwargs) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def popitem(self):
        raise TypeError("a journaled dict does not pop arbitrary items")

    def clear(self) -> None:
        for key in list(self):
            del self[key]

    def take_diff(self) -> "Diff":
        """The changes since the last call (before and after each key), and a fresh journal."""
        undo = self.journal
        self.journal = {}
        get = dict.get
        return Diff(undo, {k: get(self, k, MISSING) for k in undo})

    def take_undo(self) -> "Change":
        """The change that puts back the values of the last checkpoint, and a fresh journal."""
        undo = self.journal
        self.journal = {}
        return Change(undo)


class CowDict(JournaledDict):
    """A journaled dict of records, copied on write.

    `d[key]` and `d.get(key)` return a record that may be changed: if the stored record is
    from an earlier epoch (a diff or a restored state may share it), a clone takes its place
    first. Iterating (`values()`, `items()`) returns the stored records, for reading only.
    Records need a `_epoch` slot and a `clone()` method.
    """

    __slots__ = ("epoch",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.epoch = new_epoch()

    def __getitem__(self, key):
        record = dict.__getitem__(self, key)
        if record._epoch != self.epoch:
            record = record.clone()
            self[key] = record  # journaled, and stamped below
        return record

    def get(self, key, default=None):
        record = dict.get(self, key, MISSING)
        if record is MISSING:
            return default
        if record._epoch != self.epoch:
            record = record.clone()
            self[key] = record
        return record

    def __setitem__(self, key, record) -> None:
        record._epoch = self.epoch  # stored by the running code: it belongs to this epoch
        if key not in self.journal:
            self.journal[key] = dict.get(self, key, MISSING)
        dict.__setitem__(self, key, record)

    def freeze(self) -> None:
        """Start a new epoch: every record stored so far is now shared, copied on write."""
        self.epoch = new_epoch()


class Change:
    """Values to set in a dict: `sets` (key -> value) and `dels` (keys to remove), kept apart
    so that composing and applying many of them is C-level dict and set work."""

    __slots__ = ("sets", "dels")

    def __init__(self, values: dict):
        dels = [k for k, v in values.items() if v is MISSING]
        if dels:
            values = {k: v for k, v in values.items() if v is not MISSING}
        self.sets = values
        self.dels = frozenset(dels)

    def __len__(self) -> int:
        return len(self.sets) + len(self.dels)


class Diff:
    """One collection's change between two checkpoints, both ways."""

    __slots__ = ("undo", "redo")

    def __init__(self, undo: dict, redo: dict):
        self.undo = Change(undo)
        self.redo = Change(redo)

    def __len__(self) -> int:
        return len(self.undo)


def apply_changes(d: dict, changes: list[Change]) -> int:
    """Apply `changes` to `d` in order, without journaling, as one removal and one
    `dict.update`; return how many keys `d` did not hold before (they go to the end of the
    dict's order)."""
    sets: dict = {}
    dels: set = set()
    for c in changes:
        if c.dels:
            for k in c.dels:
                sets.pop(k, None)
            dels |= c.dels
        if dels:
            dels.difference_update(c.sets)
        sets.update(c.sets)
    dict_pop = dict.pop
    for k in dels:
        dict_pop(d, k, None)
    before = len(d)
    dict.update(d, sets)
    return len(d) - before
