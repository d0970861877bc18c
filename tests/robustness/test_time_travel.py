"""Time travel with injected events: going back and replaying must reproduce what was seen.

Found by the engine state machine (test_engine_properties.py): an event injected when the clock
has moved past the last recorded step (after `run(until=...)`, or after `step()` consumed only
silent events such as a connect timeout of a connection that had already failed) is replayed at
the time of that last step instead of the time it was injected, so the replayed records differ.
"""

from __future__ import annotations

import pytest

import lb6.model.engine.engine as engine_mod
from lb6.model.engine.engine import Engine
from lb6.model.engine.timeline import ReplayDiverged
from lb6.model.world.trace import StepLog
from lb6.model.scenario.document import TimedEvent
from lb6.model.scenario.schema import EventSpec

from tests.model.helpers import FE_V4, farm, load


def event(kind: str, body: dict, now: int, conn_id: str | None = None) -> TimedEvent:
    return TimedEvent(now, kind, EventSpec.model_validate({kind: body}).body, -1, conn_id)


def test_inject_after_run_until_replays_at_its_time():
    eng = Engine(load(farm(probe="{name: tcp-80, protocol: Tcp, port: 80, interval_s: 60}")))
    eng.run(until=500)
    eng.inject(event("connect", {"id": "late", "client": "vera", "to": FE_V4, "port": 80},
                     eng.now, "late"))
    eng.run(until=5_000)
    full = list(eng.records)
    eng.goto(0)
    eng.goto(len(full))
    assert [(s.t_ms, s.reason) for s in eng.records] == [(s.t_ms, s.reason) for s in full]


def test_inject_after_silent_events_replays_at_its_time():
    # A connection to a VM that refuses: after the reset, its connect timer fires silently at
    # 3 s and the heap is empty; an event injected then must replay at 3 s, not at the reset.
    text = farm(probe="{name: tcp-80, protocol: Tcp, port: 80}", v4_probe="", v6_probe="",
                timeline=f"- {{at: 0s, connect: {{id: a, client: vera, to: {FE_V4}, port: 80}}}}",
                web1_extra="running: false")
    text = text.replace("probes:\n    - {name: tcp-80, protocol: Tcp, port: 80}", "probes: []")
    eng = Engine(load(text))
    while eng.step() is not None:
        pass
    assert eng.now > eng.records[-1].t_ms     # the clock moved on without a record
    eng.inject(event("stop_vm", {"vm": "web2"}, eng.now))
    eng.step()
    full = list(eng.records)
    eng.goto(0)
    eng.goto(len(full))
    assert [(s.t_ms, s.reason) for s in eng.records] == [(s.t_ms, s.reason) for s in full]


@pytest.mark.parametrize("block", [StepLog.BLOCK, 4])  # steps as objects / in packed blocks
def test_the_injection_time_bug_is_caught_as_a_diverging_replay(monkeypatch, block):
    # Reintroduce the bug the two tests above were written for: a replayed injection scheduled
    # at the time of the step it follows instead of the time it was made. The steps a replay
    # recomputes then differ from those recorded (t=0 against t=500); before replays were
    # checked, the stored steps were read back and nothing noticed.
    monkeypatch.setattr(engine_mod, "injection_time", lambda now, made_at: now)
    monkeypatch.setattr(StepLog, "BLOCK", block)
    eng = Engine(load(farm(probe="{name: tcp-80, protocol: Tcp, port: 80, interval_s: 60}")))
    eng.run(until=500)
    eng.inject(event("connect", {"id": "late", "client": "vera", "to": FE_V4, "port": 80},
                     eng.now, "late"))
    eng.run(until=5_000)
    known = eng.known
    eng.goto(0)
    with pytest.raises(ReplayDiverged) as caught:
        eng.goto(known)
    assert caught.value.stored.t_ms == 500 and caught.value.replayed.t_ms < 500
