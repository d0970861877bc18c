"""The shell layer of an az CLI script: logical lines and the words on them.

A script is read the way bash (or PowerShell, for the walkthrough's `$name = "value"` lines)
would split it, without running anything: `\\` and backtick continuations join lines, quotes
group words, and `$name`, `${name}` and `$(command)` stay as parts of a word that the reader
expands later, once it knows the variables set so far. An unbalanced quote, brace or
parenthesis is an error naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .resources import Origin, fail


@dataclass
class Word:
    """One shell word: its text once variables are expanded, and the line it sits on."""

    parts: list  # ("lit", text) | ("var", name) | ("cmd", text)
    quoted: bool = False
    bare: str = ""  # the plain text the word starts with, before any quote, escape or $: bash
    #                 takes `name=` there as an assignment (rg="x" is one, "rg=x" is not)



def join_lines(text: str, source: str, continuation: str = "\\`") -> list[tuple[int, str]]:
    """Logical lines with the number of the line each starts on; continuations joined."""
    out: list[tuple[int, str]] = []
    buf, start = "", None
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        stripped = line.rstrip()
        if start is None:
            start = no
        if stripped.endswith(tuple(continuation)) and not stripped.endswith("\\\\"):
            buf += stripped[:-1] + " "
            continue
        buf += line
        out.append((start, buf))
        buf, start = "", None
    if buf.strip():
        out.append((start or 1, buf))
    return out


def split_words(text: str, line: int, source: str) -> list[Word]:
    """Shell words of one logical line; an unbalanced quote is an error naming the line."""
    words: list[Word] = []
    i, n = 0, len(text)
    cur: list | None = None
    quoted = False
    bare, plain = "", True  # the word's plain start so far, and whether it is still plain

    def push(kind, value, is_plain=False):
        nonlocal cur, bare, plain
        if cur is None:
            cur = []
        cur.append((kind, value))
        if plain and is_plain:
            bare += value
        else:
            plain = False

    def end():
        nonlocal cur, quoted, bare, plain
        if cur is not None:
            words.append(Word(cur, quoted, bare))
        cur, quoted, bare, plain = None, False, "", True

    while i < n:
        ch = text[i]
        if ch in " \t":
            end()
            i += 1
        elif ch == "#" and cur is None:
            break
        elif ch == "'":
            j = text.find("'", i + 1)
            if j < 0:
                raise fail(source, "unbalanced quote: a ' opens here and is never closed; "
                           "expected a closing '", Origin(line))
            push("lit", text[i + 1:j])
            quoted = True
            i = j + 1
        elif ch == '"':
            j = i + 1
            seg = ""
            while True:
                if j >= n:
                    raise fail(source, "unbalanced quote: a \" opens here and is never "
                               "closed; expected a closing \"", Origin(line))
                if text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\$`':
                    seg += text[j + 1]
                    j += 2
                    continue
                if text[j] == "`" and j + 1 < n:
                    seg += text[j + 1]
                    j += 2
                    continue
                if text[j] == '"':
                    break
                if text[j] == "$":
                    k, kind, value = _dollar(text, j, line, source)
                    if kind:
                        if seg:
                            push("lit", seg)
                            seg = ""
                        push(kind, value)
                        j = k
                        continue
                seg += text[j]
                j += 1
            push("lit", seg)
            quoted = True
            i = j + 1
        elif ch == "$":
            k, kind, value = _dollar(text, i, line, source)
            push(kind or "lit", value if kind else "$")
            i = k if kind else i + 1
        elif ch == "\\" and i + 1 < n:
            push("lit", text[i + 1])
            i += 2
        elif ch in ";|&" and cur is None and not words:
            i += 1
        else:
            j = i
            while j < n and text[j] not in " \t'\"$\\":
                j += 1
            push("lit", text[i:j], is_plain=True)
            i = j
    end()
    return words


def _dollar(text: str, i: int, line: int, source: str):
    """(end, kind, value) for a $ at i: a variable, ${variable} or $(command)."""
    if text.startswith("$(", i):
        depth, j, quote = 0, i + 1, None
        while j < len(text):
            ch = text[j]
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    return j + 1, "cmd", text[i + 2:j]
            j += 1
        raise fail(source, "unbalanced parenthesis: $( opens here and is never closed; "
                   "expected ')'", Origin(line))
    if text.startswith("${", i):
        j = text.find("}", i)
        if j < 0:
            raise fail(source, "unbalanced brace: ${ opens here and is never closed; "
                       "expected '}'", Origin(line))
        return j + 1, "var", text[i + 2:j]
    m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", text[i:])
    if m:
        return i + m.end(), "var", m.group(1)
    return i + 1, None, "$"


def is_option(text: str) -> bool:
    return text.startswith("-") and not re.fullmatch(r"-\d+", text)
