"""The mapping from an imported `Deployment` to scenario data, and back to the input's places.

`to_scenario` writes the scenario the loader validates, section by section in the order the
scenario format lists them (VNet, public IPs, load balancer, VMs, NSGs, then the clients and
timeline lb6 adds). While it writes, it records which input object each scenario path came
from, so that a problem the validator finds at `load_balancer.rules[0].frontend_port` is
reported at the template line (or script option) the value was read from.
"""

from __future__ import annotations

import re
from typing import Callable

from ..errors import Path, Problem, ScenarioError, format_path
from .names import declared_spellings
from .resources import Deployment, Origin, Rule, Vm, fail
# The documentation ranges (RFC 5737 TEST-NET-3, RFC 3849) the scenario builder assigns from;
# here addresses are assigned in file order, so that the default timeline can name a
# frontend's address.
from ..scenario.build import PUBLIC_V4, PUBLIC_V6

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

# Clients added to every imported deployment (a template or script has no Internet clients).
DEFAULT_CLIENTS = (
    {"name": "dual-client", "stack": "dual"},
    {"name": "ipv4-client", "stack": "ipv4"},
    {"name": "ipv6-client", "stack": "ipv6"},
)

SUMMARY = ("Imported by lb6. The clients and timeline were added by lb6: each client "
           "connects to each load-balancing rule's frontend port.")


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


def _service_protocol(protocol: str) -> str:
    """The protocol a VM listens with for a rule: a rule of protocol All listens on TCP."""
    return protocol if protocol in ("Tcp", "Udp") else "Tcp"


class _Mapping:
    """One deployment being written as scenario data: its places and the names it changed."""

    def __init__(self, dep: Deployment):
        self.dep = dep
        self.places = _Places()
        self.renamed: dict = {}
        self.fqdn_of: dict[str, str] = {}      # public IP name → its DNS name, if labelled
        self.address_of: dict[str, str] = {}   # public IP name → its address

    def name(self, text, what: str, origin: Origin) -> str | None:
        """A scenario name for an Azure name (letters, digits, _ . -), noting any change."""
        if text is None:
            return None
        if NAME_RE.match(text or "") and len(text) <= 80:
            return text
        clean = re.sub(r"[^A-Za-z0-9_.\-]", "-", text or "unnamed").lstrip("_.-")[:80] or "unnamed"
        key = (what, text)
        if key not in self.renamed:
            self.renamed[key] = clean
            self.dep.note(f"{what} name '{text}' is written as '{clean}' (lb6 names use letters, "
                          "digits, _ . -)", origin)
        return clean

    def vnet(self, data: dict) -> None:
        if self.dep.vnet is None:
            return
        nm, v = self.name, self.dep.vnet
        vnet: dict = {"name": nm(v.name, "VNet", v.origin)}
        if v.address_space:
            vnet["address_space"] = list(v.address_space)
        subnets = []
        for s in v.subnets:
            if s.prefix is None:
                self.dep.note(f"subnet '{s.name}' has no IPv4 address prefix; not modelled",
                              s.origin)
                continue
            entry = {"name": nm(s.name, "subnet", s.origin), "prefix": s.prefix}
            if s.nsg:
                entry["nsg"] = nm(s.nsg, "NSG", s.origin)
            self.places.add(("vnet", "subnets", len(subnets)), s.origin)
            subnets.append(entry)
        if subnets:
            vnet["subnets"] = subnets
        self.places.add(("vnet",), v.origin)
        data["vnet"] = vnet

    def public_ips(self, data: dict) -> None:
        """Public IPs, with addresses assigned in file order from the documentation ranges."""
        next_host = {"IPv4": 10, "IPv6": 16}
        pips = []
        taken = {p.address for p in self.dep.public_ips.values() if p.address}
        for p in self.dep.public_ips.values():
            entry = {"name": self.name(p.name, "public IP", p.origin), "version": p.version,
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
                self.address_of[p.name] = address
            if p.dns_label:
                entry["dns_label"] = p.dns_label
                self.fqdn_of[p.name] = f"{str(p.dns_label).lower()}.{p.location}.cloudapp.azure.com"
            if p.reverse_fqdn:
                entry["reverse_fqdn"] = p.reverse_fqdn
            entry["location"] = p.location
            self.places.add(("public_ips", len(pips)), p.origin)
            pips.append(entry)
        if pips:
            data["public_ips"] = pips

    def load_balancer(self, data: dict) -> None:
        lb = self.dep.load_balancer
        if lb is None:
            return
        nm, add = self.name, self.places.add
        base = ("load_balancer",)
        add(base, lb.origin)
        out: dict = {"name": nm(lb.name, "load balancer", lb.origin)}
        fes = []
        for f in lb.frontends:
            add(base + ("frontends", len(fes)), f.origin)
            fes.append({"name": nm(f.name, "frontend", f.origin),
                        "public_ip": nm(f.public_ip, "public IP", f.origin)})
        out["frontends"] = fes
        out["backend_pools"] = []
        for p in lb.pools:
            add(base + ("backend_pools", len(out["backend_pools"])), p.origin)
            out["backend_pools"].append({"name": nm(p.name, "backend pool", p.origin)})
        out["probes"] = []
        for p in lb.probes:
            entry = {"name": nm(p.name, "probe", p.origin), "protocol": p.protocol,
                     "port": p.port, "interval_s": p.interval_s,
                     "number_of_probes": p.number_of_probes}
            if p.request_path is not None:
                entry["request_path"] = p.request_path
            add(base + ("probes", len(out["probes"])), p.origin)
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
            add(base + ("rules", len(out["rules"])), r.origin)
            out["rules"].append(entry)
        out["inbound_nat_rules"] = []
        for r in lb.nat_rules:
            entry = {"name": nm(r.name, "inbound NAT rule", r.origin),
                     "frontend": nm(r.frontend, "frontend", r.origin), "protocol": r.protocol,
                     "frontend_port": r.frontend_port, "backend_port": r.backend_port,
                     "idle_timeout_min": r.idle_timeout_min, "floating_ip": r.floating_ip}
            add(base + ("inbound_nat_rules", len(out["inbound_nat_rules"])), r.origin)
            out["inbound_nat_rules"].append(entry)
        for key in ("backend_pools", "probes", "rules", "inbound_nat_rules"):
            if not out[key]:
                del out[key]
        data["load_balancer"] = out

    def vms(self, data: dict) -> None:
        """VMs: a NIC that no VM holds gets a VM of its own, so its limits are still checked."""
        dep, lb, nm = self.dep, self.dep.load_balancer, self.name
        held = {n for vm in dep.vms.values() for n, _ in vm.nics}
        vms = list(dep.vms.values())
        for nic in dep.nics.values():
            if nic.name not in held:
                vm_name = f"{nic.name}-vm"
                dep.note(f"NIC '{nic.name}' is attached to no VM in this file; lb6 gives it a VM "
                         f"of its own, '{vm_name}'", nic.origin)
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
            self.places.add(vpath, vm.origin)
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
                    raise _missing_nic(dep, vm, nic_name)
                npath = vpath + ("nics", len(nics))
                self.places.add(npath, nic.origin)
                nic_entry: dict = {"name": nm(nic.name, "NIC", nic.origin)}
                if any(f is not None for f in flags):
                    nic_entry["primary"] = bool(primary)
                if nic.nsg:
                    nic_entry["nsg"] = nm(nic.nsg, "NSG", nic.origin)
                configs = []
                for c in nic.ip_configs:
                    self.places.add(npath + ("ip_configs", len(configs)), c.origin)
                    configs.append(self._ip_config(c))
                    for pool in c.pools:
                        for r in pool_rules.get(pool, []):
                            if isinstance(r.backend_port, int) and r.backend_port > 0:
                                listen.add((_service_protocol(r.protocol), r.backend_port))
                            probe = probe_by_name.get(r.probe or "")
                            if probe and isinstance(probe.port, int):
                                listen.add(("Tcp", probe.port))
                    for rn in c.nat_rules:
                        r = nat_by_name.get(rn)
                        if r and isinstance(r.backend_port, int):
                            listen.add((_service_protocol(r.protocol), r.backend_port))
                if not configs:
                    raise fail(dep.source, f"NIC '{nic.name}' has no IP configurations; "
                               "expected at least one", nic.origin)
                nic_entry["ip_configs"] = configs
                nics.append(nic_entry)
            if not nics:
                raise fail(dep.source, f"VM '{vm.name}' has no network interface; expected at "
                           "least one NIC", vm.origin)
            entry["nics"] = nics
            if listen:
                entry["services"] = [{"protocol": p, "port": port}
                                     for p, port in sorted(listen, key=lambda s: (s[1], s[0]))
                                     if 1 <= port <= 65535]
            if vm.os == "linux" and any(c["version"] == "IPv6" for n in nics
                                        for c in n["ip_configs"]):
                linux_v6.append(vm.name)
            out_vms.append(entry)
        if out_vms:
            data["vms"] = out_vms
            dep.note("each backend VM is assumed to listen on its rules' backend ports, its NAT "
                     "rules' backend ports and its probes' ports; edit `services` in an imported "
                     "scenario to change that")
        if linux_v6:
            dep.note(f"Linux VM{'s' if len(linux_v6) > 1 else ''} {', '.join(linux_v6)}: the "
                     "guest is assumed to run DHCPv6 (most gallery images do, fact 8); set "
                     "`dhcpv6: false` to see an IPv6 address that never arrives")

    def _ip_config(self, c) -> dict:
        nm = self.name
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
            ce["inbound_nat_rules"] = [nm(r, "inbound NAT rule", c.origin) for r in c.nat_rules]
        return ce

    def nsgs(self, data: dict) -> None:
        nsgs = []
        for n in self.dep.nsgs.values():
            npath = ("nsgs", len(nsgs))
            self.places.add(npath, n.origin)
            rules = []
            for r in n.rules:
                self.places.add(npath + ("rules", len(rules)), r.origin)
                rules.append({"name": self.name(r.name, "NSG rule", r.origin), **r.values})
            entry = {"name": self.name(n.name, "NSG", n.origin)}
            if rules:
                entry["rules"] = rules
            nsgs.append(entry)
        if nsgs:
            data["nsgs"] = nsgs

    def clients_and_timeline(self, data: dict) -> None:
        """Every client to every rule's frontend port, by name when the frontend's public IP
        has a DNS label (facts 33-36), else by address."""
        data["clients"] = [dict(c) for c in DEFAULT_CLIENTS]
        timeline: list[dict] = []
        lb = self.dep.load_balancer
        if lb is not None:
            self._connections(lb, timeline)
        if timeline:
            data["timeline"] = timeline

    def _connections(self, lb, timeline: list[dict]) -> None:
        seen_targets = set()
        used_ids: set[str] = set()
        pip_version = {p.name: p.version for p in self.dep.public_ips.values()}
        fe_pip = {f.name: f.public_ip for f in lb.frontends}
        for r in lb.rules:
            pip = fe_pip.get(r.frontend or "")
            if pip is None or not isinstance(r.frontend_port, int) or r.frontend_port < 1:
                continue
            target = self.fqdn_of.get(pip) or self.address_of.get(pip)
            if target is None:
                continue
            protocol = _service_protocol(r.protocol)
            key = (target, r.frontend_port, protocol)
            if key in seen_targets:
                continue
            seen_targets.add(key)
            for c in DEFAULT_CLIENTS:
                if pip not in self.fqdn_of:  # an address literal: only clients of that family
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


def _missing_nic(dep: Deployment, vm: Vm, nic_name: str) -> ScenarioError:
    known = ", ".join(sorted(dep.nics)) or "none defined"
    return fail(dep.source, f"VM '{vm.name}' refers to network interface '{nic_name}', "
                f"which this file does not define (defined: {known})", vm.origin)


def to_scenario(dep: Deployment, title: str) -> tuple[dict, Callable[[Problem], Problem]]:
    """Scenario data for the deployment, and a function that moves a problem back to the input."""
    declared_spellings(dep)
    mapping = _Mapping(dep)
    data: dict = {"title": title, "deployment": dep.kind, "summary": SUMMARY}
    mapping.vnet(data)
    mapping.public_ips(data)
    mapping.load_balancer(data)
    mapping.vms(data)
    mapping.nsgs(data)
    mapping.clients_and_timeline(data)
    dep.subjects = mapping.places.subjects(data)
    return data, mapping.places.locate
