"""Health probe state per (probe, VM), following facts 68-81.

A probe result either confirms the current state or counts toward flipping it: numberOfProbes
consecutive results the other way flip it (fact 69). An HTTP answer other than 200 marks the VM
down at once (fact 78). lb6 starts every VM up, as if the deployment had been running a while;
a VM that starts during the run begins down and needs numberOfProbes successes (fact 80).
"""

from __future__ import annotations

UP = "up"
DOWN = "down"
HISTORY = 8


class ProbeState:
    __slots__ = ("probe", "vm", "state", "streak", "history", "changed_ms", "next_ms", "stopped")

    def __init__(self, probe: str, vm: str, next_ms: int, state: str = UP):
        self.probe = probe
        self.vm = vm
        self.state = state
        self.streak = 0          # consecutive results against the current state
        self.history: list[str] = []  # newest last: "ok" / "fail"
        self.changed_ms = 0
        self.next_ms = next_ms
        self.stopped = False

    def record(self, ok: bool, threshold: int, now: int, immediate_down: bool = False) -> bool:
        """Add a result; return True when the state flipped."""
        self.history = (self.history + ["ok" if ok else "fail"])[-HISTORY:]
        against = (not ok) if self.state == UP else ok
        if not against:
            self.streak = 0
            return False
        self.streak += 1
        if self.streak >= threshold or (immediate_down and self.state == UP):
            self.state = DOWN if self.state == UP else UP
            self.streak = 0
            self.changed_ms = now
            return True
        return False

    def clone(self) -> "ProbeState":
        """A copy for a checkpoint (the history list is copied, not shared)."""
        new = ProbeState.__new__(ProbeState)
        for name in ProbeState.__slots__:
            setattr(new, name, getattr(self, name))
        new.history = list(self.history)
        return new

    @property
    def eligible(self) -> bool:
        return self.state == UP and not self.stopped

    def to_json(self, now: int) -> dict:
        return {"probe": self.probe, "vm": self.vm, "state": self.state, "streak": self.streak,
                "history": list(self.history), "changed_ms": self.changed_ms,
                "next_probe_in_ms": max(0, self.next_ms - now) if not self.stopped else None,
                "stopped": self.stopped}
