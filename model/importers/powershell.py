"""Read an Azure PowerShell script (Az or the older AzureRM names) into a `Deployment`.

The script is interpreted, not run: variables hold the objects the cmdlets would return (plain
dicts with Azure's property names), `@($a, $b)` and `$a, $b` make arrays, `$x.Prop[0].Prop` reads
and `$x.Prop = value` writes a property, backticks continue a line. Cmdlets that only configure
objects (`New-AzLoadBalancerRuleConfig`, ...) build them; `New-AzLoadBalancer`,
`New-AzNetworkInterface`, `New-AzPublicIpAddress`, `New-AzVirtualNetwork`, `New-AzVM` ... deploy
them. Everything else is listed as skipped. Every problem names the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lb6.model.errors import ScenarioError
from lb6.model.importers import resources as c
from lb6.model.importers.expressions import RESOURCE_GROUP, SUBSCRIPTION_ID


@dataclass
class Tok:
    kind: str  # var | str | num | param | word | op
    value: object
    extra: object = None  # for var: list of accessors; for str: interpolation parts


class PsReader:
    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source
        self.vars: dict[str, object] = {"true": True, "false": False, "null": None}
        self.dep = c.Deployment("powershell", source=source)
        self.deployed: dict[str, dict[str, dict]] = {}
        self.skipped: dict[str, list[int]] = {}
        self.line = 0

    def fail(self, message: str, param: str | None = None, line: int | None = None) -> ScenarioError:
        return c.fail(self.source, message, c.Origin(line or self.line, (param,) if param else ()))

    # ---- lexing ---------------------------------------------------------------------------

    def statements(self):
        """(line, text) of each statement: comments removed, continuations joined."""
        text = re.sub(r"<#.*?#>", lambda m: "\n" * m.group().count("\n"), self.text, flags=re.S)
        buf, start, depth = "", None, 0
        for no, raw in enumerate(text.splitlines(), 1):
            line = self._strip_comment(raw, no)
            if start is None:
                start = no
            stripped = line.rstrip()
            depth += self._depth(stripped, no)
            if stripped.endswith("`"):
                buf += stripped[:-1] + " "
                continue
            if depth > 0 or stripped.endswith((",", "|", "=")):
                buf += stripped + " "
                continue
            buf += line
            for part in self._split_semicolons(buf):
                if part.strip():
                    yield start, part.strip()
            buf, start, depth = "", None, 0
        if buf.strip():
            if depth > 0:
                raise self.fail("a '(' or '{' is never closed; expected ')' or '}' before the end "
                                "of the script", line=start)
            yield start, buf.strip()

    @staticmethod
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

    def _strip_comment(self, line: str, no: int) -> str:
        for i, ch in self._unquoted(line):
            if i is None and ch:
                raise c.fail(self.source, f"unbalanced quote: a {ch} opens on this line and is "
                             f"never closed; expected a closing {ch}", c.Origin(no))
            if ch == "#":
                return line[:i]
        return line

    def _depth(self, line: str, no: int) -> int:
        return sum(1 if ch in "({" else -1 for i, ch in self._unquoted(line)
                   if i is not None and ch in "(){}")

    def _split_semicolons(self, text: str):
        out, last = [], 0
        for i, ch in self._unquoted(text):
            if i is not None and ch == ";":
                out.append(text[last:i])
                last = i + 1
        out.append(text[last:])
        return out

    def lex(self, text: str) -> list[Tok]:
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
                        raise self.fail("unbalanced quote: a ' is never closed; expected '")
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
                        raise self.fail('unbalanced quote: a " is never closed; expected "')
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
                    raise self.fail(f"'$' is not followed by a variable name at "
                                    f"'{text[i:i + 12]}'")
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

    def read(self) -> c.Deployment:
        for line, text in self.statements():
            self.line = line
            try:
                self.statement(text)
            except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
                raise self.fail(f"cannot read this statement ({exc}); expected a variable "
                                "assignment or a cmdlet call with -Parameter value pairs") from None
        for what, lines in self.skipped.items():
            shown = ", ".join(map(str, lines[:8])) + (" …" if len(lines) > 8 else "")
            self.dep.note(f"skipped `{what}` (line{'s' if len(lines) > 1 else ''} {shown}): it "
                          "does not change what lb6 models", c.Origin(lines[0]))
        try:
            self.build()
        except (AttributeError, TypeError, KeyError, IndexError, ValueError) as exc:
            raise self.fail(f"an object built by the script has an unexpected shape ({exc})",
                            line=self.line) from None
        return self.dep

    def statement(self, text: str) -> None:
        toks = self.lex(text)
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
            self.vars[name.lower()] = value
            return
        obj = self.variable(name)
        for kind, key in accessors[:-1]:
            obj = self.access(obj, kind, key)
        kind, key = accessors[-1]
        if kind == "member" and isinstance(obj, dict):
            real = next((k for k in obj if k.lower() == key.lower()), key)
            obj[real] = value
            obj.setdefault("_set", {})[real.lower()] = self.line
        elif kind == "index" and isinstance(obj, list) and isinstance(key, int):
            obj[key] = value
        else:
            raise self.fail(f"cannot set {key!r} on a {type(obj).__name__}")

    def variable(self, name: str):
        key = name.lower()
        if key.startswith("env:"):
            return ""
        if key not in self.vars:
            raise self.fail(f"${name} is used but never set earlier in the script; expected an "
                            f"assignment such as ${name} = ...")
        return self.vars[key]

    def access(self, obj, kind, key):
        if kind == "member":
            if isinstance(obj, dict):
                for k, v in obj.items():
                    if k.lower() == str(key).lower():
                        return v
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
        handler = CMDLETS.get(canonical.lower())
        params: dict[str, object] = {}
        positional = []
        pos = 0
        while pos < len(toks):
            t = toks[pos]
            if t.kind == "param":
                pname = t.value
                pos += 1
                if pos >= len(toks) or (toks[pos].kind == "param" and not t.extra):
                    params[pname.lower()] = True
                    continue
                items = []
                while True:
                    value, pos = self.primary(toks, pos) if handler else (None, pos + 1)
                    items.append(value)
                    if pos < len(toks) and toks[pos].kind == "op" and toks[pos].value == ",":
                        pos += 1
                        continue
                    break
                params[pname.lower()] = items[0] if len(items) == 1 else items
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
        group = self.deployed.setdefault(kind, {})
        group[o["Name"]] = o
        o["Id"] = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers/"
                   f"{KIND_TYPES.get(kind, 'Microsoft.Network/' + kind)}/{o['Name']}")
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

    def build(self) -> None:
        dep = self.dep
        for o in self.deployed.get("vnet", {}).values():
            if dep.vnet is not None:
                dep.note(f"VNet '{o['Name']}' is not modelled: lb6 models one VNet", self.origin(o))
                continue
            vnet = c.VNet(o["Name"], self.origin(o, f"VNet '{o['Name']}'"))
            for p in _list(o.get("AddressPrefix")):
                if ":" in str(p):
                    dep.note(f"IPv6 address space {p} is not modelled (fact 159)", self.origin(o))
                else:
                    vnet.address_space.append(str(p))
            for s in self.objs(o, "Subnets", "subnet", "Subnet", "New-AzVirtualNetworkSubnetConfig"):
                prefixes = [p for p in _list(s.get("AddressPrefix")) if ":" not in str(p)]
                subnet = c.Subnet(s["Name"], self.origin(s, f"subnet '{s['Name']}'",
                                                         {"prefix": "-AddressPrefix"}),
                                  prefixes[0] if prefixes else None)
                subnet.nsg = self.name_of(s.get("NetworkSecurityGroup"), "NSG", "NetworkSecurityGroup")
                vnet.subnets.append(subnet)
            dep.vnet = vnet
        for o in self.deployed.get("nsg", {}).values():
            nsg = c.Nsg(o["Name"], self.origin(o, f"NSG '{o['Name']}'"))
            for r in self.objs(o, "SecurityRules", "nsgrule", "SecurityRules", "New-AzNetworkSecurityRuleConfig"):
                values = {"priority": c.as_int(r.get("Priority")),
                          "direction": c.canon(r.get("Direction", "Inbound"), ("Inbound", "Outbound")),
                          "access": c.canon(r.get("Access"), ("Allow", "Deny")),
                          "protocol": c.canon(r.get("Protocol", "*"), ("Tcp", "Udp", "Icmp", "*"))}
                for f, key in (("source", "SourceAddressPrefix"), ("source_port", "SourcePortRange"),
                               ("destination", "DestinationAddressPrefix"),
                               ("destination_port", "DestinationPortRange")):
                    items = _list(r.get(key))
                    if items:
                        values[f] = str(items[0])
                nsg.rules.append(c.NsgRule(r["Name"], self.origin(r, f"NSG rule '{r['Name']}'", {
                    "priority": "-Priority", "access": "-Access", "direction": "-Direction",
                    "protocol": "-Protocol"}), {k: v for k, v in values.items() if v is not None}))
            dep.nsgs[nsg.name] = nsg
        for o in self.deployed.get("pip", {}).values():
            pip = c.PublicIp(o["Name"], self.origin(o, f"public IP '{o['Name']}'", {
                "version": "-IpAddressVersion", "allocation": "-AllocationMethod",
                "dns_label": "-DomainNameLabel", "reverse_fqdn": "-ReverseFqdn"}))
            pip.version = c.canon(o.get("PublicIpAddressVersion") or "IPv4", ("IPv4", "IPv6"))
            pip.allocation = c.canon(o.get("PublicIpAllocationMethod") or "Dynamic", ("Static", "Dynamic"))
            dns = o.get("DnsSettings") or {}
            pip.dns_label = dns.get("DomainNameLabel")
            pip.reverse_fqdn = dns.get("ReverseFqdn")
            pip.location = c.normalise_location(o.get("Location"))
            dep.public_ips[pip.name] = pip
        lbs = list(self.deployed.get("lb", {}).values())
        for extra in lbs[1:]:
            dep.note(f"load balancer '{extra['Name']}' is not modelled: lb6 simulates one load "
                     f"balancer, '{lbs[0]['Name']}'", self.origin(extra))
        if lbs:
            self.build_lb(lbs[0])
        for o in self.deployed.get("nic", {}).values():
            nic = c.Nic(o["Name"], self.origin(o, f"NIC '{o['Name']}'"))
            for cfg in self.objs(o, "IpConfigurations", "ipconfig", "IpConfiguration", "New-AzNetworkInterfaceIpConfig"):
                nic.ip_configs.append(self.build_ipconfig(cfg, o["Name"]))
            nic.nsg = self.name_of(o.get("NetworkSecurityGroup"), "NSG", "NetworkSecurityGroup")
            dep.nics[nic.name] = nic
        for o in self.deployed.get("vm", {}).values():
            vm = c.Vm(o["Name"], self.origin(o, f"VM '{o['Name']}'"), o.get("_os", "linux"))
            vm.availability_set = o.get("_avset")
            for ref in o.get("_nics", []):
                nic_name = c.last_segment(ref["Id"])
                if nic_name not in dep.nics:
                    raise self.fail(f"VM '{o['Name']}' adds network interface '{nic_name}', which "
                                    "the script never creates with New-AzNetworkInterface",
                                    line=ref["_line"])
                vm.nics.append((nic_name, ref["Primary"]))
            if not vm.nics:
                raise self.fail(f"VM '{o['Name']}' has no network interface; expected "
                                "Add-AzVMNetworkInterface before New-AzVM", line=o["_line"])
            if not any(p for _, p in vm.nics):
                vm.nics = [(n, None) for n, _ in vm.nics]
            dep.vms[vm.name] = vm
        if dep.load_balancer is None and not dep.nics:
            raise self.fail("no load balancer or network interface is created in this script; "
                            "expected New-AzLoadBalancer, New-AzNetworkInterface …", line=1)

    def objs(self, o: dict, key: str, kind: str, param: str, cmdlet: str) -> list[dict]:
        """The objects in o[key], each made by `cmdlet`; anything else is an error at o's line."""
        out = []
        for item in _list(o.get(key)):
            if not isinstance(item, dict) or item.get("_kind") != kind:
                got = "nothing (is the cmdlet that should make it misspelled or skipped?)" \
                    if item is None else repr(item)[:80]
                raise self.fail(f"'{o.get('Name')}': -{param} expects objects made by {cmdlet}, "
                                f"got {got}", "-" + param, o.get("_line"))
            out.append(item)
        return out

    def origin(self, o: dict, what: str = "", fields: dict | None = None) -> c.Origin:
        origin = c.Origin(o.get("_line"), (), what)
        for f, param in (fields or {}).items():
            origin.fields[f] = (o.get("_line"), (param,))
        for prop, line in (o.get("_set") or {}).items():
            f = PROP_FIELDS.get(prop)
            if f:
                origin.fields[f] = (line, ("$…." + prop,))
        return origin

    def build_lb(self, o: dict) -> None:
        lb = c.LoadBalancer(o["Name"], self.origin(o, f"load balancer '{o['Name']}'"))
        self.dep.load_balancer = lb
        for f in self.objs(o, "FrontendIpConfigurations", "frontend", "FrontendIpConfiguration", "New-AzLoadBalancerFrontendIpConfig"):
            pip = f.get("PublicIpAddress")
            if pip is None:
                self.dep.note(f"frontend '{f['Name']}' has no public IP (internal); not modelled",
                              self.origin(f))
                continue
            name = self.name_of(pip, "public IP", "PublicIpAddress")
            if name not in self.deployed.get("pip", {}):
                raise self.fail(f"frontend '{f['Name']}' uses public IP '{name}', which the "
                                "script never creates with New-AzPublicIpAddress",
                                "-PublicIpAddress", f["_line"])
            lb.frontends.append(c.Frontend(f["Name"], self.origin(f, f"frontend '{f['Name']}'"), name))
        for p in self.objs(o, "BackendAddressPools", "pool", "BackendAddressPool", "New-AzLoadBalancerBackendAddressPoolConfig"):
            lb.pools.append(c.Pool(p["Name"], self.origin(p, f"backend pool '{p['Name']}'")))
        for p in self.objs(o, "Probes", "probe", "Probe", "New-AzLoadBalancerProbeConfig"):
            lb.probes.append(c.Probe(
                p["Name"], self.origin(p, f"probe '{p['Name']}'", {
                    "protocol": "-Protocol", "port": "-Port", "interval_s": "-IntervalInSeconds",
                    "number_of_probes": "-ProbeCount", "request_path": "-RequestPath"}),
                c.canon(p.get("Protocol") or "Tcp", ("Tcp", "Http", "Https")), c.as_int(p.get("Port")),
                c.as_int(p.get("IntervalInSeconds") or 15), c.as_int(p.get("NumberOfProbes") or 2),
                p.get("RequestPath")))
        for r in self.objs(o, "LoadBalancingRules", "rule", "LoadBalancingRule", "New-AzLoadBalancerRuleConfig"):
            rule = c.Rule(r["Name"], self.origin(r, f"rule '{r['Name']}'", RULE_PARAMS))
            rule.frontend = self.name_of(r.get("FrontendIPConfiguration"), "frontend", "FrontendIpConfiguration")
            rule.backend_pool = self.name_of(r.get("BackendAddressPool"), "backend pool", "BackendAddressPool")
            rule.probe = self.name_of(r.get("Probe"), "probe", "Probe")
            self._rule_values(rule, r)
            rule.load_distribution = c.canon(r.get("LoadDistribution") or "Default",
                                             ("Default", "SourceIP", "SourceIPProtocol"))
            lb.rules.append(rule)
        for r in self.objs(o, "InboundNatRules", "natrule", "InboundNatRule", "New-AzLoadBalancerInboundNatRuleConfig"):
            rule = c.NatRule(r["Name"], self.origin(r, f"inbound NAT rule '{r['Name']}'", RULE_PARAMS))
            rule.frontend = self.name_of(r.get("FrontendIPConfiguration"), "frontend", "FrontendIpConfiguration")
            self._rule_values(rule, r)
            lb.nat_rules.append(rule)

    def _rule_values(self, rule, r: dict) -> None:
        rule.protocol = c.canon(r.get("Protocol"), ("Tcp", "Udp", "All"))
        rule.frontend_port = c.as_int(r.get("FrontendPort"))
        rule.backend_port = c.as_int(r.get("BackendPort"))
        rule.idle_timeout_min = c.as_int(r.get("IdleTimeoutInMinutes") or 4)
        rule.floating_ip = bool(r.get("EnableFloatingIP"))

    def build_ipconfig(self, cfg: dict, owner: str) -> c.IpConfig:
        if not isinstance(cfg, dict) or cfg.get("_kind") != "ipconfig":
            raise self.fail(f"NIC '{owner}': -IpConfiguration expects objects from "
                            f"New-AzNetworkInterfaceIpConfig, got {cfg!r}")
        ip = c.IpConfig(cfg["Name"], self.origin(cfg, f"IP configuration '{owner}/{cfg['Name']}'", {
            "version": "-PrivateIpAddressVersion", "address": "-PrivateIpAddress",
            "subnet": "-Subnet", "public_ip": "-PublicIpAddress",
            "backend_pools": "-LoadBalancerBackendAddressPool",
            "inbound_nat_rules": "-LoadBalancerInboundNatRule"}))
        ip.version = c.canon(cfg.get("PrivateIpAddressVersion") or "IPv4", ("IPv4", "IPv6"))
        ip.address = cfg.get("PrivateIpAddress")
        subnet = self.name_of(cfg.get("Subnet"), "subnet", "Subnet")
        if subnet and ip.version == "IPv6":
            self.dep.note(f"IPv6 configuration '{owner}/{cfg['Name']}' names subnet '{subnet}'; "
                          "the Basic IPv6 model has no IPv6 subnets (fact 159), so lb6 ignores it",
                          self.origin(cfg))
        elif subnet:
            ip.subnet = subnet
        pip = self.name_of(cfg.get("PublicIpAddress"), "public IP", "PublicIpAddress")
        if pip is not None and pip not in self.deployed.get("pip", {}):
            raise self.fail(f"IP configuration '{cfg['Name']}' uses public IP '{pip}', which the "
                            "script never creates", "-PublicIpAddress", cfg["_line"])
        ip.public_ip = pip
        ip.pools = [self.name_of(p, "pool", "LoadBalancerBackendAddressPool")
                    for p in _list(cfg.get("LoadBalancerBackendAddressPools"))]
        ip.nat_rules = [self.name_of(p, "NAT rule", "LoadBalancerInboundNatRule")
                        for p in _list(cfg.get("LoadBalancerInboundNatRules"))]
        return ip


def _list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


KIND_TYPES = {"pip": "Microsoft.Network/publicIPAddresses", "lb": "Microsoft.Network/loadBalancers",
              "nic": "Microsoft.Network/networkInterfaces", "vnet": "Microsoft.Network/virtualNetworks",
              "nsg": "Microsoft.Network/networkSecurityGroups", "vm": "Microsoft.Compute/virtualMachines",
              "avset": "Microsoft.Compute/availabilitySets"}

RULE_PARAMS = {"protocol": "-Protocol", "frontend_port": "-FrontendPort",
               "backend_port": "-BackendPort", "idle_timeout_min": "-IdleTimeoutInMinutes",
               "load_distribution": "-LoadDistribution", "floating_ip": "-EnableFloatingIP",
               "frontend": "-FrontendIpConfiguration", "backend_pool": "-BackendAddressPool",
               "probe": "-Probe"}

# Object property (as a script may set it) → scenario field, for locating problems.
PROP_FIELDS = {"idletimeoutinminutes": "idle_timeout_min", "loaddistribution": "load_distribution",
               "enablefloatingip": "floating_ip", "frontendport": "frontend_port",
               "backendport": "backend_port", "protocol": "protocol",
               "publicipallocationmethod": "allocation", "privateipaddressversion": "version"}

HARMLESS = {"resourcegroupname", "location", "force", "tag", "asjob", "defaultprofile", "sku",
            "vmsize", "computername", "credential", "provisionvmagent", "enableautoupdate",
            "platformfaultdomaincount", "platformupdatedomaincount", "confirm", "whatif",
            "name", "vmname"}


class Call:
    def __init__(self, reader: PsReader, name: str, params: dict):
        self.r = reader
        self.name = name
        self.params = params
        self.used: set[str] = set()

    def get(self, *names, default=None):
        for n in names:
            self.used.add(n.lower())
            if n.lower() in self.params:
                return self.params[n.lower()]
        return default

    def need(self, name: str):
        value = self.get(name)
        if value is None or value is True:
            raise self.r.fail(f"`{self.name}` needs -{name} with a value", "-" + name)
        return value

    def report_unused(self) -> None:
        unused = [p for p in self.params if p not in self.used and p not in HARMLESS]
        if unused:
            self.r.dep.note(f"`{self.name}`: parameter{'s' if len(unused) > 1 else ''} "
                            f"{', '.join('-' + p for p in unused)} not modelled",
                            c.Origin(self.r.line))


def _deployed(call: Call, kind: str, what: str):
    name = call.need("Name")
    found = call.r.deployed.get(kind, {}).get(name)
    if found is None:
        raise call.r.fail(f"`{call.name}` reads {what} '{name}', which the script never creates "
                          f"(created: {', '.join(call.r.deployed.get(kind, {})) or 'none'}); lb6 "
                          "reads only what the script itself deploys", "-Name")
    return found


def new_pip(call: Call):
    sku = call.get("Sku")
    if isinstance(sku, str) and sku.lower() != "basic":
        raise call.r.fail(f"public IP SKU {sku}: lb6 simulates the Basic SKU (expected Basic)", "-Sku")
    dns = {}
    if call.get("DomainNameLabel"):
        dns["DomainNameLabel"] = call.get("DomainNameLabel")
    if call.get("ReverseFqdn"):
        dns["ReverseFqdn"] = call.get("ReverseFqdn")
    o = call.r.obj("pip", call.need("Name"), PublicIpAddressVersion=call.get("IpAddressVersion"),
                   PublicIpAllocationMethod=call.get("AllocationMethod"), DnsSettings=dns,
                   Location=call.get("Location"))
    return call.r.deploy("pip", o)


def new_frontend(call: Call):
    pip = call.get("PublicIpAddress")
    if pip is None and call.get("PublicIpAddressId"):
        pip = c.last_segment(call.get("PublicIpAddressId"))
    if call.get("Subnet", "SubnetId", "PrivateIpAddress") is not None:
        call.r.dep.note("an internal frontend (subnet / private IP) is not modelled",
                        c.Origin(call.r.line))
    return call.r.obj("frontend", call.need("Name"), PublicIpAddress=pip)


def new_pool(call: Call):
    return call.r.obj("pool", call.need("Name"))


def new_probe(call: Call):
    return call.r.obj("probe", call.need("Name"), Protocol=call.get("Protocol"),
                      Port=call.get("Port"), IntervalInSeconds=call.get("IntervalInSeconds"),
                      NumberOfProbes=call.get("ProbeCount"), RequestPath=call.get("RequestPath"))


def _rule_props(call: Call) -> dict:
    fe = call.get("FrontendIpConfiguration")
    if fe is None and call.get("FrontendIpConfigurationId"):
        fe = c.last_segment(call.get("FrontendIpConfigurationId"))
    return {"FrontendIPConfiguration": fe, "Protocol": call.get("Protocol"),
            "FrontendPort": call.get("FrontendPort"), "BackendPort": call.get("BackendPort"),
            "IdleTimeoutInMinutes": call.get("IdleTimeoutInMinutes"),
            "EnableFloatingIP": bool(call.get("EnableFloatingIP"))}


def new_nat_rule(call: Call):
    return call.r.obj("natrule", call.need("Name"), **_rule_props(call))


def new_rule(call: Call):
    pool = call.get("BackendAddressPool")
    if pool is None and call.get("BackendAddressPoolId"):
        pool = c.last_segment(call.get("BackendAddressPoolId"))
    probe = call.get("Probe")
    if probe is None and call.get("ProbeId"):
        probe = c.last_segment(call.get("ProbeId"))
    return call.r.obj("rule", call.need("Name"), BackendAddressPool=pool, Probe=probe,
                      LoadDistribution=call.get("LoadDistribution"), **_rule_props(call))


def new_lb(call: Call):
    sku = call.get("Sku")
    if isinstance(sku, str) and sku.lower() != "basic":
        raise call.r.fail(f"load balancer SKU {sku}: lb6 simulates the Basic SKU (expected Basic)",
                          "-Sku")
    o = call.r.obj("lb", call.need("Name"),
                   FrontendIpConfigurations=_list(call.get("FrontendIpConfiguration")),
                   BackendAddressPools=_list(call.get("BackendAddressPool")),
                   Probes=_list(call.get("Probe")),
                   LoadBalancingRules=_list(call.get("LoadBalancingRule")),
                   InboundNatRules=_list(call.get("InboundNatRule")))
    return call.r.deploy("lb", o)


def new_ipconfig(call: Call):
    subnet = call.get("Subnet")
    if subnet is None and call.get("SubnetId"):
        subnet = c.last_segment(call.get("SubnetId"))
    pools = call.get("LoadBalancerBackendAddressPool")
    if pools is None and call.get("LoadBalancerBackendAddressPoolId"):
        pools = [c.last_segment(p) for p in _list(call.get("LoadBalancerBackendAddressPoolId"))]
    nats = call.get("LoadBalancerInboundNatRule")
    if nats is None and call.get("LoadBalancerInboundNatRuleId"):
        nats = [c.last_segment(p) for p in _list(call.get("LoadBalancerInboundNatRuleId"))]
    call.get("Primary")
    return call.r.obj("ipconfig", call.need("Name"),
                      PrivateIpAddressVersion=call.get("PrivateIpAddressVersion"),
                      PrivateIpAddress=call.get("PrivateIpAddress"), Subnet=subnet,
                      PublicIpAddress=call.get("PublicIpAddress"),
                      LoadBalancerBackendAddressPools=_list(pools),
                      LoadBalancerInboundNatRules=_list(nats))


def new_nic(call: Call):
    configs = _list(call.get("IpConfiguration"))
    if not configs:
        # The single-configuration form: -Subnet/-SubnetId with the pool options on the NIC.
        configs = [new_ipconfig_inline(call)]
    o = call.r.obj("nic", call.need("Name"), IpConfigurations=configs,
                   NetworkSecurityGroup=call.get("NetworkSecurityGroup"))
    return call.r.deploy("nic", o)


def new_ipconfig_inline(call: Call) -> dict:
    name = call.need("Name")
    saved = dict(call.params)
    call.params = {**saved, "name": "ipconfig1"}
    try:
        return new_ipconfig(call)
    finally:
        call.params = saved
        call.params["name"] = name


def new_subnet(call: Call):
    return call.r.obj("subnet", call.need("Name"), AddressPrefix=call.get("AddressPrefix"),
                      NetworkSecurityGroup=call.get("NetworkSecurityGroup"))


def new_vnet(call: Call):
    o = call.r.obj("vnet", call.need("Name"), AddressPrefix=call.get("AddressPrefix"),
                   Subnets=_list(call.get("Subnet")))
    return call.r.deploy("vnet", o)


def get_subnet(call: Call):
    vnet = call.get("VirtualNetwork")
    name = call.need("Name")
    if not isinstance(vnet, dict):
        raise call.r.fail(f"`{call.name}` needs -VirtualNetwork with a VNet object", "-VirtualNetwork")
    for s in _list(vnet.get("Subnets")):
        if s.get("Name") == name:
            return s
    raise call.r.fail(f"VNet '{vnet.get('Name')}' has no subnet '{name}'", "-Name")


def new_nsg_rule(call: Call):
    return call.r.obj("nsgrule", call.need("Name"), Priority=call.get("Priority"),
                      Direction=call.get("Direction"), Access=call.get("Access"),
                      Protocol=call.get("Protocol"),
                      SourceAddressPrefix=call.get("SourceAddressPrefix"),
                      SourcePortRange=call.get("SourcePortRange"),
                      DestinationAddressPrefix=call.get("DestinationAddressPrefix"),
                      DestinationPortRange=call.get("DestinationPortRange"))


def new_nsg(call: Call):
    o = call.r.obj("nsg", call.need("Name"), SecurityRules=_list(call.get("SecurityRules")))
    return call.r.deploy("nsg", o)


def new_avset(call: Call):
    return call.r.deploy("avset", call.r.obj("avset", call.need("Name")))


def new_vm_config(call: Call):
    avset = call.get("AvailabilitySetId")
    o = call.r.obj("vmconfig", call.need("VMName"), _avset=c.last_segment(avset) if avset else None,
                   _nics=[], _os="linux")
    return o


def _vm_arg(call: Call) -> dict:
    vm = call.get("VM")
    if not isinstance(vm, dict) or vm.get("_kind") != "vmconfig":
        raise call.r.fail(f"`{call.name}` needs -VM with an object from New-AzVMConfig", "-VM")
    return vm


def add_vm_nic(call: Call):
    vm = _vm_arg(call)
    ident = call.get("Id", "NetworkInterface")
    if isinstance(ident, dict):
        ident = ident.get("Id") or ident.get("Name")
    if not ident:
        raise call.r.fail("`Add-AzVMNetworkInterface` needs -Id (the NIC's .Id)", "-Id")
    vm["_nics"].append({"Id": str(ident), "Primary": bool(call.get("Primary")) or None,
                        "_line": call.r.line})
    return vm


def set_vm_os(call: Call):
    vm = _vm_arg(call)
    if call.get("Windows"):
        vm["_os"] = "windows"
    elif call.get("Linux"):
        vm["_os"] = "linux"
    call.used.update(call.params)
    return vm


def vm_passthrough(call: Call):
    vm = _vm_arg(call)
    call.used.update(call.params)
    call.r.skip(call.name)
    return vm


def new_vm(call: Call):
    vm = _vm_arg(call)
    vm["_line"] = call.r.line if vm.get("_line") is None else vm["_line"]
    call.r.deployed.setdefault("vm", {})[vm["Name"]] = vm
    return vm


def setter(call: Call):
    """Set-AzLoadBalancer / Set-AzNetworkInterface: the object, already changed in place."""
    call.used.update(call.params)
    return next((v for v in call.params.values() if isinstance(v, dict)), None)


CMDLETS = {
    "new-azpublicipaddress": new_pip,
    "new-azloadbalancerfrontendipconfig": new_frontend,
    "new-azloadbalancerbackendaddresspoolconfig": new_pool,
    "new-azloadbalancerinboundnatruleconfig": new_nat_rule,
    "new-azloadbalancerprobeconfig": new_probe,
    "new-azloadbalancerruleconfig": new_rule,
    "new-azloadbalancer": new_lb,
    "new-aznetworkinterfaceipconfig": new_ipconfig,
    "new-aznetworkinterface": new_nic,
    "new-azvirtualnetwork": new_vnet,
    "new-azvirtualnetworksubnetconfig": new_subnet,
    "get-azvirtualnetworksubnetconfig": get_subnet,
    "new-aznetworksecurityruleconfig": new_nsg_rule,
    "new-aznetworksecuritygroup": new_nsg,
    "new-azavailabilityset": new_avset,
    "new-azvmconfig": new_vm_config,
    "add-azvmnetworkinterface": add_vm_nic,
    "set-azvmoperatingsystem": set_vm_os,
    "set-azvmsourceimage": vm_passthrough,
    "set-azvmosdisk": vm_passthrough,
    "set-azvmbootdiagnostic": vm_passthrough,
    "new-azvm": new_vm,
    "get-azvirtualnetwork": lambda call: _deployed(call, "vnet", "VNet"),
    "get-azpublicipaddress": lambda call: _deployed(call, "pip", "public IP"),
    "get-azloadbalancer": lambda call: _deployed(call, "lb", "load balancer"),
    "get-aznetworkinterface": lambda call: _deployed(call, "nic", "network interface"),
    "get-azavailabilityset": lambda call: _deployed(call, "avset", "availability set"),
    "get-aznetworksecuritygroup": lambda call: _deployed(call, "nsg", "NSG"),
    "set-azloadbalancer": setter,
    "set-aznetworkinterface": setter,
}


def read_powershell(text: str, source: str) -> c.Deployment:
    return PsReader(text, source).read()
