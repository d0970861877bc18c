"""Lesson mode state: notes, questions asked and answered, the score. No Textual here."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.teaching.lesson import Judged, judge, reveals
from ..model.scenario.schema import NoteSpec, QuestionSpec


@dataclass
class LessonState:
    notes: tuple[NoteSpec, ...]
    questions: tuple[QuestionSpec, ...]
    answers: dict[str, Judged] = field(default_factory=dict)
    summary_shown: bool = False  # shown once, when the last question is answered

    @property
    def score(self) -> tuple[int, int]:
        return sum(j.right for j in self.answers.values()), len(self.answers)

    def note_at(self, now: int) -> tuple[int, NoteSpec] | None:
        """The latest note whose time has come, with its index."""
        found = None
        for i, note in enumerate(self.notes):
            if note.at <= now:
                found = (i, note)
        return found

    def note_after(self, now: int) -> NoteSpec | None:
        return next((n for n in self.notes if n.at > now), None)

    def note_before(self, now: int) -> NoteSpec | None:
        current = self.note_at(now)
        if current is None or current[0] == 0:
            return None
        return self.notes[current[0] - 1]

    def due(self, next_step) -> QuestionSpec | None:
        """An unanswered question that the next step would give away."""
        if next_step is None:
            return None
        for q in self.questions:
            if q.id not in self.answers and reveals(q, next_step):
                return q
        return None

    def answer(self, engine, question: QuestionSpec, given: str | None, horizon_ms: int) -> Judged:
        judged = judge(engine, question, given, horizon_ms)
        self.answers[question.id] = judged
        return judged
