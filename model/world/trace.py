"""Step records: what the engine decided, where, when and why.

A step is one decision at one place (pybatfish's hop/step idea): the packet before and after,
each changed field as old → new, a disposition from a small closed vocabulary, a plain-language
reason, and references to the rule, probe, NSG rule, catalogue IDs and fact numbers behind it.
"""

from __future__ import annotations

import json
import zlib
from array import array
from dataclasses import dataclass

from ..net.packet import Packet, Rewrite

# The disposition vocabulary, in the spirit of path analysers.
FORWARDED = "forwarded"
TRANSLATED = "translated"
DELIVERED = "delivered"
ANSWERED = "answered"
CHOSEN = "chosen"
NO_ANSWER = "no-answer"
REFUSED = "refused"
TIMED_OUT = "timed-out"
CANCELLED = "cancelled"
EXPIRED = "expired"
TERMINATED = "terminated"
PROBE_OK = "probe-ok"
PROBE_FAILED = "probe-failed"
MARKED_UP = "marked-up"
MARKED_DOWN = "marked-down"
CONFIG_CHANGED = "config-changed"
DROPPED_NO_RULE = "dropped-no-rule"
DROPPED_NO_ROUTE = "dropped-no-route"
DROPPED_NSG = "dropped-nsg"
DROPPED_NO_HEALTHY = "dropped-no-healthy-backend"
DROPPED_IDLE = "dropped-idle-timeout"
DROPPED_LIMITATION = "dropped-limitation"
DROPPED_SNAT = "dropped-snat-exhausted"
DROPPED_ICMP = "dropped-icmp"
DROPPED_NO_FLOW = "dropped-no-flow"

DISPOSITIONS = (
    FORWARDED, TRANSLATED, DELIVERED, ANSWERED, CHOSEN, NO_ANSWER, REFUSED, TIMED_OUT, CANCELLED,
    EXPIRED, TERMINATED, PROBE_OK, PROBE_FAILED, MARKED_UP, MARKED_DOWN, CONFIG_CHANGED,
    DROPPED_NO_RULE, DROPPED_NO_ROUTE, DROPPED_NSG, DROPPED_NO_HEALTHY, DROPPED_IDLE,
    DROPPED_LIMITATION, DROPPED_SNAT, DROPPED_ICMP, DROPPED_NO_FLOW,
)
FAILURES = frozenset(d for d in DISPOSITIONS if d.startswith("dropped-")) | {
    NO_ANSWER, REFUSED, TIMED_OUT, TERMINATED}


@dataclass(frozen=True, slots=True)
class Refs:
    rule: str | None = None
    probe: str | None = None
    nsg_rule: str | None = None
    ids: tuple[str, ...] = ()
    facts: tuple[int, ...] = ()

    def to_json(self) -> dict:
        return {"rule": self.rule, "probe": self.probe, "nsg_rule": self.nsg_rule,
                "ids": list(self.ids), "facts": list(self.facts)}

    def __deepcopy__(self, memo):
        return self


NO_REFS = Refs()


@dataclass(frozen=True, slots=True)
class Step:
    n: int
    t_ms: int
    node: str
    kind: str
    packet: Packet | None
    after: Packet | None
    rewrite: Rewrite
    disposition: str
    reason: str
    refs: Refs
    conn: str | None = None
    detail: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "t_ms": self.t_ms,
            "node": self.node,
            "kind": self.kind,
            "packet": self.packet.to_json() if self.packet else None,
            "rewrite": [{"field": f, "old": o, "new": n} for f, o, n in self.rewrite],
            "disposition": self.disposition,
            "reason": self.reason,
            "refs": self.refs.to_json(),
            "connection": self.conn,
            "detail": [{"name": k, "value": v} for k, v in self.detail],
        }

    def __deepcopy__(self, memo):
        return self


@dataclass(frozen=True, slots=True)
class RaisedWarning:
    """A catalogue behaviour that traffic ran into, at a step."""

    id: str
    n: int
    t_ms: int
    subject: str
    message: str

    def to_json(self) -> dict:
        return {"id": self.id, "step": self.n, "t_ms": self.t_ms, "subject": self.subject,
                "message": self.message}

    def __deepcopy__(self, memo):
        return self


class StepLog:
    """Every step an engine computed, kept compactly (issue 8: under 300 bytes a step).

    A `Step` with its packets, reason and detail texts takes about 500 bytes, and the texts
    are most of it. Full blocks of `BLOCK` steps keep a plain tuple per step without its
    number (the position says it) and the block's texts as one zlib-compressed JSON array
    (reasons repeat most of their words); a read rebuilds the block's steps, a few blocks
    cached. The newest, unfinished block stays as `Step` objects. (JSON, not pickle: model/
    never unpickles, tests/robustness/test_safety.py.)

    A packed block also keeps a 64-bit digest of each step's texts, so that `same` can check a
    replayed step against the stored one without decompressing anything: its plain fields
    against the row, its texts against the digest. (Decoding to compare doubled a goto's CPU
    time at 10k flows, tests/perf big.)
    """

    BLOCK = 1024
    CACHED = 4

    def __init__(self):
        self._blocks: list[tuple[tuple, bytes, array]] = []
        self._tail: list[Step] = []
        self._cache: dict[int, list[Step]] = {}  # block -> decoded steps, oldest read first

    def __len__(self) -> int:
        return len(self._blocks) * self.BLOCK + len(self._tail)

    def append(self, step: Step) -> None:
        self._tail.append(step)
        if len(self._tail) == self.BLOCK:
            self._blocks.append(_pack(self._tail))
            self._tail = []

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        block, j = divmod(i, self.BLOCK)
        if block == len(self._blocks) and 0 <= j < len(self._tail):
            return self._tail[j]
        if not 0 <= block < len(self._blocks):
            raise IndexError("step index out of range")
        return self._block(block)[j]

    def __iter__(self):
        for block in range(len(self._blocks)):
            yield from self._cache.get(block) or _unpack(self._blocks[block], block * self.BLOCK)
        yield from self._tail

    def same(self, i: int, step: Step) -> bool:
        """Whether stored step `i` (0-based) equals `step`, read without decoding."""
        block, j = divmod(i, self.BLOCK)
        if block == len(self._blocks):
            return self._tail[j] == step
        rows, _, digests = self._blocks[block]
        return rows[j] == _row(step) and digests[j] == _text_digest(step)

    def node_at(self, i: int) -> str:
        """The place of step `i` (0-based), read from its block's plain rows: no decoding."""
        block, j = divmod(i, self.BLOCK)
        if block == len(self._blocks):
            return self._tail[j].node
        return self._blocks[block][0][j][1]

    def __delitem__(self, i: slice) -> None:
        """Only `del log[k:]`: forget the steps from k on (an injection changed them)."""
        if i.stop is not None or i.step is not None:
            raise TypeError("a step log only drops its end")
        k = i.indices(len(self))[0]
        block, j = divmod(k, self.BLOCK)
        if block < len(self._blocks):
            self._tail = self._block(block)[:j]
            del self._blocks[block:]
            self._cache.clear()
        else:
            del self._tail[j:]

    def _block(self, block: int) -> list[Step]:
        steps = self._cache.pop(block, None)
        if steps is None:
            steps = _unpack(self._blocks[block], block * self.BLOCK)
            if len(self._cache) >= self.CACHED:
                del self._cache[next(iter(self._cache))]
        self._cache[block] = steps
        return steps


_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False,
                           separators=(",", ":")).encode


def _row(s: Step) -> tuple:
    """A step's plain fields, kept as they are in a packed block (its number is its place)."""
    return (s.t_ms, s.node, s.kind, s.packet, s.after, s.rewrite, s.disposition, s.refs, s.conn)


def _text_digest(s: Step) -> int:
    """64 bits standing for a step's texts: Python's hash, stable within the process, which is
    all a replay check needs (digests are never stored elsewhere)."""
    return hash((s.reason, s.detail))


def _pack(steps: list[Step]) -> tuple[tuple, bytes, array]:
    rows = tuple(map(_row, steps))
    texts = [s.reason for s in steps]
    texts += [s.detail and _ENCODE(s.detail) for s in steps]
    return rows, zlib.compress(_ENCODE(texts).encode(), 1), array("q", map(_text_digest, steps))


def _unpack(packed: tuple[tuple, bytes, array], first: int) -> list[Step]:
    rows, blob, _ = packed
    texts = json.loads(zlib.decompress(blob))
    details = texts[len(rows):]
    return [Step(n, t, node, kind, packet, after, rewrite, disposition, reason, refs, conn,
                 tuple(map(tuple, json.loads(detail))) if detail else ())
            for n, (t, node, kind, packet, after, rewrite, disposition, refs, conn), reason,
            detail in zip(range(first + 1, first + 1 + len(rows)), rows, texts, details)]
