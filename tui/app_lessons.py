"""Lesson mode and the twin-stack comparison, as a mixin of the explorer app.

Kept out of `tui/app.py` so that the app stays wiring. The state (notes, questions, answers)
lives in `tui.lessons.LessonState`; the key for each question comes from the engine.
"""

from __future__ import annotations

from textual.widgets import Markdown

from lb6.tui import present
from lb6.tui.screens.lesson import (CheckpointScreen, CompareAskScreen, CompareScreen,
                                QuestionScreen, SummaryScreen)


class LessonMode:
    """Needs from the app: session, lesson, main(), notify(), push_screen(), refresh_panes(),
    _moved() and _stop_playing()."""

    def _show_narration(self) -> None:
        box = self.main("#narration", Markdown)
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        screen.set_class(self.lesson is not None, "-lesson")
        if self.lesson is None:
            return
        found = self.lesson.note_at(self.session.now)
        index, note = found if found else (None, None)
        box.update(present.narration(note.text if note else None, index,
                                     len(self.lesson.notes), self.lesson.score))

    def _ask_if_due(self, then_step: bool) -> bool:
        """Ask a question the next step would answer; True when a dialog was opened."""
        if self.lesson is None:
            return False
        question = self.lesson.due(self.session.peek_next())
        if question is None:
            return False
        self._stop_playing()
        number = self.lesson.questions.index(question) + 1

        def answered(choice) -> None:
            judged = self.lesson.answer(self.session.engine, question, choice,
                                        self.session.scenario.duration_ms)
            if choice is None:
                self.notify(f"Skipped. The engine's answer: {judged.correct}", timeout=5)
            elif judged.right:
                self.notify(f"Right: {judged.correct}.", timeout=4)
            else:
                self.notify(f"Not quite: you said {choice}, the engine says {judged.correct}.",
                            severity="warning", timeout=6)
            if then_step:
                self._moved(self.session.forward())
            else:
                self.refresh_panes()
        self.push_screen(QuestionScreen(question, number, len(self.lesson.questions)), answered)
        return True

    def _maybe_summary(self) -> None:
        if (self.lesson is not None and not self._summary_shown and self.lesson.questions
                and len(self.lesson.answers) == len(self.lesson.questions)):
            self._summary_shown = True
            self.push_screen(SummaryScreen(self.lesson))

    def action_next_note(self) -> None:
        if self.lesson is None:
            return
        note = self.lesson.note_after(self.session.now)
        if note is None:
            self.notify("That was the last note.", timeout=2)
            return
        # Walk forward rather than jump, so a question on the way is still asked first.
        start = self.session.position
        while (nxt := self.session.peek_next()) is not None and nxt.t_ms <= note.at:
            if self.lesson.due(nxt) is not None:
                break
            self.session.forward()
        if self.session.position != start:
            self.refresh_panes()
        self._ask_if_due(then_step=True)

    def action_previous_note(self) -> None:
        if self.lesson is None:
            return
        note = self.lesson.note_before(self.session.now)
        if note is not None:
            self._moved(self.session.goto_time(note.at))

    def action_checkpoints(self) -> None:
        points = self.session.scenario.checkpoints
        if not points:
            self.notify("This scenario has no checkpoints.", timeout=2)
            return
        self.push_screen(CheckpointScreen(points),
                         lambda at: at is not None and self._moved(self.session.goto_time(at)))

    def action_summary(self) -> None:
        if self.lesson is None:
            self.notify("Not a lesson: no questions to score.", timeout=2)
            return
        self.push_screen(SummaryScreen(self.lesson))

    def action_compare(self) -> None:
        from lb6.model.teaching.compare import compare
        t = self.session.engine.topology
        clients = [c.name for c in t.clients if c.stack == "dual"]

        def asked(answer) -> None:
            if answer is None:
                return
            client, to, port = answer
            try:
                result = compare(self.session.scenario, client, to, port)
            except ValueError as exc:
                self.notify(f"Refused: {exc}", severity="error", timeout=6)
                return
            self.push_screen(CompareScreen(present.comparison(result)))
        self.push_screen(CompareAskScreen(clients, [d.name for d in t.dns]), asked)

