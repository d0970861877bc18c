"""An ARM template as a document to evaluate: expressions, copy loops, resources, references.

`TemplateDocument` loads the template (and its parameters file) with every value's line,
evaluates expressions through `expressions.py` with the template's parameters, variables and
`reference()`, expands resource and property copy loops (fact 161), and resolves resource IDs
to the resources declared in the same template. Every problem names the file, the JSON path
and the line of the value at fault. The readers of each resource type build on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import Path, Problem, ScenarioError, format_path
from . import resources as c
from .expressions import Context, ExprError, evaluate_string
from .jsonpos import DuplicateKey, JsonProblem, LocatedJson, load_json
from .names import FoldedDict, declared, fold, folded_tree, same

MAX_COPY = 800  # the template engine's own limit on a copy loop

# Scenario field → template property, for pointing a validation problem at the right value.
PROPERTY_OF = {
    "protocol": "protocol", "frontend_port": "frontendPort", "backend_port": "backendPort",
    "idle_timeout_min": "idleTimeoutInMinutes", "load_distribution": "loadDistribution",
    "floating_ip": "enableFloatingIP", "port": "port", "interval_s": "intervalInSeconds",
    "number_of_probes": "numberOfProbes", "request_path": "requestPath",
    "version": "privateIPAddressVersion", "address": "privateIPAddress",
    "priority": "priority", "access": "access", "direction": "direction",
    "source": "sourceAddressPrefix", "destination": "destinationAddressPrefix",
    "source_port": "sourcePortRange", "destination_port": "destinationPortRange",
    "prefix": "addressPrefix", "allocation": "publicIPAllocationMethod",
    "dns_label": "dnsSettings", "reverse_fqdn": "dnsSettings",
    "frontend": "frontendIPConfiguration", "backend_pool": "backendAddressPool",
    "probe": "probe", "public_ip": "publicIPAddress", "backend_pools":
    "loadBalancerBackendAddressPools", "inbound_nat_rules": "loadBalancerInboundNatRules",
    "subnet": "subnet",
}


@dataclass
class Instance:
    """One resource of the template, after copy expansion."""

    path: Path               # JSON path of the resource object in the template
    raw: dict
    ctx: Context
    type: str
    name: str
    copy_note: str = ""
    _props: Any = None
    _evaluating: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.type.lower(), self.name.lower())


def looks_like_template(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("resources"), list) and (
        "deploymenttemplate" in str(data.get("$schema", "")).lower() or "contentVersion" in data)


class TemplateDocument:
    """One template being read: its documents, evaluated values, resources and deployment."""

    def __init__(self, text: str, source: str, parameters_text: str | None = None,
                 parameters_source: str | None = None):
        self.source = source
        repeats: list[tuple[str, DuplicateKey]] = []
        self.doc = self._load(text, source, repeats)
        self.params_source = parameters_source
        self.params_doc = (self._load(parameters_text, parameters_source or "<parameters>",
                                      repeats)
                           if parameters_text is not None else None)
        self.dep = c.Deployment("template", source=source)
        for where, dup in repeats:
            self.dep.note(f"'{dup.path[-1]}' is given twice (lines {dup.first_line} "
                          f"and {dup.line}); lb6 keeps the last value, as Azure's tools do",
                          c.Origin(dup.line, dup.path), source=where)
        self.param_values: dict[str, Any] = {}
        self.param_defs: dict[str, dict] = {}
        self.var_values: dict[str, Any] = {}
        self.var_busy: set[str] = set()
        self.instances: list[Instance] = []
        self.by_key: dict[tuple[str, str], Instance] = {}
        self.location = c.DEFAULT_LOCATION
        self.lb_name: str | None = None  # the one load balancer lb6 models, chosen by `read`

    # ---- errors -------------------------------------------------------------------------

    def _load(self, text: str, source: str,
              repeats: list[tuple[str, DuplicateKey]]) -> LocatedJson:
        """The document with ARM's case-insensitive property names: every object is a
        FoldedDict, so a reader's `props.get("frontendIPConfigurations")` finds a template's
        `frontendIpConfigurations`, and its line is found whatever the path's spelling.

        A key given twice is kept, last value winning: az reads the files with Python's json
        and Azure PowerShell with Json.NET, both of which keep the last, and Resource Manager
        accepts such templates. Refusing them would stop inputs Azure deploys."""
        duplicates: list[DuplicateKey] = []
        try:
            loaded = load_json(text, duplicates)
        except JsonProblem as exc:
            raise ScenarioError(source, [exc.problem]) from None
        repeats.extend((source, dup) for dup in duplicates)
        return _FoldedLines(folded_tree(loaded.data), loaded.lines)

    def origin(self, path: Path, what: str = "", doc: LocatedJson | None = None) -> c.Origin:
        doc = doc or self.doc
        return c.Origin(doc.line_of(path), doc.spelled(path), what)

    def fail(self, path: Path, message: str, source: str | None = None,
             doc: LocatedJson | None = None) -> ScenarioError:
        doc = doc or self.doc
        return ScenarioError(source or self.source,
                             [Problem(message, doc.spelled(path), doc.line_of(path))])

    # ---- evaluation ---------------------------------------------------------------------

    def ctx(self, copy: dict[str, int] | None = None) -> Context:
        return Context(self.parameter, self.variable, self.reference, self.location, copy)

    def evaluate(self, value, ctx: Context, path: Path):
        """Evaluate every expression inside `value`; property copy loops are expanded."""
        if isinstance(value, str):
            try:
                return evaluate_string(value, ctx)
            except ExprError as exc:
                raise self.fail(path, f"in expression {value}: {exc}") from None
        if isinstance(value, list):
            return [self.evaluate(v, ctx, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, dict):
            out = FoldedDict()
            for k, v in value.items():
                if fold(k) == "copy" and isinstance(v, list) and path and path[-1] == "properties":
                    continue
                out[k] = self.evaluate(v, ctx, path + (k,))
            copies = value.get("copy")
            if isinstance(copies, list) and path and path[-1] == "properties":
                for i, loop in enumerate(copies):
                    out.update(self.property_copy(loop, ctx, path + ("copy", i)))
            return out
        return value

    def property_copy(self, loop, ctx: Context, path: Path) -> dict:
        if not isinstance(loop, dict) or "name" not in loop or "count" not in loop \
                or "input" not in loop:
            raise self.fail(path, "a property copy loop needs name, count and input")
        name = self.evaluate(loop["name"], ctx, path + ("name",))
        count = self.count(loop["count"], ctx, path + ("count",))
        return {name: [self.evaluate(loop["input"], ctx.with_copy({name: i}),
                                     path + ("input",)) for i in range(count)]}

    def count(self, value, ctx: Context, path: Path) -> int:
        n = self.evaluate(value, ctx, path)
        if isinstance(n, str) and n.strip().isdigit():
            n = int(n)
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_COPY:
            raise self.fail(path, f"a copy count must be a whole number from 0 to {MAX_COPY}, "
                                  f"got {n!r}")
        return n

    def parameter(self, name: str):
        key = declared(self.param_defs, str(name))
        if key is None:
            known = ", ".join(self.param_defs) or "none"
            raise ExprError(f"parameters('{name}'): the template declares no such parameter "
                            f"(declared: {known})")
        return self.param_values[key]

    def variable(self, name: str):
        variables = self.doc.data.get("variables") or {}
        if not isinstance(variables, dict):
            raise self.fail(("variables",), "expected 'variables' to be an object of "
                            "variable names and values")
        key = declared(variables, str(name))
        if key is None:
            loops = variables.get("copy")
            for i, loop in enumerate(loops if isinstance(loops, list) else []):
                if isinstance(loop, dict) and same(str(loop.get("name", "")), str(name)):
                    cache = f"copy:{loop['name']}"
                    if cache not in self.var_values:
                        path = ("variables", "copy", i)
                        self.var_values[cache] = self.property_copy(loop, self.ctx(), path)[loop["name"]]
                    return self.var_values[cache]
            raise ExprError(f"variables('{name}'): the template declares no such variable "
                            f"(declared: {', '.join(variables) or 'none'})")
        if key in self.var_values:
            return self.var_values[key]
        if key in self.var_busy:
            raise ExprError(f"variable '{key}' refers to itself")
        self.var_busy.add(key)
        value = self.evaluate(variables[key], self.ctx(), ("variables", key))
        self.var_busy.discard(key)
        self.var_values[key] = value
        return value

    def reference(self, target, full: bool):
        inst = self.find(str(target))
        if inst is None:
            raise ExprError(f"reference('{target}'): no such resource in this template; lb6 "
                            "reads only resources declared in the same template")
        props = self.properties(inst)
        if inst.type.lower() == "microsoft.network/publicipaddresses":
            dns = props.get("dnsSettings")
            label = dns.get("domainNameLabel") if isinstance(dns, dict) else None
            if label:
                props = {**props, "dnsSettings": {
                    **props["dnsSettings"],
                    "fqdn": f"{label}.{self.resource_location(inst)}.cloudapp.azure.com"}}
        if full:
            return {"properties": props, "location": self.resource_location(inst),
                    "name": inst.name, "type": inst.type}
        return props

    def properties(self, inst: Instance) -> dict:
        if inst._props is None:
            if inst._evaluating:
                raise ExprError(f"resource '{inst.name}' refers to its own properties")
            inst._evaluating = True
            raw = inst.raw.get("properties", {})
            props = self.evaluate(raw, inst.ctx, inst.path + ("properties",))
            inst._evaluating = False
            if not isinstance(props, dict):
                raise self.fail(inst.path + ("properties",), "expected an object of properties")
            inst._props = props
        return inst._props

    def resource_location(self, inst: Instance) -> str:
        raw = inst.raw.get("location")
        value = self.evaluate(raw, inst.ctx, inst.path + ("location",)) if raw else None
        return c.normalise_location(value)

    def find(self, ref: str, want_type: str | None = None) -> Instance | None:
        rtype, name = parse_id(ref)
        if rtype is None:
            matches = [i for i in self.instances if i.name.lower() == name.lower()
                       and (want_type is None or i.type.lower() == want_type)]
            return matches[0] if len(matches) == 1 else None
        return self.by_key.get((rtype.lower(), name.lower()))

    # ---- resources ----------------------------------------------------------------------

    def expand(self) -> None:
        resources = self.doc.data.get("resources")
        for i, res in enumerate(resources):
            self.expand_one(res, ("resources", i), self.ctx(), None)

    def expand_one(self, res, path: Path, ctx: Context, parent: Instance | None) -> None:
        if not isinstance(res, dict):
            raise self.fail(path, "expected a resource object with type, name and properties")
        for key in ("type", "name"):
            if key not in res:
                raise self.fail(path, f"resource has no '{key}'; expected type, name, "
                                      "apiVersion and properties")
        copy = res.get("copy")
        if copy is not None:
            if not isinstance(copy, dict) or "name" not in copy or "count" not in copy:
                raise self.fail(path + ("copy",), "a copy loop needs a name and a count")
            loop = self.evaluate(copy["name"], ctx, path + ("copy", "name"))
            n = self.count(copy["count"], ctx, path + ("copy", "count"))
            contexts = [(ctx.with_copy({"": k, str(loop): k}), f" (copy {k + 1} of {n})")
                        for k in range(n)]
        else:
            contexts = [(ctx, "")]
        for rctx, note in contexts:
            rtype = self.evaluate(res["type"], rctx, path + ("type",))
            name = self.evaluate(res["name"], rctx, path + ("name",))
            if not isinstance(rtype, str) or not isinstance(name, str):
                raise self.fail(path, "a resource's type and name must be strings")
            if parent is not None:
                if "/" not in rtype or not rtype.lower().startswith(parent.type.lower()):
                    rtype = f"{parent.type}/{rtype.split('/')[-1]}" if "." not in rtype.split("/")[0] \
                        else rtype
                if name.count("/") < parent.name.count("/") + 1:
                    name = f"{parent.name}/{name}"
            if "condition" in res:
                cond = self.evaluate(res["condition"], rctx, path + ("condition",))
                if cond is False:
                    self.dep.note(f"{rtype} '{name}'{note} is not deployed (its condition is "
                                  "false)", self.origin(path + ("condition",)))
                    continue
            inst = Instance(path, res, rctx, rtype, name, note)
            if inst.key in self.by_key:
                raise self.fail(path + ("name",), f"two resources are both {rtype} '{name}'")
            self.by_key[inst.key] = inst
            self.instances.append(inst)
            for ci, child in enumerate(res.get("resources") or []):
                self.expand_one(child, path + ("resources", ci), rctx, inst)

    # ---- references ---------------------------------------------------------------------

    def ref(self, value, path: Path, want: str,
            child: str | None = None) -> tuple[str | None, str | None]:
        """(parent name, child name) that `value` ({id: ...} or a string ID) points at.

        `want` is the parent resource type; a parent missing from the template is an error.
        """
        if isinstance(value, dict):
            ident = next((v for k, v in value.items() if k.lower() == "id"), None)
            path = path + ("id",)
        else:
            ident = value
        if not isinstance(ident, str) or not ident:
            raise self.fail(path, f"expected a resource ID of a {want.split('/')[-1]} here, "
                                  f"got {ident!r}")
        rtype, name, sub_type, sub = parse_child_id(ident)
        if rtype is not None and rtype.lower() != want.lower():
            raise self.fail(path, f"expected an ID of a {want}, got one of a {rtype}: {ident}")
        if child is not None and rtype is not None and (
                sub is None or str(sub_type).lower() != child.lower()):
            raise self.fail(path, f"expected an ID of one of the {child} of a {want}, got {ident}")
        inst = self.by_key.get((want.lower(), name.lower())) if rtype else self.find(name, want.lower())
        if inst is None:
            defined = [i.name for i in self.instances if i.type.lower() == want.lower()]
            raise self.fail(path, f"refers to {want} '{name}', which this template does not "
                                  f"define (defined: {', '.join(defined) or 'none'})")
        return inst.name, sub

    # ---- JSON paths and shapes -------------------------------------------------------------

    def _field(self, path: Path, prop: str) -> tuple[int | None, Path]:
        full = path + ("properties", prop)
        return self.doc.line_of(full), self.doc.spelled(full)

    def obj(self, value, path: Path, what: str) -> dict:
        """`value` if it is an object with a name, else an error naming the path."""
        if not isinstance(value, dict) or not isinstance(value.get("properties", {}), dict):
            raise self.fail(path, f"expected an entry of {what} as an object with 'name' and "
                                  f"'properties', got {value!r}"[:300])
        return value

    def listing(self, props: dict, key: str, base: Path) -> list:
        value = props.get(key) or []
        if not isinstance(value, list):
            raise self.fail(base + (key,), f"expected '{key}' to be a list, got {value!r}"[:300])
        return value

    def _fields(self, origin: c.Origin, path: Path, names) -> None:
        for n in names:
            full = path + ("properties", PROPERTY_OF[n])
            origin.fields[n] = (self.doc.line_of(full), self.doc.spelled(full))

    def child_resources(self, parent: Instance, child_type: str) -> list[tuple[dict, Path]]:
        """Children declared as resources of their own (type `<parent type>/<child_type>`, name
        `<parent>/<child>`), shaped like inline entries: a name and the evaluated properties."""
        want = f"{parent.type}/{child_type}".lower()
        prefix = parent.name.lower() + "/"
        return [({"name": child.name.split("/")[-1], "properties": self.properties(child)},
                 child.path)
                for child in self.instances
                if child.type.lower() == want and child.name.lower().startswith(prefix)]

    def item_path(self, inst: Instance, key: str, i: int) -> Path:
        """JSON path of item i of property list `key`: literal, or the copy loop's input."""
        raw = inst.raw.get("properties") or {}
        if isinstance(raw.get(key), list):
            return inst.path + ("properties", key, i)
        for k, loop in enumerate(raw.get("copy") or []):
            if isinstance(loop, dict) and str(loop.get("name", "")).lower() == key.lower():
                return inst.path + ("properties", "copy", k, "input")
        return inst.path + ("properties", key)


def parse_id(ref: str) -> tuple[str | None, str]:
    """(type, name) of a top-level resource ID, or (None, name) for a bare name."""
    rtype, name, _, _ = parse_child_id(ref)
    return rtype, name


def parse_child_id(ref: str) -> tuple[str | None, str, str | None, str | None]:
    """(parent type, parent name, child type, child name) of an ID such as
    /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/loadBalancers/lb/probes/p."""
    text = ref.strip()
    low = text.lower()
    if "/providers/" in low:
        tail = text[low.rindex("/providers/") + len("/providers/"):]
    elif re.match(r"^[A-Za-z]+\.[A-Za-z.]+/", text):
        tail = text
    else:
        return None, text, None, None
    parts = [p for p in tail.split("/") if p]
    if len(parts) < 3:
        return None, text, None, None
    rtype = f"{parts[0]}/{parts[1]}"
    if len(parts) >= 5:
        return rtype, parts[2], parts[3], parts[4]
    return rtype, parts[2], None, None


class _FoldedLines(LocatedJson):
    """A located JSON document whose paths match in any case, as ARM property names do;
    `spelled` gives a path back as the file spells it, for messages."""

    def __init__(self, data, lines):
        items = list(lines.items())[::-1]  # reversed, so that the first spelling wins
        super().__init__(data, {_fold_path(p): n for p, n in items})
        self._spelling = {_fold_path(p): tuple(p) for p, _ in items}

    def line_of(self, path):
        return super().line_of(_fold_path(path))

    def spelled(self, path) -> tuple:
        path = tuple(path)
        for cut in range(len(path), 0, -1):
            known = self._spelling.get(_fold_path(path[:cut]))
            if known is not None:
                return known + path[cut:]
        return path


def _fold_path(path) -> tuple:
    return tuple(fold(p) if isinstance(p, str) else p for p in path)
