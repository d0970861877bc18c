"""What every pane of the explorer is fed, and the one way a hidden pane catches up.

The app owns one reactive `moment` (where the explorer stands: the session, the step, how many
steps are known, the trace's revision, the virtual time) and each pane binds to it with
`data_bind`, as Textual's `world_clock03.py` does: attributes down, messages up. A pane in a
hidden tab does not paint on every step (listing 100k flows costs more than the step itself);
it notes that it is stale and catches up when its tab is shown again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.reactive import var

if TYPE_CHECKING:
    from ..session import Session


@dataclass(frozen=True)
class Moment:
    """Where the explorer stands. Equal moments show the same thing."""

    session: Session
    position: int
    known: int
    revision: int
    now: int

    @classmethod
    def of(cls, session: Session) -> Moment:
        return cls(session, session.position, session.known, session.revision, session.now)


class CatchUpPane:
    """Mixin for a widget fed the app's `moment`: it paints while on screen, and otherwise
    remembers that it is stale and paints once when shown.

    Mix it into a widget, before the widget class (`class StepLog(CatchUpPane, ScrollView)`),
    bind it with `.data_bind(Lb6App.moment)` and implement `paint(moment)`, which should
    repaint only what changed since the last paint (a step changes a line or two, not the
    whole pane). A pane's own controls (a sort key, a filter) call `catch_up()` too.
    """

    # Every refresh of the app is a request to look again (a widget's own `paint` skips what
    # did not change), so watchers run even when the moment is equal to the last one. A `var`,
    # not a `reactive`: a reactive would repaint the whole widget on every step, and the panes
    # repaint only the lines and cells that changed (issue 8, tests/tui/test_repaint.py).
    moment: var[Moment | None] = var(None, always_update=True, init=False)
    _stale: bool = True

    def watch_moment(self, moment: Moment | None) -> None:
        self.catch_up()

    def catch_up(self) -> None:
        """Paint at the current moment if on screen; otherwise note that it is stale."""
        moment = self.moment
        if moment is None:
            return
        if not self.is_on_screen:
            self._stale = True
            return
        self._stale = False
        self.paint(moment)

    def paint(self, moment: Moment) -> None:  # pragma: no cover - each pane has its own
        raise NotImplementedError

    def on_show(self) -> None:
        if self._stale:
            self.catch_up()
        if self._stale:  # not placed on the screen yet: after the refresh that places it
            self.call_after_refresh(self.catch_up)
