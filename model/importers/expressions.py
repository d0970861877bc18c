"""The ARM template expression language, the part real quickstart templates use.

A string value that starts with `[` and ends with `]` is an expression (`[[` escapes a literal
bracket). Expressions are function calls, string and number literals, property access (`.name`)
and indexing (`[0]`). The functions are those listed in `FUNCTIONS`; anything else is an error
that names the function, so the caller can say which expression and where.

`uniqueString()` is deterministic here: 13 characters from a SHA-256 of its arguments, in the
same alphabet Azure uses, but NOT the value Azure would compute. Resource IDs use a placeholder
subscription and resource group (`SUBSCRIPTION_ID`, `RESOURCE_GROUP`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from .names import declared

SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
RESOURCE_GROUP = "lb6-resource-group"


class ExprError(Exception):
    """A problem in one expression; the caller adds the file, JSON path and line."""


# ---- parsing ----------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[(),.\[\]])
""", re.VERBOSE)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Member:
    target: Any
    name: str


@dataclass(frozen=True)
class Index:
    target: Any
    index: Any


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            if text[pos] == "'":
                raise ExprError("a string literal is never closed (unbalanced ')")
            raise ExprError(f"unexpected character {text[pos]!r} at position {pos + 1}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else ("end", "")

    def take(self, value: str | None = None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            found = tok[1] or "the end of the expression"
            raise ExprError(f"expected '{value}' but found '{found}'")
        self.i += 1
        return tok

    def expression(self):
        kind, value = self.peek()
        if kind == "string":
            self.take()
            node = Literal(value[1:-1].replace("''", "'"))
        elif kind == "number":
            self.take()
            node = Literal(float(value) if "." in value else int(value))
        elif kind == "name":
            self.take()
            self.take("(")
            args = []
            if self.peek()[1] != ")":
                while True:
                    args.append(self.expression())
                    if self.peek()[1] == ",":
                        self.take()
                        continue
                    break
            self.take(")")
            node = Call(value, tuple(args))
        else:
            raise ExprError(f"expected a function call, a 'string' or a number, found "
                            f"'{value or 'the end of the expression'}'")
        while self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                kind, name = self.take()
                if kind != "name":
                    raise ExprError(f"expected a property name after '.', found '{name}'")
                node = Member(node, name)
            else:
                node = Index(node, self.expression())
                self.take("]")
        return node


@lru_cache(maxsize=4096)
def parse(text: str):
    """Parse the inside of `[...]` into a small tree.

    Cached: a copy loop evaluates the same expressions once per instance (300 NICs, 300 VMs),
    and the tree is immutable. An error is raised afresh each time (errors are not cached).
    """
    p = _Parser(text)
    node = p.expression()
    if p.peek()[0] != "end":
        raise ExprError(f"unexpected '{p.peek()[1]}' after the end of the expression")
    return node


def is_expression(value) -> bool:
    return (isinstance(value, str) and value.startswith("[") and value.endswith("]")
            and not value.startswith("[["))


# ---- evaluation -------------------------------------------------------------------------------


class Context:
    """What an expression can see. The template importer supplies the callbacks."""

    def __init__(self, parameter: Callable[[str], Any], variable: Callable[[str], Any],
                 reference: Callable[[Any, bool], Any], location: str,
                 copy: dict[str, int] | None = None):
        self.parameter = parameter
        self.variable = variable
        self.reference = reference
        self.location = location
        self.copy = copy or {}

    def with_copy(self, copy: dict[str, int]) -> "Context":
        return Context(self.parameter, self.variable, self.reference, self.location,
                       {**self.copy, **copy})


def evaluate_string(text: str, ctx: Context):
    """A template string value: an expression's result, or the literal text."""
    if is_expression(text):
        return _eval(parse(text[1:-1]), ctx)
    if isinstance(text, str) and text.startswith("[["):
        return text[1:]
    return text


def _eval(node, ctx: Context):
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Member):
        return _member(_eval(node.target, ctx), node.name)
    if isinstance(node, Index):
        target, index = _eval(node.target, ctx), _eval(node.index, ctx)
        if isinstance(target, list) and isinstance(index, int):
            if not -len(target) <= index < len(target):
                raise ExprError(f"index {index} is outside a list of {len(target)}")
            return target[index]
        if isinstance(target, dict) and isinstance(index, str):
            return _member(target, index)
        raise ExprError(f"cannot index a {_kind(target)} with {index!r}")
    if node.name.lower() not in FUNCTIONS:
        raise ExprError(f"unknown function '{node.name}()'; lb6 understands: "
                        f"{', '.join(sorted(SPELLING.values()))}")
    if node.name.lower() == "if":
        if len(node.args) != 3:
            raise ExprError("if() takes 3 arguments: condition, value if true, value if false")
        cond = _eval(node.args[0], ctx)
        if not isinstance(cond, bool):
            raise ExprError(f"if() needs a true/false condition, got {cond!r}")
        return _eval(node.args[1] if cond else node.args[2], ctx)
    fn = FUNCTIONS[node.name.lower()]
    args = [_eval(a, ctx) for a in node.args]
    try:
        return fn(ctx, *args)
    except TypeError as exc:
        if "positional argument" in str(exc) or "arguments" in str(exc):
            raise ExprError(f"wrong number of arguments for {SPELLING[node.name.lower()]}()") from None
        raise ExprError(f"{SPELLING[node.name.lower()]}(): {exc}") from None


def _kind(value) -> str:
    return {dict: "object", list: "array", str: "string", int: "int", bool: "bool"}.get(
        type(value), type(value).__name__)


def _member(target, name: str):
    if not isinstance(target, dict):
        raise ExprError(f"cannot read property '{name}' of a {_kind(target)}")
    key = declared(target, name)  # property names match in any case, as in ARM
    if key is not None:
        return target[key]
    raise ExprError(f"the object has no property '{name}' (it has: "
                    f"{', '.join(target) or 'nothing'})")


# ---- functions --------------------------------------------------------------------------------


def _concat(ctx, *args):
    if args and all(isinstance(a, list) for a in args):
        return [item for a in args for item in a]
    return "".join(_text(a) for a in args)


def _text(value) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def resource_id(*args) -> str:
    args = [str(a) for a in args]
    at = next((i for i, a in enumerate(args) if "/" in a and "." in a.split("/")[0]), None)
    if at is None:
        raise ExprError("resourceId() needs a resource type such as "
                        "'Microsoft.Network/loadBalancers'")
    scope, rtype, names = args[:at], args[at], args[at + 1:]
    sub, rg = SUBSCRIPTION_ID, RESOURCE_GROUP
    if len(scope) == 1:
        rg = scope[0]
    elif len(scope) >= 2:
        sub, rg = scope[0], scope[1]
    parts = rtype.split("/")
    namespace, types = parts[0], parts[1:]
    if len(types) != len(names):
        raise ExprError(f"resourceId() for type '{rtype}' needs {len(types)} name"
                        f"{'s' if len(types) != 1 else ''}, got {len(names)}")
    tail = "/".join(f"{t}/{n}" for t, n in zip(types, names))
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{namespace}/{tail}"


def _copy_index(ctx, *args):
    loop, offset = None, 0
    if args and isinstance(args[0], str):
        loop = args[0]
        args = args[1:]
    if args:
        offset = _int(args[0])
    if not ctx.copy:
        raise ExprError("copyIndex() is used outside a copy loop")
    if loop is None:
        index = ctx.copy.get("")
    else:
        index = next((v for k, v in ctx.copy.items() if k.lower() == loop.lower()), None)
        if index is None:
            raise ExprError(f"copyIndex('{loop}'): no copy loop named '{loop}' is running "
                            f"(running: {', '.join(k for k in ctx.copy if k) or 'none'})")
    return index + offset


def _int(value) -> int:
    if isinstance(value, bool):
        raise ExprError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise ExprError(f"expected an integer, got {value!r}")


_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def unique_string(*args) -> str:
    """Deterministic 13-character base-32 digest of the arguments (not Azure's own value)."""
    digest = hashlib.sha256("\x1f".join(_text(a) for a in args).encode()).digest()
    number = int.from_bytes(digest[:9], "big")
    return "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in range(13))


def _format(ctx, fmt, *args):
    def sub(m):
        index = int(m.group(1))
        if index >= len(args):
            raise ExprError(f"format(): placeholder {{{index}}} but only {len(args)} values")
        value, spec = args[index], m.group(2)
        if spec and spec[0] in "dD" and isinstance(value, int):
            return str(value).zfill(int(spec[1:] or 0))
        return _text(value)
    out = re.sub(r"\{(\d+)(?::([^}]*))?\}", sub, str(fmt))
    return out.replace("{{", "{").replace("}}", "}")


def _length(ctx, value):
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise ExprError(f"length() needs a string, array or object, got {value!r}")


def _equals(ctx, a, b):
    return a == b and type(a) is type(b) if not (isinstance(a, (int, float)) and
                                                  isinstance(b, (int, float))) else a == b


def _bool(ctx, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int):
        return value != 0
    raise ExprError(f"bool() cannot read {value!r}")


def _compare(op):
    def fn(ctx, a, b):
        if type(a) is not type(b) and not (isinstance(a, int) and isinstance(b, int)):
            raise ExprError(f"cannot compare {a!r} with {b!r}")
        return op(a, b)
    return fn


def _needs_bool(name, value):
    if not isinstance(value, bool):
        raise ExprError(f"{name}() needs true/false values, got {value!r}")
    return value


FUNCTIONS: dict[str, Callable] = {
    "parameters": lambda ctx, name: ctx.parameter(name),
    "variables": lambda ctx, name: ctx.variable(name),
    "concat": _concat,
    "resourceid": lambda ctx, *a: resource_id(*a),
    "reference": lambda ctx, target, api=None, full=None: ctx.reference(
        target, isinstance(full, str) and full.lower() == "full"),
    "copyindex": _copy_index,
    "resourcegroup": lambda ctx: {
        "id": f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}",
        "name": RESOURCE_GROUP, "location": ctx.location, "properties": {}},
    "subscription": lambda ctx: {"id": f"/subscriptions/{SUBSCRIPTION_ID}",
                                 "subscriptionId": SUBSCRIPTION_ID},
    "tolower": lambda ctx, s: str(s).lower(),
    "toupper": lambda ctx, s: str(s).upper(),
    "format": _format,
    "string": lambda ctx, v: _text(v),
    "int": lambda ctx, v: _int(v),
    "add": lambda ctx, a, b: _int(a) + _int(b),
    "sub": lambda ctx, a, b: _int(a) - _int(b),
    "mul": lambda ctx, a, b: _int(a) * _int(b),
    "uniquestring": lambda ctx, *a: unique_string(*a),
    "if": None,  # evaluated lazily in _eval
    "equals": _equals,
    "length": _length,
    "not": lambda ctx, v: not _needs_bool("not", v),
    "and": lambda ctx, *v: all(_needs_bool("and", x) for x in v),
    "or": lambda ctx, *v: any(_needs_bool("or", x) for x in v),
    "bool": _bool,
    "true": lambda ctx: True,
    "false": lambda ctx: False,
    "greater": _compare(lambda a, b: a > b),
    "less": _compare(lambda a, b: a < b),
    "empty": lambda ctx, v: v is None or len(v) == 0,
    "createarray": lambda ctx, *v: list(v),
}

SPELLING = {name.lower(): name for name in (
    "parameters", "variables", "concat", "resourceId", "reference", "copyIndex",
    "resourceGroup", "subscription", "toLower", "toUpper", "format", "string", "int", "add",
    "sub", "mul", "uniqueString", "if", "equals", "length", "not", "and", "or", "bool", "true",
    "false", "greater", "less", "empty", "createArray")}
