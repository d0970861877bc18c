"""Start a real `lb6 serve` process for a test and read its links."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

LINK = re.compile(r"(lead link|join link for students|open)[^:]*:\s+(http://\S+)")


@contextmanager
def lb6_serve(*args: str, timeout: float = 30.0):
    """`lb6 serve ARGS --port 0`; yields {"lead": url, "join": url, "base": url}."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "lb6", "serve", *args, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    links: dict[str, str] = {}
    seen: list[str] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError("lb6 serve ended early:\n" + "".join(seen))
            seen.append(line)
            for label, url in LINK.findall(line):
                links["lead" if label == "lead link" else "join"] = url
            if line.startswith("Press Ctrl+C"):
                break
        else:
            raise AssertionError("lb6 serve printed no links:\n" + "".join(seen))
        links["base"] = links["join"].rsplit("/", 1)[0]
        yield links
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def status(links: dict) -> dict:
    request = urllib.request.Request(links["base"] + "/hub/status",
                                     headers={"X-Lb6-Token": token(links["lead"])})
    with urllib.request.urlopen(request, timeout=5) as reply:
        return json.load(reply)


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_for(condition, timeout: float = 30.0, what: str = "the condition"):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached within {timeout} s")
