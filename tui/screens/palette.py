"""The command palette, guarded against a Textual 8.2.8 race.

When keys arrive faster than the palette settles (a fast typist, or a paste), the palette can
handle a selection after it has already been dismissed, and dismiss itself a second time.
`Screen.dismiss` pops whatever screen is on top, so that second dismiss closed another dialog or
popped the explorer's main screen (ScreenStackError: the explorer died). Found by the monkey
test (tests/tui/test_monkey.py). Here the palette dismisses only while it is the top screen.
"""

from __future__ import annotations

from textual.await_complete import AwaitComplete
from textual.command import CommandPalette


class GuardedCommandPalette(CommandPalette):
    def dismiss(self, result=None) -> AwaitComplete:
        if not self.is_attached or self.app.screen is not self:
            return AwaitComplete.nothing()  # already closed: nothing of ours to pop
        return super().dismiss(result)

    def _action_command_list(self, action: str) -> None:
        # Textual 8.2.8: a page key that reaches the list before its first render indexes a
        # line map that is still empty (KeyError). Nothing is on a page yet: nothing to move.
        try:
            super()._action_command_list(action)
        except KeyError:
            pass
