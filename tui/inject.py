"""Turn a dialog's answer into a validated timeline event at the current time.

Uses the scenario file's own validation (`lb6.model.scenario.eventcheck.event_body`), so an
injected value is checked, and refused, exactly as the same value in a file would be; a refusal
names the field.
"""

from __future__ import annotations

from ..model.scenario.document import TimedEvent
from ..model.scenario.eventcheck import event_body


class Refused(ValueError):
    """An injected event that failed validation; the message names the field."""


def make_event(kind: str, body: dict, now: int, conn_id: str | None = None) -> TimedEvent:
    try:
        spec_body = event_body(kind, body)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    return TimedEvent(now, kind, spec_body, -1, conn_id)
