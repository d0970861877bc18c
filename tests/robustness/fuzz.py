"""Input mutators and the one in-process oracle the loader fuzz tests share.

`feed(text, source)` runs an input through what `lb6 check` and `lb6 run` do with it
(`model.loader.load_text`, the catalogue, a short replay) and returns the exit code the command
would give: 0/1 for a loaded file, 2 for a `ScenarioError`. Anything else raising is a bug. It
also checks that each problem names a place (a line or a field) unless it is about the whole file.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import yaml

from lb6.model.catalogue import check
from lb6.model.engine.engine import Engine
from lb6.model.errors import ScenarioError
from lb6.model.inputs import load_text

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
FIXTURES = ROOT / "tests" / "importers" / "fixtures"
TEMPLATES = sorted(p for p in FIXTURES.glob("*.json") if "parameters" not in p.name)
SCRIPTS = sorted([*FIXTURES.glob("*.sh"), *FIXTURES.glob("*.ps1")])

# Problems about a whole file rather than a place in it.
WHOLE_FILE = ("the file is empty", "file contains NUL bytes", "file is larger than",
              "not a file lb6 can read", "not UTF-8", "nested more than", "is empty",
              "no resources", "nothing to", "found no", "no load balancer", "no `az", "no az ",
              "no New-Az")
TIME_LIMIT_S = 1.5           # CPU seconds per input, in process
STATS = {"inputs": 0, "loaded": 0, "refused": 0, "known": 0}
# Open bugs this fuzzing found, each pinned by an xfail test; matching failures are counted in
# STATS["known"] rather than failing every mutation test. Empty once they are fixed.
KNOWN: list[str] = [
]


class FuzzFailure(AssertionError):
    def __init__(self, message: str):
        super().__init__(message)
        if any(k in message for k in KNOWN):
            STATS["known"] += 1
            raise _Known()


class _Known(Exception):
    """A failure already pinned by an xfail test."""


def feed(text: str, source: str = "fuzz.yaml", format: str | None = None, run_ms: int = 20_000,
         max_steps: int = 2_000) -> int | None:
    """What `lb6 check` (then `lb6 run`) would exit with for `text`; raises FuzzFailure on a bug
    (None for a known, pinned one)."""
    try:
        return _feed(text, source, format, run_ms, max_steps)
    except _Known:
        return None


def _feed(text: str, source: str, format: str | None, run_ms: int, max_steps: int) -> int:
    STATS["inputs"] += 1
    start = time.process_time()
    try:
        loaded = load_text(text, source, format)
    except ScenarioError as exc:
        STATS["refused"] += 1
        _judge_error(exc, text, source)
        _in_time(start, text)
        return 2
    except RecursionError as exc:
        raise FuzzFailure(f"RecursionError escaped the loader for {_show(text)}") from exc
    except Exception as exc:
        raise FuzzFailure(f"{type(exc).__name__}: {exc} escaped the loader for {_show(text)}") from exc
    STATS["loaded"] += 1
    scenario = loaded.scenario
    try:
        findings = check(scenario.topology)
        eng = Engine(scenario)
        steps = 0
        while steps < max_steps and (nxt := eng.peek()) is not None and nxt <= run_ms:
            eng.step()
            steps += 1
        json.dumps([s.to_json() for s in eng.records])
    except Exception as exc:
        raise FuzzFailure(f"{type(exc).__name__}: {exc} while checking/running "
                          f"{_show(text)}") from exc
    _in_time(start, text)
    return 1 if any(f.severity == "error" for f in findings) else 0


def _judge_error(exc: ScenarioError, text: str, source: str) -> None:
    if not exc.problems:
        raise FuzzFailure(f"a ScenarioError with no problem for {_show(text)}")
    rendered = exc.render()
    if not rendered.startswith(exc.source):
        raise FuzzFailure(f"message does not start with the file name: {rendered!r}")
    for p in exc.problems:
        if not p.message or not p.message.strip():
            raise FuzzFailure(f"a problem without a message for {_show(text)}")
        if p.line is None and not p.path and not any(w in p.message for w in WHOLE_FILE):
            raise FuzzFailure(f"problem names no line or field: {p.render(source)!r} for "
                              f"{_show(text)}")


def _in_time(start: float, text: str) -> None:
    took = time.process_time() - start
    # The YAML parser is pure Python: allow 10 µs of CPU per character on top.
    limit = TIME_LIMIT_S + len(text) / 100_000
    if took > limit:
        raise FuzzFailure(f"took {took:.1f} s of CPU (limit {limit:.1f} s) for {_show(text)}")


def _show(text: str, limit: int = 600) -> str:
    return repr(text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)")


# ---- text mutators -------------------------------------------------------------------------

ODD = ["\u202e", "\u200b", "\ufeff", "é", "İ", "ß", "𝔘𝔫𝔦", "😀", "\u0301", "\t", "\r", "\x0b",
       "\x85", "\u2028", "Ω", "中文", "\\", "\"", "'", "{", "}", "[", "]", "&a", "*a", "!!",
       "%", "@", "`", ":", "-", "#", "|", ">", "?", "$", "$(", ")", "`n", "\x7f", "\x1b[31m"]
WRONG = ["-1", "0", "99999999999999999999999999", "1e400", ".inf", ".nan", "-.inf", "null",
         "~", "[]", "{}", "true", "'80'", "0x50", "0o17", "1_000", "2001:db8::1", "10.0.0.4",
         "fd00::/8", "::ffff:10.0.0.4", "256.1.1.1", "10.0.0.0/33", "2001:db8:::1", "1.2.3",
         "2024-01-01", "12:30:00", "yes", "No", "'\u202e'", "!!binary aGVsbG8=", "*nope",
         "Tcp", "Udp", "IPv6", "IPv4", "\"\"", "'a' * 100"]


def mutate_text(rng: random.Random, text: str) -> str:
    """One to three random edits: truncation, byte junk, odd Unicode, line shuffles, swaps."""
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(9)
        if not text:
            text = rng.choice(ODD)
        if op == 0:
            text = text[:rng.randrange(len(text) + 1)]
        elif op == 1:
            i = rng.randrange(len(text) + 1)
            text = text[:i] + rng.choice(ODD) + text[i:]
        elif op == 2:
            i = rng.randrange(len(text) + 1)
            junk = "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(rng.randint(1, 20)))
            text = text[:i] + junk + text[i:]
        elif op == 3:
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            del lines[i]
            text = "\n".join(lines)
        elif op == 4:
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines.insert(rng.randrange(len(lines) + 1), lines[i])
            text = "\n".join(lines)
        elif op == 5:
            # Replace a value after a colon, an equals sign or a flag with a wrong one.
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            line = lines[i]
            for sep in (": ", "= ", " --", " -"):
                if sep in line:
                    head, _, tail = line.partition(sep)
                    parts = tail.split(" ", 1)
                    parts[0] = rng.choice(WRONG) if sep.startswith(":") or sep.startswith("=") \
                        else parts[0] + " " + rng.choice(WRONG)
                    lines[i] = head + sep + " ".join(parts)
                    break
            text = "\n".join(lines)
        elif op == 6:
            lines = text.split("\n")
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
        elif op == 7:
            i = rng.randrange(len(text) + 1)
            text = text[:i] + text[i:i + rng.randint(1, 40)] * rng.randint(2, 5) + text[i:]
        else:
            # Re-indent a line: YAML's structure lives in its indentation.
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines[i] = " " * rng.randint(0, 7) + lines[i].lstrip()
            text = "\n".join(lines)
    return text


# ---- data mutators (valid syntax, wrong content) ------------------------------------------

WRONG_VALUES = [None, True, False, 0, -1, 1.5, 10**30, -10**30, float("inf"), float("nan"),
                "", " ", "x" * 300, "80", "ninety", "2001:db8::1", "10.0.0.4", "::1",
                "203.0.113.10", "fd00:10::4", "0.0.0.0", "10.0.0.0/8", "2001:db8::/129",
                "\u202eevil", "名前", "😀", [], {}, [1, 2], {"a": 1}, [[[]]], "Tcp", "Icmp",
                "IPv6", "Dynamic", "Static", "linux", "-", "*", "$(whoami)", "[concat('a')]",
                "[parameters('nope')]", "[variables('x')]", "[resourceId()]", "[", "]"]


def _nodes(data, path=()):
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _nodes(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _nodes(v, path + (i,))


def _set(data, path, value):
    if not path:
        return value
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


def mutate_data(rng: random.Random, data):
    """Copy of `data` with one to three values replaced, removed, duplicated or nested deep."""
    data = json.loads(json.dumps(data))
    for _ in range(rng.randint(1, 3)):
        nodes = list(_nodes(data))
        path, value = rng.choice(nodes)
        op = rng.randrange(6)
        if op <= 2:
            data = _set(data, path, rng.choice(WRONG_VALUES))
        elif op == 3 and path:
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, list) and parent:
                parent.pop(path[-1])
        elif op == 4 and isinstance(value, list) and value:
            value.append(json.loads(json.dumps(rng.choice(value))))
        elif op == 5:
            deep = value
            for _ in range(rng.choice([3, 20, 70])):
                deep = {"x": deep} if rng.random() < 0.5 else [deep]
            data = _set(data, path, deep)
    return data


def dump_yaml(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


# ---- hand-made hostile inputs ----------------------------------------------------------------

def alias_bomb(levels: int = 9, width: int = 9) -> str:
    lines = ['title: bomb', 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def hostile_yaml() -> list[tuple[str, str]]:
    """(name, text) pairs of inputs that have hurt YAML loaders before."""
    deep_list = "title: deep\nvms: " + "[" * 5000 + "]" * 5000 + "\n"
    deep_map = "title: deep\nvms:\n" + "".join("  " * i + f"k{i}:\n" for i in range(300)) + "\n"
    flow_map = "title: deep\nx: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n"
    return [
        ("alias bomb", alias_bomb()),
        ("alias bomb in a field", alias_bomb().replace("a8:", "vms:")),
        ("merge-key bomb", "title: t\nb: &b {x: 1}\n" + "".join(
            f"m{i}: &m{i} {{<<: *{'b' if i == 0 else f'm{i - 1}'}, y{i}: {i}}}\n" for i in range(300))),
        ("merge of a scalar", "title: t\n<<: 1\n"),
        ("merge of a list of scalars", "title: t\nvnet: {<<: [1, 2]}\n"),
        ("merge override", "title: t\nclients:\n  - &c {name: a, stack: ipv4}\n"
                           "  - {<<: *c, name: b}\n"),
        ("self-referencing alias", "title: t\nvms: &v\n  - *v\n"),
        ("deep flow list", deep_list),
        ("deep block map", deep_map),
        ("deep flow map", flow_map),
        ("python object tag", "title: !!python/object/apply:os.system ['echo pwned']\n"),
        ("python name tag", "title: x\nvms: !!python/name:os.system\n"),
        ("python module tag", "title: x\nvms: !!python/module:os\n"),
        ("python tuple", "title: x\nvms: !!python/tuple [1, 2]\n"),
        ("custom tag", "title: x\nvms: !Ref Thing\n"),
        ("binary tag", "title: !!binary aGVsbG8=\n"),
        ("set tag", "title: x\nvms: !!set {a, b}\n"),
        ("omap tag", "title: x\nvms: !!omap [a: 1]\n"),
        ("timestamp title", "title: 2024-01-01 10:00:00\n"),
        ("huge int seed", "title: t\nseed: " + "9" * 5000 + "\n"),
        ("huge float", "title: t\nduration: 1e400\n"),
        ("nan duration", "title: t\nduration: .nan\n"),
        ("negative duration", "title: t\nduration: -5s\n"),
        ("huge duration", "title: t\nduration: 99999999999999999999h\n"),
        ("inf duration", "title: t\nduration: .inf\n"),
        ("wrong family address", "title: t\npublic_ips:\n  - {name: p, version: IPv6, address: 203.0.113.9}\n"),
        ("v4 in v6 pool", "title: t\nvms:\n  - name: v\n    nics:\n      - name: n\n        ip_configs:\n"
                          "          - {name: c, version: IPv4, address: 'fd00::4'}\n"),
        ("mapped address", "title: t\nclients:\n  - {name: c, stack: ipv6, ipv6: '::ffff:198.51.100.9'}\n"),
        ("zone index", "title: t\nclients:\n  - {name: c, stack: ipv6, ipv6: 'fe80::1%eth0'}\n"),
        ("multiple documents", "title: a\n---\ntitle: b\n"),
        ("only a document marker", "---\n"),
        ("only a comment", "# nothing\n"),
        ("a list at the top", "- title: x\n"),
        ("a string at the top", "just text\n"),
        ("tabs for indentation", "title: t\nvms:\n\t- name: v\n"),
        ("NUL byte", "title: t\x00\n"),
        ("BOM and CRLF", "\ufefftitle: t\r\nseed: 3\r\n"),
        ("RTL override", "title: \u202eevil\nclients:\n  - {name: \u202ec, stack: ipv4}\n"),
        ("zero-width name", "title: t\nvms:\n  - name: \u200bv\n    nics: [{name: n, ip_configs: [{name: c}]}]\n"),
        ("non-string key", "title: t\n? [a, b]\n: 1\n"),
        ("null key", "title: t\n~: 1\n"),
        ("int keys", "title: t\n1: 2\n"),
        ("duplicate keys", "title: a\ntitle: b\n"),
        ("unterminated quote", "title: 'abc\n"),
        ("unterminated flow", "title: t\nvms: [ {name: a\n"),
        ("directive", "%YAML 1.1\n%TAG ! tag:example.com,2000:\n---\ntitle: t\n"),
        ("unknown directive", "%FOO bar\n---\ntitle: t\n"),
        ("anchor on key", "title: t\n&k key: 1\n*k : 2\n"),
        ("undefined alias", "title: *nope\n"),
        ("control characters", "title: \x07\x08\x1b\n"),
        ("lone surrogate escape", 'title: "\\ud800"\n'),
        ("huge line", "title: " + "x" * 2_000_000 + "\n"),
        ("many keys", "title: t\n" + "".join(f"k{i}: {i}\n" for i in range(20_000))),
        ("many vms", "title: t\nvms:\n" + "".join(
            f"  - {{name: v{i}, nics: [{{name: n{i}, ip_configs: [{{name: c}}]}}]}}\n" for i in range(600))),
        ("connection count huge", "title: t\nclients: [{name: c, stack: ipv4}]\ntimeline:\n"
                                  "  - connect: {client: c, to: 203.0.113.1, port: 80, count: 1000000, every: 0}\n"),
        ("timeline at huge", "title: t\ntimeline:\n  - {at: 99999999999999h, wait: 1s}\n"),
        ("binary junk", "".join(chr(c) for c in range(1, 256)) * 4),
        ("json scenario", json.dumps({"title": "t", "vms": []})),
    ]
