"""Small panes: the step inspector, probe state and warnings (bounded tables)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.visual import visualize
from textual.widgets import DataTable, Static

from ...model.catalogue import CATALOGUE
from .. import present
from .catchup import CatchUpPane, Moment
from .rowkeys import FindingRow, ProbeRow, TrafficWarningRow, WarningRow, row_key


class Inspector(CatchUpPane, VerticalScroll):
    """The current step, or the configuration of a place picked on the map (until the
    explorer moves again)."""

    # The body is at least as tall as the view, so a step shorter than the view does not
    # change its size (and needs no layout, see _show); it looks the same.
    DEFAULT_CSS = """
    Inspector { padding: 0 1; }
    Inspector > #inspector-body { min-height: 100%; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="inspector-body")

    def paint(self, moment: Moment) -> None:
        self.show_step(moment.session)

    def show_step(self, session) -> None:
        self._show(present.inspector(session.current, session.position, session.known, CATALOGUE))
        self._title("Step")

    def show_node(self, session, node_id: str) -> None:
        self._show(present.node_config(session.engine.topology, node_id))
        self._title(f"Configuration of {node_id} (esc: back to the step)")

    def _title(self, title: str) -> None:
        # Setting a border title repaints the whole inspector and its scroll bar, even when
        # it is the same title (Textual 8.2.8): most steps keep "Step".
        if self.border_title != title:
            self.border_title = title

    def _show(self, renderable) -> None:
        """Show `renderable`, with a layout of the screen only if its height changed.

        Measuring the height costs a render of the inspector; a layout costs far more (every
        widget is placed again and every scroll bar repainted, then a second pass for the new
        size), and most steps are as tall as the one before.
        """
        body = self.query_one("#inspector-body", Static)
        width, height = body.size
        same = False
        if width > 0 and height > 0:
            needed = visualize(body, renderable).get_height(body.styles, width)
            same = max(needed, self.scrollable_content_region.height) == height
        body.update(renderable, layout=not same)


class ProbesTable(CatchUpPane, DataTable):
    """Per VM and probe: results, streak toward the threshold, rotation per family.

    A step changes a cell or two, if any: the rows are updated in place, and not at all while
    the tab is hidden (it catches up when shown).
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self._columns = self.add_columns("probe", "vm", "state", "last results", "streak",
                                          "endpoints in rotation", "next probe")
        self._shown: dict[ProbeRow, tuple] = {}

    def paint(self, moment: Moment) -> None:
        rows = self._rows(moment.session)
        if list(rows) != list(self._shown):
            self.clear()
            for key, cells in rows.items():
                self.add_row(*cells, key=key)  # type: ignore[arg-type]  # see rowkeys
        else:
            for key, cells in rows.items():
                for column, old, new in zip(self._columns, self._shown[key], cells):
                    if old != new:
                        self.update_cell(row_key(key), column, new, update_width=True)
        self._shown = rows

    @staticmethod
    def _rows(session) -> dict[ProbeRow, tuple]:
        engine = session.engine
        t = engine.topology
        rows: dict[ProbeRow, tuple] = {}
        for ps in engine.probe_states():
            probe = t.probes.get(ps.probe)
            vm = t.vm_by_name.get(ps.vm)
            if probe is None or vm is None:
                continue
            # The graph says which endpoints the probe governs: probe → rule → pool → VM.
            rows[ProbeRow(ps.probe, ps.vm)] = present.probe_cells(
                ps, probe, t.governed_endpoints(ps.probe, ps.vm), engine.now)
        return rows


class WarningsTable(CatchUpPane, DataTable):
    """Configuration findings and warnings raised by traffic so far."""

    class Picked(Message):
        """A row was chosen: `key` says which traffic warning or finding."""

        def __init__(self, key: WarningRow) -> None:
            self.key = key
            super().__init__()

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns("where", "severity", "id", "subject", "message")
        self._signature = None

    def paint(self, moment: Moment) -> None:
        session = moment.session
        warnings = [w for w in session.engine.warnings() if w.n <= session.position]
        findings = session.findings
        signature = (len(warnings), id(findings))
        if signature == self._signature:
            return
        self._signature = signature
        self.clear()
        for (wid, subject), items in present.group_warnings(warnings).items():
            self.add_row(*present.warning_cells(items),
                         key=TrafficWarningRow(wid, subject))  # type: ignore[arg-type]
        for i, f in enumerate(findings):
            self.add_row(*present.finding_cells(f), key=FindingRow(i, f))  # type: ignore[arg-type]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Picked(event.row_key.value))
