"""`lb6 serve`: the explorer in browsers, one process per browser, plus the class hub.

Built on textual-serve's `Server`: its page script and its per-browser process management are
kept; the routes are ours, because every page and websocket must carry a valid token (the join
link and the lead link differ only in theirs) and because the hub's JSON API lives beside them.

Routes:
  GET  /{token}        the page; 403 for a token that is not this class's
  GET  /ws/{token}     the websocket that runs one explorer process; refused (403) before the
                       upgrade for a bad token, 409 for a second lead
  POST /hub/sync       an explorer reports where it is and hears the lead (the lead publishes)
  POST /hub/answer     a student's answer to the open question
  GET  /hub/status     every session and its step (lead token only)
The explorer processes call the hub on loopback, with the token and session id they were given
in their environment (see `tui.classroom.client`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import shlex
import socket
import sys
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from rich.console import Console
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from .client import ENV_HUB, ENV_ROLE, ENV_SESSION, ENV_TOKEN
from .hub import Hub, Refused

HERE = Path(__file__).parent
log = logging.getLogger("lb6.serve")

MAX_BODY = 256 * 1024  # a published position is a few kilobytes; anything larger is refused


class ServeError(Exception):
    """A reason the class cannot start (the port is taken, the address is not ours...)."""


class ClassAppService(AppService):
    """One browser's explorer process, told its role, session and the hub's address."""

    def __init__(self, command: str, extra_env: dict[str, str], **kwargs) -> None:
        super().__init__(command, **kwargs)
        self.extra_env = extra_env

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        env = super()._build_environment(width=width, height=height)
        env.update(self.extra_env)
        return env


class ClassServer(Server):
    def __init__(self, command: str, hub: Hub, *, host: str, port: int, title: str,
                 console: Console | None = None) -> None:
        super().__init__(command, host=host, port=port, title=title,
                         templates_path=HERE / "templates")
        self.hub = hub
        self.services: set[ClassAppService] = set()  # every running explorer, to end with the class
        self.out = console or Console(highlight=False)

    # ---- addresses --------------------------------------------------------------------------

    def link(self, token: str) -> str:
        host = self.host
        if host in ("0.0.0.0", "", "*", "::"):
            host = _this_machine()  # a link to 0.0.0.0 would open nothing on a student's laptop
        return f"http://{_url_host(host)}:{self.port}/{token}"

    def hub_url(self) -> str:
        """Where the explorer processes (on this machine) reach the hub."""
        host = self.host
        if host in ("0.0.0.0", "", "*"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        return f"http://{_url_host(host)}:{self.port}"

    # ---- the web application ----------------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(str(self.templates_path)))
        app.add_routes([
            web.get("/", self.handle_root),
            web.get("/favicon.ico", self.handle_favicon),
            web.post("/hub/sync", self.handle_sync),
            web.post("/hub/answer", self.handle_answer),
            web.get("/hub/status", self.handle_status),
            web.static("/static", self.statics_path, name="static"),
            web.get("/ws/{token}", self.handle_websocket, name="websocket"),
            web.get("/{token}", self.handle_index, name="index"),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def on_startup(self, app: web.Application) -> None:
        say = lambda text: self.out.print(text, soft_wrap=True)  # a link must never wrap
        say(f"[bold]lb6 class[/bold]: {self.title}")
        if self.hub.lead_token:
            say(f"  lead link (yours, keep it private): {self.link(self.hub.lead_token)}")
            say(f"  join link for students:             {self.link(self.hub.join_token)}")
            say("  Students follow your steps; they press e to explore, g to rejoin.")
        else:
            say(f"  open: {self.link(self.hub.join_token)}")
            say("  Each browser gets its own explorer. Add --lead to lead a class.")
        say("Press Ctrl+C to end the class.")

    async def on_shutdown(self, app: web.Application) -> None:
        """Ctrl+C ends the class: ask every explorer to quit, then make sure it has."""
        services = list(self.services)
        if services:
            await asyncio.wait([asyncio.ensure_future(s.send_meta({"type": "quit"}))
                                for s in services], timeout=2)
            await asyncio.sleep(0.5)
        for service in services:
            process = service._process
            if process is not None and process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()

    async def handle_favicon(self, request: web.Request) -> web.Response:
        return web.Response(status=204)  # no icon; a 403 here would fill the browser's console

    async def handle_root(self, request: web.Request) -> web.Response:
        raise web.HTTPForbidden(text="This lb6 class opens with a link that carries its token "
                                     "(the address lb6 serve printed, ending in /<token>).\n")

    async def handle_index(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        role = self.hub.role_of(token)
        if role is None:
            raise web.HTTPForbidden(text="This link's token is not valid for this class: ask for "
                                         "the link again.\n")
        scheme = "wss" if request.secure else "ws"
        context = {
            "title": self.title + (" — lead" if role == "lead" else ""),
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "static_url": "/static/",
            "websocket_url": f"{scheme}://{request.host}/ws/{token}",
        }
        return aiohttp_jinja2.render_template("class_index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        try:
            session, role = self.hub.open(request.match_info["token"])
        except Refused as exc:
            return web.Response(status=exc.status, text=exc.message + "\n")
        websocket = web.WebSocketResponse(heartbeat=15)
        service: AppService | None = None
        try:
            await websocket.prepare(request)
            service = ClassAppService(
                self.command, self._session_env(session, role, request.match_info["token"]),
                write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                close=websocket.close, download_manager=self.download_manager)
            await service.start(to_int(request.query.get("width", "80"), 80),
                                to_int(request.query.get("height", "24"), 24))
            self.services.add(service)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # one browser's trouble must not end the class
            log.warning("session %s ended: %s", session, error)
        finally:
            self.hub.close(session)
            if service is not None:
                self.services.discard(service)
                await service.stop()
        return websocket

    def _session_env(self, session: str, role: str, token: str) -> dict[str, str]:
        if not self.hub.lead_token:
            return {}  # no class to follow: each browser explores on its own
        return {ENV_HUB: self.hub_url(), ENV_TOKEN: token, ENV_SESSION: session, ENV_ROLE: role}

    # ---- the hub's JSON API -----------------------------------------------------------------

    async def handle_sync(self, request: web.Request) -> web.Response:
        async def call(body: dict, token: str) -> dict:
            return self.hub.sync(token, _text(body, "session"), _text(body, "mode"),
                                 _int(body, "step"), _object(body, "position"))
        return await _json_call(request, call)

    async def handle_answer(self, request: web.Request) -> web.Response:
        async def call(body: dict, token: str) -> dict:
            choice = body.get("choice")
            if choice is not None and not isinstance(choice, str):
                raise Refused(400, "choice: expected text or null")
            self.hub.answer(token, _text(body, "session"), _text(body, "question"), choice)
            return {"ok": True}
        return await _json_call(request, call)

    async def handle_status(self, request: web.Request) -> web.Response:
        try:
            return web.json_response(self.hub.status(_token(request)))
        except Refused as exc:
            return web.json_response({"error": exc.message}, status=exc.status)

    # ---- running ----------------------------------------------------------------------------

    def serve(self, debug: bool = False) -> None:
        """Bind first (so a taken port is a clear error, not a traceback), then serve."""
        sock = bind(self.host, self.port)
        self.port = sock.getsockname()[1]  # --port 0 asked for any free port: print the real one
        self.debug = debug
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            web.run_app(self._make_app(), sock=sock, print=lambda *a: None, loop=loop,
                        handle_signals=True)
        finally:
            sock.close()


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or ServeError saying what is wrong."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ServeError(f"--host {host}: not an address of this machine ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise ServeError(f"port {port} on {host} is already in use; pick another with "
                             "--port, or stop what is using it") from None
        if exc.errno in (13, 10013):
            raise ServeError(f"port {port} on {host}: permission denied (ports under 1024 need "
                             "privileges; try --port 8000)") from None
        raise ServeError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
    sock.setblocking(False)
    return sock


def explorer_command(target: str, format: str | None, parameters: str | None) -> str:
    """The shell command textual-serve runs once per browser: this Python's `lb6 explore`."""
    words = [sys.executable, "-m", "lb6", "explore", target]
    if format:
        words += ["--format", format]
    if parameters:
        words += ["--parameters", parameters]
    return shlex.join(words)


# ---- small helpers for the JSON API -------------------------------------------------------------


async def _json_call(request: web.Request, call) -> web.Response:
    try:
        try:
            body = json.loads(await request.text())
        except (ValueError, UnicodeDecodeError):
            raise Refused(400, "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Refused(400, "the body must be a JSON object")
        return web.json_response(await call(body, _token(request)))
    except Refused as exc:
        return web.json_response({"error": exc.message}, status=exc.status)


def _token(request: web.Request) -> str:
    return request.headers.get("X-Lb6-Token", "")


def _text(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise Refused(400, f"{key}: expected text")
    return value


def _int(body: dict, key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Refused(400, f"{key}: expected a whole number")
    return value


def _object(body: dict, key: str) -> dict | None:
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise Refused(400, f"{key}: expected an object or null")
    return value


def _this_machine() -> str:
    """This machine's address as others on its network would use it (best effort)."""
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return socket.gethostname() or "127.0.0.1"


def _url_host(host: str) -> str:
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host
