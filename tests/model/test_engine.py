"""The stepping engine: SimPy-shaped core, time travel, determinism."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lb6.model.engine.timetravel as timetravel
from lb6.model.scenario.document import TimedEvent
from lb6.model.scenario.schema import ConnectSpec

from .helpers import FE_V4, FE_V6, FQDN, engine, farm

ROOT = Path(__file__).resolve().parents[2]

BUSY = farm(duration="40s", timeline=f"""
- at: 1s
  connect: {{id: a, client: dana, to: {FQDN}, port: 80, requests: 3}}
- at: 2s
  connect: {{id: b, client: vera, to: {FE_V4}, port: 80, count: 5, every: 300ms}}
- at: 3s
  fail_service: {{vm: web1, port: 80}}
- at: 20s
  connect: {{id: c, client: sixto, to: "{FE_V6}", port: 80, count: 5, every: 300ms, hold: 5s}}
""")


def all_steps(text=BUSY):
    eng = engine(text)
    eng.run(until=eng.scenario.duration_ms)
    return eng


def snapshot(eng):
    """Everything the explorer shows besides the step list."""
    return (eng.now,
            [f.to_json(eng.now) for f in eng.flows()],
            [c.to_json() for c in eng.connections()],
            [p.to_json(eng.now) for p in eng.probe_states()],
            [w.to_json() for w in eng.warnings()])


# ---- the core ---------------------------------------------------------------------------------


def test_step_records_one_decision_and_advances_the_clock():
    eng = engine(BUSY)
    assert eng.now == 0 and eng.records == []
    first = eng.peek()
    step = eng.step()
    assert step.n == 1 and eng.records == [step]
    assert step.t_ms >= first and eng.now == step.t_ms


def test_run_until_stops_before_later_events_and_sets_now():
    eng = engine(BUSY)
    eng.run(until=2_500)
    assert all(s.t_ms <= 2_500 for s in eng.records)
    assert eng.now == 2_500
    assert eng.peek() > 2_500


def test_schedule_ties_run_in_scheduling_order():
    eng = engine(farm())
    order = []
    from lb6.model.world.registry import HANDLERS
    HANDLERS["_test_mark"] = lambda e, tag: order.append(tag)
    try:
        for tag in "abc":
            eng.schedule(500, "_test_mark", tag)
        eng.schedule(400, "_test_mark", "first")
        eng.run(until=600)
    finally:
        del HANDLERS["_test_mark"]
    assert order == ["first", "a", "b", "c"]


def test_schedule_never_goes_into_the_past():
    from lb6.model.world.registry import HANDLERS
    eng = engine(farm())
    eng.run(until=1_000)
    seen = []
    HANDLERS["_test_mark"] = lambda e: seen.append(e.now)
    try:
        eng.schedule(10, "_test_mark")
        eng.run(until=1_000)
    finally:
        del HANDLERS["_test_mark"]
    assert seen == [1_000]


def test_steps_are_frozen_values():
    step = all_steps().records[0]
    with pytest.raises(Exception):
        step.reason = "changed"


def test_step_json_has_the_stable_keys():
    doc = all_steps().records[2].to_json()
    assert set(doc) >= {"n", "t_ms", "node", "kind", "packet", "rewrite", "disposition",
                        "reason", "refs"}
    nat = next(s for s in all_steps().records if s.rewrite)
    assert nat.to_json()["rewrite"][0].keys() == {"field", "old", "new"}


# ---- time travel ------------------------------------------------------------------------------


def test_goto_and_back_reproduce_identical_records():
    eng = all_steps()
    full = list(eng.records)
    final = snapshot(eng)
    for n in (len(full) // 2, 3, 0, len(full) - 1):
        eng.goto(n)
        assert eng.records == full[:n]
        eng.run(until=eng.scenario.duration_ms)
        assert eng.records == full
        assert snapshot(eng) == final


def test_back_steps_one_at_a_time():
    eng = engine(BUSY)
    eng.run(until=3_000)
    full = list(eng.records)
    last = eng.back()
    assert last == full[-2] and len(eng.records) == len(full) - 1
    assert eng.step() == full[-1]


def test_goto_restores_state_not_just_records():
    forward = engine(BUSY)
    forward.goto(60)
    backward = all_steps()
    backward.goto(60)
    assert backward.records == forward.records
    assert snapshot(backward) == snapshot(forward)


def test_goto_forward_steps_ahead():
    eng = engine(BUSY)
    eng.goto(25)
    assert len(eng.records) == 25
    reference = all_steps().records[:25]
    assert eng.records == reference


def test_time_travel_across_checkpoints(monkeypatch):
    monkeypatch.setattr(timetravel, "CHECKPOINT_STEPS", 7)
    eng = all_steps()
    full = list(eng.records)
    final = snapshot(eng)
    marks = [i * 7 for i in range(len(eng._travel.intervals))]
    assert len(marks) >= 3                              # several checkpoints were taken
    targets = [marks[1], marks[1] + 1, marks[-1] - 1, marks[-1], len(full) - 3, 1, marks[2] + 2]
    for n in targets:
        eng.goto(n)
        assert eng.records == full[:n]
        eng.run(until=eng.scenario.duration_ms)
        assert eng.records == full and snapshot(eng) == final


def test_goto_replays_at_most_one_checkpoint_interval(monkeypatch):
    monkeypatch.setattr(timetravel, "CHECKPOINT_STEPS", 5)
    eng = all_steps()
    full = list(eng.records)
    replayed = []
    step = eng.step
    eng.step = lambda *a: replayed.append(1) or step(*a)
    for n in (len(full) - 1, 3, len(full) - 2, 9, 1, len(full)):
        replayed.clear()
        eng.goto(n)
        assert eng.records == full[:n] and len(replayed) <= 5


def test_inject_adds_an_event_at_the_current_time():
    eng = engine(farm())
    eng.run(until=2_000)
    body = ConnectSpec(id="live", client="vera", to=FE_V4, port=80)
    eng.inject(TimedEvent(eng.now, "connect", body, -1, "live"))
    eng.run(until=5_000)
    assert eng.connection("live").outcome == "delivered"


def test_inject_refuses_unknown_names():
    eng = engine(farm())
    body = ConnectSpec(id="x", client="nobody", to=FE_V4, port=80)
    with pytest.raises(ValueError, match="no client named 'nobody'"):
        eng.inject(TimedEvent(0, "connect", body, -1, "x"))


# ---- determinism ------------------------------------------------------------------------------


def test_same_seed_same_trace_in_process():
    a, b = all_steps(), all_steps()
    assert a.records == b.records


def test_seed_changes_ephemeral_ports_and_probe_phase():
    a = engine(BUSY)
    b = engine(BUSY.replace("seed: 3", "seed: 4"))
    a.run(until=40_000)
    b.run(until=40_000)
    assert [s.t_ms for s in a.records if s.kind == "probe"] != \
        [s.t_ms for s in b.records if s.kind == "probe"]


def run_json(hashseed: str) -> bytes:
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    out = subprocess.run([sys.executable, "-m", "lb6", "run", "dual_stack_web_farm", "--json"],
                         cwd=ROOT, env=env, capture_output=True, check=False)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout


def test_run_json_is_byte_identical_across_processes_and_hash_seeds():
    first, second = run_json("1"), run_json("12345")
    assert first == second
    doc = json.loads(first)
    assert doc["seed"] == 7 and doc["steps"]


def test_run_until_returns_when_only_silent_events_remain():
    # Both VMs stop: their probe chains end and nothing records a step any more; run() and
    # step() must come back instead of spinning on silent events.
    eng = engine(farm(timeline="- at: 1s\n  stop_vm: web1\n- at: 1s\n  stop_vm: web2\n",
                      duration="10m"))
    eng.run(until=10 * 60_000)
    assert eng.now == 10 * 60_000
    assert eng.step() is None


def test_step_with_until_never_passes_it():
    eng = engine(BUSY)
    while (step := eng.step(until=2_000)) is not None:
        assert step.t_ms <= 2_000
    assert eng.peek() > 2_000


def test_restarted_vm_keeps_one_probe_chain_on_its_old_phase():
    eng = engine(farm(timeline="- at: 3s\n  stop_vm: web1\n- at: 4s\n  start_vm: web1\n"
                               "- at: 30s\n  stop_vm: web1\n- at: 41s\n  start_vm: web1\n",
                      duration="60s"))
    eng.run(until=60_000)
    ticks = [s.t_ms for s in eng.records if s.kind == "probe" and s.node == "vm:web1"]
    gaps = {b - a for a, b in zip(ticks, ticks[1:])}
    assert all(g % 5_000 == 0 for g in gaps) and 5_000 in gaps   # one chain, same phase
    assert len(ticks) == len(set(ticks))                         # never two ticks at once
