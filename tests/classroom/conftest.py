"""A real class hub for the follow-mode tests: the `lb6 serve` web app on a free loopback port,
in the test's own event loop, so explorer apps under Pilot talk to it over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

pytest.importorskip("textual_serve", reason="the serve extra (textual-serve) is not installed")

from aiohttp import web  # noqa: E402  (after the skip: aiohttp comes with the serve extra)

from lb6.model.scenario.library import find  # noqa: E402
from lb6.model.scenario.document import load_scenario  # noqa: E402
from lb6.tui.app import Lb6App  # noqa: E402
from lb6.tui.classroom.client import ClassLink  # noqa: E402
from lb6.tui.classroom.hub import Hub  # noqa: E402
from lb6.tui.classroom.server import ClassServer  # noqa: E402

LESSON = "lesson_1_first_dual_stack_request"


class Classroom:
    """The hub's server plus helpers to open explorer sessions the way a browser would."""

    def __init__(self, hub: Hub, server: ClassServer, url: str):
        self.hub, self.server, self.url = hub, server, url

    def app(self, token: str, target: str = LESSON) -> Lb6App:
        session, role = self.hub.open(token)  # what the websocket handler does
        app = Lb6App(load_scenario(find(target)))
        app.class_link = ClassLink(self.url, token, session, role)
        return app


@pytest.fixture
async def classroom():
    hub = Hub(join_token="join-" + "j" * 20, lead_token="lead-" + "l" * 20)
    server = ClassServer("true", hub, host="127.0.0.1", port=0, title="test class")
    runner = web.AppRunner(await server._make_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server.port = port
    try:
        yield Classroom(hub, server, f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


async def settle(pilot, condition, timeout: float = 5.0) -> float:
    """Let the apps poll until `condition()` holds; the seconds it took (fails on timeout)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not reached within {timeout} s")
        await asyncio.sleep(0.05)
        with contextlib.suppress(Exception):
            await pilot.pause()
    return time.monotonic() - start
