"""Replay a scenario headless and judge its expectations against what the engine did."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..net.addressing import canonical
from .engine import Engine
from ..scenario.document import Scenario
from ..scenario.schema import ExpectSpec


@dataclass(frozen=True)
class Verdict:
    text: str
    passed: bool
    detail: str = ""

    def to_json(self) -> dict:
        return {"text": self.text, "passed": self.passed, "detail": self.detail}


@dataclass
class Result:
    scenario: Scenario
    engine: Engine
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)


@dataclass(frozen=True)
class ConnectionTally:
    """How the run's connections ended: a scenario's expectations may pin only a few of them,
    so a PASS line alone hides a connection nobody wrote an expectation for."""
    total: int
    failed: int
    dispositions: tuple[tuple[str, int], ...]   # each failed outcome and its count, first seen first


def tally_connections(engine: Engine) -> ConnectionTally:
    """Count the connections that ended `failed`, by the disposition that ended them."""
    conns = engine.connections()
    outcomes = Counter(c.outcome or "unknown" for c in conns if c.status == "failed")
    return ConnectionTally(len(conns), sum(outcomes.values()), tuple(outcomes.items()))


def describe(ex: ExpectSpec) -> str:
    """The expectation as a sentence (its `text` when the author gave one)."""
    if ex.text:
        return ex.text
    if ex.connection is not None:
        parts = []
        for key, label in (("outcome", "ends"), ("served_by", "is served by"),
                           ("family", "uses"), ("client_saw", "client sees"),
                           ("server_saw", "server sees"), ("saw_disposition", "has a step")):
            value = getattr(ex, key)
            if value is not None:
                parts.append(f"{label} {value}")
        return f"connection {ex.connection} " + ", ".join(parts)
    if ex.warning is not None:
        return f"warning {ex.warning} is {'raised' if ex.raised else 'not raised'}"
    if ex.probe is not None:
        return f"probe {ex.probe} has {ex.vm} {ex.state} at {ex.at / 1000:g} s"
    return f"{ex.flows} flows in the table at {ex.at / 1000:g} s"


def _judge_connection(engine: Engine, ex: ExpectSpec) -> tuple[bool, str]:
    conn = engine.connection(ex.connection)
    if conn is None:
        return False, "the connection never started"
    checks = []
    if ex.outcome is not None:
        checks.append((conn.outcome == ex.outcome, f"outcome {conn.outcome}"))
    if ex.served_by is not None:
        checks.append((conn.served_by == ex.served_by, f"served by {conn.served_by}"))
    if ex.family is not None:
        checks.append((conn.family == ex.family, f"family {conn.family}"))
    if ex.client_saw is not None:
        checks.append((conn.client_saw == canonical(ex.client_saw), f"client saw {conn.client_saw}"))
    if ex.server_saw is not None:
        checks.append((conn.server_saw == canonical(ex.server_saw), f"server saw {conn.server_saw}"))
    if ex.saw_disposition is not None:
        checks.append((ex.saw_disposition in conn.seen,
                       f"dispositions {', '.join(dict.fromkeys(conn.seen))}"))
    return all(ok for ok, _ in checks), "; ".join(text for _, text in checks)


def _judge_now(engine: Engine, ex: ExpectSpec) -> tuple[bool, str]:
    if ex.probe is not None:
        ps = engine.state.probes.get((ex.probe, ex.vm))
        if ps is None:
            return False, f"probe {ex.probe} does not probe {ex.vm}"
        return ps.state == ex.state, f"{ex.vm} was {ps.state}"
    count = len(engine.state.flows)
    return count == ex.flows, f"{count} flows"


def run_scenario(scenario: Scenario, seed: int | None = None) -> Result:
    """Run to the scenario's end, judging timed expectations at their moment."""
    engine = Engine(scenario, seed)
    result = Result(scenario, engine)
    timed = sorted(((i, ex) for i, ex in enumerate(scenario.expectations) if ex.at is not None),
                   key=lambda p: (p[1].at, p[0]))
    verdicts: dict[int, Verdict] = {}
    for i, ex in timed:
        engine.run(until=ex.at)
        ok, detail = _judge_now(engine, ex)
        verdicts[i] = Verdict(describe(ex), ok, detail)
    engine.run(until=scenario.duration_ms)
    for i, ex in enumerate(scenario.expectations):
        if i in verdicts:
            continue
        if ex.connection is not None:
            ok, detail = _judge_connection(engine, ex)
        else:
            raised = [w for w in engine.state.warnings if w.id == ex.warning]
            ok = bool(raised) == ex.raised
            detail = (f"raised at step {raised[0].n}" if raised else "never raised")
        verdicts[i] = Verdict(describe(ex), ok, detail)
    result.verdicts = [verdicts[i] for i in range(len(scenario.expectations))]
    result.verdicts += [_judge_question(engine, q) for q in scenario.questions]
    return result


def answer_of(engine, question) -> str:
    """The engine's answer to a lesson question, read from the connection once it has played
    out: what lessons reveal and what `lb6 run` checks is among the choices."""
    conn = engine.connection(question.connection)
    if conn is None:
        return "none"
    if question.ask == "passes_nsg":
        return "no" if "dropped-nsg" in conn.seen else "yes"
    value = getattr(conn, question.ask)
    return str(value) if value is not None else "none"


def _judge_question(engine: Engine, question) -> Verdict:
    """A lesson question must be answerable: the engine's own answer is one of its choices."""
    correct = answer_of(engine, question)
    return Verdict(f"question {question.id}: the engine's answer is one of the choices",
                   correct in question.choices, f"engine says {correct}")


def to_json(result: Result) -> dict:
    """The `run --json` document (PRODUCT.md's contract; keys are stable)."""
    eng = result.engine
    now = eng.now
    return {
        "scenario": result.scenario.name,
        "title": result.scenario.title,
        "seed": eng.seed,
        "steps": [s.to_json() for s in eng.records],
        "flows": [f.to_json(now) for f in eng.flows()],
        "connections": [c.to_json() for c in eng.connections()],
        "probes": [p.to_json(now) for p in eng.probe_states()],
        "warnings": [w.to_json() for w in eng.warnings()],
        "expectations": [v.to_json() for v in result.verdicts],
        "passed": result.passed,
    }
