"""Typed row keys for the explorer's bounded tables (probes, warnings).

A `DataTable` row key wraps any hashable value (Textual 8.2.8 hashes and compares the value it
wraps), so each kind of row gets a small frozen dataclass instead of a string such as
`"w|id|subject"` that every reader had to split and parse again. Whoever handles a picked row
matches on the key's type and reads its fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.widgets.data_table import RowKey


@dataclass(frozen=True)
class ProbeRow:
    """One probe's state toward one VM."""

    probe: str
    vm: str


@dataclass(frozen=True)
class TrafficWarningRow:
    """A live warning raised by traffic, grouped by catalogue ID and subject."""

    id: str
    subject: str


@dataclass(frozen=True)
class FindingRow:
    """A configuration finding as the table showed it (its place in the list keeps two equal
    findings apart): the dialog reads the finding from the key, so a change of configuration
    after the table was painted cannot point it at another one."""

    index: int
    finding: object  # lb6.model.catalogue.Finding, frozen and hashable


WarningRow = TrafficWarningRow | FindingRow


def row_key(key: object) -> RowKey:
    """The table's own key for a typed key, for lookups such as `update_cell`: `add_row` wraps
    the typed key it is given, but a bare dataclass does not compare equal to that wrapper."""
    return RowKey(key)  # type: ignore[arg-type]  # any hashable works, not only str
