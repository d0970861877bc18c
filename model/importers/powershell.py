"""Read an Azure PowerShell script (Az or the older AzureRM names) into a `Deployment`.

The script is interpreted, not run: variables hold the objects the cmdlets would return (plain
dicts with Azure's property names), `@($a, $b)` and `$a, $b` make arrays, `$x.Prop[0].Prop` reads
and `$x.Prop = value` writes a property, backticks continue a line. Cmdlets that only configure
objects (`New-AzLoadBalancerRuleConfig`, ...) build them; `New-AzLoadBalancer`,
`New-AzNetworkInterface`, `New-AzPublicIpAddress`, `New-AzVirtualNetwork`, `New-AzVM` ... deploy
them. Everything else is listed as skipped. Every problem names the line.
The statements and tokens come from `ps_lexer`; this reader parses and evaluates them, calls
the handler `ps_cmdlets.CMDLETS` names for each cmdlet, and at the end `ps_build` reads the
deployed objects into the `Deployment`.
"""

from __future__ import annotations

import re

from ..errors import ScenarioError
from . import resources as c
from .names import FoldedDict
from .ps_build import build
from .ps_call import Call
from .ps_cmdlets import CMDLETS
from .ps_lexer import lex, statements

KIND_TYPES = {"pip": "Microsoft.Network/publicIPAddresses", "lb": "Microsoft.Network/loadBalancers",
              "nic": "Microsoft.Network/networkInterfaces", "vnet": "Microsoft.Network/virtualNetworks",
              "nsg": "Microsoft.Network/networkSecurityGroups", "vm": "Microsoft.Compute/virtualMachines",
              "avset": "Microsoft.Compute/availabilitySets"}


class PsReader:
    """One script being interpreted: its variables, the objects deployed, the current line."""

    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source
        # PowerShell variables, parameters and properties match in any case ($rgName set,
        # $rgname used); deployed objects are found by Azure name, which does too.
        self.vars: dict[str, object] = FoldedDict(true=True, false=False, null=None)
        self.dep = c.Deployment("powershell", source=source)
        self.deployed: dict[str, dict[str, dict]] = {}
        self.skipped: dict[str, list[int]] = {}
        self.line = 0

    def fail(self, message: str, param: str | None = None, line: int | None = None) -> ScenarioError:
        return c.fail(self.source, message, c.Origin(line or self.line, (param,) if param else ()))

    def read(self) -> c.Deployment:
        for line, text in statements(self.text, self.source):
            self.line = line
            try:
                self.statement(text)
            except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
                raise self.fail(f"cannot read this statement ({exc}); expected a variable "
                                "assignment or a cmdlet call with -Parameter value pairs") from None
        self.dep.note_skipped(self.skipped)
        try:
            build(self)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            raise self.fail(f"an object built by the script has an unexpected shape ({exc})",
                            line=self.line) from None
        return self.dep

    def statement(self, text: str) -> None:
        toks = lex(text, self.fail)
        if not toks:
            return
        if any(t.kind == "op" and t.value == "|" for t in toks):
            self.skip("a pipeline (|)")
            return
        if toks[0].kind == "word" and toks[0].value.lower() in (
                "if", "else", "elseif", "foreach", "for", "while", "function", "param", "try",
                "catch", "do", "switch", "return", "write-host", "write-output", "echo"):
            self.skip(toks[0].value)
            return
        # assignment: $x = ..., $x.Prop[0].Prop = ...
        eq = next((i for i, t in enumerate(toks) if t.kind == "op" and t.value == "="), None)
        if eq is not None and toks[0].kind == "var":
            target, pos = self.accessors(toks, 1)
            if pos == eq:
                value = self.expression(toks[eq + 1:])
                self.assign(toks[0].value, target, value)
                return
        self.expression(toks)

    def accessors(self, toks, pos):
        out = []
        while pos < len(toks):
            t = toks[pos]
            if t.kind == "op" and t.value == "." and pos + 1 < len(toks) and toks[pos + 1].kind == "word":
                out.append(("member", toks[pos + 1].value))
                pos += 2
            elif t.kind == "op" and t.value == "[":
                close = self.matching(toks, pos, "[", "]")
                out.append(("index", self.expression(toks[pos + 1:close])))
                pos = close + 1
            else:
                break
        return out, pos

    def matching(self, toks, pos, open_, close_):
        depth = 0
        for j in range(pos, len(toks)):
            t = toks[j]
            if t.kind == "op" and t.value in (open_, "@(" if open_ == "(" else open_):
                depth += 1
            elif t.kind == "op" and t.value == close_:
                depth -= 1
                if depth == 0:
                    return j
        raise self.fail(f"a '{open_}' is never closed; expected '{close_}'")

    def assign(self, name: str, accessors, value) -> None:
        if not accessors:
            self.vars[name] = value
            return
        obj = self.variable(name)
        for kind, key in accessors[:-1]:
            obj = self.access(obj, kind, key)
        kind, key = accessors[-1]
        if kind == "member" and isinstance(obj, dict):
            real = FoldedDict(obj).spelling(key)
            obj[real] = value
            obj.setdefault("_set", {})[real.lower()] = self.line
        elif kind == "index" and isinstance(obj, list) and isinstance(key, int):
            obj[key] = value
        else:
            raise self.fail(f"cannot set {key!r} on a {type(obj).__name__}")

    def variable(self, name: str):
        if name.lower().startswith("env:"):
            return ""
        if name not in self.vars:
            raise self.fail(f"${name} is used but never set earlier in the script; expected an "
                            f"assignment such as ${name} = ...")
        return self.vars[name]

    def access(self, obj, kind, key):
        if kind == "member":
            if isinstance(obj, dict):
                props = obj if isinstance(obj, FoldedDict) else FoldedDict(obj)
                if str(key) in props:
                    return props[str(key)]
                if str(key).lower() == "id" and "Name" in obj:
                    return obj["Name"]
                raise self.fail(f"the object has no property '{key}' (it has: "
                                f"{', '.join(k for k in obj if not k.startswith('_'))})")
            if isinstance(obj, list) and str(key).lower() == "count":
                return len(obj)
            raise self.fail(f"cannot read property '{key}' of {obj!r}")
        if isinstance(obj, list) and isinstance(key, int):
            if not -len(obj) <= key < len(obj):
                raise self.fail(f"index {key} is outside a list of {len(obj)}")
            return obj[key]
        raise self.fail(f"cannot index {obj!r} with {key!r}")

    def expression(self, toks):
        """A command call, or values separated by commas (an array)."""
        if not toks:
            return None
        if toks[0].kind == "word" and re.match(r"^[A-Za-z]+-[A-Za-z]+", toks[0].value):
            return self.call(toks[0].value, toks[1:])
        items, pos = [], 0
        while pos < len(toks):
            value, pos = self.primary(toks, pos)
            items.append(value)
            if pos < len(toks):
                t = toks[pos]
                if t.kind == "op" and t.value == ",":
                    pos += 1
                    continue
                raise self.fail(f"unexpected '{t.value}'; expected ',' or the end of the "
                                "statement")
        return items[0] if len(items) == 1 else items

    def primary(self, toks, pos):
        t = toks[pos]
        if t.kind == "str":
            if t.extra is None:
                value = t.value
            else:
                value = "".join(p if isinstance(p, str) else self._text(self.variable(p[1]))
                                for p in t.extra)
            pos += 1
        elif t.kind == "num":
            value, pos = t.value, pos + 1
        elif t.kind == "var":
            value = self.variable(t.value)
            accessors, pos = self.accessors(toks, pos + 1)
            for kind, key in accessors:
                value = self.access(value, kind, key)
            return value, pos
        elif t.kind == "op" and t.value in ("(", "@("):
            close = self.matching(toks, pos, "(", ")")
            inner = toks[pos + 1:close]
            value = self.expression(inner) if inner else []
            if t.value == "@(" and not isinstance(value, list):
                value = [] if value is None else [value]
            pos = close + 1
            accessors, pos = self.accessors(toks, pos)
            for kind, key in accessors:
                value = self.access(value, kind, key)
            return value, pos
        elif t.kind == "word":
            value, pos = t.value, pos + 1
        else:
            raise self.fail(f"unexpected '{t.value}' where a value was expected")
        return value, pos

    def _text(self, value) -> str:
        if isinstance(value, dict):
            return str(value.get("Name", ""))
        if isinstance(value, bool):
            return "True" if value else "False"
        return "" if value is None else str(value)

    def call(self, name: str, toks):
        canonical = re.sub(r"^(\w+)-AzureRm", r"\1-Az", name, flags=re.I)
        handler = CMDLETS.get(canonical)
        params: dict[str, object] = FoldedDict()
        positional = []
        pos = 0
        while pos < len(toks):
            t = toks[pos]
            if t.kind == "param":
                pname = t.value
                pos += 1
                if pos >= len(toks) or (toks[pos].kind == "param" and not t.extra):
                    params[pname] = True
                    continue
                items = []
                while True:
                    value, pos = self.primary(toks, pos) if handler else (None, pos + 1)
                    items.append(value)
                    if pos < len(toks) and toks[pos].kind == "op" and toks[pos].value == ",":
                        pos += 1
                        continue
                    break
                params[pname] = items[0] if len(items) == 1 else items
            else:
                if handler is None:
                    pos += 1
                    continue
                value, pos = self.primary(toks, pos)
                positional.append(value)
        if handler is None:
            self.skip(name)
            return None
        call = Call(self, canonical, params)
        if positional:
            self.dep.note(f"`{canonical}`: positional arguments are not read; name each "
                          "parameter", c.Origin(self.line))
        result = handler(call)
        call.report_unused()
        return result

    def skip(self, what: str) -> None:
        self.skipped.setdefault(what, []).append(self.line)

    # ---- the object model -------------------------------------------------------------------

    def obj(self, kind: str, name, **props) -> dict:
        if not isinstance(name, str) or not name:
            raise self.fail(f"expected a -Name for this {kind}")
        return {"_kind": kind, "_line": self.line, "Name": name, **props}

    def deploy(self, kind: str, o: dict) -> dict:
        group = self.deployed.setdefault(kind, FoldedDict())
        group[o["Name"]] = o
        o["Id"] = c.resource_id(KIND_TYPES.get(kind, "Microsoft.Network/" + kind), o["Name"])
        return o

    def name_of(self, value, what: str, param: str) -> str | None:
        if value is None:
            return None
        if isinstance(value, dict):
            return str(value.get("Name"))
        if isinstance(value, list):
            if len(value) != 1:
                raise self.fail(f"expected one {what} for -{param}, got {len(value)}", "-" + param)
            return self.name_of(value[0], what, param)
        return c.last_segment(str(value))


def read_powershell(text: str, source: str) -> c.Deployment:
    return PsReader(text, source).read()
