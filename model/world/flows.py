"""The load balancer's flow table, in the manner of conntrack: one entry per connection.

An entry holds the original tuple (as the client sent it) and the translated tuple (as the VM
sees it), the backend, the rule, the state and the idle deadline. Two dict indexes make the
per-packet look-up O(1) whatever the table's size.
"""

from __future__ import annotations

import operator

from ..net.addressing import endpoint
from .journal import CowDict, JournaledDict

INBOUND = "inbound"      # through a load-balancing rule
NAT_RULE = "nat-rule"    # through an inbound NAT rule
OUTBOUND = "outbound"    # a VM's connection out, through SNAT

# TCP states, conntrack style.
SYN_SENT = "SYN_SENT"
ESTABLISHED = "ESTABLISHED"
FIN_WAIT = "FIN_WAIT"
UDP_STATE = "UDP"

Tuple5 = tuple[str, str, int, str, int]


def slot_copier(cls, copied: dict | None = None):
    """A fast copy method for a `__slots__` class: checkpoints copy every flow and connection.

    Built from the class's slots, so a slot added later is copied too: one C-level read of
    every slot and one descriptor write each, several times faster than `copy.deepcopy`.
    `copied` maps a slot whose value is itself mutable to the function that copies it
    (e.g. {"attempts": ...}); every other slot is shared, so it must hold an immutable value
    or one that is replaced rather than changed in place.
    """
    names = tuple(n for k in reversed(cls.__mro__) for n in k.__dict__.get("__slots__", ()))
    read = operator.attrgetter(*names)
    writes = tuple(getattr(cls, n).__set__ for n in names)
    extra = tuple((getattr(cls, n).__set__, getattr(cls, n).__get__, f)
                  for n, f in (copied or {}).items())
    new_object = object.__new__

    def clone(self):
        new = new_object(cls)
        for write, value in zip(writes, read(self)):
            write(new, value)
        for write, get, copy_value in extra:
            write(new, copy_value(get(self)))
        return new
    clone.__qualname__ = f"{cls.__name__}.clone"
    clone.__doc__ = f"A copy of this {cls.__name__} for a checkpoint."
    return clone


class Flow:
    __slots__ = (
        "id", "kind", "proto", "orig", "xlat", "vm", "frontend", "rule", "state", "created_ms",
        "last_ms", "idle_ms", "packets", "bytes", "conn", "nsg_checked", "expiry_at", "_epoch",
    )

    def __init__(self, id: int, kind: str, proto: str, orig: Tuple5, xlat: Tuple5, vm: str,
                 frontend: str, rule: str, state: str, now: int, idle_ms: int, conn: str | None):
        self.id = id
        self.kind = kind
        self.proto = proto
        self.orig = orig      # (proto, src, sport, dst, dport) before translation
        self.xlat = xlat      # the same packet after translation
        self.vm = vm
        self.frontend = frontend
        self.rule = rule
        self.state = state
        self.created_ms = now
        self.last_ms = now
        self.idle_ms = idle_ms
        self.packets = 0
        self.bytes = 0
        self.conn = conn
        self.nsg_checked = False
        self.expiry_at = 0
        self._epoch = 0       # which checkpoint interval may change it (model/journal.py)

    @property
    def deadline_ms(self) -> int:
        return self.last_ms + self.idle_ms

    def touch(self, now: int, size: int) -> None:
        self.last_ms = now
        self.packets += 1
        self.bytes += size

    def reply_key(self) -> Tuple5:
        """The tuple a reply to the translated packet carries."""
        proto, src, sport, dst, dport = self.xlat
        return (proto, dst, dport, src, sport)

    def describe(self) -> str:
        _, s, sp, d, dp = self.orig
        _, xs, xsp, xd, xdp = self.xlat
        return (f"{self.proto.lower()} {endpoint(s, sp)} → {endpoint(d, dp)} ⇒ "
                f"{endpoint(xs, xsp)} → {endpoint(xd, xdp)} {self.state}")

    def to_json(self, now: int) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "proto": self.proto,
            "original": _tuple_json(self.orig),
            "translated": _tuple_json(self.xlat),
            "vm": self.vm,
            "frontend": self.frontend,
            "rule": self.rule,
            "state": self.state,
            "idle_remaining_ms": max(0, self.deadline_ms - now),
            "packets": self.packets,
            "bytes": self.bytes,
            "connection": self.conn,
        }


Flow.clone = slot_copier(Flow)  # tuples, strings, numbers: all immutable


def _tuple_json(t: Tuple5) -> dict:
    return {"src": t[1], "sport": t[2], "dst": t[3], "dport": t[4]}


class FlowTable:
    """Flows by id, with look-ups by original tuple and by the reply's tuple.

    The indexes are journaled dicts (model/journal.py), so the engine can take a checkpoint
    of the table in O(changes) and restore one with `dict.update`. The tuple indexes hold flow
    ids, not flows: a flow changed after a checkpoint is a copy (copy-on-write), and only
    `by_id` has to learn of it.
    """

    def __init__(self):
        self.by_id: CowDict = CowDict()
        self.by_orig: JournaledDict = JournaledDict()
        self.by_reply: JournaledDict = JournaledDict()
        self.next_id = 1

    def __len__(self) -> int:
        return len(self.by_id)

    def journaled(self) -> tuple[JournaledDict, ...]:
        return (self.by_id, self.by_orig, self.by_reply)

    def add(self, kind, proto, orig, xlat, vm, frontend, rule, state, now, idle_ms, conn) -> Flow:
        flow = Flow(self.next_id, kind, proto, orig, xlat, vm, frontend, rule, state, now,
                    idle_ms, conn)
        self.next_id += 1
        self.by_id[flow.id] = flow
        self.by_orig[orig] = flow.id
        self.by_reply[flow.reply_key()] = flow.id
        return flow

    def remove(self, flow: Flow) -> None:
        if self.by_id.pop(flow.id, None) is None:
            return
        if dict.get(self.by_orig, flow.orig) == flow.id:
            del self.by_orig[flow.orig]
        if dict.get(self.by_reply, flow.reply_key()) == flow.id:
            del self.by_reply[flow.reply_key()]

    def retarget(self, flow: Flow, xlat: Tuple5, vm: str) -> Flow:
        """Point a flow at another backend (UDP moving after a probe-down, fact 83); return
        the flow as changed."""
        flow = self.edit(flow.id)
        if dict.get(self.by_reply, flow.reply_key()) == flow.id:
            del self.by_reply[flow.reply_key()]
        flow.xlat = xlat
        flow.vm = vm
        self.by_reply[flow.reply_key()] = flow.id
        return flow

    def get(self, flow_id: int) -> Flow | None:
        """The flow, for reading: it may be shared with a checkpoint, so never change it."""
        return dict.get(self.by_id, flow_id)

    def edit(self, flow_id: int) -> Flow | None:
        """The flow, for changing (copied first if a checkpoint shares it)."""
        return self.by_id.get(flow_id)

    def lookup(self, five_tuple: Tuple5) -> Flow | None:
        flow_id = self.by_orig.get(five_tuple)
        return None if flow_id is None else dict.__getitem__(self.by_id, flow_id)

    def lookup_reply(self, five_tuple: Tuple5) -> Flow | None:
        flow_id = self.by_reply.get(five_tuple)
        return None if flow_id is None else dict.__getitem__(self.by_id, flow_id)

    def of_rule(self, rule: str) -> list[Flow]:
        """The rule's flows, oldest first. A scan: only a pool going down (fact 84) asks."""
        return sorted((f for f in self.by_id.values() if f.rule == rule), key=_flow_id)

    def values(self) -> list[Flow]:
        return list(self.by_id.values())


_flow_id = operator.attrgetter("id")
