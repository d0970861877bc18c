"""The hub on its own: tokens make the roles, only the lead publishes, answers are tallied."""

from __future__ import annotations

import pytest

from lb6.tui.classroom.hub import GONE_AFTER_S, Hub, Refused, new_token


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


@pytest.fixture
def hub():
    return Hub(join_token="join-token", lead_token="lead-token", clock=Clock())


QUESTION = {"id": "q1", "text": "Which family?", "choices": ["IPv4", "IPv6"]}


def test_tokens_are_random_and_distinct():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 20 for t in tokens)


def test_a_bad_token_opens_nothing(hub):
    for token in ("", None, "join-toke", "lead-token ", "JOIN-TOKEN"):
        with pytest.raises(Refused) as caught:
            hub.open(token)
        assert caught.value.status == 403


def test_only_one_lead_at_a_time_and_it_can_come_back(hub):
    lead, role = hub.open("lead-token")
    assert role == "lead"
    with pytest.raises(Refused) as caught:
        hub.open("lead-token")
    assert caught.value.status == 409
    hub.close(lead)
    assert hub.open("lead-token")[1] == "lead"


def test_only_the_lead_publishes(hub):
    lead, _ = hub.open("lead-token")
    student, _ = hub.open("join-token")
    reply = hub.sync("lead-token", lead, "leading", 3, {"step": 3})
    assert reply["seq"] == 1 and reply["census"]["following"] == 1
    with pytest.raises(Refused, match="only the lead"):
        hub.sync("join-token", student, "following", 3, {"step": 9})
    # A student's token with the lead's session id is no better.
    with pytest.raises(Refused):
        hub.sync("join-token", lead, "leading", 9, {"step": 9})
    assert hub.position == {"step": 3}
    assert hub.sync("join-token", student, "following", 3)["lead"] == {"step": 3}


def test_the_census_counts_modes_and_forgets_the_silent(hub):
    lead, _ = hub.open("lead-token")
    a, _ = hub.open("join-token")
    b, _ = hub.open("join-token")
    hub.sync("join-token", a, "exploring", 7)
    assert hub.sync("lead-token", lead, "leading", 2)["census"] == \
        {"following": 1, "exploring": 1, "steps": [0, 7]}
    hub.clock.t += GONE_AFTER_S + 1
    hub.sync("join-token", b, "following", 2)
    assert hub.census() == {"following": 1, "exploring": 0, "steps": [2]}
    with pytest.raises(Refused):
        hub.sync("join-token", b, "leading", 2)  # not a mode a student can be in


def test_answers_are_tallied_per_question(hub):
    lead, _ = hub.open("lead-token")
    students = [hub.open("join-token")[0] for _ in range(3)]
    with pytest.raises(Refused) as caught:  # no question open yet
        hub.answer("join-token", students[0], "q1", "IPv6")
    assert caught.value.status == 409
    hub.sync("lead-token", lead, "leading", 5, {"step": 5, "question": QUESTION})
    hub.answer("join-token", students[0], "q1", "IPv6")
    hub.answer("join-token", students[1], "q1", "IPv4")
    hub.answer("join-token", students[1], "q1", "IPv6")   # changed their mind
    hub.answer("join-token", students[2], "q1", None)     # skipped
    with pytest.raises(Refused):
        hub.answer("join-token", students[2], "q1", "IPv5")
    with pytest.raises(Refused):
        hub.answer("lead-token", lead, "q1", "IPv4")       # the lead does not vote
    assert hub.tally("q1") == {"IPv6": 2, "(skipped)": 1}
    assert hub.sync("lead-token", lead, "leading", 5, hub.position)["tally"] == \
        {"IPv6": 2, "(skipped)": 1}


def test_status_is_for_the_lead_only(hub):
    hub.open("join-token")
    with pytest.raises(Refused):
        hub.status("join-token")
    assert [s["role"] for s in hub.status("lead-token")["sessions"]] == ["student"]


def test_without_a_lead_students_explore_on_their_own():
    hub = Hub(join_token="j")
    session, role = hub.open("j")
    assert role == "student" and hub.members[session].mode == "exploring"
    with pytest.raises(Refused):
        hub.open("lead-token")


def test_a_starting_explorer_counts_until_its_first_poll(hub):
    from lb6.tui.classroom.hub import STARTING_S
    lead, _ = hub.open("lead-token")
    hub.open("join-token")
    hub.clock.t += GONE_AFTER_S + 1      # a slow start: still counted
    assert hub.census()["following"] == 1
    hub.clock.t += STARTING_S            # never started at all: no longer
    assert hub.census()["following"] == 0
