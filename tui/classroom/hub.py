"""The class's shared state, kept by the `lb6 serve` process.

Two secrets make the roles: the lead token (only printed to the instructor, only with `--lead`)
and the join token (in the link students get). A browser session is opened with one of them and
the explorer process it runs is told its session id and token; every later call must present
both, so a student's process can never publish a position, however it is driven.

The hub never interprets the position it relays: the lead's explorer writes it and each
follower's explorer reads and applies it (see `tui/app_classroom.py`). What the hub does own is
the census (who is following, who is exploring) and the tally of answers per question.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

LEAD, STUDENT = "lead", "student"
LEADING, FOLLOWING, EXPLORING = "leading", "following", "exploring"
MODES = {LEAD: (LEADING,), STUDENT: (FOLLOWING, EXPLORING)}

# A session not heard from for this long is left out of the census: a browser that closed
# without a goodbye (a laptop lid) stops counting within a few of its 0.25 s polls.
GONE_AFTER_S = 5.0
# A new session's explorer process takes a second or two to start (more on a busy machine):
# until its first poll it counts for this long.
STARTING_S = 30.0


class Refused(Exception):
    """A request the hub turns down; `status` is the HTTP status the server answers with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Member:
    session: str
    role: str
    mode: str
    step: int
    seen: float
    synced: bool = False  # has its explorer polled yet?


def new_token() -> str:
    """A link token: 128 bits, URL-safe, short enough to read out in class if need be."""
    return secrets.token_urlsafe(16)


class Hub:
    def __init__(self, join_token: str, lead_token: str | None = None, clock=time.monotonic):
        self.join_token = join_token
        self.lead_token = lead_token
        self.clock = clock
        self.position: dict | None = None   # what the lead last published
        self.seq = 0                        # bumped each time the position changes
        self.members: dict[str, Member] = {}
        self.answers: dict[str, dict[str, str]] = {}  # question id -> session -> choice

    # ---- sessions ---------------------------------------------------------------------------

    def role_of(self, token: str | None) -> str | None:
        """LEAD, STUDENT, or None for a token that opens nothing (compared in constant time)."""
        if not token:
            return None
        if self.lead_token and hmac.compare_digest(token, self.lead_token):
            return LEAD
        if hmac.compare_digest(token, self.join_token):
            return STUDENT
        return None

    def open(self, token: str | None) -> tuple[str, str]:
        """A new browser session: (session id, role). One lead at a time."""
        role = self.role_of(token)
        if role is None:
            raise Refused(403, "this link's token is not valid for this class")
        if role == LEAD and any(m.role == LEAD for m in self._present()):
            raise Refused(409, "the lead session is already open in another browser; close it "
                               "first (a reload closes it too)")
        session = secrets.token_hex(8)
        mode = LEADING if role == LEAD else (FOLLOWING if self.lead_token else EXPLORING)
        self.members[session] = Member(session, role, mode, 0, self.clock())
        return session, role

    def close(self, session: str) -> None:
        """A browser went away: it leaves the census; its answers stay in the tally."""
        self.members.pop(session, None)

    def _member(self, token: str | None, session: str) -> Member:
        role = self.role_of(token)
        member = self.members.get(session)
        if role is None or member is None or member.role != role:
            raise Refused(403, "unknown session or token")
        return member

    def _present(self) -> list[Member]:
        now = self.clock()
        return [m for m in self.members.values()
                if m.seen >= now - (GONE_AFTER_S if m.synced else STARTING_S)]

    # ---- the position -----------------------------------------------------------------------

    def sync(self, token: str | None, session: str, mode: str, step: int,
             position: dict | None = None) -> dict:
        """One poll from an explorer: report where it is, publish (lead only), hear the lead."""
        member = self._member(token, session)
        if mode not in MODES[member.role]:
            raise Refused(400, f"mode '{mode}' is not one a {member.role} session can be in")
        if position is not None:
            if member.role != LEAD:
                raise Refused(403, "only the lead session can move the class")
            if position != self.position:
                self.position = position
                self.seq += 1
        member.mode, member.step, member.seen, member.synced = mode, int(step), self.clock(), True
        reply: dict = {"seq": self.seq, "lead": self.position, "role": member.role}
        if member.role == LEAD:
            reply["census"] = self.census()
            question = (self.position or {}).get("question")
            if question:
                reply["tally"] = self.tally(question["id"])
        return reply

    def census(self) -> dict:
        students = [m for m in self._present() if m.role == STUDENT]
        return {"following": sum(m.mode == FOLLOWING for m in students),
                "exploring": sum(m.mode == EXPLORING for m in students),
                "steps": sorted(m.step for m in students)}

    # ---- answers ----------------------------------------------------------------------------

    def answer(self, token: str | None, session: str, question: str, choice: str | None) -> None:
        """A student's answer to the question the lead has open; a second answer replaces it."""
        member = self._member(token, session)
        if member.role != STUDENT:
            raise Refused(403, "only students' answers are tallied")
        open_question = (self.position or {}).get("question")
        if not open_question or open_question.get("id") != question:
            raise Refused(409, f"question '{question}' is not open now")
        if choice is not None and choice not in open_question.get("choices", ()):
            raise Refused(400, f"'{choice}' is not one of the question's choices")
        self.answers.setdefault(question, {})[session] = choice

    def tally(self, question: str) -> dict[str, int]:
        """How many chose each answer (None: skipped)."""
        counts: dict[str, int] = {}
        for choice in self.answers.get(question, {}).values():
            key = choice if choice is not None else "(skipped)"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def status(self, token: str | None) -> dict:
        """Every session and where it is: for the lead (and the tests)."""
        if self.role_of(token) != LEAD:
            raise Refused(403, "the class status is for the lead link only")
        return {"seq": self.seq, "lead": self.position,
                "sessions": [{"session": m.session, "role": m.role, "mode": m.mode,
                              "step": m.step, "synced": m.synced} for m in self._present()]}
