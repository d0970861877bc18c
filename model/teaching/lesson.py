"""Lessons: predict-then-reveal questions judged by what the engine does.

A question is about one connection. It is asked just before the step that would reveal the
answer (the hash's pick, the packet reaching the server, the NSG decision...), and the right
answer is never typed by hand: it is read from the engine run forward from the moment the
question is asked (in a `lookahead`, which comes back to that moment exactly), so injected
events and changed settings are taken into account.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..deployment.node_ids import HOST, VM, split_node_id
from ..scenario.schema import QuestionSpec
from ..engine.runner import answer_of
from ..world.trace import Step

# For each kind of question, the step kinds that give its answer away.
REVEALED_BY = {
    "served_by": ("backend-choice",),
    "server_saw": ("deliver",),
    "family": ("choose", "send"),
    "outcome": ("dns", "choose", "send"),
    "passes_nsg": ("nsg", "deliver"),
}


def reveals(question: QuestionSpec, step: Step) -> bool:
    """True when `step` is the one that would give the answer to `question` away."""
    if step.conn != question.connection or step.kind not in REVEALED_BY[question.ask]:
        return False
    if question.ask == "server_saw":
        return split_node_id(step.node)[0] in (HOST, VM)
    return True


def next_step(engine) -> Step | None:
    """The step that the engine's next `step()` would make, without moving (computing it in
    a lookahead when it is not known yet, and keeping it known); None at the end."""
    if engine.position < engine.known:
        return engine.step_at(engine.position + 1)
    with engine.lookahead(keep=True):
        return engine.step()


def play_out(engine, question: QuestionSpec, horizon_ms: int) -> None:
    """Step `engine` until the question's connection is settled (or past `horizon_ms`)."""
    while engine.peek() is not None and engine.peek() <= horizon_ms:
        conn = engine.connection(question.connection)
        if conn is not None and _settled(conn, question):
            break
        if engine.step() is None:
            break


def _settled(conn, question: QuestionSpec) -> bool:
    if question.ask == "served_by":
        return conn.served_by is not None or conn.status in ("failed", "closed")
    if question.ask == "server_saw":
        return conn.server_saw is not None or conn.status in ("failed", "closed")
    if question.ask == "family":
        return conn.family is not None or conn.status in ("failed", "closed")
    return conn.status in ("failed", "closed")


@dataclass(frozen=True)
class Judged:
    question: QuestionSpec
    given: str | None
    correct: str

    @property
    def right(self) -> bool:
        return self.given == self.correct


def judge(engine, question: QuestionSpec, given: str | None, horizon_ms: int) -> Judged:
    """The engine's answer to `question` against the one `given`; the engine is left where
    it was."""
    with engine.lookahead():
        play_out(engine, question, horizon_ms)
        correct = answer_of(engine, question)
    return Judged(question, given, correct)
