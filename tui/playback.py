"""Playing the simulation: a timer that takes a step at the chosen speed and pauses where a
learner should stop (a lesson's question or pause point, the scenario's end).

What this needs from the app is `tui.host.Explorer`; questions are the lesson controller's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .host import Explorer

if TYPE_CHECKING:
    from textual.timer import Timer

    from .app_lessons import LessonController

SPEEDS = (1, 2, 5, 10, 20, 50)  # steps per second when playing


class Playback:
    """Play and pause, faster and slower."""

    def __init__(self, app: Explorer, lessons: LessonController) -> None:
        self.app = app
        self.lessons = lessons
        self.speed_index = 2
        self.timer: Timer | None = None

    @property
    def playing(self) -> bool:
        return self.timer is not None

    @property
    def speed(self) -> int:
        """Steps per second."""
        return SPEEDS[self.speed_index]

    def toggle(self) -> None:
        if self.timer:
            self.stop()
        else:
            self.timer = self.app.set_interval(1 / self.speed, self._tick)
        self.app.refresh_panes()

    def stop(self) -> None:
        if self.timer:
            self.timer.stop()
            self.timer = None

    def change_speed(self, delta: int) -> None:
        """One speed up (+1) or down (-1); a running player restarts at the new speed."""
        self.speed_index = min(max(self.speed_index + delta, 0), len(SPEEDS) - 1)
        if self.timer:
            self.stop()
            self.toggle()
        else:
            self.app.refresh_panes()

    def _tick(self) -> None:
        app, session = self.app, self.app.session
        if self.lessons.ask_if_due(then_step=True):
            return
        before = session.now
        moved = session.forward()
        if app.lesson is not None and any(n.pause and before < n.at <= session.now
                                          for n in app.lesson.notes):
            self.stop()
            app.notify("Pause point: read the note, then carry on.", timeout=3)
        if not moved.changed or session.now > session.scenario.duration_ms:
            self.stop()
            app.notify("Reached the scenario's end: paused.", timeout=2)
        app.refresh_panes()
