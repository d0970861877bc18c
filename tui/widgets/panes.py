"""Small panes: the step inspector, probe state and warnings (bounded tables)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.visual import visualize
from textual.widgets import DataTable, Static

from lb6.model.catalogue import CATALOGUE
from lb6.model.scenario.durations import format_ms
from lb6.tui import present


class Inspector(VerticalScroll):
    """The current step, or the configuration of a place picked on the map."""

    # The body is at least as tall as the view, so a step shorter than the view does not
    # change its size (and needs no layout, see _show); it looks the same.
    DEFAULT_CSS = """
    Inspector { padding: 0 1; }
    Inspector > #inspector-body { min-height: 100%; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="inspector-body")

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


class ProbesTable(DataTable):
    """Per VM and probe: results, streak toward the threshold, rotation per family.

    A step changes a cell or two, if any: the rows are updated in place, and not at all while
    the tab is hidden (it catches up when shown).
    """

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self._columns = self.add_columns("probe", "vm", "state", "last results", "streak",
                                          "endpoints in rotation", "next probe")
        self._session = None
        self._shown: dict[str, tuple] = {}

    def sync(self, session) -> None:
        self._session = session
        if not self.is_on_screen:
            return
        rows = self._rows(session)
        if list(rows) != list(self._shown):
            self.clear()
            for key, cells in rows.items():
                self.add_row(*cells, key=key)
        else:
            for key, cells in rows.items():
                for column, old, new in zip(self._columns, self._shown[key], cells):
                    if old != new:
                        self.update_cell(key, column, new, update_width=True)
        self._shown = rows

    def on_show(self) -> None:
        if self._session is not None:
            self.sync(self._session)

    @staticmethod
    def _rows(session) -> dict[str, tuple]:
        engine = session.engine
        t = engine.topology
        now = engine.now
        rows: dict[str, tuple] = {}
        for ps in engine.probe_states():
            probe = t.probes.get(ps.probe)
            vm = t.vm_by_name.get(ps.vm)
            if probe is None or vm is None:
                continue
            up = ps.eligible
            state = Text("stopped" if ps.stopped else ps.state.upper(),
                         style="bold green" if up else "bold red")
            history = Text()
            for r in ps.history[-6:]:
                history.append("✓" if r == "ok" else "✗", style="green" if r == "ok" else "red")
            toward = "DOWN" if ps.state == "up" else "UP"
            streak = f"{ps.streak}/{probe.number_of_probes} → {toward}" if ps.streak else "—"
            endpoints = Text()
            for m in t.governed_endpoints(ps.probe, ps.vm):  # the graph: probe → rule → VM
                endpoints.append(f"{m.family} {m.address}  ", style="green" if up else "red strike")
            next_in = "not probed" if ps.stopped else format_ms(max(0, ps.next_ms - now))
            rows[f"{ps.probe}\t{ps.vm}"] = (ps.probe, ps.vm, state, history, streak, endpoints,
                                           next_in)
        return rows


class WarningsTable(DataTable):
    """Configuration findings and warnings raised by traffic so far."""

    class Picked(Message):
        def __init__(self, key: str) -> None:
            self.key = key
            super().__init__()

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.add_columns("where", "severity", "id", "subject", "message")
        self._signature = None
        self._session = None

    def on_show(self) -> None:
        if self._session is not None:
            self.sync(self._session)

    def sync(self, session) -> None:
        self._session = session
        if not self.is_on_screen:  # hidden: catches up when shown (on_show)
            return
        warnings = [w for w in session.engine.warnings() if w.n <= session.position]
        findings = session.findings
        signature = (len(warnings), id(findings))
        if signature == self._signature:
            return
        self._signature = signature
        self.clear()
        grouped: dict = {}
        for w in warnings:
            grouped.setdefault((w.id, w.subject), []).append(w)
        for (wid, subject), items in grouped.items():
            self.add_row(Text(f"step {items[0].n}" + (f" +{len(items) - 1}" if len(items) > 1 else "")),
                         Text("traffic", style="yellow"), wid, Text(subject), Text(items[0].message),
                         key=f"w|{wid}|{subject}")
        for i, f in enumerate(findings):
            self.add_row(Text("config", style="dim"),
                         Text(f.severity, style=present.SEVERITY_STYLES[f.severity]), f.id,
                         Text(f.subject), Text(f.message), key=f"f|{i}")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Picked(event.row_key.value))
