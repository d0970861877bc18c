"""The deployment as the importers read it, and its translation into scenario data.

The three importers fill the same `Deployment`: public IPs, one load balancer with its
frontends, pools, probes, rules and inbound NAT rules, NICs with IP configurations, VMs, NSGs and
the VNet, using Azure's names. Every object remembers where it came from (`Origin`: a line, and
for templates a JSON path), so that a problem found later by the scenario validator can still be
reported against the user's own file. Whatever lb6 does not model becomes a `Note`, listed by
`lb6 check` and `lb6 import`, never silently dropped.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Callable

from lb6.model.errors import Path, Problem, ScenarioError, format_path

# The documentation ranges build.py also uses (RFC 5737 TEST-NET-3, RFC 3849); addresses are
# assigned here, in file order, so that the default timeline can name a frontend's address.
PUBLIC_V4 = ipaddress.ip_network("203.0.113.0/24")
PUBLIC_V6 = ipaddress.ip_network("2001:db8:1::/64")

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

DEFAULT_LOCATION = "westus"

# Clients added to every imported deployment (a template or script has no Internet clients).
DEFAULT_CLIENTS = (
    {"name": "dual-client", "stack": "dual"},
    {"name": "ipv4-client", "stack": "ipv4"},
    {"name": "ipv6-client", "stack": "ipv6"},
)


@dataclass
class Origin:
    """Where an object was declared: a line and, in a template, its JSON path.

    `fields` maps a scenario field name (frontend_port) to the place of the value it came from:
    a JSON path and line in a template, an option name and line in a script.
    """

    line: int | None = None
    path: Path = ()
    what: str = ""
    fields: dict[str, tuple[int | None, Path]] = field(default_factory=dict)


@dataclass
class Note:
    """Something in the input that lb6 read but does not model (severity info)."""

    message: str
    origin: Origin = field(default_factory=Origin)

    def location(self, source: str) -> str:
        return Problem(self.message, self.origin.path, self.origin.line).location(source)

    def render(self, source: str) -> str:
        return f"{self.location(source)}: {self.message}"

    def to_json(self, source: str) -> dict:
        return {"severity": "info", "message": self.message, "location": self.location(source)}


def fail(source: str, message: str, origin: Origin | None = None) -> ScenarioError:
    """A ScenarioError for one problem at `origin` (raise the result)."""
    origin = origin or Origin()
    return ScenarioError(source, [Problem(message, origin.path, origin.line)])


# ---- the deployment -----------------------------------------------------------------------


@dataclass
class PublicIp:
    name: str
    origin: Origin
    version: str = "IPv4"
    allocation: str = "Dynamic"
    dns_label: str | None = None
    reverse_fqdn: str | None = None
    location: str = DEFAULT_LOCATION
    address: str | None = None


@dataclass
class Frontend:
    name: str
    origin: Origin
    public_ip: str | None = None


@dataclass
class Pool:
    name: str
    origin: Origin


@dataclass
class Probe:
    name: str
    origin: Origin
    protocol: str = "Tcp"
    port: object = None
    interval_s: object = 15
    number_of_probes: object = 2
    request_path: str | None = None


@dataclass
class Rule:
    name: str
    origin: Origin
    frontend: str | None = None
    backend_pool: str | None = None
    protocol: str = "Tcp"
    frontend_port: object = None
    backend_port: object = None
    probe: str | None = None
    idle_timeout_min: object = 4
    load_distribution: str = "Default"
    floating_ip: object = False


@dataclass
class NatRule:
    name: str
    origin: Origin
    frontend: str | None = None
    protocol: str = "Tcp"
    frontend_port: object = None
    backend_port: object = None
    idle_timeout_min: object = 4
    floating_ip: object = False


@dataclass
class LoadBalancer:
    name: str
    origin: Origin
    frontends: list[Frontend] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    nat_rules: list[NatRule] = field(default_factory=list)

    def find(self, kind: str, name: str):
        items = {"frontend": self.frontends, "pool": self.pools, "probe": self.probes,
                 "rule": self.rules, "nat_rule": self.nat_rules}[kind]
        return next((i for i in items if i.name == name), None)


@dataclass
class IpConfig:
    name: str
    origin: Origin
    version: str = "IPv4"
    address: str | None = None
    subnet: str | None = None
    public_ip: str | None = None
    pools: list[str] = field(default_factory=list)
    nat_rules: list[str] = field(default_factory=list)


@dataclass
class Nic:
    name: str
    origin: Origin
    ip_configs: list[IpConfig] = field(default_factory=list)
    nsg: str | None = None


@dataclass
class Vm:
    name: str
    origin: Origin
    os: str = "linux"
    nics: list[tuple[str, bool | None]] = field(default_factory=list)
    availability_set: str | None = None
    scale_set: str | None = None


@dataclass
class NsgRule:
    name: str
    origin: Origin
    values: dict = field(default_factory=dict)  # scenario field → value


@dataclass
class Nsg:
    name: str
    origin: Origin
    rules: list[NsgRule] = field(default_factory=list)


@dataclass
class Subnet:
    name: str
    origin: Origin
    prefix: str | None = None
    nsg: str | None = None


@dataclass
class VNet:
    name: str
    origin: Origin
    address_space: list[str] = field(default_factory=list)
    subnets: list[Subnet] = field(default_factory=list)


@dataclass
class Deployment:
    """Everything an importer read, in Azure's terms, before it becomes scenario data."""

    kind: str  # template | cli | powershell (the scenario's `deployment` field)
    source: str = "<input>"
    title: str = ""
    public_ips: dict[str, PublicIp] = field(default_factory=dict)
    load_balancer: LoadBalancer | None = None
    nics: dict[str, Nic] = field(default_factory=dict)
    vms: dict[str, Vm] = field(default_factory=dict)
    nsgs: dict[str, Nsg] = field(default_factory=dict)
    vnet: VNet | None = None
    notes: list[Note] = field(default_factory=list)
    # Scenario names (as catalogue findings give them: "vm", "vm/nic", "vm/nic/config") →
    # where that object is declared; filled by to_scenario.
    subjects: dict[str, Origin] = field(default_factory=dict)

    def note(self, message: str, origin: Origin | None = None) -> None:
        self.notes.append(Note(message, origin or Origin()))


def last_segment(text: str) -> str:
    """`pool` from a resource ID `/subscriptions/.../backendAddressPools/pool`, or the name itself."""
    text = str(text).strip().rstrip("/")
    return text.rsplit("/", 1)[-1] if "/" in text else text


def normalise_location(text: str | None) -> str:
    """'West US' → 'westus', as Azure spells a region in a host name."""
    if not text:
        return DEFAULT_LOCATION
    return re.sub(r"[^a-z0-9]", "", str(text).lower()) or DEFAULT_LOCATION


def canon(value, choices: tuple[str, ...]):
    """Azure accepts enum values in any case; map them to the spelling the scenario uses."""
    if isinstance(value, str):
        for c in choices:
            if value.lower() == c.lower():
                return c
    return value


def as_bool(value):
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def as_int(value):
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return value


# ---- deployment → scenario data ---------------------------------------------------------------


class _Places:
    """Scenario paths → the origin of the object each one was made from."""

    def __init__(self):
        self.origins: dict[Path, Origin] = {}

    def add(self, path: Path, origin: Origin) -> None:
        self.origins[tuple(path)] = origin

    def subjects(self, data: dict) -> dict[str, Origin]:
        """Each named object's scenario name (vm/nic/config for the nested ones) → origin."""
        out: dict[str, Origin] = {}
        for path, origin in self.origins.items():
            node, names = data, []
            try:
                for part in path:
                    node = node[part]
                    if isinstance(node, dict) and "name" in node and path[0] == "vms":
                        names.append(node["name"])
            except (KeyError, IndexError, TypeError):
                continue
            if isinstance(node, dict) and "name" in node:
                key = "/".join(names) if path[0] == "vms" else node["name"]
                out.setdefault(key, origin)
        return out

    def locate(self, problem: Problem) -> Problem:
        path = tuple(problem.path)
        for cut in range(len(path), -1, -1):
            origin = self.origins.get(path[:cut])
            if origin is None:
                continue
            rest = path[cut:]
            line, where = origin.line, origin.path
            if rest and isinstance(rest[0], str) and rest[0] in origin.fields:
                line, where = origin.fields[rest[0]]
                line = line if line is not None else origin.line
            what = f"{origin.what}: " if origin.what else ""
            field_text = format_path(path)
            hint = f" (lb6 field {field_text})" if field_text else ""
            return Problem(f"{what}{problem.message}{hint}", where, line)
        return problem


def _name(text: str, what: str, dep: Deployment, origin: Origin, seen: dict) -> str:
    """A scenario name for an Azure name (letters, digits, _ . -), noting any change."""
    if NAME_RE.match(text or "") and len(text) <= 80:
        return text
    clean = re.sub(r"[^A-Za-z0-9_.\-]", "-", text or "unnamed").lstrip("_.-")[:80] or "unnamed"
    key = (what, text)
    if key not in seen:
        seen[key] = clean
        dep.note(f"{what} name '{text}' is written as '{clean}' (lb6 names use letters, digits, "
                 "_ . -)", origin)
    return clean


def to_scenario(dep: Deployment, title: str) -> tuple[dict, Callable[[Problem], Problem]]:
    """Scenario data for the deployment, and a function that moves a problem back to the input."""
    places = _Places()
    renamed: dict = {}

    def nm(text, what, origin):
        return _name(text, what, dep, origin, renamed) if text is not None else None

    data: dict = {"title": title, "deployment": dep.kind}
    summary = ("Imported by lb6. The clients and timeline were added by lb6: each client "
               "connects to each load-balancing rule's frontend port.")
    data["summary"] = summary

    # VNet
    if dep.vnet is not None:
        v = dep.vnet
        vnet: dict = {"name": nm(v.name, "VNet", v.origin)}
        if v.address_space:
            vnet["address_space"] = list(v.address_space)
        subnets = []
        for s in v.subnets:
            if s.prefix is None:
                dep.note(f"subnet '{s.name}' has no IPv4 address prefix; not modelled", s.origin)
                continue
            entry = {"name": nm(s.name, "subnet", s.origin), "prefix": s.prefix}
            if s.nsg:
                entry["nsg"] = nm(s.nsg, "NSG", s.origin)
            places.add(("vnet", "subnets", len(subnets)), s.origin)
            subnets.append(entry)
        if subnets:
            vnet["subnets"] = subnets
        places.add(("vnet",), v.origin)
        data["vnet"] = vnet

    # Public IPs, with addresses assigned in file order from the documentation ranges.
    next_host = {"IPv4": 10, "IPv6": 16}
    pips = []
    fqdn_of: dict[str, str] = {}
    address_of: dict[str, str] = {}
    taken = {p.address for p in dep.public_ips.values() if p.address}
    for p in dep.public_ips.values():
        entry = {"name": nm(p.name, "public IP", p.origin), "version": p.version,
                 "allocation": p.allocation}
        address = p.address
        if address is None and p.version in ("IPv4", "IPv6"):
            net = PUBLIC_V4 if p.version == "IPv4" else PUBLIC_V6
            while True:
                candidate = str(net.network_address + next_host[p.version])
                next_host[p.version] += 1
                if candidate not in taken:
                    address = candidate
                    break
        if address is not None:
            entry["address"] = address
            address_of[p.name] = address
        if p.dns_label:
            entry["dns_label"] = p.dns_label
            fqdn_of[p.name] = f"{str(p.dns_label).lower()}.{p.location}.cloudapp.azure.com"
        if p.reverse_fqdn:
            entry["reverse_fqdn"] = p.reverse_fqdn
        entry["location"] = p.location
        places.add(("public_ips", len(pips)), p.origin)
        pips.append(entry)
    if pips:
        data["public_ips"] = pips

    # Load balancer
    lb = dep.load_balancer
    services: dict[str, set] = {}
    if lb is not None:
        base = ("load_balancer",)
        places.add(base, lb.origin)
        out: dict = {"name": nm(lb.name, "load balancer", lb.origin)}
        fes = []
        for f in lb.frontends:
            places.add(base + ("frontends", len(fes)), f.origin)
            fes.append({"name": nm(f.name, "frontend", f.origin),
                        "public_ip": nm(f.public_ip, "public IP", f.origin)})
        out["frontends"] = fes
        out["backend_pools"] = []
        for p in lb.pools:
            places.add(base + ("backend_pools", len(out["backend_pools"])), p.origin)
            out["backend_pools"].append({"name": nm(p.name, "backend pool", p.origin)})
        out["probes"] = []
        for p in lb.probes:
            entry = {"name": nm(p.name, "probe", p.origin), "protocol": p.protocol,
                     "port": p.port, "interval_s": p.interval_s,
                     "number_of_probes": p.number_of_probes}
            if p.request_path is not None:
                entry["request_path"] = p.request_path
            places.add(base + ("probes", len(out["probes"])), p.origin)
            out["probes"].append(entry)
        out["rules"] = []
        for r in lb.rules:
            entry = {"name": nm(r.name, "rule", r.origin),
                     "frontend": nm(r.frontend, "frontend", r.origin),
                     "backend_pool": nm(r.backend_pool, "backend pool", r.origin),
                     "protocol": r.protocol, "frontend_port": r.frontend_port,
                     "backend_port": r.backend_port}
            if r.probe:
                entry["probe"] = nm(r.probe, "probe", r.origin)
            entry.update(idle_timeout_min=r.idle_timeout_min,
                         load_distribution=r.load_distribution, floating_ip=r.floating_ip)
            places.add(base + ("rules", len(out["rules"])), r.origin)
            out["rules"].append(entry)
        out["inbound_nat_rules"] = []
        for r in lb.nat_rules:
            entry = {"name": nm(r.name, "inbound NAT rule", r.origin),
                     "frontend": nm(r.frontend, "frontend", r.origin), "protocol": r.protocol,
                     "frontend_port": r.frontend_port, "backend_port": r.backend_port,
                     "idle_timeout_min": r.idle_timeout_min, "floating_ip": r.floating_ip}
            places.add(base + ("inbound_nat_rules", len(out["inbound_nat_rules"])), r.origin)
            out["inbound_nat_rules"].append(entry)
        for key in ("backend_pools", "probes", "rules", "inbound_nat_rules"):
            if not out[key]:
                del out[key]
        data["load_balancer"] = out

    # VMs: a NIC that no VM holds gets a VM of its own, so its limits are still checked.
    held = {n for vm in dep.vms.values() for n, _ in vm.nics}
    vms = list(dep.vms.values())
    for nic in dep.nics.values():
        if nic.name not in held:
            vm_name = f"{nic.name}-vm"
            dep.note(f"NIC '{nic.name}' is attached to no VM in this file; lb6 gives it a VM of "
                     f"its own, '{vm_name}'", nic.origin)
            vms.append(Vm(vm_name, nic.origin, nics=[(nic.name, None)]))
    pool_rules: dict[str, list[Rule]] = {}
    if lb is not None:
        for r in lb.rules:
            pool_rules.setdefault(r.backend_pool or "", []).append(r)
    nat_by_name = {r.name: r for r in (lb.nat_rules if lb else [])}
    probe_by_name = {p.name: p for p in (lb.probes if lb else [])}
    out_vms = []
    linux_v6 = []
    for vm in vms:
        vpath = ("vms", len(out_vms))
        places.add(vpath, vm.origin)
        entry: dict = {"name": nm(vm.name, "VM", vm.origin), "os": vm.os}
        if vm.availability_set:
            entry["availability_set"] = nm(vm.availability_set, "availability set", vm.origin)
        if vm.scale_set:
            entry["scale_set"] = nm(vm.scale_set, "scale set", vm.origin)
        listen: set = set()
        nics = []
        flags = [p for _, p in vm.nics]
        for nic_name, primary in vm.nics:
            nic = dep.nics.get(nic_name)
            if nic is None:
                raise fail_missing(dep, vm, nic_name)
            npath = vpath + ("nics", len(nics))
            places.add(npath, nic.origin)
            nic_entry: dict = {"name": nm(nic.name, "NIC", nic.origin)}
            if any(f is not None for f in flags):
                nic_entry["primary"] = bool(primary)
            if nic.nsg:
                nic_entry["nsg"] = nm(nic.nsg, "NSG", nic.origin)
            configs = []
            for c in nic.ip_configs:
                places.add(npath + ("ip_configs", len(configs)), c.origin)
                ce: dict = {"name": nm(c.name, "IP configuration", c.origin), "version": c.version}
                if c.address:
                    ce["address"] = c.address
                if c.subnet and c.version == "IPv4":
                    ce["subnet"] = nm(c.subnet, "subnet", c.origin)
                if c.public_ip:
                    ce["public_ip"] = nm(c.public_ip, "public IP", c.origin)
                if c.pools:
                    ce["backend_pools"] = [nm(p, "backend pool", c.origin) for p in c.pools]
                if c.nat_rules:
                    ce["inbound_nat_rules"] = [nm(r, "inbound NAT rule", c.origin)
                                               for r in c.nat_rules]
                configs.append(ce)
                for pool in c.pools:
                    for r in pool_rules.get(pool, []):
                        if isinstance(r.backend_port, int) and r.backend_port > 0:
                            listen.add((r.protocol if r.protocol in ("Tcp", "Udp") else "Tcp",
                                        r.backend_port))
                        probe = probe_by_name.get(r.probe or "")
                        if probe and isinstance(probe.port, int):
                            listen.add(("Tcp", probe.port))
                for rn in c.nat_rules:
                    r = nat_by_name.get(rn)
                    if r and isinstance(r.backend_port, int):
                        listen.add((r.protocol if r.protocol in ("Tcp", "Udp") else "Tcp",
                                    r.backend_port))
            if not configs:
                raise fail(dep_source(dep), f"NIC '{nic.name}' has no IP configurations; "
                           "expected at least one", nic.origin)
            nic_entry["ip_configs"] = configs
            nics.append(nic_entry)
        if not nics:
            raise fail(dep_source(dep), f"VM '{vm.name}' has no network interface; expected at "
                       "least one NIC", vm.origin)
        entry["nics"] = nics
        if listen:
            entry["services"] = [{"protocol": p, "port": port}
                                 for p, port in sorted(listen, key=lambda s: (s[1], s[0]))
                                 if 1 <= port <= 65535]
        if vm.os == "linux" and any(c["version"] == "IPv6" for n in nics for c in n["ip_configs"]):
            linux_v6.append(vm.name)
        out_vms.append(entry)
    if out_vms:
        data["vms"] = out_vms
        dep.note("each backend VM is assumed to listen on its rules' backend ports, its NAT "
                 "rules' backend ports and its probes' ports; edit `services` in an imported "
                 "scenario to change that")
    if linux_v6:
        dep.note(f"Linux VM{'s' if len(linux_v6) > 1 else ''} {', '.join(linux_v6)}: the guest "
                 "is assumed to run DHCPv6 (most gallery images do, fact 8); set `dhcpv6: false` "
                 "to see an IPv6 address that never arrives")

    # NSGs
    nsgs = []
    for n in dep.nsgs.values():
        npath = ("nsgs", len(nsgs))
        places.add(npath, n.origin)
        rules = []
        for r in n.rules:
            places.add(npath + ("rules", len(rules)), r.origin)
            rules.append({"name": nm(r.name, "NSG rule", r.origin), **r.values})
        entry = {"name": nm(n.name, "NSG", n.origin)}
        if rules:
            entry["rules"] = rules
        nsgs.append(entry)
    if nsgs:
        data["nsgs"] = nsgs

    # Clients and a timeline: every client to every rule's frontend port, by name when the
    # frontend's public IP has a DNS label (facts 33-36), else by address.
    data["clients"] = [dict(c) for c in DEFAULT_CLIENTS]
    timeline = []
    seen_targets = set()
    used_ids: set[str] = set()
    if lb is not None:
        pip_version = {p.name: p.version for p in dep.public_ips.values()}
        fe_pip = {f.name: f.public_ip for f in lb.frontends}
        for r in lb.rules:
            pip = fe_pip.get(r.frontend or "")
            if pip is None or not isinstance(r.frontend_port, int) or r.frontend_port < 1:
                continue
            target = fqdn_of.get(pip) or address_of.get(pip)
            if target is None:
                continue
            protocol = r.protocol if r.protocol in ("Tcp", "Udp") else "Tcp"
            key = (target, r.frontend_port, protocol)
            if key in seen_targets:
                continue
            seen_targets.add(key)
            for c in DEFAULT_CLIENTS:
                if pip not in fqdn_of:  # an address literal: only clients of that family
                    family = pip_version.get(pip)
                    if (family == "IPv4" and c["stack"] == "ipv6") or \
                            (family == "IPv6" and c["stack"] == "ipv4"):
                        continue
                short = {"dual": "dual", "ipv4": "v4", "ipv6": "v6"}[c["stack"]]
                cid = f"{short}-{protocol.lower()}{r.frontend_port}"
                if cid in used_ids:  # a second name or address on the same port
                    cid = re.sub(r"[^A-Za-z0-9_.\-]", "-", f"{cid}-{target.split('.')[0]}")
                n = 2
                while cid in used_ids:
                    cid = f"{short}-{protocol.lower()}{r.frontend_port}-{n}"
                    n += 1
                used_ids.add(cid)
                timeline.append({"at": f"{len(timeline) + 1}s",
                                 "connect": {"id": cid, "client": c["name"], "to": target,
                                             "port": r.frontend_port, "protocol": protocol}})
    if timeline:
        data["timeline"] = timeline
    dep.subjects = places.subjects(data)
    return data, places.locate


def dep_source(dep: Deployment) -> str:
    return dep.source


def fail_missing(dep: Deployment, vm: Vm, nic_name: str) -> ScenarioError:
    known = ", ".join(sorted(dep.nics)) or "none defined"
    return fail(dep_source(dep), f"VM '{vm.name}' refers to network interface '{nic_name}', "
                f"which this file does not define (defined: {known})", vm.origin)



def scenario_yaml(data: dict, notes: list[Note], source: str, fmt: str) -> str:
    """The imported scenario as an editable YAML file, its notes as a comment header."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _flow_small(dumper, value):
        # Short mappings of plain values on one line, like the shipped scenarios.
        flat = all(not isinstance(v, (dict, list)) for v in value.values())
        return dumper.represent_mapping("tag:yaml.org,2002:map", value,
                                        flow_style=flat and len(value) <= 8)

    _Dumper.add_representer(dict, _flow_small)
    header = [f"# Imported by lb6 from {source} ({fmt}).",
              "# The clients and the timeline below were added by lb6; addresses come from the",
              "# documentation ranges. Edit freely, then: lb6 check THIS_FILE / lb6 run THIS_FILE"]
    if notes:
        header.append("#")
        header.append("# Not modelled:")
        for n in notes:
            text = n.render(source).replace("\n", " ")
            header.append(f"#   - {text}")
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n\n" + body
