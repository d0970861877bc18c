"""The explorer app: wiring only. Panes render from the `Session` through one reactive
`moment`; actions move the session or forward to a controller (lessons, injections, the
classroom), each of which sees the app through `tui.host`."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.reactive import Reactive, var
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Markdown, Static, TabbedContent, TabPane

from ..model.errors import ScenarioError
from ..model.scenario.document import Scenario
from .screens.forms import JumpScreen, OpenScreen, WarningScreen
from .app_classroom import ClassroomController
from .app_injections import InjectionController
from .app_lessons import LessonController
from .classroom.client import ClassLink, HubClient
from . import present
from .lessons import LessonState
from .playback import Playback
from .screens.help import HelpScreen
from .session import Moved, Session
from .widgets.catchup import Moment
from .widgets.flowtable import FlowTable
from .widgets.header import StatusHeader
from .widgets.panes import Inspector, ProbesTable, WarningsTable
from .widgets.steplog import StepLog
from .widgets.topology import NodeBox, TopologyMap

STACK_BELOW = 155     # columns: under this the map sits above the inspector (narrower, the
                      # side-by-side map wraps IPv6 addresses)
COMPACT_BELOW = (100, 30)  # columns, rows: under either, the map shows names only


class Lb6App(App):
    CSS_PATH = "styles/app.tcss"
    TITLE = "lb6"
    # The status line changes on every step; the header repaints itself when it does, and
    # App.sub_title's own repaint would redraw the whole screen (issue 8, explorer).
    sub_title = Reactive("", compute=False, repaint=False)
    # Where the explorer stands; every pane is bound to it (`data_bind`) and repaints what
    # changed. Set by `refresh_panes` after each move.
    moment: var[Moment | None] = var(None, always_update=True, init=False)
    BINDINGS = [
        Binding("right,n", "forward", "Step", id="step.forward"),
        Binding("left,p", "back", "Back", id="step.back"),
        Binding("space", "play", "Play/Pause", id="play"),
        Binding("plus,equals_sign", "faster", "Faster", show=False, id="play.faster"),
        Binding("minus", "slower", "Slower", show=False, id="play.slower"),
        Binding("home", "start", "Start", show=False, id="jump.start"),
        Binding("end", "end", "End", show=False, id="jump.end"),
        Binding("j", "jump", "Jump", id="jump"),
        Binding("r", "reset", "Reset", show=False, id="reset"),
        Binding("c", "connect", "Connect", id="inject.connect"),
        Binding("f", "service", "Fail svc", id="inject.service"),
        Binding("v", "vm_power", "Stop VM", show=False, id="inject.vm"),
        Binding("s", "set_config", "Set", show=False, id="inject.set"),
        Binding("slash", "filter_flows", "Filter", show=False, id="flows.filter"),
        Binding("1", "pane('log')", "Log", show=False, id="pane.log"),
        Binding("2", "pane('flows')", "Flows", show=False, id="pane.flows"),
        Binding("3", "pane('probes')", "Probes", show=False, id="pane.probes"),
        Binding("4", "pane('warnings')", "Warnings", show=False, id="pane.warnings"),
        Binding("ctrl+o", "open", "Open", show=False, id="open"),
        Binding("ctrl+s", "screenshot", "Screenshot", show=False, id="screenshot"),
        Binding("right_square_bracket", "next_note", "Next note", show=False, id="lesson.next"),
        Binding("left_square_bracket", "previous_note", "Prev note", show=False, id="lesson.prev"),
        Binding("k", "checkpoints", "Checkpoints", show=False, id="lesson.checkpoints"),
        Binding("u", "summary", "Summary", show=False, id="lesson.summary"),
        Binding("t", "compare", "Twin stack", show=False, id="compare"),
        Binding("e", "class_explore", "Explore", id="class.explore"),  # only in a class
        Binding("g", "class_rejoin", "Rejoin", id="class.rejoin"),     # (lb6 serve --lead)
        Binding("escape", "show_step", "Step view", show=False, id="inspector.step"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    class_link: ClassLink | None = None  # a class to join; else from the environment

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.session = Session(scenario)
        self.lesson = self._lesson_for(scenario)
        self.lessons = LessonController(self)
        self.playback = Playback(self, self.lessons)
        self.injections = InjectionController(self)
        self.classroom = ClassroomController(self)

    @staticmethod
    def _lesson_for(scenario: Scenario) -> LessonState | None:
        return LessonState(scenario.notes, scenario.questions) if scenario.is_lesson else None

    # ---- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Size classes go on before the widgets mount: added afterwards, they restyle every
        # widget on the screen, a tenth of the start-up (issue 8). _apply_size keeps them.
        width, height = self.size
        compact = width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1]
        self.screen.set_class(width < STACK_BELOW, "-stacked").set_class(compact, "-compact")
        yield StatusHeader()
        with Horizontal(id="top"):
            yield TopologyMap(self.session, id="map", classes="-compact" if compact else None)
            yield Inspector(id="inspector").data_bind(Lb6App.moment)
        yield Markdown("", id="narration")
        with TabbedContent(id="panes", initial="log"):
            with TabPane("Log 1", id="log"):
                yield StepLog(self.session, id="steplog").data_bind(Lb6App.moment)
            with TabPane("Flows 2", id="flows"):
                with Vertical():
                    yield Static("", id="flow-summary")
                    yield FlowTable(id="flowtable").data_bind(Lb6App.moment)
                    yield Input(placeholder="filter flows (Enter: keep, Esc: clear)", id="flow-filter")
            with TabPane("Probes 3", id="probes"):
                yield ProbesTable(id="probetable").data_bind(Lb6App.moment)
            with TabPane("Warnings 4", id="warnings"):
                yield WarningsTable(id="warningtable").data_bind(Lb6App.moment)
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"lb6 — {self.session.scenario.title}"
        self.main("#map").border_title = "Topology"
        self.main("#inspector").border_title = "Step"
        self._apply_size(self.size.width, self.size.height)
        self.refresh_panes()
        self.main("#steplog").focus()
        self.classroom.start()

    async def on_unmount(self) -> None:
        await self.classroom.close()

    def on_resize(self, event) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        compact = width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1]
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        screen.set_class(width < STACK_BELOW, "-stacked")
        screen.set_class(compact, "-compact")
        self.main(TopologyMap).set_compact(compact)

    # ---- rendering ---------------------------------------------------------------------------

    def main(self, selector, expect_type=None):
        """A widget of the main screen, even while a dialog is on top of it."""
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        return screen.query_one(selector, expect_type) if expect_type else screen.query_one(selector)

    def refresh_panes(self) -> None:
        """Show the session where it stands: the status line and narration here, the panes
        through `moment` (each bound to it)."""
        s = self.session
        self.sub_title = present.status_line(
            s.position, s.known, s.now, s.engine.flow_count, self.playback.speed,
            self.playback.playing, self.lesson.score if self.lesson is not None else None)
        self.lessons.show_narration()
        self.moment = Moment.of(s)

    def watch_moment(self) -> None:
        # The map is drawn by tui/widgets/topology.py, another part of issue 14; it keeps its
        # own sync() until it binds to `moment` like the other panes.
        self.main(TopologyMap).sync()

    # ---- moving through time -------------------------------------------------------------------

    def show_moved(self, moved: Moved) -> None:
        if moved.changed:
            self.refresh_panes()
        elif self.session.at_end:
            self.notify("Nothing more happens: the simulation is idle.", timeout=2)

    def action_forward(self) -> None:
        if self.lessons.ask_if_due(then_step=True):
            return
        self.show_moved(self.session.forward())
        self.lessons.maybe_summary()

    def action_back(self) -> None:
        self.show_moved(self.session.back())

    def action_start(self) -> None:
        self.show_moved(self.session.to_start())

    def action_end(self) -> None:
        self.show_moved(self.session.to_end())

    def action_reset(self) -> None:
        self.stop_playing()
        self.session.reset()
        self.lesson = self._lesson_for(self.session.scenario)
        self.refresh_panes()
        self.notify("Reset to the scenario as loaded.", timeout=2)

    def action_play(self) -> None:
        self.playback.toggle()

    def stop_playing(self) -> None:
        self.playback.stop()

    def action_faster(self) -> None:
        self.playback.change_speed(1)

    def action_slower(self) -> None:
        self.playback.change_speed(-1)

    def action_jump(self) -> None:
        def done(answer) -> None:
            if answer is None:
                return
            kind, value = answer
            moved = self.session.goto(value) if kind == "step" else self.session.goto_time(value)
            self.show_moved(moved)
        self.push_screen(JumpScreen(), done)

    @on(StepLog.Selected)
    def _log_selected(self, event: StepLog.Selected) -> None:
        self.show_moved(self.session.goto(event.n))

    # ---- panes ------------------------------------------------------------------------------

    def action_pane(self, pane: str) -> None:
        self.main("#panes", TabbedContent).active = pane

    def action_filter_flows(self) -> None:
        self.action_pane("flows")
        box = self.main("#flow-filter", Input)
        box.add_class("-visible")
        box.focus()

    @on(Input.Changed, "#flow-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.main(FlowTable).filter_text = event.value

    @on(Input.Submitted, "#flow-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        self.main(FlowTable).focus()

    @on(FlowTable.Summary)
    def _flow_summary(self, event: FlowTable.Summary) -> None:
        self.main("#flow-summary", Static).update(present.flow_summary(
            event.shown, event.total, self.main(FlowTable).filter_text, self.session.now))

    @on(NodeBox.Selected)
    def _node_selected(self, event: NodeBox.Selected) -> None:
        self.main(Inspector).show_node(self.session, event.node_id)

    def action_show_step(self) -> None:
        box = self.main("#flow-filter", Input)
        if box.has_focus:
            box.value = ""
            box.remove_class("-visible")
            self.main(FlowTable).focus()
            return
        self.main(Inspector).show_step(self.session)

    @on(WarningsTable.Picked)
    def _warning_picked(self, event: WarningsTable.Picked) -> None:
        s = self.session

        def done(n) -> None:
            if n is not None:
                self.show_moved(s.goto(n))
                self.action_pane("log")
        self.push_screen(WarningScreen.for_row(s, event.key), done)

    # ---- lessons, injections and the class: each action forwards to its controller --------------

    def action_next_note(self) -> None:
        self.lessons.next_note()

    def action_previous_note(self) -> None:
        self.lessons.previous_note()

    def action_checkpoints(self) -> None:
        self.lessons.checkpoints()

    def action_summary(self) -> None:
        self.lessons.summary()

    def action_compare(self) -> None:
        self.lessons.compare()

    def inject(self, kind: str, body: dict, conn_id: str | None = None) -> bool:
        position = self.session.position
        done = self.injections.inject(kind, body, conn_id)
        if done:
            self.classroom.injected(position, kind, body, conn_id)
        return done

    def action_connect(self) -> None:
        self.injections.connect()

    def action_service(self) -> None:
        self.injections.service()

    def action_vm_power(self) -> None:
        self.injections.vm_power()

    def action_set_config(self) -> None:
        self.injections.set_config()

    @property
    def class_mode(self) -> str | None:
        return self.classroom.class_mode

    @property
    def class_hub(self) -> HubClient | None:
        return self.classroom.class_hub

    def action_class_explore(self) -> None:
        self.classroom.explore()

    async def action_class_rejoin(self) -> None:
        await self.classroom.rejoin()

    async def open_scenario(self, scenario: Scenario) -> None:
        await self._open(scenario)

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:
        target, name, _ = self._parse_action(
            action, self if default_namespace is None else default_namespace, namespaces)
        if target is self and self.classroom.refuses(name):
            return True
        return await super().run_action(action, default_namespace, namespaces)

    def check_action(self, action: str, parameters) -> bool | None:
        allowed = self.classroom.check_action(action)
        return super().check_action(action, parameters) if allowed is None else allowed

    # ---- everything else -----------------------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_open(self) -> None:
        """Pick a shipped scenario or type a path to any input lb6 reads: the dialog opens it
        through `open_input`, the same door as `lb6 explore` and a classroom follower."""
        from ..model.scenario import library
        from ..model.scenario.document import load_scenario
        shipped = []
        for path in library.shipped():
            try:
                shipped.append((path.stem, load_scenario(path).title))
            except ScenarioError:
                continue

        def done(target) -> None:
            if not target:
                return
            from ..model.inputs import open_input
            try:
                loaded = open_input(target)
            except ScenarioError as exc:
                self.notify(exc.render(), severity="error", timeout=8)
                return
            if loaded.notes:
                n = len(loaded.notes)
                self.notify(f"Read {target} as {loaded.format}; {n} thing{'s' if n != 1 else ''} "
                            f"not modelled (lb6 check {target} lists them).", timeout=6)
            self.call_later(self._open, loaded.scenario)
        self.push_screen(OpenScreen(shipped), done)

    async def _open(self, scenario: Scenario) -> None:
        self.stop_playing()
        self.session = Session(scenario)
        self.lesson = self._lesson_for(scenario)
        self.title = f"lb6 — {scenario.title}"
        for widget in (self.main(StepLog), self.main(TopologyMap)):
            widget.session = self.session
        await self.main(TopologyMap).recompose()
        self.refresh_panes()

    def action_screenshot(self) -> None:
        path = self.save_screenshot(path=str(Path.cwd()))
        self.notify(f"Saved {path}", timeout=4)

    def action_command_palette(self) -> None:
        from .screens.palette import GuardedCommandPalette
        if self.use_command_palette and not GuardedCommandPalette.is_open(self):
            self.push_screen(GuardedCommandPalette(id="--command-palette"))

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if binding.action in ("quit", "help", "show_step") or \
                    self.check_action(binding.action, ()) is False:
                continue
            yield SystemCommand(binding.description or binding.action,
                                f"{binding.description} ({binding.key.split(',')[0]})",
                                lambda action=binding.action: self.run_action(action))


def run_explorer(scenario: Scenario) -> int:
    Lb6App(scenario).run()
    return 0
