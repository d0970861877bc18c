"""The engine's timeline (the one store of steps), its lookahead, and checked replays."""

from __future__ import annotations

import random

import pytest

import lb6.model.engine.timetravel as timetravel
from lb6.model.engine.timeline import ReplayDiverged
from lb6.model.errors import InternalError
from lb6.model.scenario import library
from lb6.model.scenario.document import TimedEvent, load_scenario
from lb6.model.scenario.schema import ConnectSpec
from lb6.model.teaching.lesson import judge, next_step
from lb6.model.world.state import Mark, State
from lb6.model.world.trace import Step
from lb6.tui.session import Session

from .helpers import FE_V4, engine
from .test_engine import BUSY, all_steps, snapshot


def whole(eng) -> tuple:
    """Everything a state holds that a lookahead must put back, in order."""
    s = eng.state
    return (eng.position, eng.known, snapshot(eng), list(s.heap), s.seq, s.rng.getstate(),
            [list(dict.items(d)) for d in s.journaled()], s.flows.next_id,
            list(s.injected), s.injected_applied)


def settled(eng) -> tuple:
    """What a goto must reach, as the checkpoint tests compare it (a heap's layout and the
    records' identity may differ)."""
    return (eng.position, snapshot(eng), sorted(e[:3] for e in eng.state.heap), eng.state.seq,
            eng.state.rng.getstate())


@pytest.fixture
def tiny_checkpoints(monkeypatch):
    monkeypatch.setattr(timetravel, "CHECKPOINT_STEPS", 3)
    monkeypatch.setattr(timetravel, "ANCHOR_CHUNKS", 2)
    monkeypatch.setattr(timetravel, "ANCHOR_COST_CHUNKS", 1_000)  # walk the chunks: test them


# ---- reading the timeline -----------------------------------------------------------------------


def test_the_timeline_api_reads_the_known_steps_past_the_position_too():
    eng = all_steps()
    full = list(eng.records)
    eng.goto(10)
    assert eng.position == 10 and eng.known == len(full)
    assert [eng.step_at(n) for n in range(1, eng.known + 1)] == full
    with pytest.raises(IndexError):
        eng.step_at(0)
    with pytest.raises(IndexError):
        eng.step_at(eng.known + 1)
    assert eng.steps_of("b.2") == [s for s in full if s.conn == "b.2"] != []
    assert eng.steps_of("nobody") == []
    for t in (0, full[0].t_ms - 1, full[0].t_ms, full[20].t_ms, full[-1].t_ms, 10**9):
        assert eng.index_of_time(t) == sum(s.t_ms <= t for s in full)


def test_path_of_reads_places_without_decoding(monkeypatch):
    from lb6.model.world.trace import StepLog
    monkeypatch.setattr(StepLog, "BLOCK", 4)  # most steps sit in packed blocks
    eng = all_steps()
    full = list(eng.records)
    steps = [s for s in full if s.conn == "a"]
    until = steps[len(steps) // 2].n
    nodes = []
    for s in steps:
        if s.n <= until and (not nodes or nodes[-1] != s.node):
            nodes.append(s.node)
    assert eng.path_of("a", until) == nodes and len(nodes) > 2


def test_an_injection_drops_the_indexes_of_the_old_future():
    eng = all_steps()
    eng.goto(15)
    eng.inject(TimedEvent(eng.now, "connect", ConnectSpec(id="live", client="vera", to=FE_V4,
                                                         port=80), -1, "live"))
    assert eng.known == 15
    assert all(s.n <= 15 for s in eng.steps_of("c.1") + eng.steps_of("b.4"))
    assert eng.index_of_time(10**9) == 15
    eng.run(until=eng.scenario.duration_ms)
    full = list(eng.records)
    assert eng.steps_of("live") == [s for s in full if s.conn == "live"] != []
    assert eng.index_of_time(10**9) == eng.known == len(full)


def test_the_explorer_keeps_no_steps_of_its_own():
    session = Session(load_scenario(library.find("dual_stack_web_farm")))
    session.to_end()
    assert set(vars(session)) == {"scenario", "revision", "engine", "_findings"}
    assert session.known == session.engine.known > 0
    assert session.step_at(3) is session.engine.step_at(3)


# ---- lookahead ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ahead", [1, 7, 40])
def test_lookahead_comes_back_exactly(tiny_checkpoints, ahead):
    straight = all_steps()
    eng = engine(BUSY)
    rng = random.Random(ahead)
    for _ in range(6):
        eng.goto(rng.randrange(straight.known))
        if rng.random() < 0.5:
            eng.run(until=eng.now + 700)  # a clock moved past the last step, silent pops
        before = whole(eng)
        with eng.lookahead():
            for _ in range(ahead):
                eng.step()
            assert eng.position > before[0] or eng.peek() is None
        assert whole(eng) == before
    eng.run(until=eng.scenario.duration_ms)
    assert eng.records == straight.records and snapshot(eng) == snapshot(straight)
    for n in (eng.known - 2, 4, eng.known // 2):  # and the checkpoints taken meanwhile hold
        eng.goto(n)
        reference = engine(BUSY)
        reference.goto(n)
        assert settled(eng) == settled(reference)


def test_next_step_does_not_move_and_forward_makes_it():
    eng = engine(BUSY)
    eng.goto(30)
    before = whole(eng)
    upcoming = next_step(eng)                   # not known yet: computed in a lookahead
    assert whole(eng)[:1] + whole(eng)[2:] == before[:1] + before[2:]
    assert eng.known == 31 and eng.step() == upcoming  # kept known, as the explorer shows
    eng.goto(5)
    assert next_step(eng) == eng.step_at(6)     # known: read


def test_judging_a_question_leaves_the_engine_where_it_was():
    scenario = load_scenario(library.find("lesson_1_first_dual_stack_request"))
    eng = engine_of(scenario)
    question = scenario.questions[0]
    before = whole(eng)
    judged = judge(eng, question, None, scenario.duration_ms)
    assert judged.correct in question.choices
    assert whole(eng) == before


def engine_of(scenario):
    from lb6.model.engine.engine import Engine
    eng = Engine(scenario)
    eng.step()
    return eng


def test_no_injection_inside_a_lookahead_and_the_engine_is_as_before():
    eng = engine(BUSY)
    eng.goto(40)
    eng.goto(5)  # 40 steps known, at step 5: an injection would drop 35 of them
    before = whole(eng)
    with pytest.raises(RuntimeError, match="lookahead"):
        with eng.lookahead():
            eng.step()
            eng.inject(TimedEvent(eng.now, "connect", ConnectSpec(
                id="live", client="vera", to=FE_V4, port=80), -1, "live"))
    assert whole(eng) == before
    assert eng.known == 40


# ---- checked replays and the typed mark ------------------------------------------------------------


def test_a_replay_that_differs_names_the_step_and_both_versions():
    eng = all_steps()
    stored = eng.step_at(12)
    # Tamper with what was stored: the replay of step 12 must now be refused.
    eng.timeline.log._tail[11] = Step(*[getattr(stored, f) for f in Step.__slots__[:8]],
                                      "a reason nobody gave", *[getattr(stored, f) for f in
                                                                Step.__slots__[9:]])
    with pytest.raises(ReplayDiverged) as caught:
        eng.goto(0)
        eng.goto(20)
    err = caught.value
    assert isinstance(err, InternalError) and err.n == 12
    assert err.replayed == stored and err.stored.reason == "a reason nobody gave"
    assert "step 12" in str(err) and "reason" in str(err) and "a reason nobody gave" in str(err)


def test_a_mark_holds_every_small_attribute_of_the_state():
    eng = engine(BUSY)
    big = {"heap", "conns", "flows"}
    assert set(vars(eng.state)) - big == set(Mark.__slots__) - {"flows_next_id"}
    mark = eng.state.mark()
    assert isinstance(mark, Mark) and mark.flows_next_id == eng.state.flows.next_id
    with pytest.raises(AttributeError):
        mark.now = 5  # frozen


def test_restoring_a_mark_copies_it_again():
    eng = all_steps()
    mark = eng.state.mark()
    state: State = eng.state
    state.restore_mark(mark)
    state.vm_running["web1"] = not state.vm_running["web1"]
    state.warnings.append("changed after the restore")
    assert mark.vm_running != state.vm_running and state.warnings != mark.warnings


def test_a_packed_step_is_checked_by_its_row_and_its_texts_digest(monkeypatch):
    from lb6.model.world.trace import StepLog
    monkeypatch.setattr(StepLog, "BLOCK", 4)
    eng = all_steps()
    log = eng.timeline.log
    rows, blob, digests = log._blocks[2]        # steps 9-12
    digests[1] ^= 1                             # step 10's texts "changed"
    with pytest.raises(ReplayDiverged, match="step 10 came back different"):
        eng.goto(0)
        eng.goto(11)
    digests[1] ^= 1
    log._cache.clear()                          # the stored step is read back from the rows
    log._blocks[2] = (rows[:2] + ((rows[2][0] + 1,) + rows[2][1:],) + rows[3:], blob, digests)
    with pytest.raises(ReplayDiverged, match="step 11 came back different .*t_ms"):
        eng.goto(0)
        eng.goto(11)
