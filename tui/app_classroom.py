"""Follow mode for a class (`lb6 serve --lead`): the explorer's classroom controller.

The lead's explorer publishes its position four times a second: the scenario, the step, the
events the instructor injected, and the question it has open. Every student's explorer polls
the hub just as often and, while following, rebuilds that position in its own engine (the
engine is deterministic, so the same scenario, injections and step give the same screen) and
refuses the keys that would move it. A student presses `e` to explore from there on their own
engine and `g` to rejoin the class. Questions the lead opens are asked to the followers too;
their answers go to the hub, and the lead sees the tally inside its own question dialog.

Outside a class (no `LB6_CLASS_*` environment, see `tui.classroom.client`) nothing here runs.
What this needs from the app is `tui.host.ClassExplorer`; the app forwards its mount, unmount,
action checks, injections and the two class actions here.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Header, Static

from .classroom.client import ClassLink, HubClient
from .host import ClassExplorer
from .present import tally_line
from .screens.lesson import QuestionScreen

POLL_S = 0.25  # four polls a second: a follower mirrors the lead well within a second

# The actions that move or change a simulation: a following student's explorer refuses them.
MOVES = frozenset({
    "forward", "back", "play", "faster", "slower", "start", "end", "jump", "reset", "connect",
    "service", "vm_power", "set_config", "next_note", "previous_note", "checkpoints", "open",
})
CLASS_ACTIONS = frozenset({"class_explore", "class_rejoin"})


class ClassBar(Static):
    """One line under the header: who leads, who follows, the tally."""

    DEFAULT_CSS = """
    ClassBar { height: 1; padding: 0 1; background: $primary-background; color: $text; }
    ClassBar.-following { background: $success-darken-2; }
    ClassBar.-exploring { background: $warning-darken-3; }
    """


class ClassroomController:
    """The explorer in a class: leading (publishing its position) or following (mirroring the
    lead's), or exploring on its own until it rejoins."""

    def __init__(self, app: ClassExplorer) -> None:
        self.app = app
        self.class_link: ClassLink | None = None
        self.class_hub: HubClient | None = None  # set once the explorer is in a class
        self.class_mode: str | None = None

    # ---- start --------------------------------------------------------------------------------

    def start(self) -> None:
        """Join the class named by the app's link (or the environment), if any."""
        if self.app.class_link is None:
            self.app.class_link = ClassLink.from_env()
        link = self.class_link = self.app.class_link
        if link is None:
            return
        self.class_mode = "leading" if link.leads else "following"
        self.class_hub = HubClient(link)
        self._class_records: list[dict] = []   # this engine's injections, as published
        self._class_engine = self.app.session.engine
        self._class_seq = -1
        self._class_busy = False
        self._class_asked: set[str] = set()
        self._class_lead: dict | None = None
        bar = ClassBar("", id="classbar")
        self.app.screen.mount(bar, after=self.app.screen.query_one(Header))
        self._class_show("connecting to the class…")
        self.app.set_interval(POLL_S, self._class_tick)

    async def close(self) -> None:
        if self.in_class:
            await self.class_hub.close()

    @property
    def in_class(self) -> bool:
        return self.class_hub is not None

    @property
    def following(self) -> bool:
        return self.in_class and self.class_mode == "following"

    # ---- keys: refuse moves while following ------------------------------------------------------

    def refuses(self, action: str) -> bool:
        """True (with a notice) for an app action that would move a following explorer."""
        if self.following and action in MOVES:
            self.app.notify("You are following the instructor: press e to explore on your own "
                            "(g rejoins the class).", timeout=3)
            return True
        return False

    def check_action(self, action: str) -> bool | None:
        """Whether the footer offers `action`; None when the class has no say in it."""
        if action in CLASS_ACTIONS:
            if not self.in_class or self.class_link.leads:
                return False
            return (action == "class_explore") == self.following
        if self.following and action in MOVES:
            return False  # off the footer; a press still gets a notice (refuses)
        return None

    def explore(self) -> None:
        if not self.following:
            return
        self.class_mode = "exploring"
        self.app.notify("Exploring on your own from here: the class goes on without you. "
                        "Press g to rejoin.", timeout=4)
        self.app.refresh_bindings()
        self._class_show()

    async def rejoin(self) -> None:
        if not self.in_class or self.class_mode != "exploring":
            return
        self.class_mode = "following"
        self._class_seq = -1  # apply the lead's position now, even if it has not moved
        self.app.refresh_bindings()
        self._class_show("rejoining…")
        if self._class_lead is not None:
            await self._class_follow(self._class_lead)

    # ---- injections: remember what this engine holds, to publish or compare ----------------------

    def injected(self, position: int, kind: str, body: dict, conn_id: str | None) -> None:
        """The app injected an event at step `position`: remember it, to publish or compare."""
        if self.in_class:
            records = self._records()
            # The engine drops injections past the current step when a new one is made.
            records[:] = [r for r in records if r["position"] <= position]
            records.append({"position": position, "kind": kind, "body": body,
                            "conn_id": conn_id})

    def _records(self) -> list[dict]:
        """This session's injections; a reset or another scenario gives a new engine, and none."""
        if self._class_engine is not self.app.session.engine:
            self._class_engine = self.app.session.engine
            self._class_records = []
        return self._class_records

    # ---- the poll ------------------------------------------------------------------------------

    async def _class_tick(self) -> None:
        if self._class_busy:
            return
        self._class_busy = True
        try:
            leads = self.class_link.leads
            reply = await self.class_hub.sync(self.class_mode, self.app.session.position,
                                              self._class_position() if leads else None)
            if reply is None:
                self._class_show(f"⚠ {self.class_hub.last_error}")
                return
            if leads:
                self._class_lead_view(reply)
                return
            self._class_lead = reply.get("lead")
            if self.following and self._class_lead is not None and \
                    reply.get("seq") != self._class_seq:
                await self._class_follow(self._class_lead)
                self._class_seq = reply.get("seq")
            self._class_show()
        finally:
            self._class_busy = False

    def _class_position(self) -> dict:
        s = self.app.session
        question = self._open_question()
        return {"scenario": s.scenario.source, "title": s.scenario.title, "step": s.position,
                "injections": list(self._records()),
                "question": None if question is None else {
                    "id": question.question.id, "text": question.question.text,
                    "choices": list(question.question.choices),
                    "number": question.number, "total": question.total}}

    def _open_question(self) -> QuestionScreen | None:
        return next((s for s in self.app.screen_stack if isinstance(s, QuestionScreen)), None)

    # ---- the lead's view ---------------------------------------------------------------------

    def _class_lead_view(self, reply: dict) -> None:
        census = reply.get("census", {})
        tally = reply.get("tally")
        self._class_show(f"{census.get('following', 0)} following · "
                         f"{census.get('exploring', 0)} exploring")
        dialog = self._open_question()
        if dialog is None:
            return
        line = tally_line(dialog.question.choices, tally or {}, census.get("following", 0)
                          + census.get("exploring", 0))
        found = dialog.query("#class-tally")
        if found:
            found.first(Static).update(line)
        else:
            dialog.query_one("#choices").parent.mount(Static(line, id="class-tally"))

    # ---- a follower catching up ----------------------------------------------------------------

    async def _class_follow(self, lead: dict) -> None:
        """Rebuild the lead's position in this explorer's own engine."""
        if lead.get("scenario") != self.app.session.scenario.source:
            if not await self._class_open(lead):
                return
        if lead.get("injections", []) != self._records():
            self._class_replay(lead.get("injections", []))
        if self.app.session.position != lead.get("step"):
            self.app.session.goto(int(lead.get("step", 0)))
        self.app.refresh_panes()
        self._class_question(lead.get("question"))

    async def _class_open(self, lead: dict) -> bool:
        # The lead publishes its scenario's source, which open_input (the door the command line
        # and the Open dialog use too) reads back as the same input: a shipped name or a path.
        from ..model.errors import ScenarioError
        from ..model.inputs import open_input
        try:
            scenario = open_input(lead["scenario"]).scenario
        except ScenarioError as exc:  # the door's only failure, always located
            self._class_show(f"⚠ cannot open the lead's scenario: {exc}")
            return False
        await self.app.open_scenario(scenario)
        self._class_asked.clear()
        return True

    def _class_replay(self, injections: list[dict]) -> None:
        """A fresh engine with the lead's injections, each made at the step the lead made it
        and the way the lead's explorer made it (`inject` records it as it goes)."""
        self.app.session.reset()
        for item in injections:
            self.app.session.goto(item["position"])
            if not self.app.inject(item["kind"], item["body"], item["conn_id"]):
                self._class_show(f"⚠ cannot repeat the lead's {item['kind']}")
                return

    def _class_question(self, question: dict | None) -> None:
        """Ask the lead's open question once; close it when the lead moves on."""
        dialog = self._open_question()
        if question is None:
            if dialog is not None and getattr(dialog, "from_class", False):
                dialog.dismiss(None)
            return
        if question["id"] in self._class_asked or dialog is not None or self.app.lesson is None:
            return
        spec = next((q for q in self.app.lesson.questions if q.id == question["id"]), None)
        if spec is None:
            return
        self._class_asked.add(spec.id)
        dialog = QuestionScreen(spec, question.get("number", 1), question.get("total", 1))
        dialog.from_class = True

        def answered(choice) -> None:
            lead = self._class_lead or {}
            if (lead.get("question") or {}).get("id") != spec.id:
                return  # closed because the lead moved on: nothing to send
            session = self.app.session
            self.app.lesson.answer(session.engine, spec, choice, session.scenario.duration_ms)
            self.app.run_worker(self.class_hub.answer(spec.id, choice), group="class-answer")
            said = "skipped" if choice is None else f"you said {choice}"
            self.app.notify(f"Sent to the instructor ({said}). Watch the next step.", timeout=4)
        self.app.push_screen(dialog, answered)

    # ---- the bar ---------------------------------------------------------------------------------

    def _class_show(self, detail: str | None = None) -> None:
        found = self.app.screen_stack[0].query(ClassBar) if self.app.screen_stack else []
        if not found:
            return
        bar = found.first(ClassBar)
        mode = self.class_mode
        for name in ("leading", "following", "exploring"):
            bar.set_class(mode == name, f"-{name}")
        lead = self._class_lead or {}
        if mode == "leading":
            text = f"● Leading the class · {detail or ''}"
        elif mode == "following":
            text = (f"● Following the instructor · step {lead.get('step', '?')} · "
                    "e: explore on your own")
        else:
            text = (f"○ Exploring on your own · the class is at step {lead.get('step', '?')} · "
                    "g: rejoin")
        if detail and mode != "leading":
            text += f" · {detail}"
        bar.update(Text(text))
