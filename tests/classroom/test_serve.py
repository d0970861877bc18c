"""`lb6 serve` as a user runs it: bad input is exit 2 with one clear paragraph, a bad token is a
refused page and a refused websocket, and a browser's websocket really drives an explorer."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from pathlib import Path

import aiohttp
import pytest

from tests.classroom.serving import http_status, lb6_serve, status, token, wait_for


def serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lb6", "serve", *args], capture_output=True,
                          text=True, timeout=60)


def test_an_unknown_scenario_is_exit_2_before_listening():
    done = serve("no_such_scenario", "--port", "0")
    assert done.returncode == 2
    assert "no_such_scenario" in done.stderr and "Traceback" not in done.stderr + done.stdout
    assert "lb6 class" not in done.stdout


def test_a_port_in_use_is_exit_2_with_a_hint():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = serve("--port", str(port))
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "--port" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("port", ["http", "70000", "-1"])
def test_a_bad_port_is_exit_2(port):
    done = serve("--port", port)
    assert done.returncode == 2 and "not a port number" in done.stderr


def test_a_host_that_is_not_ours_is_exit_2():
    done = serve("--host", "no-such-host.invalid", "--port", "0")
    assert done.returncode == 2 and "--host no-such-host.invalid" in done.stderr


def test_pages_need_the_right_token_and_a_websocket_runs_an_explorer():
    with lb6_serve("dual_stack_web_farm", "--lead") as links:
        assert token(links["lead"]) != token(links["join"])
        assert links["base"].startswith("http://127.0.0.1:")
        assert http_status(links["base"] + "/") == 403
        assert http_status(links["base"] + "/not-the-token") == 403
        assert http_status(links["join"]) == 200
        assert http_status(links["lead"]) == 200
        asyncio.run(_drive_by_websocket(links))


async def _drive_by_websocket(links: dict) -> None:
    ws_base = links["base"].replace("http://", "ws://") + "/ws/"
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(ws_base + "wrong-token?width=100&height=30")
        assert refused.value.status == 403

        lead = await http.ws_connect(ws_base + token(links["lead"]) + "?width=120&height=36")
        student = await http.ws_connect(ws_base + token(links["join"]) + "?width=100&height=30")
        drain = [asyncio.create_task(_drain(ws)) for ws in (lead, student)]
        # Explorer processes start (a second or two each) and report to the hub.
        await _until(lambda s: sorted((m["role"], m["synced"]) for m in s["sessions"]) ==
                     [("lead", True), ("student", True)], links)
        with pytest.raises(aiohttp.WSServerHandshakeError) as second:
            await http.ws_connect(ws_base + token(links["lead"]) + "?width=80&height=24")
        assert second.value.status == 409  # one lead at a time

        await lead.send_json(["stdin", "n"])   # the lead presses n in its browser
        await _until(lambda s: [m["step"] for m in s["sessions"]] == [1, 1], links)
        await student.send_json(["stdin", "n"])  # a follower's n is refused...
        await asyncio.sleep(1.0)
        assert {m["step"] for m in (await _status(links))["sessions"]} == {1}

        await student.close()  # ...and a student leaving does not disturb the lead
        await _until(lambda s: [m["role"] for m in s["sessions"]] == ["lead"], links)
        await lead.send_json(["stdin", "n"])
        await _until(lambda s: s["sessions"][0]["step"] == 2, links)
        await lead.close()
        for task in drain:
            task.cancel()


async def _drain(ws) -> None:
    async for _ in ws:
        pass


async def _status(links: dict) -> dict:
    return await asyncio.to_thread(status, links)


async def _until(condition, links: dict, timeout: float = 30.0) -> dict:
    async def check():
        while True:
            current = await _status(links)
            if condition(current):
                return current
            await asyncio.sleep(0.2)
    return await asyncio.wait_for(check(), timeout)


def test_without_lead_each_browser_explores_alone():
    with lb6_serve("dual_stack_web_farm") as links:
        assert "lead" not in links
        assert http_status(links["join"]) == 200
        wait_for(lambda: http_status(links["base"] + "/static/js/textual.js") == 200,
                 what="the page script")


def test_without_the_serve_extra_the_message_says_what_to_install(monkeypatch, capsys):
    from lb6.tui import cli
    for name in [m for m in sys.modules if m.startswith(("textual_serve", "lb6.tui.classroom.server"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # import fails as if not installed
    assert cli.main(["serve", "--port", "0"]) == 2
    assert "pip install 'lb6[serve]'" in capsys.readouterr().err


def test_ending_the_class_ends_every_explorer():
    """Ctrl+C (or SIGTERM) on lb6 serve, browsers still connected, leaves no explorer behind."""
    loop = asyncio.new_event_loop()
    browsers = threading.Thread(target=loop.run_forever, daemon=True)
    browsers.start()
    try:
        with lb6_serve("dual_stack_web_farm", "--lead") as links:
            asyncio.run_coroutine_threadsafe(_open_and_keep_open(links), loop).result(60)
            wait_for(lambda: [m["synced"] for m in status(links)["sessions"]] == [True, True],
                     what="two explorers")
            children = _explorers(links)
            assert len(children) == 2
        # lb6 serve has had SIGTERM; the "browsers" are still connected.
        wait_for(lambda: not any(_alive(pid) for pid in children), timeout=15,
                 what="every explorer process gone")
    finally:
        loop.call_soon_threadsafe(loop.stop)


async def _open_and_keep_open(links: dict) -> None:
    ws_base = links["base"].replace("http://", "ws://") + "/ws/"
    http = aiohttp.ClientSession()
    for link in (links["lead"], links["join"]):
        ws = await http.ws_connect(ws_base + token(link) + "?width=80&height=24")
        asyncio.ensure_future(_drain(ws))


def _explorers(links: dict) -> list[int]:
    port = links["base"].rsplit(":", 1)[1]
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        program = (proc / "cmdline").read_bytes().split(b"\0")[0]
        if f"LB6_CLASS_HUB=http://127.0.0.1:{port}".encode() in environ and b"python" in program:
            found.append(int(proc.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
