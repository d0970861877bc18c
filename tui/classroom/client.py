"""How an explorer process talks to the class hub: two small JSON calls over loopback.

`lb6 serve` starts one explorer per browser and puts the hub's address, the session's token,
its session id and its role in the environment; `ClassLink.from_env()` reads them. The calls
use aiohttp (installed with textual-serve, the `serve` extra) and never raise: a hub that is
slow or gone is reported as None, and the explorer keeps working on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ENV_HUB, ENV_TOKEN, ENV_SESSION, ENV_ROLE = ("LB6_CLASS_HUB", "LB6_CLASS_TOKEN",
                                             "LB6_CLASS_SESSION", "LB6_CLASS_ROLE")
TIMEOUT_S = 2.0


@dataclass(frozen=True)
class ClassLink:
    hub: str        # http://127.0.0.1:8000
    token: str
    session: str
    role: str       # "lead" | "student"

    @classmethod
    def from_env(cls, env=os.environ) -> "ClassLink | None":
        values = [env.get(k) for k in (ENV_HUB, ENV_TOKEN, ENV_SESSION, ENV_ROLE)]
        if not all(values) or values[3] not in ("lead", "student"):
            return None
        return cls(*values)

    @property
    def leads(self) -> bool:
        return self.role == "lead"


class HubClient:
    """One explorer's connection to the hub (created and closed on the explorer's loop)."""

    def __init__(self, link: ClassLink) -> None:
        import aiohttp
        self.link = link
        self._aiohttp = aiohttp
        self._http = aiohttp.ClientSession(
            headers={"X-Lb6-Token": link.token},
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))
        self.last_error: str | None = None

    async def sync(self, mode: str, step: int, position: dict | None = None) -> dict | None:
        return await self._post("/hub/sync", {"session": self.link.session, "mode": mode,
                                              "step": step, "position": position})

    async def answer(self, question: str, choice: str | None) -> dict | None:
        return await self._post("/hub/answer", {"session": self.link.session,
                                                "question": question, "choice": choice})

    async def _post(self, path: str, body: dict) -> dict | None:
        try:
            async with self._http.post(self.link.hub + path, json=body) as reply:
                data = await reply.json(content_type=None)
                if reply.status != 200:
                    self.last_error = data.get("error", f"HTTP {reply.status}") \
                        if isinstance(data, dict) else f"HTTP {reply.status}"
                    return None
                self.last_error = None
                return data
        # RuntimeError: the session was closed as the explorer quit, mid-poll.
        except (self._aiohttp.ClientError, TimeoutError, ValueError, RuntimeError) as exc:
            self.last_error = f"the class hub is unreachable ({type(exc).__name__})"
            return None

    async def close(self) -> None:
        await self._http.close()
