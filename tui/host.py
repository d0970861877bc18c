"""What the explorer's controllers may ask of the app: a small typed interface.

Lessons, injections and the classroom used to be mixins of the app, each reaching into the
others' private methods. Each is now a controller holding an `Explorer` (the app, seen through
this protocol), so what a controller depends on is written down here and nowhere else, and the
app stays wiring: its actions forward to the controller that does the job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.timer import Timer
    from textual.worker import Worker

    from ..model.scenario.document import Scenario
    from .classroom.client import ClassLink
    from .lessons import LessonState
    from .session import Moved, Session


class Explorer(Protocol):
    """The explorer as its lesson, injection and playback controllers see it."""

    session: Session
    lesson: LessonState | None

    @property
    def screen(self) -> Screen: ...

    @property
    def screen_stack(self) -> list[Screen]: ...

    def main(self, selector: Any, expect_type: Any = None) -> Any:
        """A widget of the main screen, even while a dialog is on top of it."""

    def notify(self, message: str, *, title: str = "", severity: str = "information",
               timeout: float | None = None, markup: bool = True) -> None: ...

    def push_screen(self, screen: Screen, callback: Callable[[Any], Any] | None = None) -> Any: ...

    def refresh_panes(self) -> None:
        """Show the session where it now stands."""

    def show_moved(self, moved: Moved) -> None:
        """Repaint after a navigation if it changed anything, or say that nothing happens."""

    def stop_playing(self) -> None: ...

    def set_interval(self, interval: float, callback: Callable[[], Any] | None = None) -> Timer: ...

    def inject(self, kind: str, body: dict, conn_id: str | None = None) -> bool:
        """Inject an event at the current step and take it; False (and a notice) if refused."""


class ClassExplorer(Explorer, Protocol):
    """The explorer as its classroom controller sees it: workers, bindings and the door that
    opens another scenario too."""

    class_link: ClassLink | None

    async def open_scenario(self, scenario: Scenario) -> None: ...

    def run_worker(self, work: Any, *, group: str = "default") -> Worker: ...

    def refresh_bindings(self) -> None: ...
