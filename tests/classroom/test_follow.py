"""A lead and two followers, each a real explorer under Pilot, talking to the real hub over HTTP.

Shows what issue 7 asks: followers reach the lead's step within a second, a follower can break
away and rejoin, a follower cannot move the lead (nor the class), and answers are tallied.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import aiohttp

from tests.classroom.conftest import LESSON, settle
from lb6.tui.app_classroom import ClassBar
from lb6.tui.screens.lesson import QuestionScreen

SIZE = (120, 36)


async def open_class(classroom, stack: AsyncExitStack, followers: int = 2,
                     target: str = "dual_stack_web_farm"):
    lead_app = classroom.app(classroom.hub.lead_token, target)
    lead = await stack.enter_async_context(lead_app.run_test(size=SIZE))
    students = []
    for _ in range(followers):
        app = classroom.app(classroom.hub.join_token, target)
        students.append((app, await stack.enter_async_context(app.run_test(size=SIZE))))
    return lead_app, lead, students


def bar(app) -> str:
    return str(app.screen_stack[0].query_one(ClassBar).render())


async def test_followers_mirror_the_lead_within_a_second(classroom):
    async with AsyncExitStack() as stack:
        lead_app, lead, students = await open_class(classroom, stack)
        for _ in range(3):
            await lead.press("n")
        assert lead_app.session.position == 3
        took = await settle(lead, lambda: all(a.session.position == 3 for a, _ in students))
        assert took < 1.0, f"followers took {took:.2f} s to reach the lead's step"
        # The same step, the same engine state: the followers rebuilt it, not just the number.
        lead_now = lead_app.session.now
        assert all(a.session.now == lead_now for a, _ in students)
        assert "Following the instructor · step 3" in bar(students[0][0])
        await settle(lead, lambda: "2 following · 0 exploring" in bar(lead_app))

        await lead.press("left")
        await settle(lead, lambda: all(a.session.position == 2 for a, _ in students))


async def test_a_follower_cannot_move_itself_or_the_lead(classroom):
    async with AsyncExitStack() as stack:
        lead_app, lead, [(app, pilot), _] = await open_class(classroom, stack)
        await lead.press("n")
        await settle(lead, lambda: app.session.position == 1)
        for key in ("n", "n", "space", "end", "r"):
            await pilot.press(key)
        await pilot.pause()
        assert app.session.position == 1  # refused while following
        assert lead_app.session.position == 1
        # Nor can a student publish through the hub with its own token, whatever it sends.
        async with aiohttp.ClientSession() as http:
            reply = await http.post(classroom.url + "/hub/sync",
                                    headers={"X-Lb6-Token": classroom.hub.join_token},
                                    json={"session": app.class_link.session, "mode": "following",
                                          "step": 9, "position": {"step": 9}})
            assert reply.status == 403
            assert "only the lead" in (await reply.json())["error"]
        assert classroom.hub.position["step"] == 1


async def test_break_away_explore_and_rejoin(classroom):
    async with AsyncExitStack() as stack:
        lead_app, lead, [(app, pilot), (other, _)] = await open_class(classroom, stack)
        await lead.press("n")
        await settle(lead, lambda: app.session.position == 1)

        await pilot.press("e")
        assert app.class_mode == "exploring"
        for _ in range(4):
            await pilot.press("n")
        assert app.session.position == 5          # on its own engine now
        assert app.inject("stop_vm", {"vm": "web2"})  # and change its own future
        await lead.press("n")
        await settle(lead, lambda: other.session.position == 2)
        assert app.session.position >= 5          # the class moved on without it
        assert lead_app.session.position == 2     # and it never moved the lead
        await settle(lead, lambda: "1 following · 1 exploring" in bar(lead_app))

        await pilot.press("g")
        await settle(pilot, lambda: app.session.position == 2)
        assert app.class_mode == "following"
        assert app.session.engine.state.injected == []  # its own injection went with its copy


def known_reasons(app) -> list[str]:
    """The reason of every step the app's engine knows, past its position too."""
    engine = app.session.engine
    return [engine.step_at(n).reason for n in range(1, engine.known + 1)]


async def test_the_leads_injection_reaches_the_followers(classroom):
    async with AsyncExitStack() as stack:
        lead_app, lead, students = await open_class(classroom, stack)
        assert lead_app.inject("stop_vm", {"vm": "web1"})
        target = lead_app.session.position
        await settle(lead, lambda: all(a.session.position == target for a, _ in students))
        for app, _ in students:
            assert app.session.engine.state.vm_running == lead_app.session.engine.state.vm_running
            assert known_reasons(app) == known_reasons(lead_app)


async def test_answers_are_tallied_for_the_lead(classroom):
    async with AsyncExitStack() as stack:
        lead_app, lead, [(a, pa), (b, pb)] = await open_class(classroom, stack, target=LESSON)
        for _ in range(12):  # step until the lead's explorer asks its first question
            await lead.press("n")
            if isinstance(lead_app.screen, QuestionScreen):
                break
        assert isinstance(lead_app.screen, QuestionScreen)
        asked = lead_app.screen.question
        await settle(lead, lambda: isinstance(a.screen, QuestionScreen)
                     and isinstance(b.screen, QuestionScreen))
        assert a.screen.question.id == asked.id

        # Student a picks the second choice, student b the first (Enter takes the highlighted).
        await pa.press("down", "enter")
        await pb.press("enter")
        await settle(lead, lambda: classroom.hub.tally(asked.id) ==
                     {asked.choices[1]: 1, asked.choices[0]: 1})
        tally = lead_app.screen.query_one("#class-tally")
        await settle(lead, lambda: "2 of 2 answered" in str(tally.render()))

        # The lead answers and steps on: the followers' dialogs close, their steps follow.
        await lead.press("enter")
        await settle(lead, lambda: not isinstance(a.screen, QuestionScreen)
                     and a.session.position == lead_app.session.position)
        assert a.lesson.answers[asked.id].given == asked.choices[1]


async def test_a_follower_leaving_does_not_disturb_the_others(classroom):
    async with AsyncExitStack() as stack:
        lead_app, lead, [(gone, _), (stays, _)] = await open_class(classroom, stack)
        classroom.hub.close(gone.class_link.session)  # the browser tab closed
        await gone.class_hub.close()
        await lead.press("n")
        await settle(lead, lambda: stays.session.position == 1)
        await settle(lead, lambda: "1 following" in bar(lead_app))


async def test_followers_follow_a_reset_and_another_scenario(classroom):
    from lb6.model.scenario.library import find
    from lb6.model.scenario.document import load_scenario
    async with AsyncExitStack() as stack:
        lead_app, lead, students = await open_class(classroom, stack)
        assert lead_app.inject("stop_vm", {"vm": "web1"})
        await settle(lead, lambda: all(not a.session.engine.state.vm_running.get("web1", True)
                                       for a, _ in students))
        await lead.press("r")  # the lead forgets its injection: so must the class
        await settle(lead, lambda: all(a.session.engine.state.injected == [] and
                                       a.session.position == 0 for a, _ in students))

        await lead_app._open(load_scenario(find("ipv6_only_client")))  # as ctrl+o does
        await lead.press("n")
        await settle(lead, lambda: all(a.session.scenario.name == "ipv6_only_client" and
                                       a.session.position == 1 for a, _ in students))
        assert all(a.title == lead_app.title for a, _ in students)


async def test_followers_open_whatever_the_lead_opens_as_the_cli_would(classroom):
    """The lead opens an ARM template, an az CLI script and a scenario file in its Open dialog;
    each follower opens the lead's input through the same door (`open_input`), so it holds the
    scenario `lb6 explore FILE` would, step for step."""
    from pathlib import Path

    from lb6.model.inputs import open_input
    from lb6.model.scenario import library

    fixtures = Path(__file__).parents[1] / "importers" / "fixtures"
    inputs = [str(fixtures / "quickstart_2016.json"), str(fixtures / "cli_walkthrough.sh"),
              str(library.find("ipv6_only_client"))]
    async with AsyncExitStack() as stack:
        lead_app, lead, students = await open_class(classroom, stack, followers=1)
        for target in inputs:
            await lead.press("ctrl+o")
            lead_app.screen.query_one("#path").value = target
            await lead.click("#ok")
            await lead.press("n", "n")
            await settle(lead, lambda: all(a.session.scenario.source == target and
                                           a.session.position == 2 for a, _ in students))
            cli = open_input(target).scenario
            for app, _ in students:
                assert app.session.scenario.title == cli.title
                assert [s.reason for s in app.session.engine.records] == \
                    [s.reason for s in lead_app.session.engine.records]
