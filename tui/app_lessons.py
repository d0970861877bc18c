"""Lesson mode and the twin-stack comparison: the explorer's lesson controller.

Kept out of `tui/app.py` so that the app stays wiring: the app's lesson actions forward here.
The state (notes, questions, answers) lives in `tui.lessons.LessonState`; the key for each
question comes from the engine. What this needs from the app is `tui.host.Explorer`.
"""

from __future__ import annotations

from textual.widgets import Markdown

from ..model.teaching.lesson import next_step
from . import present
from .host import Explorer
from .screens.lesson import (CheckpointScreen, CompareAskScreen, CompareScreen,
                                    QuestionScreen, SummaryScreen)


class LessonController:
    """Narration, questions before the step that answers them, notes, checkpoints, the
    summary and the twin-stack comparison."""

    def __init__(self, app: Explorer) -> None:
        self.app = app

    @property
    def session(self):
        return self.app.session

    @property
    def lesson(self):
        return self.app.lesson

    def show_narration(self) -> None:
        box = self.app.main("#narration", Markdown)
        screen = self.app.screen_stack[0] if self.app.screen_stack else self.app.screen
        screen.set_class(self.lesson is not None, "-lesson")
        if self.lesson is None:
            return
        found = self.lesson.note_at(self.session.now)
        index, note = found if found else (None, None)
        box.update(present.narration(note.text if note else None, index,
                                     len(self.lesson.notes), self.lesson.score))

    def ask_if_due(self, then_step: bool) -> bool:
        """Ask a question the next step would answer; True when a dialog was opened."""
        if self.lesson is None:
            return False
        question = self.lesson.due(next_step(self.session.engine))
        if question is None:
            return False
        self.app.stop_playing()
        number = self.lesson.questions.index(question) + 1

        def answered(choice) -> None:
            judged = self.lesson.answer(self.session.engine, question, choice,
                                        self.session.scenario.duration_ms)
            if choice is None:
                self.app.notify(f"Skipped. The engine's answer: {judged.correct}", timeout=5)
            elif judged.right:
                self.app.notify(f"Right: {judged.correct}.", timeout=4)
            else:
                self.app.notify(f"Not quite: you said {choice}, the engine says {judged.correct}.",
                                severity="warning", timeout=6)
            if then_step:
                self.app.show_moved(self.session.forward())
            else:
                self.app.refresh_panes()
        self.app.push_screen(QuestionScreen(question, number, len(self.lesson.questions)),
                             answered)
        return True

    def maybe_summary(self) -> None:
        """Show the summary once, when the last question has been answered."""
        lesson = self.lesson
        if (lesson is not None and not lesson.summary_shown and lesson.questions
                and len(lesson.answers) == len(lesson.questions)):
            lesson.summary_shown = True
            self.app.push_screen(SummaryScreen(lesson))

    def next_note(self) -> None:
        if self.lesson is None:
            return
        note = self.lesson.note_after(self.session.now)
        if note is None:
            self.app.notify("That was the last note.", timeout=2)
            return
        # Walk forward rather than jump, so a question on the way is still asked first.
        start = self.session.position
        while (nxt := next_step(self.session.engine)) is not None and nxt.t_ms <= note.at:
            if self.lesson.due(nxt) is not None:
                break
            self.session.forward()
        if self.session.position != start:
            self.app.refresh_panes()
        self.ask_if_due(then_step=True)

    def previous_note(self) -> None:
        if self.lesson is None:
            return
        note = self.lesson.note_before(self.session.now)
        if note is not None:
            self.app.show_moved(self.session.goto_time(note.at))

    def checkpoints(self) -> None:
        points = self.session.scenario.checkpoints
        if not points:
            self.app.notify("This scenario has no checkpoints.", timeout=2)
            return
        self.app.push_screen(CheckpointScreen(points), lambda at: at is not None
                             and self.app.show_moved(self.session.goto_time(at)))

    def summary(self) -> None:
        if self.lesson is None:
            self.app.notify("Not a lesson: no questions to score.", timeout=2)
            return
        self.app.push_screen(SummaryScreen(self.lesson))

    def compare(self) -> None:
        from ..model.teaching.compare import compare
        t = self.session.engine.topology
        clients = [c.name for c in t.clients if c.stack == "dual"]

        def asked(answer) -> None:
            if answer is None:
                return
            client, to, port = answer
            try:
                result = compare(self.session.scenario, client, to, port)
            except ValueError as exc:
                self.app.notify(f"Refused: {exc}", severity="error", timeout=6)
                return
            self.app.push_screen(CompareScreen(present.comparison(result)))
        self.app.push_screen(CompareAskScreen(clients, [d.name for d in t.dns]), asked)
