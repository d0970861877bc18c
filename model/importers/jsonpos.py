"""A small JSON reader that remembers the line of every value, for error messages.

ARM templates are JSON, but the template engine also accepts `//` and `/* */` comments, so this
reader does too. It returns the same plain data as `json.loads` plus a map from each value's
path (a tuple of keys and list indexes) to its 1-based line. A syntax error names the line and
what was expected there.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Path, Problem
from ..scenario.yamlsource import Located

MAX_DEPTH = 200


class JsonProblem(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.message)


# The same shape as a loaded YAML document: data plus the line of each path.
LocatedJson = Located


_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True)
class DuplicateKey:
    """A property given twice in one object: where it first stood and the line that won."""
    path: Path
    first_line: int
    line: int


class _Reader:
    def __init__(self, text: str, duplicates: list[DuplicateKey] | None = None):
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.duplicates = duplicates

    def fail(self, message: str, path: Path = ()) -> None:
        raise JsonProblem(Problem(f"JSON syntax error: {message}", path, self.line))

    def skip(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            c = text[self.pos]
            if c == "\n":
                self.line += 1
                self.pos += 1
            elif c in " \t\r\ufeff":
                self.pos += 1
            elif text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end
            elif text.startswith("/*", self.pos):
                end = text.find("*/", self.pos + 2)
                if end < 0:
                    self.fail("a /* comment is never closed")
                self.line += text.count("\n", self.pos, end)
                self.pos = end + 2
            else:
                return

    def peek(self) -> str:
        self.skip()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def value(self, path: Path, depth: int):
        if depth > MAX_DEPTH:
            self.fail(f"nested more than {MAX_DEPTH} levels deep", path)
        c = self.peek()
        self.lines.setdefault(path, self.line)
        if c == "{":
            return self.obj(path, depth)
        if c == "[":
            return self.arr(path, depth)
        if c == '"':
            return self.string(path)
        if c == "" :
            self.fail("the text ends where a value was expected", path)
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return val
        return self.number(path)

    def obj(self, path: Path, depth: int) -> dict:
        self.pos += 1
        out: dict = {}
        if self.peek() == "}":
            self.pos += 1
            return out
        while True:
            if self.peek() != '"':
                self.fail("expected a quoted property name", path)
            key_line = self.line
            key = self.string(path)
            if key in out:
                if self.duplicates is None:
                    raise JsonProblem(Problem(f"duplicate property '{key}'", path + (key,),
                                              key_line))
                # The later value wins, as in Azure's readers; forget the lines of the earlier
                # one so an error in the value kept points at the line that gave it.
                where = path + (key,)
                self.duplicates.append(DuplicateKey(where, self.lines[where], key_line))
                for p in [p for p in self.lines if p[:len(where)] == where]:
                    del self.lines[p]
            if self.peek() != ":":
                self.fail(f"expected ':' after property name '{key}'", path + (key,))
            self.pos += 1
            self.lines[path + (key,)] = key_line
            self.peek()
            out[key] = self.value(path + (key,), depth + 1)
            c = self.peek()
            if c == ",":
                self.pos += 1
                if self.peek() == "}":  # a trailing comma, which the template engine accepts
                    self.pos += 1
                    return out
                continue
            if c == "}":
                self.pos += 1
                return out
            self.fail(f"expected ',' or '}}' after the value of '{key}'", path + (key,))

    def arr(self, path: Path, depth: int) -> list:
        self.pos += 1
        out: list = []
        if self.peek() == "]":
            self.pos += 1
            return out
        while True:
            out.append(self.value(path + (len(out),), depth + 1))
            c = self.peek()
            if c == ",":
                self.pos += 1
                if self.peek() == "]":
                    self.pos += 1
                    return out
                continue
            if c == "]":
                self.pos += 1
                return out
            self.fail("expected ',' or ']' in a list", path + (len(out) - 1,))

    def string(self, path: Path) -> str:
        self.pos += 1
        text, parts = self.text, []
        start = self.pos
        while True:
            if self.pos >= len(text):
                self.fail("a string is never closed", path)
            c = text[self.pos]
            if c == '"':
                parts.append(text[start:self.pos])
                self.pos += 1
                return "".join(parts)
            if c == "\n":
                self.fail("a string runs past the end of its line (missing '\"'?)", path)
            if c == "\\":
                parts.append(text[start:self.pos])
                esc = text[self.pos + 1:self.pos + 2]
                if esc in _ESCAPES:
                    parts.append(_ESCAPES[esc])
                    self.pos += 2
                elif esc == "u":
                    digits = text[self.pos + 2:self.pos + 6]
                    try:
                        parts.append(chr(int(digits, 16)))
                    except ValueError:
                        self.fail(f"bad \\u escape '\\u{digits}'", path)
                    self.pos += 6
                else:
                    self.fail(f"unknown escape '\\{esc}' in a string", path)
                start = self.pos
                continue
            self.pos += 1

    def number(self, path: Path):
        text, start = self.text, self.pos
        while self.pos < len(text) and text[self.pos] in "+-0123456789.eE":
            self.pos += 1
        token = text[start:self.pos]
        if not token:
            got = text[start:start + 12].split("\n")[0]
            self.fail(f"expected a value (object, list, string, number, true, false or null), "
                      f"found '{got}'", path)
        try:
            return int(token)
        except ValueError:
            try:
                return float(token)
            except ValueError:
                self.fail(f"'{token}' is not a number", path)


def load_json(text: str, duplicates: list[DuplicateKey] | None = None) -> LocatedJson:
    """Parse JSON (with comments); raise JsonProblem naming the line on any syntax error.

    A property given twice in one object is an error, unless the caller passes a `duplicates`
    list: then the last value is kept and each repeat is recorded there for a note.
    """
    reader = _Reader(text, duplicates)
    data = reader.value((), 0)
    if reader.peek():
        reader.fail("unexpected text after the end of the JSON document")
    return LocatedJson(data, reader.lines)
