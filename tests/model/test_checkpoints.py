"""Dense checkpoints (model/journal.py): every way a goto can restore a state gives the state
a straight run reaches, with checkpoints and anchors made tiny so that each path is taken."""

import random

import pytest

import lb6.model.engine.timetravel as timetravel
from lb6.model.world.flows import FlowTable
from lb6.model.world.journal import MISSING, JournaledDict, apply_changes
from lb6.model.scenario.document import TimedEvent
from lb6.model.scenario.schema import ConnectSpec

from .helpers import FE_V4, engine
from .test_engine import BUSY, all_steps, snapshot


@pytest.fixture
def tiny_checkpoints(monkeypatch):
    monkeypatch.setattr(timetravel, "CHECKPOINT_STEPS", 3)
    monkeypatch.setattr(timetravel, "ANCHOR_CHUNKS", 2)


def reference(n: int):
    """The state after step n, reached without going back."""
    eng = engine(BUSY)
    eng.goto(n)
    return snapshot(eng), sorted(e[:3] for e in eng.state.heap)


@pytest.mark.parametrize("anchor_cost", [0, 1_000])  # from anchors / from the live state
def test_random_gotos_match_a_straight_run(tiny_checkpoints, monkeypatch, anchor_cost):
    monkeypatch.setattr(timetravel, "ANCHOR_COST_CHUNKS", anchor_cost)
    eng = all_steps()
    full = list(eng.records)
    rng = random.Random(5)
    for n in [0, len(full), 1] + [rng.randrange(len(full) + 1) for _ in range(12)]:
        eng.goto(n)
        assert eng.records == full[:n]
        assert (snapshot(eng), sorted(e[:3] for e in eng.state.heap)) == reference(n)


def test_flows_keep_creation_order_after_coming_back(tiny_checkpoints):
    eng = all_steps()
    ids = [f.id for f in eng.flows()]
    assert ids == sorted(ids)
    for n in (len(eng.records) // 2, 5, len(eng.records) - 1):
        eng.goto(n)
        ids = [f.id for f in eng.flows()]
        assert ids == sorted(ids)


def test_injection_drops_the_checkpoints_of_the_old_future(tiny_checkpoints):
    eng = all_steps()
    eng.goto(20)
    eng.inject(TimedEvent(eng.now, "connect", ConnectSpec(id="live", client="vera", to=FE_V4,
                                                         port=80), -1, "live"))
    eng.run(until=eng.scenario.duration_ms)
    changed = list(eng.records)
    for n in (len(changed) - 2, 21, 4, len(changed)):
        eng.goto(n)
        assert eng.records == changed[:n]
    assert eng.connection("live").outcome == "delivered"


def test_a_record_shared_with_a_checkpoint_is_copied_before_it_changes():
    flows = FlowTable()
    flow = flows.add("inbound", "Tcp", ("Tcp", "1.1.1.1", 1, FE_V4, 80),
                     ("Tcp", "1.1.1.1", 1, "10.0.0.4", 80), "web1", "fe", "r", "SYN_SENT", 0,
                     1000, None)
    assert flows.edit(flow.id) is flow          # this epoch's: changed in place
    flows.by_id.freeze()
    copy = flows.edit(flow.id)
    assert copy is not flow and flows.get(flow.id) is copy
    copy.state = "ESTABLISHED"
    assert flow.state == "SYN_SENT"             # the checkpoint's version is untouched


def test_changes_compose_in_order():
    d = JournaledDict(a=1, b=2)
    d["a"] = 10
    del d["b"]
    d["c"] = 3
    diff = d.take_diff()
    assert diff.undo.sets == {"a": 1, "b": 2} and diff.undo.dels == {"c"}
    assert diff.redo.sets == {"a": 10, "c": 3} and diff.redo.dels == {"b"}
    plain = {"a": 10, "c": 3}
    apply_changes(plain, [diff.undo])
    assert plain == {"a": 1, "b": 2}
    assert MISSING not in plain.values()


def test_step_log_blocks_read_back_the_same_steps(monkeypatch):
    from lb6.model.world.trace import StepLog
    monkeypatch.setattr(StepLog, "BLOCK", 4)
    steps = list(all_steps().records)
    log = StepLog()
    for s in steps:
        log.append(s)
    assert len(log) == len(steps) and list(log) == steps
    assert [s.to_json() for s in log] == [s.to_json() for s in steps]
    assert log[5] == steps[5] and log[-1] == steps[-1] and log[3:9] == steps[3:9]
    del log[10:]
    assert list(log) == steps[:10]
    log.append(steps[10])
    assert list(log) == steps[:11]
