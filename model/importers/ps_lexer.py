"""The lexical layer of a PowerShell script: its statements and the tokens in each.

`statements` removes comments (`#` and `<# ... #>`), joins backtick continuations and the lines
an open bracket or a trailing `,`, `|` or `=` carries on, and splits on `;`, all outside quotes.
`lex` turns one statement into tokens: variables, strings (a double-quoted one keeps its `$var`
parts for the reader to interpolate), numbers, `-Parameter` names, bare words and operators.
An unbalanced quote or bracket is an error naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from ..errors import ScenarioError
from . import resources as c


@dataclass
class Tok:
    """One token of a statement."""

    kind: str  # var | str | num | param | word | op
    value: object
    extra: object = None  # for var: list of accessors; for str: interpolation parts


def statements(text: str, source: str):
    """(line, text) of each statement: comments removed, continuations joined."""
    text = re.sub(r"<#.*?#>", lambda m: "\n" * m.group().count("\n"), text, flags=re.S)
    buf, start, depth = "", None, 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = _strip_comment(raw, no, source)
        if start is None:
            start = no
        stripped = line.rstrip()
        depth += _depth(stripped)
        if stripped.endswith("`"):
            buf += stripped[:-1] + " "
            continue
        if depth > 0 or stripped.endswith((",", "|", "=")):
            buf += stripped + " "
            continue
        buf += line
        for part in _split_semicolons(buf):
            if part.strip():
                yield start, part.strip()
        buf, start, depth = "", None, 0
    if buf.strip():
        if depth > 0:
            raise c.fail(source, "a '(' or '{' is never closed; expected ')' or '}' before the "
                         "end of the script", c.Origin(start))
        yield start, buf.strip()


def _unquoted(text: str):
    """(index, char) for each character outside quotes; the last item is (None, the quote
    still open or None), so callers can tell an unbalanced line."""
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        else:
            yield i, ch
    yield None, quote


def _strip_comment(line: str, no: int, source: str) -> str:
    for i, ch in _unquoted(line):
        if i is None and ch:
            raise c.fail(source, f"unbalanced quote: a {ch} opens on this line and is "
                         f"never closed; expected a closing {ch}", c.Origin(no))
        if ch == "#":
            return line[:i]
    return line


def _depth(line: str) -> int:
    return sum(1 if ch in "({" else -1 for i, ch in _unquoted(line)
               if i is not None and ch in "(){}")


def _split_semicolons(text: str):
    out, last = [], 0
    for i, ch in _unquoted(text):
        if i is not None and ch == ";":
            out.append(text[last:i])
            last = i + 1
    out.append(text[last:])
    return out


def lex(text: str, fail: Callable[[str], ScenarioError]) -> list[Tok]:
    """The tokens of one statement; `fail` makes the error for a problem on its line."""
    toks: list[Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "'":
            j, out = i + 1, ""
            while True:
                if j >= n:
                    raise fail("unbalanced quote: a ' is never closed; expected '")
                if text[j] == "'" and text[j + 1:j + 2] == "'":
                    out += "'"
                    j += 2
                    continue
                if text[j] == "'":
                    break
                out += text[j]
                j += 1
            toks.append(Tok("str", out))
            i = j + 1
        elif ch == '"':
            j, parts, seg = i + 1, [], ""
            while True:
                if j >= n:
                    raise fail('unbalanced quote: a " is never closed; expected "')
                if text[j] == "`" and j + 1 < n:
                    seg += {"n": "\n", "t": "\t"}.get(text[j + 1], text[j + 1])
                    j += 2
                    continue
                if text[j] == '"':
                    break
                m = re.match(r"\$(\{[^}]+\}|[A-Za-z_][A-Za-z0-9_:]*)", text[j:])
                if m:
                    if seg:
                        parts.append(seg)
                        seg = ""
                    parts.append(("var", m.group(1).strip("{}")))
                    j += m.end()
                    continue
                seg += text[j]
                j += 1
            if seg or not parts:
                parts.append(seg)
            toks.append(Tok("str", None, parts))
            i = j + 1
        elif ch == "$" and text.startswith("$(", i):
            toks.append(Tok("op", "("))
            i += 2
        elif ch == "$":
            m = re.match(r"\$([A-Za-z_][A-Za-z0-9_:]*|\{[^}]+\})", text[i:])
            if not m:
                raise fail(f"'$' is not followed by a variable name at '{text[i:i + 12]}'")
            toks.append(Tok("var", m.group(1).strip("{}")))
            i += m.end()
        elif ch == "@" and text.startswith("@(", i):
            toks.append(Tok("op", "@("))
            i += 2
        elif ch in "(),=[].|{}":
            toks.append(Tok("op", ch))
            i += 1
        elif ch == "-" and i + 1 < n and text[i + 1].isalpha() and (
                not toks or toks[-1].kind != "word" or text[i - 1].isspace()):
            m = re.match(r"-([A-Za-z][A-Za-z0-9]*)(:?)", text[i:])
            toks.append(Tok("param", m.group(1), bool(m.group(2))))
            i += m.end()
        elif ch.isdigit() or (ch == "-" and i + 1 < n and text[i + 1].isdigit()):
            m = re.match(r"-?[^\s(),=\[\]|{}'\"$]+", text[i:])
            value = m.group()
            if re.fullmatch(r"-?\d+", value):
                toks.append(Tok("num", int(value)))
            elif re.fullmatch(r"-?\d+\.\d+", value):
                toks.append(Tok("num", float(value)))
            else:  # 10.0.2.0/24, 2012-R2-Datacenter: a bare word
                toks.append(Tok("word", value))
            i += m.end()
        else:
            m = re.match(r"[^\s(),=\[\]|{}'\"$]+", text[i:])
            toks.append(Tok("word", m.group()))
            i += m.end()
    return toks

# ---- parsing and evaluation -----------------------------------------------------------
