"""Lesson mode: notes, predict-then-reveal questions judged by the engine, score, checkpoints."""

from __future__ import annotations

from lb6.model.scenario import library
from lb6.model.scenario.document import load_scenario
from lb6.tui.app import Lb6App

LESSON = "lesson_1_first_dual_stack_request"


def make_app() -> Lb6App:
    return Lb6App(load_scenario(library.find(LESSON)))


async def step_until_question(pilot, app, limit: int = 60) -> None:
    for _ in range(limit):
        await pilot.press("right")
        await pilot.pause()
        if type(app.screen).__name__ == "QuestionScreen":
            return
    raise AssertionError("no question was asked")


async def answer(pilot, app, choice: str) -> None:
    index = app.screen.question.choices.index(choice)
    await pilot.press(*["down"] * index, "enter")
    await pilot.pause()


async def test_a_question_answered_right_scores_and_reveals_the_step():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await step_until_question(pilot, app)
        question = app.screen.question
        assert question.id == "q-family"
        before = app.session.position
        await answer(pilot, app, "IPv6")
        assert app.lesson.score == (1, 1)
        assert app.session.position == before + 1  # the step is revealed after the answer
        assert "score 1/1" in app.sub_title


async def test_a_wrong_answer_is_judged_by_the_engine_not_by_hand():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await step_until_question(pilot, app)
        await answer(pilot, app, "IPv4")
        assert app.lesson.score == (0, 1)
        judged = app.lesson.answers["q-family"]
        assert judged.correct == "IPv6" and judged.given == "IPv4"
        await step_until_question(pilot, app)
        assert app.screen.question.id == "q-vm"
        # The key comes from a copy of the engine played forward, and it matches what happens.
        await answer(pilot, app, "web1")
        for _ in range(3):
            await pilot.press("right")
        assert app.session.engine.connection("dana-web").served_by == app.lesson.answers["q-vm"].correct


async def test_injected_failure_changes_the_answer_key():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        # Take web2 down before dana connects: the engine, not the file, decides the answer.
        app.inject("stop_vm", {"vm": "web2"})
        await step_until_question(pilot, app)
        await answer(pilot, app, "IPv6")
        await step_until_question(pilot, app)
        await answer(pilot, app, "web1")
        assert app.lesson.answers["q-vm"].correct == "web1"
        assert app.lesson.answers["q-vm"].right


async def test_notes_follow_time_and_keys_move_between_them():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        assert app.screen.has_class("-lesson")
        assert "A dual-stack request" in app.query_one("#narration")._markdown
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert app.session.now == 1000
        assert "the *client* does" in app.query_one("#narration")._markdown
        # The next note lies past the family question: `]` stops and asks it first.
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert type(app.screen).__name__ == "QuestionScreen"
        await answer(pilot, app, "IPv6")
        assert "Happy Eyeballs" in app.query_one("#narration")._markdown
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert "the *client* does" in app.query_one("#narration")._markdown


async def test_checkpoint_returns_the_class_to_a_named_point():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("end")
        await pilot.press("k")
        assert type(app.screen).__name__ == "CheckpointScreen"
        await pilot.press("down", "down", "enter")  # vera-connects, at 5 s
        await pilot.pause()
        assert 4900 <= app.session.now <= 5000
        assert app.session.engine.peek() >= 5000


async def test_summary_lists_every_question():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await step_until_question(pilot, app)
        await answer(pilot, app, "IPv6")
        await pilot.press("u")
        assert type(app.screen).__name__ == "SummaryScreen"
        await pilot.press("escape")


async def test_twin_stack_comparison_in_the_explorer():
    app = Lb6App(load_scenario(library.find("nsg_on_dual_stack_vm")))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("t")
        await pilot.click("#ok")
        await pilot.pause()
        assert type(app.screen).__name__ == "CompareScreen"
