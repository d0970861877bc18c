"""Turn a dialog's answer into a validated timeline event at the current time.

Uses the scenario file's own pydantic models, so an injected value is checked exactly as the
same value in a file would be; a refusal names the field.
"""

from __future__ import annotations

from pydantic import ValidationError

from lb6.model.errors import format_path
from lb6.model.scenario.schema import EventSpec
from lb6.model.scenario.document import TimedEvent


class Refused(ValueError):
    """An injected event that failed validation; the message names the field."""


def make_event(kind: str, body: dict, now: int, conn_id: str | None = None) -> TimedEvent:
    try:
        spec = EventSpec.model_validate({kind: body})
    except ValidationError as exc:
        err = exc.errors()[0]
        where = format_path(tuple(p for p in err["loc"] if not str(p).startswith("function")))
        message = err["msg"].removeprefix("Value error, ")
        raise Refused(f"{where}: {message}") from None
    return TimedEvent(now, kind, spec.body, -1, conn_id)
