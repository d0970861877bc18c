"""Read an ARM template (and its parameters file) into a `Deployment`.

Both template generations of the IPv6 quickstart work: the old 2015-01-01 schema with
apiVersion 2016-03-30 and `concat(lbID, '/backendAddressPools/...')` IDs, and the newer ones
with `resourceId()` child IDs, a `location` parameter and copy loops (fact 161). Property names
follow facts 150-158. Expressions are evaluated by `expressions.py`; every problem names the
file, the JSON path and the line of the value at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lb6.model.errors import Path, Problem, ScenarioError
from lb6.model.importers import resources as c
from lb6.model.importers.expressions import Context, ExprError, evaluate_string
from lb6.model.importers.jsonpos import JsonProblem, LocatedJson, load_json

MAX_COPY = 800  # the template engine's own limit on a copy loop

MODELLED = {
    "microsoft.network/publicipaddresses", "microsoft.network/loadbalancers",
    "microsoft.network/loadbalancers/inboundnatrules",
    "microsoft.network/loadbalancers/backendaddresspools",
    "microsoft.network/networkinterfaces", "microsoft.network/networksecuritygroups",
    "microsoft.network/networksecuritygroups/securityrules",
    "microsoft.network/virtualnetworks", "microsoft.network/virtualnetworks/subnets",
    "microsoft.compute/virtualmachines", "microsoft.compute/availabilitysets",
    "microsoft.compute/virtualmachinescalesets",
}

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


class TemplateReader:
    def __init__(self, text: str, source: str, parameters_text: str | None = None,
                 parameters_source: str | None = None):
        self.source = source
        self.doc = self._load(text, source)
        self.params_source = parameters_source
        self.params_doc = (self._load(parameters_text, parameters_source or "<parameters>")
                           if parameters_text is not None else None)
        self.dep = c.Deployment("template", source=source)
        self.param_values: dict[str, Any] = {}
        self.param_defs: dict[str, dict] = {}
        self.var_values: dict[str, Any] = {}
        self.var_busy: set[str] = set()
        self.instances: list[Instance] = []
        self.by_key: dict[tuple[str, str], Instance] = {}
        self.location = c.DEFAULT_LOCATION

    # ---- errors -------------------------------------------------------------------------

    def _load(self, text: str, source: str) -> LocatedJson:
        try:
            return load_json(text)
        except JsonProblem as exc:
            raise ScenarioError(source, [exc.problem]) from None

    def origin(self, path: Path, what: str = "", doc: LocatedJson | None = None) -> c.Origin:
        doc = doc or self.doc
        return c.Origin(doc.line_of(path), tuple(path), what)

    def fail(self, path: Path, message: str, source: str | None = None,
             doc: LocatedJson | None = None) -> ScenarioError:
        doc = doc or self.doc
        return ScenarioError(source or self.source, [Problem(message, tuple(path), doc.line_of(path))])

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
            out = {}
            for k, v in value.items():
                if k == "copy" and isinstance(v, list) and path and path[-1] == "properties":
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
        key = next((k for k in self.param_defs if k.lower() == str(name).lower()), None)
        if key is None:
            known = ", ".join(self.param_defs) or "none"
            raise ExprError(f"parameters('{name}'): the template declares no such parameter "
                            f"(declared: {known})")
        return self.param_values[key]

    def variable(self, name: str):
        variables = self.doc.data.get("variables") or {}
        key = next((k for k in variables if k.lower() == str(name).lower()), None)
        if key is None:
            loops = variables.get("copy")
            for i, loop in enumerate(loops if isinstance(loops, list) else []):
                if isinstance(loop, dict) and str(loop.get("name", "")).lower() == str(name).lower():
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

    # ---- parameters ---------------------------------------------------------------------

    def read_parameters(self) -> None:
        defs = self.doc.data.get("parameters") or {}
        if not isinstance(defs, dict):
            raise self.fail(("parameters",), "expected 'parameters' to be an object")
        self.param_defs = defs
        given: dict[str, tuple[Any, Path]] = {}
        if self.params_doc is not None:
            pdata = self.params_doc.data
            if not isinstance(pdata, dict):
                raise self.fail((), "expected a parameters file: an object with 'parameters'",
                                self.params_source, self.params_doc)
            if looks_like_template(pdata):
                raise self.fail((), "this is a template, not a parameters file; expected an "
                                "object with 'parameters' holding {\"value\": ...} entries",
                                self.params_source, self.params_doc)
            entries = pdata.get("parameters", pdata if "$schema" not in pdata else None)
            base = ("parameters",) if "parameters" in pdata else ()
            if not isinstance(entries, dict):
                raise self.fail(base, "expected 'parameters' to be an object of "
                                "{\"value\": ...} entries", self.params_source, self.params_doc)
            for name, entry in entries.items():
                key = next((k for k in defs if k.lower() == name.lower()), None)
                if key is None:
                    raise self.fail(base + (name,), f"parameter '{name}' is not declared by the "
                                    f"template (declared: {', '.join(defs) or 'none'})",
                                    self.params_source, self.params_doc)
                if isinstance(entry, dict) and "value" in entry:
                    given[key] = (entry["value"], base + (name, "value"))
                elif isinstance(entry, dict) and "reference" in entry:
                    given[key] = (f"keyvault-{name.lower()}", base + (name,))
                    self.dep.note(f"parameter '{name}' comes from a Key Vault reference; lb6 "
                                  "uses a placeholder", self.origin(base + (name,), "",
                                                                    self.params_doc))
                else:
                    raise self.fail(base + (name,), f"expected {{\"value\": ...}} for parameter "
                                    f"'{name}'", self.params_source, self.params_doc)
        # Defaults may use resourceGroup() and earlier parameters, so resolve in order.
        for name, spec in defs.items():
            path = ("parameters", name)
            if not isinstance(spec, dict):
                raise self.fail(path, f"parameter '{name}' must be an object with a 'type'")
            ptype = str(spec.get("type", "string")).lower()
            if name in given:
                value, vpath = given[name]
                src, doc = self.params_source, self.params_doc
            elif "defaultValue" in spec:
                vpath = path + ("defaultValue",)
                value = self.evaluate(spec["defaultValue"], self.ctx(), vpath)
                src, doc = self.source, self.doc
            else:
                value = self.placeholder(name, spec, ptype)
                self.param_values[name] = value
                self.dep.note(f"parameter '{name}' has no value and no default; lb6 uses "
                              f"{value!r} (pass --parameters FILE to set it)",
                              self.origin(path))
                continue
            value = self.check_type(name, ptype, value, vpath, src, doc)
            allowed = spec.get("allowedValues")
            if isinstance(allowed, list) and value not in allowed:
                raise self.fail(vpath, f"parameter '{name}' is {value!r}, which is not one of "
                                f"its allowedValues: {', '.join(map(repr, allowed))}", src, doc)
            self.param_values[name] = value

    def placeholder(self, name: str, spec: dict, ptype: str):
        allowed = spec.get("allowedValues")
        if isinstance(allowed, list) and allowed:
            return allowed[0]
        if ptype == "int":
            return spec.get("minValue", 1)
        if ptype == "bool":
            return False
        if ptype == "array":
            return []
        if ptype in ("object", "secureobject"):
            return {}
        return re.sub(r"[^a-z0-9]", "", name.lower()) or "placeholder"

    def check_type(self, name, ptype, value, path, src, doc):
        if ptype == "int":
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                return int(value)
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif ptype == "bool":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            ok = isinstance(value, bool)
        elif ptype in ("string", "securestring"):
            ok = isinstance(value, str)
        elif ptype == "array":
            ok = isinstance(value, list)
        else:
            ok = isinstance(value, dict)
        if not ok:
            raise self.fail(path, f"parameter '{name}' is declared {ptype} but its value is "
                            f"{value!r}", src, doc)
        return value

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

    # ---- building the deployment ------------------------------------------------------------

    def read(self) -> c.Deployment:
        data = self.doc.data
        if not looks_like_template(data):
            if isinstance(data, dict) and "deploymentparameters" in str(data.get("$schema", "")).lower():
                raise self.fail((), "this is a parameters file, not a template; pass it as "
                                "--parameters next to its template")
            keys = ", ".join(list(data)[:8]) if isinstance(data, dict) else type(data).__name__
            raise self.fail((), "JSON that is not an ARM template: expected an object with "
                            "'$schema' (…/deploymentTemplate.json#), 'contentVersion' and a "
                            f"'resources' list; found {keys or 'an empty object'}")
        self.read_parameters()
        self.expand()
        for name in ("outputs", "functions"):
            if data.get(name):
                self.dep.note(f"template '{name}' are not evaluated", self.origin((name,)))
        lbs = [i for i in self.instances if i.type.lower() == "microsoft.network/loadbalancers"]
        self.lb_name = lbs[0].name if lbs else None
        for extra in lbs[1:]:
            self.dep.note(f"load balancer '{extra.name}' is not modelled: lb6 simulates one load "
                          f"balancer, '{self.lb_name}'", self.origin(extra.path))
        order = ["microsoft.network/virtualnetworks", "microsoft.network/networksecuritygroups",
                 "microsoft.network/publicipaddresses", "microsoft.network/loadbalancers",
                 "microsoft.network/networkinterfaces", "microsoft.compute/virtualmachines",
                 "microsoft.compute/virtualmachinescalesets"]
        for t in order:
            for inst in self.instances:
                if inst.type.lower() == t:
                    try:
                        getattr(self, "res_" + t.split("/")[-1])(inst)
                    except (AttributeError, TypeError, KeyError, IndexError) as exc:
                        # A property of an unexpected shape that no targeted check caught.
                        raise self.fail(inst.path, f"{inst.type} '{inst.name}': a property has "
                                        "an unexpected shape (an object, list or value where "
                                        f"another was expected: {exc})") from None
        for inst in self.instances:
            t = inst.type.lower()
            if t not in MODELLED:
                self.dep.note(f"{inst.type} '{inst.name}'{inst.copy_note} is not modelled",
                              self.origin(inst.path))
        self.dep.title = (data.get("metadata") or {}).get("description") if isinstance(
            data.get("metadata"), dict) else None
        return self.dep

    def res_virtualnetworks(self, inst: Instance) -> None:
        props = self.properties(inst)
        base = inst.path + ("properties",)
        if self.dep.vnet is not None:
            self.dep.note(f"VNet '{inst.name}' is not modelled: lb6 models one VNet, "
                          f"'{self.dep.vnet.name}'", self.origin(inst.path))
            return
        vnet = c.VNet(inst.name, self.origin(inst.path, f"VNet '{inst.name}'"))
        prefixes = (props.get("addressSpace") or {}).get("addressPrefixes") or []
        for p in prefixes:
            if ":" in str(p):
                self.dep.note(f"IPv6 address space {p} of VNet '{inst.name}' is not modelled: "
                              "in the Basic IPv6 model the VNet is IPv4-only (fact 159)",
                              self.origin(base + ("addressSpace",)))
            else:
                vnet.address_space.append(str(p))
        subnets = [(s, base + ("subnets", i)) for i, s in enumerate(props.get("subnets") or [])]
        for child in self.instances:
            if child.type.lower() == "microsoft.network/virtualnetworks/subnets" and \
                    child.name.lower().startswith(inst.name.lower() + "/"):
                subnets.append(({"name": child.name.split("/")[-1],
                                 "properties": self.properties(child)}, child.path))
        for s, spath in subnets:
            sp = s.get("properties") or {}
            prefixes = [sp["addressPrefix"]] if sp.get("addressPrefix") else list(
                sp.get("addressPrefixes") or [])
            v4 = [p for p in prefixes if ":" not in str(p)]
            for p in prefixes:
                if ":" in str(p):
                    self.dep.note(f"IPv6 prefix {p} of subnet '{s.get('name')}' is not modelled "
                                  "(fact 159)", self.origin(spath))
            subnet = c.Subnet(str(s.get("name")), self.origin(spath, f"subnet '{s.get('name')}'"),
                              v4[0] if v4 else None)
            subnet.origin.fields["prefix"] = (self.doc.line_of(spath + ("properties", "addressPrefix")),
                                              spath + ("properties", "addressPrefix"))
            if sp.get("networkSecurityGroup"):
                subnet.nsg, _ = self.ref(sp["networkSecurityGroup"],
                                         spath + ("properties", "networkSecurityGroup"),
                                         "Microsoft.Network/networkSecurityGroups")
            vnet.subnets.append(subnet)
        self.dep.vnet = vnet

    def res_networksecuritygroups(self, inst: Instance) -> None:
        props = self.properties(inst)
        base = inst.path + ("properties",)
        nsg = c.Nsg(inst.name, self.origin(inst.path, f"NSG '{inst.name}'"))
        rules = [(r, base + ("securityRules", i)) for i, r in enumerate(props.get("securityRules") or [])]
        for child in self.instances:
            if child.type.lower() == "microsoft.network/networksecuritygroups/securityrules" and \
                    child.name.lower().startswith(inst.name.lower() + "/"):
                rules.append(({"name": child.name.split("/")[-1],
                               "properties": self.properties(child)}, child.path))
        for r, rpath in rules:
            rp = r.get("properties") or {}
            values: dict = {}
            origin = self.origin(rpath, f"NSG rule '{r.get('name')}'")
            for field_name, prop in (("priority", "priority"), ("direction", "direction"),
                                     ("access", "access"), ("protocol", "protocol")):
                if prop in rp:
                    values[field_name] = rp[prop]
            values["priority"] = c.as_int(values.get("priority"))
            values["direction"] = c.canon(values.get("direction", "Inbound"), ("Inbound", "Outbound"))
            values["access"] = c.canon(values.get("access"), ("Allow", "Deny"))
            values["protocol"] = c.canon(values.get("protocol", "*"), ("Tcp", "Udp", "Icmp", "*"))
            for field_name, single, plural in (
                    ("source", "sourceAddressPrefix", "sourceAddressPrefixes"),
                    ("source_port", "sourcePortRange", "sourcePortRanges"),
                    ("destination", "destinationAddressPrefix", "destinationAddressPrefixes"),
                    ("destination_port", "destinationPortRange", "destinationPortRanges")):
                value = rp.get(single)
                many = rp.get(plural) or []
                if value is None and many:
                    value = many[0]
                    if len(many) > 1:
                        self.dep.note(f"NSG rule '{r.get('name')}': only the first of {plural} "
                                      f"({many[0]}) is modelled", origin)
                if value is not None:
                    values[field_name] = str(value)
            for key in PROPERTY_OF:
                if key in values:
                    origin.fields[key] = self._field(rpath, PROPERTY_OF[key])
            values = {k: v for k, v in values.items() if v is not None}
            nsg.rules.append(c.NsgRule(str(r.get("name")), origin, values))
        self.dep.nsgs[nsg.name] = nsg

    def _field(self, path: Path, prop: str) -> tuple[int | None, Path]:
        full = path + ("properties", prop)
        return self.doc.line_of(full), full

    def res_publicipaddresses(self, inst: Instance) -> None:
        props = self.properties(inst)
        origin = self.origin(inst.path, f"public IP '{inst.name}'")
        pip = c.PublicIp(inst.name, origin)
        pip.version = c.canon(props.get("publicIPAddressVersion", "IPv4"), ("IPv4", "IPv6"))
        pip.allocation = c.canon(props.get("publicIPAllocationMethod", "Dynamic"),
                                 ("Static", "Dynamic"))
        dns = props.get("dnsSettings") or {}
        if not isinstance(dns, dict):
            raise self.fail(inst.path + ("properties", "dnsSettings"), "expected dnsSettings to be "
                            f"an object such as {{\"domainNameLabel\": ...}}, got {dns!r}")
        pip.dns_label = dns.get("domainNameLabel")
        pip.reverse_fqdn = dns.get("reverseFqdn")
        pip.location = self.resource_location(inst)
        origin.fields["version"] = self._field(inst.path, "publicIPAddressVersion")
        origin.fields["allocation"] = self._field(inst.path, "publicIPAllocationMethod")
        origin.fields["dns_label"] = self._field(inst.path, "dnsSettings")
        sku = self.evaluate(inst.raw.get("sku"), inst.ctx, inst.path + ("sku",)) or {}
        if isinstance(sku, dict) and str(sku.get("name", "Basic")).lower() != "basic":
            raise self.fail(inst.path + ("sku",), f"public IP '{inst.name}' has SKU "
                            f"{sku.get('name')}; lb6 simulates the Basic SKU (expected Basic)")
        if props.get("ipAddress"):
            pip.address = str(props["ipAddress"])
        self.dep.public_ips[pip.name] = pip

    def res_loadbalancers(self, inst: Instance) -> None:
        if inst.name != self.lb_name:
            return
        props = self.properties(inst)
        base = inst.path + ("properties",)
        sku = self.evaluate(inst.raw.get("sku"), inst.ctx, inst.path + ("sku",)) or {}
        if isinstance(sku, dict) and str(sku.get("name", "Basic")).lower() != "basic":
            raise self.fail(inst.path + ("sku",), f"load balancer '{inst.name}' has SKU "
                            f"{sku.get('name')}; lb6 simulates the Basic SKU (expected Basic)")
        lb = c.LoadBalancer(inst.name, self.origin(inst.path, f"load balancer '{inst.name}'"))
        self.dep.load_balancer = lb
        lbtype = "Microsoft.Network/loadBalancers"

        def items(key, child_type):
            out = [(self.obj(x, base + (key, i), key), base + (key, i))
                   for i, x in enumerate(self.listing(props, key, base))]
            for child in self.instances:
                if child.type.lower() == f"{lbtype}/{child_type}".lower() and \
                        child.name.lower().startswith(inst.name.lower() + "/"):
                    out.append(({"name": child.name.split("/")[-1],
                                 "properties": self.properties(child)}, child.path))
            return out

        def own(value, path, child):
            parent, sub = self.ref(value, path, lbtype, child)
            if parent != inst.name:
                raise self.fail(path, f"refers to a {child} of load balancer '{parent}'; expected "
                                      f"one of '{inst.name}'")
            return sub

        for f, fpath in items("frontendIPConfigurations", "frontendIPConfigurations"):
            fp = f.get("properties") or {}
            origin = self.origin(fpath, f"frontend '{f.get('name')}'")
            if not fp.get("publicIPAddress"):
                self.dep.note(f"frontend '{f.get('name')}' is internal (no public IP); lb6 "
                              "models Internet-facing frontends only, so it and its rules are "
                              "not modelled", origin)
                continue
            pip, _ = self.ref(fp["publicIPAddress"], fpath + ("properties", "publicIPAddress"),
                              "Microsoft.Network/publicIPAddresses")
            lb.frontends.append(c.Frontend(str(f.get("name")), origin, pip))
        fe_names = {f.name for f in lb.frontends}
        for p, ppath in items("backendAddressPools", "backendAddressPools"):
            lb.pools.append(c.Pool(str(p.get("name")), self.origin(ppath, f"backend pool '{p.get('name')}'")))
        for p, ppath in items("probes", "probes"):
            pp = p.get("properties") or {}
            origin = self.origin(ppath, f"probe '{p.get('name')}'")
            probe = c.Probe(str(p.get("name")), origin,
                            c.canon(pp.get("protocol", "Tcp"), ("Tcp", "Http", "Https")),
                            c.as_int(pp.get("port")), c.as_int(pp.get("intervalInSeconds", 15)),
                            c.as_int(pp.get("numberOfProbes", 2)), pp.get("requestPath"))
            self._fields(origin, ppath, ("protocol", "port", "interval_s", "number_of_probes",
                                         "request_path"))
            lb.probes.append(probe)
        for r, rpath in items("loadBalancingRules", "loadBalancingRules"):
            rp = r.get("properties") or {}
            origin = self.origin(rpath, f"load-balancing rule '{r.get('name')}'")
            rule = c.Rule(str(r.get("name")), origin)
            rule.frontend = self._frontend_of(rp, rpath, f"rule '{rule.name}'", own)
            if rule.frontend not in fe_names and rule.frontend in self._internal(props):
                self.dep.note(f"rule '{rule.name}' uses internal frontend '{rule.frontend}'; "
                              "not modelled", origin)
                continue
            if rp.get("backendAddressPool"):
                rule.backend_pool = own(rp["backendAddressPool"],
                                        rpath + ("properties", "backendAddressPool"),
                                        "backendAddressPools")
            else:
                raise self.fail(rpath + ("properties",), f"rule '{rule.name}' has no "
                                "backendAddressPool; expected {\"id\": ...}")
            if rp.get("probe"):
                rule.probe = own(rp["probe"], rpath + ("properties", "probe"), "probes")
            rule.protocol = c.canon(rp.get("protocol"), ("Tcp", "Udp", "All"))
            rule.frontend_port = c.as_int(rp.get("frontendPort"))
            rule.backend_port = c.as_int(rp.get("backendPort", rule.frontend_port))
            rule.idle_timeout_min = c.as_int(rp.get("idleTimeoutInMinutes", 4))
            rule.load_distribution = c.canon(rp.get("loadDistribution", "Default"),
                                             ("Default", "SourceIP", "SourceIPProtocol"))
            rule.floating_ip = c.as_bool(rp.get("enableFloatingIP", False))
            self._fields(origin, rpath, ("protocol", "frontend_port", "backend_port",
                                         "idle_timeout_min", "load_distribution", "floating_ip",
                                         "frontend", "backend_pool", "probe"))
            lb.rules.append(rule)
        for r, rpath in items("inboundNatRules", "inboundNatRules"):
            rp = r.get("properties") or {}
            origin = self.origin(rpath, f"inbound NAT rule '{r.get('name')}'")
            rule = c.NatRule(str(r.get("name")), origin)
            rule.frontend = self._frontend_of(rp, rpath, f"NAT rule '{rule.name}'", own)
            rule.protocol = c.canon(rp.get("protocol"), ("Tcp", "Udp", "All"))
            rule.frontend_port = c.as_int(rp.get("frontendPort"))
            rule.backend_port = c.as_int(rp.get("backendPort"))
            rule.idle_timeout_min = c.as_int(rp.get("idleTimeoutInMinutes", 4))
            rule.floating_ip = c.as_bool(rp.get("enableFloatingIP", False))
            self._fields(origin, rpath, ("protocol", "frontend_port", "backend_port",
                                         "idle_timeout_min", "floating_ip", "frontend"))
            lb.nat_rules.append(rule)
        for key in ("inboundNatPools", "outboundRules"):
            if props.get(key):
                self.dep.note(f"load balancer '{inst.name}': {key} are not modelled",
                              self.origin(base + (key,)))

    def _frontend_of(self, rp: dict, rpath: Path, what: str, own) -> str:
        """The frontend a rule or NAT rule names; both must name one."""
        if "frontendIPConfiguration" not in rp:
            raise self.fail(rpath + ("properties",), f"{what} has no frontendIPConfiguration; "
                            "expected {\"id\": ...}")
        return own(rp["frontendIPConfiguration"], rpath + ("properties", "frontendIPConfiguration"),
                   "frontendIPConfigurations")

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

    def _internal(self, props) -> set:
        return {f.get("name") for f in props.get("frontendIPConfigurations") or []
                if not (f.get("properties") or {}).get("publicIPAddress")}

    def _fields(self, origin: c.Origin, path: Path, names) -> None:
        for n in names:
            full = path + ("properties", PROPERTY_OF[n])
            origin.fields[n] = (self.doc.line_of(full), full)

    def ip_config(self, cfg: dict, path: Path, owner: str, pool_key: str = "loadBalancerBackendAddressPools") -> c.IpConfig:
        cp = cfg.get("properties") or {}
        name = str(cfg.get("name"))
        origin = self.origin(path, f"IP configuration '{owner}/{name}'")
        ip = c.IpConfig(name, origin)
        ip.version = c.canon(cp.get("privateIPAddressVersion", "IPv4"), ("IPv4", "IPv6"))
        if str(cp.get("privateIPAllocationMethod", "")).lower() == "static" and \
                cp.get("privateIPAddress"):
            ip.address = str(cp["privateIPAddress"])
        if cp.get("subnet"):
            vnet, sub = self.ref(cp["subnet"], path + ("properties", "subnet"),
                                 "Microsoft.Network/virtualNetworks", "subnets")
            if ip.version == "IPv6":
                self.dep.note(f"IPv6 configuration '{owner}/{name}' names subnet '{sub}'; the "
                              "Basic IPv6 model has no IPv6 subnets (fact 159), so lb6 ignores it",
                              origin)
            elif self.dep.vnet is not None and vnet == self.dep.vnet.name:
                ip.subnet = sub
            else:
                self.dep.note(f"subnet '{sub}' of VNet '{vnet}' is not modelled; lb6 uses the "
                              "modelled VNet's first subnet", origin)
        if cp.get("publicIPAddress"):
            ip.public_ip, _ = self.ref(cp["publicIPAddress"], path + ("properties", "publicIPAddress"),
                                       "Microsoft.Network/publicIPAddresses")
        for key, child, target in ((pool_key, "backendAddressPools", ip.pools),
                                   ("loadBalancerInboundNatRules", "inboundNatRules", ip.nat_rules)):
            for i, ref in enumerate(cp.get(key) or []):
                parent, sub = self.ref(ref, path + ("properties", key, i),
                                       "Microsoft.Network/loadBalancers", child)
                if parent != self.lb_name:
                    self.dep.note(f"'{owner}/{name}' joins '{sub}' of load balancer '{parent}', "
                                  "which is not modelled", origin)
                    continue
                target.append(sub)
        if cp.get("loadBalancerInboundNatPools"):
            self.dep.note(f"'{owner}/{name}': inbound NAT pools are not modelled", origin)
        self._fields(origin, path, ("version", "address", "subnet", "public_ip",
                                    "inbound_nat_rules"))
        origin.fields["backend_pools"] = self._field(path, pool_key)
        return ip

    def res_networkinterfaces(self, inst: Instance) -> None:
        props = self.properties(inst)
        base = inst.path + ("properties",)
        nic = c.Nic(inst.name, self.origin(inst.path, f"NIC '{inst.name}'"))
        for i, cfg in enumerate(self.listing(props, "ipConfigurations", base)):
            self.obj(cfg, self.item_path(inst, "ipConfigurations", i), "ipConfigurations")
            nic.ip_configs.append(self.ip_config(cfg, self.item_path(inst, "ipConfigurations", i),
                                                 inst.name))
        if not nic.ip_configs:
            raise self.fail(base, f"NIC '{inst.name}' has no ipConfigurations; expected at "
                                  "least one")
        if props.get("networkSecurityGroup"):
            nic.nsg, _ = self.ref(props["networkSecurityGroup"], base + ("networkSecurityGroup",),
                                  "Microsoft.Network/networkSecurityGroups")
        self.dep.nics[nic.name] = nic

    def item_path(self, inst: Instance, key: str, i: int) -> Path:
        """JSON path of item i of property list `key`: literal, or the copy loop's input."""
        raw = inst.raw.get("properties") or {}
        if isinstance(raw.get(key), list):
            return inst.path + ("properties", key, i)
        for k, loop in enumerate(raw.get("copy") or []):
            if isinstance(loop, dict) and str(loop.get("name", "")).lower() == key.lower():
                return inst.path + ("properties", "copy", k, "input")
        return inst.path + ("properties", key)

    def _os(self, props: dict) -> str:
        osp = (props.get("osProfile") or {})
        if "windowsConfiguration" in osp:
            return "windows"
        if "linuxConfiguration" in osp:
            return "linux"
        image = ((props.get("storageProfile") or {}).get("imageReference") or {})
        text = f"{image.get('publisher', '')} {image.get('offer', '')}".lower()
        return "windows" if "windows" in text else "linux"

    def res_virtualmachines(self, inst: Instance) -> None:
        props = self.properties(inst)
        base = inst.path + ("properties",)
        vm = c.Vm(inst.name, self.origin(inst.path, f"VM '{inst.name}'"), self._os(props))
        if props.get("availabilitySet"):
            vm.availability_set, _ = self.ref(props["availabilitySet"], base + ("availabilitySet",),
                                              "Microsoft.Compute/availabilitySets")
        nics = (props.get("networkProfile") or {}).get("networkInterfaces") or []
        for i, ref in enumerate(nics):
            npath = base + ("networkProfile", "networkInterfaces", i)
            nic_name, _ = self.ref(ref, npath, "Microsoft.Network/networkInterfaces")
            primary = (ref.get("properties") or {}).get("primary") if isinstance(ref, dict) else None
            vm.nics.append((nic_name, c.as_bool(primary)))
        if not vm.nics:
            raise self.fail(base, f"VM '{inst.name}' has no networkProfile.networkInterfaces; "
                                  "expected at least one NIC")
        self.dep.vms[vm.name] = vm

    def res_virtualmachinescalesets(self, inst: Instance) -> None:
        props = self.properties(inst)
        base = inst.path + ("properties",)
        sku = self.evaluate(inst.raw.get("sku"), inst.ctx, inst.path + ("sku",)) or {}
        capacity = c.as_int(sku.get("capacity", 2)) if isinstance(sku, dict) else 2
        if not isinstance(capacity, int) or capacity < 0:
            raise self.fail(inst.path + ("sku", "capacity"), f"expected a whole number of "
                            f"instances, got {capacity!r}")
        shown = min(capacity, 5)
        if capacity > shown:
            self.dep.note(f"scale set '{inst.name}' has {capacity} instances; lb6 models the "
                          f"first {shown}", self.origin(inst.path))
        profile = props.get("virtualMachineProfile") or {}
        nic_cfgs = (profile.get("networkProfile") or {}).get("networkInterfaceConfigurations") or []
        npath = base + ("virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations")
        for k in range(shown):
            vm_name = f"{inst.name}-{k}"
            vm = c.Vm(vm_name, self.origin(inst.path, f"scale set '{inst.name}' instance {k}"),
                      self._os(profile), scale_set=inst.name)
            for i, nc in enumerate(nic_cfgs):
                ncp = nc.get("properties") or {}
                nic_name = f"{vm_name}-{nc.get('name')}"
                nic = c.Nic(nic_name, self.origin(npath + (i,), f"scale set NIC '{nc.get('name')}'"))
                for j, cfg in enumerate(ncp.get("ipConfigurations") or []):
                    nic.ip_configs.append(self.ip_config(
                        cfg, npath + (i, "properties", "ipConfigurations", j), nic_name))
                if ncp.get("networkSecurityGroup"):
                    nic.nsg, _ = self.ref(ncp["networkSecurityGroup"],
                                          npath + (i, "properties", "networkSecurityGroup"),
                                          "Microsoft.Network/networkSecurityGroups")
                self.dep.nics[nic_name] = nic
                vm.nics.append((nic_name, c.as_bool(ncp.get("primary"))))
            if not vm.nics:
                raise self.fail(base, f"scale set '{inst.name}' has no network interface "
                                      "configurations")
            self.dep.vms[vm_name] = vm


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


def read_template(text: str, source: str, parameters_text: str | None = None,
                  parameters_source: str | None = None) -> c.Deployment:
    return TemplateReader(text, source, parameters_text, parameters_source).read()
