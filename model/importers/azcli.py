"""Read an az CLI script (the shape of the IPv6 CLI walkthrough) into a `Deployment`.

Understood: `az network public-ip | lb | lb frontend-ip | lb address-pool | lb probe | lb rule |
lb inbound-nat-rule | vnet | vnet subnet | nsg | nsg rule | nic | nic ip-config` create (and
`lb rule update`, `... show --query id` for IDs), `az vm availability-set create`, `az vm create`;
bash variables (`name=value`, `$name`, `${name}`, `$(az ...)`) and the PowerShell-style ones the
walkthrough uses (`$name = "value"`); `\\` and backtick line continuations; `#` comments. Any
other command is listed as skipped. Every problem names the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lb6.model.errors import ScenarioError
from lb6.model.importers import resources as c
from lb6.model.importers.expressions import SUBSCRIPTION_ID, RESOURCE_GROUP

# Options that take a list of values (space separated, as az accepts them).
MULTI_VALUED = {"--lb-address-pools", "--lb-inbound-nat-rules", "--nics", "--address-prefixes",
                "--address-prefix", "--subnet-prefixes", "--source-address-prefixes",
                "--source-port-ranges", "--destination-address-prefixes",
                "--destination-port-ranges", "--tags", "--ssh-key-values", "--zones",
                "--dns-servers", "--query", "--application-security-groups", "--secrets",
                "--data-disk-sizes-gb", "--custom-data", "--assign-identity", "--scope"}

SHORT = {"-g": "--resource-group", "-n": "--name", "-l": "--location"}

# Options that change nothing lb6 models (so they are not listed as ignored).
HARMLESS = {"--resource-group", "--location", "--output", "-o", "--query", "--no-wait",
            "--subscription", "--tags", "--only-show-errors", "--debug", "--verbose",
            "--admin-username", "--admin-password", "--size", "--generate-ssh-keys",
            "--ssh-key-values", "--authentication-type", "--storage-sku", "--os-disk-name",
            "--custom-data", "--platform-fault-domain-count", "--platform-update-domain-count",
            "--nsg", "--yes", "-y", "--lb-name", "--nic-name", "--nsg-name", "--vnet-name",
            "--name", "--description", "--zone", "--storage-account", "--use-unmanaged-disk",
            "--unmanaged"}


@dataclass
class Word:
    """One shell word: its text once variables are expanded, and the line it sits on."""

    parts: list  # ("lit", text) | ("var", name) | ("cmd", text)
    quoted: bool = False


@dataclass
class Statement:
    line: int
    text: str
    words: list[Word]


class ScriptError(Exception):
    pass


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

    def push(kind, value):
        nonlocal cur
        if cur is None:
            cur = []
        cur.append((kind, value))

    def end():
        nonlocal cur, quoted
        if cur is not None:
            words.append(Word(cur, quoted))
        cur, quoted = None, False

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
                raise c.fail(source, "unbalanced quote: a ' opens here and is never closed; "
                             "expected a closing '", c.Origin(line))
            push("lit", text[i + 1:j])
            quoted = True
            i = j + 1
        elif ch == '"':
            j = i + 1
            seg = ""
            while True:
                if j >= n:
                    raise c.fail(source, "unbalanced quote: a \" opens here and is never "
                                 "closed; expected a closing \"", c.Origin(line))
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
            push("lit", text[i:j])
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
        raise c.fail(source, "unbalanced parenthesis: $( opens here and is never closed; "
                     "expected ')'", c.Origin(line))
    if text.startswith("${", i):
        j = text.find("}", i)
        if j < 0:
            raise c.fail(source, "unbalanced brace: ${ opens here and is never closed; "
                         "expected '}'", c.Origin(line))
        return j + 1, "var", text[i + 2:j]
    m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", text[i:])
    if m:
        return i + m.end(), "var", m.group(1)
    return i + 1, None, "$"


def _is_option(text: str) -> bool:
    return text.startswith("-") and not re.fullmatch(r"-\d+", text)


class AzReader:
    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source
        self.vars: dict[str, str] = {}
        self.dep = c.Deployment("cli", source=source)
        self.avsets: set[str] = set()
        self.skipped: dict[str, list[int]] = {}

    def fail(self, line: int, message: str, option: str | None = None) -> ScenarioError:
        return c.fail(self.source, message, c.Origin(line, (option,) if option else ()))

    def expand(self, word: Word, line: int) -> str:
        out = []
        for kind, value in word.parts:
            if kind == "lit":
                out.append(value)
            elif kind == "var":
                if value not in self.vars:
                    raise self.fail(line, f"${value} is used but never set earlier in the "
                                          "script; expected an assignment such as "
                                          f"{value}=... or ${value} = \"...\"")
                out.append(self.vars[value])
            else:
                out.append(self.substitute(value, line))
        return "".join(out)

    def substitute(self, command: str, line: int) -> str:
        words = split_words(command, line, self.source)
        if not words:
            return ""
        return self.run([self.expand(w, line) for w in words], line, command) or ""

    # ---- statements ---------------------------------------------------------------------

    def read(self) -> c.Deployment:
        for line, text in join_lines(self.text, self.source):
            if not text.strip() or text.strip().startswith("#"):
                continue
            words = split_words(text, line, self.source)
            if not words:
                continue
            self.statement(words, line, text.strip())
        for what, lines in self.skipped.items():
            shown = ", ".join(map(str, lines[:8])) + (" …" if len(lines) > 8 else "")
            self.dep.note(f"skipped `{what}` (line{'s' if len(lines) > 1 else ''} {shown}): it "
                          "does not change what lb6 models", c.Origin(lines[0]))
        if self.dep.load_balancer is None and not self.dep.nics:
            if "azure" in self.skipped:
                raise self.fail(self.skipped["azure"][0], "this script uses the retired `azure` "
                                "xplat CLI (azure network ...), which lb6 does not read; the "
                                "2018 walkthrough's `az network ...` commands are read (fact 168)")
            raise self.fail(1, "no load balancer or network interface is created in this "
                               "script; expected az network lb create, az network nic create …")
        return self.dep

    def statement(self, words: list[Word], line: int, text: str) -> None:
        first = words[0].parts
        # PowerShell-style: $name = value   /   $name = az ...
        if len(words) >= 2 and len(first) == 1 and first[0][0] == "var" and \
                words[1].parts == [("lit", "=")]:
            name = first[0][1]
            rest = words[2:]
            self.vars[name] = self.value_of(rest, line, text)
            return
        head = "".join(v for k, v in first if k == "lit") if all(k == "lit" for k, _ in first) else ""
        if head == "export" and len(words) > 1:
            words, first = words[1:], words[1].parts
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", first[0][1]) if first[0][0] == "lit" else None
        if m and not words[0].quoted:
            name = m.group(1)
            value_word = Word(([("lit", m.group(2))] if m.group(2) else []) + first[1:])
            value = self.expand(value_word, line)
            if len(words) > 1:
                value += " " + " ".join(self.expand(w, line) for w in words[1:])
            self.vars[name] = value
            return
        argv0 = self.expand(words[0], line) if words[0].parts else ""
        if argv0 != "az":
            self.skip(argv0 or text.split()[0], line)
            return
        args = [self.expand(w, line) for w in words]
        self.run(args, line, text)

    def value_of(self, words: list[Word], line: int, text: str) -> str:
        if not words:
            return ""
        if len(words) >= 2 and words[0].parts == [("lit", "az")]:
            return self.run([self.expand(w, line) for w in words], line, text) or ""
        return " ".join(self.expand(w, line) for w in words)

    def skip(self, what: str, line: int) -> None:
        self.skipped.setdefault(what, []).append(line)

    # ---- az commands ----------------------------------------------------------------------

    def run(self, args: list[str], line: int, text: str) -> str | None:
        if not args or args[0] != "az":
            self.skip(args[0] if args else text, line)
            return None
        verbs = []
        i = 1
        while i < len(args) and not _is_option(args[i]):
            verbs.append(args[i])
            i += 1
        opts: dict[str, list[str]] = {}
        order: list[str] = []
        while i < len(args):
            opt = args[i]
            if not _is_option(opt):
                raise self.fail(line, f"unexpected word '{opt}' after the options of "
                                      f"`az {' '.join(verbs)}`; expected --option value")
            opt = SHORT.get(opt, opt)
            if "=" in opt and opt.startswith("--"):
                opt, _, val = opt.partition("=")
                opts.setdefault(opt, []).append(val)
                i += 1
                continue
            i += 1
            values = []
            while i < len(args) and not _is_option(args[i]):
                values.append(args[i])
                i += 1
            opts.setdefault(opt, []).extend(values)
            order.append(opt)
        command = " ".join(verbs)
        for opt, values in opts.items():
            if command in HANDLERS and len(values) > 1 and opt not in MULTI_VALUED:
                raise self.fail(line, f"`az {command}`: {opt} takes one value, but got "
                                      f"{', '.join(repr(v) for v in values)}; is a quote or a "
                                      "-- missing?", opt)
        handler = HANDLERS.get(command)
        if handler is None:
            if verbs and verbs[-1] == "show" and ("--query" in opts):
                return self.show(verbs, opts, line)
            self.skip("az " + command, line)
            return None
        cmd = Command(self, line, "az " + command, opts)
        result = handler(cmd)
        cmd.report_unused()
        return result

    def show(self, verbs, opts, line) -> str:
        """`az network ... show --query id`: the resource ID, for later commands."""
        name = (opts.get("--name") or [""])[0]
        parent = {"lb": "--lb-name", "vnet": "--vnet-name", "nsg": "--nsg-name",
                  "nic": "--nic-name"}
        kinds = {("public-ip",): "publicIPAddresses", ("lb",): "loadBalancers",
                 ("vnet",): "virtualNetworks", ("nsg",): "networkSecurityGroups",
                 ("nic",): "networkInterfaces", ("lb", "frontend-ip"): "frontendIPConfigurations",
                 ("lb", "address-pool"): "backendAddressPools", ("lb", "probe"): "probes",
                 ("lb", "rule"): "loadBalancingRules",
                 ("lb", "inbound-nat-rule"): "inboundNatRules", ("vnet", "subnet"): "subnets",
                 ("nsg", "rule"): "securityRules", ("nic", "ip-config"): "ipConfigurations"}
        path = tuple(v for v in verbs[1:-1])
        base = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers"
        if len(path) == 2 and path in kinds:
            top = kinds[(path[0],)]
            owner = (opts.get(parent[path[0]]) or [""])[0]
            ns = "Microsoft.Network"
            return f"{base}/{ns}/{top}/{owner}/{kinds[path]}/{name}"
        if path in kinds:
            return f"{base}/Microsoft.Network/{kinds[path]}/{name}"
        return name


class Command:
    """One az command's options, with the line, for handlers; unread options are noted."""

    def __init__(self, reader: AzReader, line: int, what: str, opts: dict[str, list[str]]):
        self.r = reader
        self.line = line
        self.what = what
        self.opts = opts
        self.read: set[str] = set()

    def has(self, *names) -> bool:
        return any(n in self.opts for n in names)

    def get(self, *names, default=None):
        for n in names:
            self.read.add(n)
            if n in self.opts:
                values = self.opts[n]
                if not values:
                    return "true"
                return values[0]
        return default

    def many(self, *names) -> list[str]:
        out = []
        for n in names:
            self.read.add(n)
            for v in self.opts.get(n, []):
                out.extend(x for x in re.split(r"[\s,]+", v) if x)
        return out

    def need(self, name: str, *aliases) -> str:
        value = self.get(name, *aliases)
        if value is None or value == "":
            raise self.r.fail(self.line, f"`{self.what}` needs {name}", name)
        return value

    def origin(self, label: str, fields: dict[str, str] | None = None) -> c.Origin:
        o = c.Origin(self.line, (), f"{self.what} ({label})")
        for field_name, opt in (fields or {}).items():
            o.fields[field_name] = (self.line, (opt,))
        return o

    def report_unused(self) -> None:
        unused = [o for o in self.opts if o not in self.read and o not in HARMLESS]
        if unused:
            self.r.dep.note(f"`{self.what}`: option{'s' if len(unused) > 1 else ''} "
                            f"{', '.join(unused)} not modelled", c.Origin(self.line))

    def lb(self) -> c.LoadBalancer:
        name = self.need("--lb-name")
        lb = self.r.dep.load_balancer
        if lb is None or lb.name != name:
            known = lb.name if lb else "none yet"
            raise self.r.fail(self.line, f"no load balancer named '{name}' was created earlier "
                                         f"in the script (created: {known})", "--lb-name")
        return lb


def _int(value):
    return c.as_int(value) if value is not None else None


# ---- handlers -------------------------------------------------------------------------------


def public_ip_create(cmd: Command):
    name = cmd.need("--name")
    version = c.canon(cmd.get("--version", "--ip-version", default="IPv4"), ("IPv4", "IPv6"))
    sku = cmd.get("--sku")
    if sku and sku.lower() != "basic":
        raise cmd.r.fail(cmd.line, f"public IP '{name}' has SKU {sku}; lb6 simulates the Basic "
                                   "SKU (expected Basic)", "--sku")
    pip = c.PublicIp(name, cmd.origin(f"public IP '{name}'", {
        "version": "--version", "allocation": "--allocation-method", "dns_label": "--dns-name",
        "reverse_fqdn": "--reverse-fqdn"}))
    pip.version = version
    pip.allocation = c.canon(cmd.get("--allocation-method", default="Dynamic"), ("Static", "Dynamic"))
    pip.dns_label = cmd.get("--dns-name", "--domain-name-label")
    pip.reverse_fqdn = cmd.get("--reverse-fqdn")
    pip.location = c.normalise_location(cmd.get("--location"))
    cmd.r.dep.public_ips[name] = pip
    return _id("publicIPAddresses", name)


def _id(kind: str, name: str, child: str | None = None, child_name: str | None = None) -> str:
    base = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Network/{kind}/{name}"
    return f"{base}/{child}/{child_name}" if child else base


def _pip_ref(cmd: Command, value: str, option: str, create_version: str = "IPv4") -> str:
    name = c.last_segment(value)
    if name not in cmd.r.dep.public_ips:
        # az network lb create --public-ip-address NEW creates it, as az does.
        pip = c.PublicIp(name, cmd.origin(f"public IP '{name}' created by {option}"))
        pip.allocation = c.canon(cmd.get("--public-ip-address-allocation", default="Dynamic"),
                                 ("Static", "Dynamic"))
        pip.location = c.normalise_location(cmd.get("--location"))
        pip.dns_label = cmd.get("--public-ip-dns-name")
        cmd.r.dep.public_ips[name] = pip
        cmd.r.dep.note(f"public IP '{name}' is not created earlier in the script; lb6 creates it "
                       f"as `{cmd.what}` would (IPv4, Dynamic)", c.Origin(cmd.line))
    return name


def lb_create(cmd: Command):
    name = cmd.need("--name")
    sku = cmd.get("--sku")
    if sku and sku.lower() != "basic":
        raise cmd.r.fail(cmd.line, f"load balancer '{name}' has SKU {sku}; lb6 simulates the "
                                   "Basic SKU (expected Basic)", "--sku")
    if cmd.r.dep.load_balancer is not None:
        cmd.r.dep.note(f"load balancer '{name}' is not modelled: lb6 simulates one load "
                       f"balancer, '{cmd.r.dep.load_balancer.name}'", c.Origin(cmd.line))
        cmd.read.update(cmd.opts)
        return _id("loadBalancers", name)
    lb = c.LoadBalancer(name, cmd.origin(f"load balancer '{name}'"))
    cmd.r.dep.load_balancer = lb
    pip = cmd.get("--public-ip-address")
    fe_name = cmd.get("--frontend-ip-name", default="LoadBalancerFrontEnd")
    if pip:
        lb.frontends.append(c.Frontend(fe_name, cmd.origin(f"frontend '{fe_name}'"),
                                       _pip_ref(cmd, pip, "--public-ip-address")))
    elif cmd.has("--subnet", "--private-ip-address", "--vnet-name"):
        cmd.read.update({"--subnet", "--private-ip-address", "--vnet-name"})
        cmd.r.dep.note(f"load balancer '{name}' has an internal frontend; lb6 models "
                       "Internet-facing frontends only", c.Origin(cmd.line))
    pool = cmd.get("--backend-pool-name", default=f"{name}bepool")
    lb.pools.append(c.Pool(pool, cmd.origin(f"backend pool '{pool}'")))
    return _id("loadBalancers", name)


def frontend_create(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    pip = cmd.get("--public-ip-address")
    if not pip:
        cmd.read.update(cmd.opts)
        cmd.r.dep.note(f"frontend '{name}' has no public IP (internal); not modelled",
                       c.Origin(cmd.line))
        return None
    lb.frontends.append(c.Frontend(name, cmd.origin(f"frontend '{name}'", {
        "public_ip": "--public-ip-address"}), _pip_ref(cmd, pip, "--public-ip-address")))
    return _id("loadBalancers", lb.name, "frontendIPConfigurations", name)


def pool_create(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    lb.pools.append(c.Pool(name, cmd.origin(f"backend pool '{name}'")))
    return _id("loadBalancers", lb.name, "backendAddressPools", name)


def probe_create(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    probe = c.Probe(name, cmd.origin(f"probe '{name}'", {
        "protocol": "--protocol", "port": "--port", "interval_s": "--interval",
        "number_of_probes": "--threshold", "request_path": "--path"}))
    probe.protocol = c.canon(cmd.need("--protocol"), ("Tcp", "Http", "Https"))
    probe.port = _int(cmd.need("--port"))
    probe.interval_s = _int(cmd.get("--interval", default="15"))
    probe.number_of_probes = _int(cmd.get("--threshold", "--count", default="2"))
    probe.request_path = cmd.get("--path")
    lb.probes.append(probe)
    return _id("loadBalancers", lb.name, "probes", name)


RULE_FIELDS = {"protocol": "--protocol", "frontend_port": "--frontend-port",
               "backend_port": "--backend-port", "frontend": "--frontend-ip-name",
               "backend_pool": "--backend-pool-name", "probe": "--probe-name",
               "idle_timeout_min": "--idle-timeout", "load_distribution": "--load-distribution",
               "floating_ip": "--floating-ip"}


def _rule_options(cmd: Command, rule, nat: bool = False) -> None:
    if cmd.has("--protocol"):
        rule.protocol = c.canon(cmd.get("--protocol"), ("Tcp", "Udp", "All"))
    if cmd.has("--frontend-port"):
        rule.frontend_port = _int(cmd.get("--frontend-port"))
    if cmd.has("--backend-port"):
        rule.backend_port = _int(cmd.get("--backend-port"))
    if cmd.has("--frontend-ip-name", "--frontend-ip"):
        rule.frontend = c.last_segment(cmd.get("--frontend-ip-name", "--frontend-ip"))
    if cmd.has("--idle-timeout", "--idle-timeout-in-minutes"):
        rule.idle_timeout_min = _int(cmd.get("--idle-timeout", "--idle-timeout-in-minutes"))
    if cmd.has("--floating-ip", "--enable-floating-ip"):
        rule.floating_ip = c.as_bool(str(cmd.get("--floating-ip", "--enable-floating-ip")))
    if nat:
        return
    if cmd.has("--backend-pool-name", "--backend-address-pool"):
        rule.backend_pool = c.last_segment(cmd.get("--backend-pool-name", "--backend-address-pool"))
    if cmd.has("--probe-name", "--probe"):
        rule.probe = c.last_segment(cmd.get("--probe-name", "--probe"))
    if cmd.has("--load-distribution"):
        rule.load_distribution = c.canon(cmd.get("--load-distribution"),
                                         ("Default", "SourceIP", "SourceIPProtocol"))


def rule_create(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    rule = c.Rule(name, cmd.origin(f"rule '{name}'", RULE_FIELDS))
    cmd.need("--protocol")
    cmd.need("--frontend-port")
    _rule_options(cmd, rule)
    if rule.backend_port is None:
        rule.backend_port = rule.frontend_port
    # az picks the only frontend / pool when the option is left out.
    if rule.frontend is None and len(lb.frontends) == 1:
        rule.frontend = lb.frontends[0].name
    if rule.backend_pool is None and len(lb.pools) == 1:
        rule.backend_pool = lb.pools[0].name
    for attr, opt in (("frontend", "--frontend-ip-name"), ("backend_pool", "--backend-pool-name")):
        if getattr(rule, attr) is None:
            raise cmd.r.fail(cmd.line, f"`{cmd.what}` needs {opt}: the load balancer has more "
                                       "than one to choose from", opt)
    lb.rules.append(rule)
    return _id("loadBalancers", lb.name, "loadBalancingRules", name)


def rule_update(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    rule = lb.find("rule", name)
    if rule is None:
        raise cmd.r.fail(cmd.line, f"no rule named '{name}' on load balancer '{lb.name}' "
                                   f"(rules: {', '.join(r.name for r in lb.rules) or 'none'})",
                         "--name")
    # Later problems point at this update, the line that set the value.
    for field_name, opt in RULE_FIELDS.items():
        if cmd.has(opt):
            rule.origin.fields[field_name] = (cmd.line, (opt,))
    _rule_options(cmd, rule)
    return _id("loadBalancers", lb.name, "loadBalancingRules", name)


def nat_rule_create(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    rule = c.NatRule(name, cmd.origin(f"inbound NAT rule '{name}'", RULE_FIELDS))
    cmd.need("--protocol")
    cmd.need("--frontend-port")
    cmd.need("--backend-port")
    _rule_options(cmd, rule, nat=True)
    if rule.frontend is None and len(lb.frontends) == 1:
        rule.frontend = lb.frontends[0].name
    if rule.frontend is None:
        raise cmd.r.fail(cmd.line, f"`{cmd.what}` needs --frontend-ip-name", "--frontend-ip-name")
    lb.nat_rules.append(rule)
    return _id("loadBalancers", lb.name, "inboundNatRules", name)


def vnet_create(cmd: Command):
    name = cmd.need("--name")
    dep = cmd.r.dep
    if dep.vnet is not None:
        dep.note(f"VNet '{name}' is not modelled: lb6 models one VNet, '{dep.vnet.name}'",
                 c.Origin(cmd.line))
        cmd.read.update(cmd.opts)
        return _id("virtualNetworks", name)
    vnet = c.VNet(name, cmd.origin(f"VNet '{name}'"))
    for p in cmd.many("--address-prefixes", "--address-prefix"):
        if ":" in p:
            dep.note(f"IPv6 address space {p} is not modelled (fact 159)", c.Origin(cmd.line))
        else:
            vnet.address_space.append(p)
    sub = cmd.get("--subnet-name")
    prefixes = [p for p in cmd.many("--subnet-prefixes", "--subnet-prefix") if ":" not in p]
    if sub:
        vnet.subnets.append(c.Subnet(sub, cmd.origin(f"subnet '{sub}'", {"prefix": "--subnet-prefixes"}),
                                     prefixes[0] if prefixes else None))
    dep.vnet = vnet
    return _id("virtualNetworks", name)


def subnet_create(cmd: Command):
    dep = cmd.r.dep
    vnet_name = cmd.need("--vnet-name")
    name = cmd.need("--name")
    if dep.vnet is None or dep.vnet.name != vnet_name:
        raise cmd.r.fail(cmd.line, f"no VNet named '{vnet_name}' was created earlier in the "
                                   f"script (created: {dep.vnet.name if dep.vnet else 'none'})",
                         "--vnet-name")
    prefixes = cmd.many("--address-prefixes", "--address-prefix")
    v4 = [p for p in prefixes if ":" not in p]
    if len(v4) != len(prefixes):
        dep.note(f"IPv6 prefix of subnet '{name}' is not modelled (fact 159)", c.Origin(cmd.line))
    subnet = c.Subnet(name, cmd.origin(f"subnet '{name}'", {"prefix": "--address-prefixes"}),
                      v4[0] if v4 else None)
    nsg = cmd.get("--network-security-group", "--nsg")
    if nsg:
        subnet.nsg = _nsg_ref(cmd, nsg, "--network-security-group")
    dep.vnet.subnets.append(subnet)
    return _id("virtualNetworks", vnet_name, "subnets", name)


def _nsg_ref(cmd: Command, value: str, option: str) -> str:
    name = c.last_segment(value)
    if name not in cmd.r.dep.nsgs:
        raise cmd.r.fail(cmd.line, f"no NSG named '{name}' was created earlier in the script "
                                   f"(created: {', '.join(cmd.r.dep.nsgs) or 'none'})", option)
    return name


def nsg_create(cmd: Command):
    name = cmd.need("--name")
    cmd.r.dep.nsgs[name] = c.Nsg(name, cmd.origin(f"NSG '{name}'"))
    return _id("networkSecurityGroups", name)


def nsg_rule_create(cmd: Command):
    nsg_name = cmd.need("--nsg-name")
    nsg = cmd.r.dep.nsgs.get(nsg_name)
    if nsg is None:
        raise cmd.r.fail(cmd.line, f"no NSG named '{nsg_name}' was created earlier in the script",
                         "--nsg-name")
    name = cmd.need("--name")
    fields = {"priority": "--priority", "direction": "--direction", "access": "--access",
              "protocol": "--protocol", "source": "--source-address-prefixes",
              "source_port": "--source-port-ranges",
              "destination": "--destination-address-prefixes",
              "destination_port": "--destination-port-ranges"}
    origin = cmd.origin(f"NSG rule '{name}'", fields)
    values = {"priority": _int(cmd.need("--priority")),
              "direction": c.canon(cmd.get("--direction", default="Inbound"), ("Inbound", "Outbound")),
              "access": c.canon(cmd.get("--access", default="Allow"), ("Allow", "Deny")),
              "protocol": c.canon(cmd.get("--protocol", default="*"), ("Tcp", "Udp", "Icmp", "*"))}
    for field_name, opt in (("source", "--source-address-prefixes"),
                            ("source_port", "--source-port-ranges"),
                            ("destination", "--destination-address-prefixes"),
                            ("destination_port", "--destination-port-ranges")):
        items = cmd.many(opt, opt.rstrip("es") if opt.endswith("prefixes") else opt.rstrip("s"))
        if items:
            values[field_name] = items[0]
            if len(items) > 1:
                cmd.r.dep.note(f"NSG rule '{name}': only the first of {opt} ({items[0]}) is "
                               "modelled", c.Origin(cmd.line))
    nsg.rules.append(c.NsgRule(name, origin, values))
    return _id("networkSecurityGroups", nsg_name, "securityRules", name)


IPCONFIG_FIELDS = {"version": "--private-ip-address-version", "address": "--private-ip-address",
                   "subnet": "--subnet", "public_ip": "--public-ip-address",
                   "backend_pools": "--lb-address-pools",
                   "inbound_nat_rules": "--lb-inbound-nat-rules"}


def _ip_config(cmd: Command, name: str, owner: str) -> c.IpConfig:
    dep = cmd.r.dep
    cfg = c.IpConfig(name, cmd.origin(f"IP configuration '{owner}/{name}'", IPCONFIG_FIELDS))
    cfg.version = c.canon(cmd.get("--private-ip-address-version", default="IPv4"), ("IPv4", "IPv6"))
    cfg.address = cmd.get("--private-ip-address")
    subnet = cmd.get("--subnet")
    if subnet:
        if cfg.version == "IPv6":
            dep.note(f"IPv6 configuration '{owner}/{name}' names a subnet; the Basic IPv6 model "
                     "has no IPv6 subnets (fact 159), so lb6 ignores it", c.Origin(cmd.line))
        else:
            cfg.subnet = c.last_segment(subnet)
    pip = cmd.get("--public-ip-address")
    if pip:
        pip_name = c.last_segment(pip)
        if pip_name not in dep.public_ips:
            raise cmd.r.fail(cmd.line, f"no public IP named '{pip_name}' was created earlier in "
                                       "the script", "--public-ip-address")
        cfg.public_ip = pip_name
    cfg.pools = [c.last_segment(p) for p in cmd.many("--lb-address-pools")]
    cfg.nat_rules = [c.last_segment(p) for p in cmd.many("--lb-inbound-nat-rules")]
    if (cfg.pools or cfg.nat_rules) and dep.load_balancer is None:
        raise cmd.r.fail(cmd.line, "the NIC joins a load balancer's pool or NAT rule, but no "
                                   "load balancer was created earlier in the script",
                         "--lb-address-pools")
    return cfg


def nic_create(cmd: Command):
    dep = cmd.r.dep
    name = cmd.need("--name")
    nic = c.Nic(name, cmd.origin(f"NIC '{name}'"))
    nic.ip_configs.append(_ip_config(cmd, cmd.get("--ip-config-name", default="ipconfig1"), name))
    nsg = cmd.get("--network-security-group")
    if nsg:
        nic.nsg = _nsg_ref(cmd, nsg, "--network-security-group")
    dep.nics[name] = nic
    return _id("networkInterfaces", name)


def nic_ipconfig_create(cmd: Command):
    dep = cmd.r.dep
    nic_name = cmd.need("--nic-name")
    nic = dep.nics.get(nic_name)
    if nic is None:
        raise cmd.r.fail(cmd.line, f"no NIC named '{nic_name}' was created earlier in the script "
                                   f"(created: {', '.join(dep.nics) or 'none'})", "--nic-name")
    name = cmd.need("--name")
    nic.ip_configs.append(_ip_config(cmd, name, nic_name))
    return _id("networkInterfaces", nic_name, "ipConfigurations", name)


def avset_create(cmd: Command):
    name = cmd.need("--name")
    cmd.r.avsets.add(name)
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.Compute/availabilitySets/{name}"


def vm_create(cmd: Command):
    dep = cmd.r.dep
    name = cmd.need("--name")
    image = str(cmd.get("--image", default=""))
    os_name = "windows" if "win" in image.lower() else "linux"
    vm = c.Vm(name, cmd.origin(f"VM '{name}'"), os_name)
    avset = cmd.get("--availability-set")
    if avset:
        vm.availability_set = c.last_segment(avset)
        if vm.availability_set not in cmd.r.avsets:
            dep.note(f"availability set '{vm.availability_set}' is not created earlier in the "
                     "script; lb6 takes it as given", c.Origin(cmd.line))
    nics = cmd.many("--nics")
    for i, n in enumerate(nics):
        nic_name = c.last_segment(n)
        if nic_name not in dep.nics:
            raise cmd.r.fail(cmd.line, f"no NIC named '{nic_name}' was created earlier in the "
                                       f"script (created: {', '.join(dep.nics) or 'none'})",
                             "--nics")
        vm.nics.append((nic_name, i == 0))
    if not nics:
        # Without --nics, az vm create makes a NIC (IPv4) in the given or default subnet.
        nic_name = f"{name}VMNic"
        nic = c.Nic(nic_name, cmd.origin(f"NIC '{nic_name}' made by az vm create"))
        subnet = cmd.get("--subnet")
        nic.ip_configs.append(c.IpConfig(f"ipconfig{name}", nic.origin,
                                         subnet=c.last_segment(subnet) if subnet else None))
        dep.nics[nic_name] = nic
        vm.nics.append((nic_name, None))
        dep.note(f"VM '{name}' has no --nics; lb6 gives it one IPv4 NIC, '{nic_name}', in no "
                 "backend pool", c.Origin(cmd.line))
        cmd.read.update({"--vnet-name", "--subnet", "--public-ip-address", "--nsg"})
        if cmd.opts.get("--public-ip-address") not in (None, [], [""], ['""']):
            dep.note(f"VM '{name}': the instance-level public IP az vm create would add is not "
                     "modelled", c.Origin(cmd.line))
    dep.vms[name] = vm
    return None


HANDLERS = {
    "network public-ip create": public_ip_create,
    "network lb create": lb_create,
    "network lb frontend-ip create": frontend_create,
    "network lb address-pool create": pool_create,
    "network lb probe create": probe_create,
    "network lb rule create": rule_create,
    "network lb rule update": rule_update,
    "network lb inbound-nat-rule create": nat_rule_create,
    "network vnet create": vnet_create,
    "network vnet subnet create": subnet_create,
    "network nsg create": nsg_create,
    "network nsg rule create": nsg_rule_create,
    "network nic create": nic_create,
    "network nic ip-config create": nic_ipconfig_create,
    "vm availability-set create": avset_create,
    "vm create": vm_create,
}


def read_azcli(text: str, source: str) -> c.Deployment:
    return AzReader(text, source).read()
