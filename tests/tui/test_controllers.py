"""The explorer's controllers work against `tui.host.Explorer` alone (issue 14): a plain fake
app, no Textual running, is enough to drive lessons, injections and the classroom's rules."""

from __future__ import annotations

from lb6.model.scenario import library
from lb6.model.scenario.document import load_scenario
from lb6.tui.app_classroom import ClassroomController
from lb6.tui.app_injections import InjectionController
from lb6.tui.app_lessons import LessonController
from lb6.tui.lessons import LessonState
from lb6.tui.playback import SPEEDS, Playback
from lb6.tui.screens.lesson import QuestionScreen, SummaryScreen
from lb6.tui.session import Session


class FakeExplorer:
    """Just the members of `tui.host.Explorer`, recording what the controllers ask for."""

    def __init__(self, name: str = library.DEFAULT_SCENARIO) -> None:
        scenario = load_scenario(library.find(name))
        self.session = Session(scenario)
        self.lesson = (LessonState(scenario.notes, scenario.questions)
                       if scenario.is_lesson else None)
        self.class_link = None
        self.notices: list[str] = []
        self.screens: list = []
        self.refreshes = 0
        self.stopped = 0

    def notify(self, message: str, **_) -> None:
        self.notices.append(message)

    def push_screen(self, screen, callback=None):
        self.screens.append((screen, callback))

    def refresh_panes(self) -> None:
        self.refreshes += 1

    def show_moved(self, moved) -> None:
        if moved.changed:
            self.refresh_panes()

    def stop_playing(self) -> None:
        self.stopped += 1

    def inject(self, kind: str, body: dict, conn_id: str | None = None) -> bool:
        return InjectionController(self).inject(kind, body, conn_id)

    def set_interval(self, interval: float, callback=None):
        self.timer = FakeTimer(interval, callback)
        return self.timer


class FakeTimer:
    def __init__(self, interval: float, callback) -> None:
        self.interval, self.tick, self.running = interval, callback, True

    def stop(self) -> None:
        self.running = False


def test_an_injection_is_validated_taken_and_shown():
    app = FakeExplorer()
    injections = InjectionController(app)
    assert not injections.inject("stop_vm", {"vm": "nope"})
    assert app.notices and app.notices[-1].startswith("Refused:")
    assert app.session.position == 0 and app.refreshes == 0
    assert injections.inject("stop_vm", {"vm": "web2"})
    assert app.session.position == 1 and app.refreshes == 1
    assert app.session.engine.state.vm_running["web2"] is False


def test_a_lesson_asks_before_the_step_that_answers_and_steps_after_the_answer():
    app = FakeExplorer("lesson_1_first_dual_stack_request")
    lessons = LessonController(app)
    while not lessons.ask_if_due(then_step=True):
        assert app.session.forward().changed
    dialog, answered = app.screens[-1]
    assert isinstance(dialog, QuestionScreen) and app.stopped == 1
    before = app.session.position
    answered(dialog.question.choices[0])
    assert dialog.question.id in app.lesson.answers
    assert app.session.position == before + 1


def test_the_summary_is_shown_once_when_every_question_is_answered():
    app = FakeExplorer("lesson_1_first_dual_stack_request")
    lessons = LessonController(app)
    for question in app.lesson.questions:
        app.lesson.answer(app.session.engine, question, None, app.session.scenario.duration_ms)
    lessons.maybe_summary()
    lessons.maybe_summary()
    assert [type(s) for s, _ in app.screens] == [SummaryScreen]


def test_outside_a_class_the_classroom_refuses_nothing_and_hides_its_keys():
    app = FakeExplorer()
    classroom = ClassroomController(app)
    classroom.start()  # no link given, none in the environment
    assert not classroom.in_class
    assert not classroom.refuses("forward")
    assert classroom.check_action("class_explore") is False
    assert classroom.check_action("forward") is None  # not the class's business


def test_playing_pauses_at_a_lessons_pause_point_and_speeds_restart_the_timer():
    app = FakeExplorer("lesson_1_first_dual_stack_request")
    for question in app.lesson.questions:  # answered: nothing stops the player but the notes
        app.lesson.answers[question.id] = None
    playback = Playback(app, LessonController(app))
    playback.toggle()
    assert playback.playing and app.timer.interval == 1 / SPEEDS[2]
    playback.change_speed(+1)
    first = app.timer
    assert first.interval == 1 / SPEEDS[3] and playback.playing
    pause = next(n for n in app.lesson.notes if n.pause)
    while playback.playing:
        first.tick()
    assert app.notices[-1].startswith("Pause point")
    assert app.session.now >= pause.at and not first.running
