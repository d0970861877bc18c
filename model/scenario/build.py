"""Turn a validated `ScenarioSpec` into a `Topology`, checking every cross-reference.

Each problem carries the path of the field at fault, so the loader can add file and line.
Addresses left out are assigned deterministically from documentation ranges (RFC 5737,
RFC 3849) and the VNet's own prefixes, the way Azure assigns Dynamic addresses.
"""

from __future__ import annotations

import ipaddress
from collections import Counter

from ..net.addressing import IPv4, IPv6, AddressError, parse_address, parse_network
from ..errors import BuildError, Path, Problem, format_path
from ..deployment.nodes import (
    BackendPool, Client, DnsName, DnsRecord, Frontend, Host, InboundNatRule, IpConfig, LbRule,
    LoadBalancer, Nic, Nsg, NsgRule, PoolMember, Probe, PublicIp, Service, Subnet, VNet, Vm,
)
from ..behaviours.nsg import default_rules, parse_port_range
from .schema import ScenarioSpec
from ..deployment.topology import Topology

PUBLIC_V4 = ipaddress.ip_network("203.0.113.0/24")      # RFC 5737 TEST-NET-3
PUBLIC_V6 = ipaddress.ip_network("2001:db8:1::/64")     # RFC 3849 documentation
PRIVATE_V6 = ipaddress.ip_network("fd00:10::/64")       # a ULA prefix for the VMs' IPv6
CLIENT_V4 = ipaddress.ip_network("198.51.100.0/24")     # RFC 5737 TEST-NET-2
CLIENT_V6 = ipaddress.ip_network("2001:db8:c::/64")


class _Builder:
    def __init__(self, spec: ScenarioSpec):
        self.spec = spec
        self.problems: list[Problem] = []
        self.used: dict[str, Path] = {}
        self.reserved = _explicit_addresses(spec)
        # (network, start) -> the first offset not yet found taken. `used` only grows, so an
        # offset once found taken stays taken: the next search resumes there instead of
        # rescanning from `start` (300 VMs made that 90,000 address-to-text conversions).
        self.next_free: dict[tuple, int] = {}

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(Problem(message, path))

    # ---- helpers ------------------------------------------------------------------------

    def unique_names(self, items, path: Path, what: str) -> None:
        """Point at each repeat (not the first use), naming where the name was first given."""
        first: dict[str, int] = {}
        for idx, item in enumerate(items):
            if item.name in first:
                self.problem(path + (idx, "name"),
                             f"duplicate {what} name '{item.name}' (first given at "
                             f"{format_path(path + (first[item.name],))})")
            else:
                first[item.name] = idx

    def ref(self, value, known: dict, path: Path, what: str) -> bool:
        if value in known:
            return True
        names = ", ".join(sorted(known)) or "none defined"
        self.problem(path, f"no {what} named '{value}'; known: {names}")
        return False

    def address(self, text: str, family: str | None, path: Path) -> str | None:
        try:
            value = parse_address(text, family)
        except AddressError as exc:
            self.problem(path, str(exc))
            return None
        if value in self.used:
            self.problem(path, f"address {value} is already used at {format_path(self.used[value])}")
            return None
        self.used[value] = path
        return value

    def allocate(self, network, start: int) -> str:
        key = (network, start)
        for offset in range(self.next_free.get(key, start), min(network.num_addresses, 1 << 20)):
            candidate = str(network.network_address + offset)
            # Skip addresses the file gives explicitly further down: those win (Azure's
            # Dynamic allocation never takes an address that is already claimed).
            if candidate not in self.used and candidate not in self.reserved:
                self.used[candidate] = ("(assigned)",)
                self.next_free[key] = offset + 1
                return candidate
        raise BuildError([Problem(f"no free address left in {network}")])

    # ---- sections -----------------------------------------------------------------------

    def vnet(self) -> VNet:
        spec = self.spec.vnet
        spaces = []
        for i, text in enumerate(spec.address_space):
            try:
                net = parse_network(text)
            except AddressError as exc:
                self.problem(("vnet", "address_space", i), str(exc))
                continue
            if net.version != 4:
                self.problem(("vnet", "address_space", i),
                             "the VNet is IPv4-only in the Basic IPv6 model (fact 159)")
            spaces.append(str(net))
        self.unique_names(spec.subnets, ("vnet", "subnets"), "subnet")
        subnets = []
        for i, s in enumerate(spec.subnets):
            path = ("vnet", "subnets", i)
            try:
                net = parse_network(s.prefix)
            except AddressError as exc:
                self.problem(path + ("prefix",), str(exc))
                continue
            if not any(net.version == parse_network(a).version and net.subnet_of(parse_network(a))
                       for a in spaces):
                self.problem(path + ("prefix",),
                             f"subnet {net} is outside the VNet address space {', '.join(spaces)}")
            subnets.append(Subnet(s.name, str(net), s.nsg))
        if not subnets and spaces:
            first = parse_network(spaces[0])
            prefix = first if first.prefixlen >= 24 else next(first.subnets(new_prefix=24))
            subnets.append(Subnet("default", str(prefix), None))
        return VNet(spec.name, tuple(spaces), tuple(subnets))

    def public_ips(self) -> tuple[PublicIp, ...]:
        self.unique_names(self.spec.public_ips, ("public_ips",), "public IP")
        out = []
        for i, p in enumerate(self.spec.public_ips):
            path = ("public_ips", i)
            if p.address:
                address = self.address(p.address, p.version, path + ("address",))
            else:
                address = self.allocate(PUBLIC_V4 if p.version == IPv4 else PUBLIC_V6, 10)
            out.append(PublicIp(p.name, p.version, p.allocation, address or "", p.dns_label,
                                p.reverse_fqdn, p.location))
        return tuple(out)

    def vms(self, pools: dict, nat_rules: dict, public_ips: dict, subnets: dict, nsgs: dict):
        """VMs with their NICs; also returns pool members and NAT targets found on the NICs."""
        self.unique_names(self.spec.vms, ("vms",), "VM")
        members: dict[str, list[PoolMember]] = {name: [] for name in pools}
        nat_targets: dict[str, PoolMember] = {}
        nic_names: dict[str, Path] = {}
        out = []
        for vi, v in enumerate(self.spec.vms):
            nics = []
            for ni, n in enumerate(v.nics):
                npath = ("vms", vi, "nics", ni)
                if n.name in nic_names:
                    self.problem(npath + ("name",), f"duplicate NIC name '{n.name}'")
                nic_names[n.name] = npath
                if n.nsg is not None:
                    self.ref(n.nsg, nsgs, npath + ("nsg",), "NSG")
                self.unique_names(n.ip_configs, npath + ("ip_configs",), "IP configuration")
                configs = []
                for ci, c in enumerate(n.ip_configs):
                    cpath = npath + ("ip_configs", ci)
                    configs.append(self.ip_config(v.name, n.name, c, cpath, members, nat_targets,
                                                  pools, nat_rules, public_ips, subnets))
                primary = n.primary if n.primary is not None else ni == 0
                nics.append(Nic(n.name, primary, n.nsg, tuple(configs)))
            if sum(1 for n in nics if n.primary) > 1:
                self.problem(("vms", vi, "nics"), "more than one NIC is marked primary")
            services = tuple(Service(s.protocol, s.port, s.http_status) for s in v.services)
            seen = Counter((s.protocol, s.port) for s in services)
            for si, s in enumerate(services):
                if seen[(s.protocol, s.port)] > 1:
                    self.problem(("vms", vi, "services", si),
                                 f"two services listen on {s.protocol} {s.port}")
                    seen[(s.protocol, s.port)] = 0
            out.append(Vm(v.name, v.os, v.dhcpv6, v.availability_set, v.scale_set,
                          v.cloud_service, v.ipv6_added_after_creation, tuple(nics), services))
        return tuple(out), members, nat_targets

    def ip_config(self, vm, nic, c, path, members, nat_targets, pools, nat_rules, public_ips,
                  subnets) -> IpConfig:
        subnet = c.subnet
        if c.version == IPv6 and subnet is not None:
            self.problem(path + ("subnet",),
                         "an IPv6 IP configuration has no subnet in the Basic IPv6 model (fact 159)")
        if c.version == IPv4:
            if subnet is None:
                subnet = next(iter(subnets))
            elif not self.ref(subnet, subnets, path + ("subnet",), "subnet"):
                subnet = None
        if c.address:
            address = self.address(c.address, c.version, path + ("address",))
            if address and c.version == IPv4 and subnet:
                net = parse_network(subnets[subnet].prefix)
                if ipaddress.ip_address(address) not in net:
                    self.problem(path + ("address",), f"{address} is outside subnet {subnet} ({net})")
        elif c.version == IPv4:
            address = self.allocate(parse_network(subnets[subnet].prefix), 4) if subnet else None
        else:
            address = self.allocate(PRIVATE_V6, 4)
        if c.public_ip is not None:
            self.ref(c.public_ip, public_ips, path + ("public_ip",), "public IP")
        member = PoolMember(vm, nic, c.name, address or "", c.version)
        for pi, pool in enumerate(c.backend_pools):
            if self.ref(pool, pools, path + ("backend_pools", pi), "backend pool"):
                members[pool].append(member)
        for ri, rule in enumerate(c.inbound_nat_rules):
            if not self.ref(rule, nat_rules, path + ("inbound_nat_rules", ri), "inbound NAT rule"):
                continue
            if rule in nat_targets:
                self.problem(path + ("inbound_nat_rules", ri),
                             f"inbound NAT rule '{rule}' already targets {nat_targets[rule].vm}; "
                             "a NAT rule forwards to one IP configuration (fact 54)")
            nat_targets[rule] = member
        return IpConfig(c.name, c.version, address or "", subnet, c.public_ip,
                        tuple(c.backend_pools), tuple(c.inbound_nat_rules))

    def load_balancer(self, public_ips: dict, members, nat_targets) -> LoadBalancer:
        spec = self.spec.load_balancer
        base = ("load_balancer",)
        for key, what in (("frontends", "frontend"), ("backend_pools", "backend pool"),
                          ("probes", "probe"), ("rules", "rule"),
                          ("inbound_nat_rules", "inbound NAT rule")):
            self.unique_names(getattr(spec, key), base + (key,), what)
        frontends = []
        for i, f in enumerate(spec.frontends):
            if self.ref(f.public_ip, public_ips, base + ("frontends", i, "public_ip"), "public IP"):
                pip = public_ips[f.public_ip]
                frontends.append(Frontend(f.name, pip.name, pip.address, pip.version))
        fe = {f.name: f for f in frontends}
        known_fe = {f.name: f for f in spec.frontends}
        pools = tuple(BackendPool(p.name, tuple(members.get(p.name, ()))) for p in spec.backend_pools)
        probes = tuple(Probe(p.name, p.protocol, p.port, p.interval_s, p.number_of_probes,
                             p.request_path) for p in spec.probes)
        probe_names = {p.name: p for p in probes}
        pool_names = {p.name: p for p in pools}
        rules = []
        for i, r in enumerate(spec.rules):
            path = base + ("rules", i)
            self.ref(r.frontend, known_fe, path + ("frontend",), "frontend")
            self.ref(r.backend_pool, pool_names, path + ("backend_pool",), "backend pool")
            if r.probe is not None:
                self.ref(r.probe, probe_names, path + ("probe",), "probe")
            if r.frontend in fe and r.backend_pool in pool_names:
                family = fe[r.frontend].family
                wrong = [m for m in pool_names[r.backend_pool].members if m.family != family]
                if wrong:
                    self.problem(path + ("backend_pool",),
                                 f"rule on {family} frontend '{r.frontend}' uses pool "
                                 f"'{r.backend_pool}', which holds {wrong[0].family} configuration "
                                 f"{wrong[0].vm}/{wrong[0].nic}/{wrong[0].ip_config}; "
                                 "no NAT64 between families (fact 24)")
            rules.append(LbRule(r.name, r.frontend, r.backend_pool, r.protocol, r.frontend_port,
                                r.backend_port, r.probe, r.idle_timeout_min, r.load_distribution,
                                r.floating_ip))
        nat_rules = []
        for i, r in enumerate(spec.inbound_nat_rules):
            path = base + ("inbound_nat_rules", i)
            self.ref(r.frontend, known_fe, path + ("frontend",), "frontend")
            target = nat_targets.get(r.name)
            if target and r.frontend in fe and target.family != fe[r.frontend].family:
                self.problem(path + ("frontend",),
                             f"NAT rule on {fe[r.frontend].family} frontend targets a "
                             f"{target.family} configuration; no NAT64 (fact 24)")
            nat_rules.append(InboundNatRule(r.name, r.frontend, r.protocol, r.frontend_port,
                                            r.backend_port, target, r.idle_timeout_min,
                                            r.floating_ip))
        # Fact 51/53: one (frontend, protocol, port) may be claimed by only one rule.
        claims: dict = {}
        for key, items in (("rules", spec.rules), ("inbound_nat_rules", spec.inbound_nat_rules)):
            for i, r in enumerate(items):
                k = (r.frontend, r.protocol, r.frontend_port)
                if k in claims:
                    self.problem(base + (key, i, "frontend_port"),
                                 f"{r.frontend} {r.protocol} {r.frontend_port} is already used by "
                                 f"rule '{claims[k]}'; a frontend is IP + protocol + port (fact 51)")
                claims[k] = r.name
        return LoadBalancer(spec.name, spec.sku, tuple(frontends), pools, probes, tuple(rules),
                            tuple(nat_rules))

    def nsgs(self) -> tuple[Nsg, ...]:
        self.unique_names(self.spec.nsgs, ("nsgs",), "NSG")
        out = []
        for i, n in enumerate(self.spec.nsgs):
            self.unique_names(n.rules, ("nsgs", i, "rules"), "NSG rule")
            seen: dict = {}
            rules = []
            for ri, r in enumerate(n.rules):
                path = ("nsgs", i, "rules", ri)
                if (r.direction, r.priority) in seen:
                    self.problem(path + ("priority",),
                                 f"priority {r.priority} is already used by {seen[(r.direction, r.priority)]}")
                seen[(r.direction, r.priority)] = r.name
                for field in ("source", "destination"):
                    self._check_nsg_prefix(getattr(r, field), path + (field,))
                for field in ("source_port", "destination_port"):
                    self._check_port_range(getattr(r, field), path + (field,))
                rules.append(NsgRule(r.name, r.priority, r.direction, r.access, r.protocol,
                                     r.source, r.source_port, r.destination, r.destination_port))
            out.append(Nsg(n.name, tuple(rules) + default_rules()))
        return tuple(out)

    def _check_nsg_prefix(self, text: str, path: Path) -> None:
        if text in ("*", "Internet", "VirtualNetwork", "AzureLoadBalancer"):
            return
        try:
            parse_network(text)
        except AddressError:
            self.problem(path, f"'{text}' is not a prefix or one of *, Internet, VirtualNetwork, "
                               "AzureLoadBalancer")

    def _check_port_range(self, text: str, path: Path) -> None:
        try:
            parse_port_range(text)
        except ValueError as exc:
            self.problem(path, str(exc))

    def dns(self, public_ips: dict, frontends: dict) -> tuple[DnsName, ...]:
        if self.spec.dns is None:
            return self._dns_from_labels(public_ips, frontends)
        out = []
        names = Counter(d.name.lower() for d in self.spec.dns)
        by_address = {f.address: f.name for f in frontends.values()}
        for i, d in enumerate(self.spec.dns):
            if names[d.name.lower()] > 1:
                self.problem(("dns", i, "name"), f"duplicate DNS name '{d.name}'")
                names[d.name.lower()] = 0
            records = {}
            for key, family in (("a", IPv4), ("aaaa", IPv6)):
                recs = []
                for ri, text in enumerate(getattr(d, key)):
                    path = ("dns", i, key, ri)
                    if text in frontends:
                        f = frontends[text]
                        if f.family != family:
                            self.problem(path, f"frontend '{text}' is {f.family}; an "
                                               f"{key.upper()} record needs an {family} frontend")
                            continue
                        recs.append(DnsRecord(f.address, f.name))
                        continue
                    try:
                        addr = parse_address(text, family)
                    except AddressError as exc:
                        known = ", ".join(sorted(frontends)) or "none defined"
                        self.problem(path, f"'{text}' is neither a frontend (known: {known}) nor "
                                           f"an {family} address ({exc})")
                        continue
                    recs.append(DnsRecord(addr, by_address.get(addr)))
                records[key] = tuple(recs)
            out.append(DnsName(d.name.lower(), records["a"], records["aaaa"], d.aaaa_delay_ms))
        return tuple(out)

    def _dns_from_labels(self, public_ips: dict, frontends: dict) -> tuple[DnsName, ...]:
        # Facts 33-36: a shared label gives one name with A and AAAA; two labels give two names.
        names: dict[str, dict] = {}
        for f in sorted(frontends.values(), key=lambda f: f.name):
            pip = public_ips.get(f.public_ip)
            if pip is None or not pip.fqdn:
                continue
            entry = names.setdefault(pip.fqdn, {"a": [], "aaaa": []})
            entry["a" if f.family == IPv4 else "aaaa"].append(DnsRecord(f.address, f.name))
        return tuple(DnsName(n, tuple(v["a"]), tuple(v["aaaa"])) for n, v in sorted(names.items()))

    def clients(self) -> tuple[Client, ...]:
        self.unique_names(self.spec.clients, ("clients",), "client")
        out = []
        for i, c in enumerate(self.spec.clients):
            path = ("clients", i)
            wants = {"ipv4": (IPv4,), "ipv6": (IPv6,), "dual": (IPv4, IPv6)}[c.stack]
            addrs = {}
            for family, key, pool in ((IPv4, "ipv4", CLIENT_V4), (IPv6, "ipv6", CLIENT_V6)):
                given = getattr(c, key)
                if family not in wants:
                    if given:
                        self.problem(path + (key,), f"a {c.stack}-only client has no {family} address")
                    continue
                addrs[key] = (self.address(given, family, path + (key,)) if given
                              else self.allocate(pool, 10))
                if addrs[key] and not ipaddress.ip_address(addrs[key]).is_global \
                        and not _is_documentation(addrs[key]):
                    self.problem(path + (key,), f"{addrs[key]} is not a public address; "
                                                "clients sit on the Internet")
            out.append(Client(c.name, c.stack, addrs.get("ipv4"), addrs.get("ipv6"),
                              c.resolution_delay_ms, c.connection_attempt_delay_ms,
                              c.connect_timeout_ms, c.latency_ms))
        return tuple(out)

    def hosts(self) -> tuple[Host, ...]:
        self.unique_names(self.spec.hosts, ("hosts",), "host")
        out = []
        for i, h in enumerate(self.spec.hosts):
            addrs = []
            for ai, text in enumerate(h.addresses):
                a = self.address(text, None, ("hosts", i, "addresses", ai))
                if a:
                    addrs.append(a)
            services = tuple(Service(s.protocol, s.port, s.http_status) for s in h.services)
            out.append(Host(h.name, h.kind, tuple(addrs), services))
        return tuple(out)

    def build(self) -> Topology:
        vnet = self.vnet()
        subnets = {s.name: s for s in vnet.subnets}
        for i, s in enumerate(self.spec.vnet.subnets):
            if s.nsg is not None:
                self.ref(s.nsg, {n.name: n for n in self.spec.nsgs}, ("vnet", "subnets", i, "nsg"),
                         "NSG")
        public_ips = {p.name: p for p in self.public_ips()}
        pools = {p.name: p for p in self.spec.load_balancer.backend_pools}
        nat_rules = {r.name: r for r in self.spec.load_balancer.inbound_nat_rules}
        nsgs = self.nsgs()
        vms, members, nat_targets = self.vms(pools, nat_rules, public_ips, subnets,
                                             {n.name: n for n in nsgs})
        lb = self.load_balancer(public_ips, members, nat_targets)
        frontends = {f.name: f for f in lb.frontends}
        dns = self.dns(public_ips, frontends)
        clients = self.clients()
        hosts = self.hosts()
        if self.problems:
            raise BuildError(self.problems)
        return Topology(vnet, tuple(public_ips.values()), lb, vms, nsgs, dns, clients, hosts,
                        self.spec.deployment)


def _explicit_addresses(spec: ScenarioSpec) -> frozenset[str]:
    """Every address the file spells out, canonical; unreadable ones are reported later."""
    texts = [p.address for p in spec.public_ips]
    texts += [c.address for v in spec.vms for n in v.nics for c in n.ip_configs]
    texts += [a for c in spec.clients for a in (c.ipv4, c.ipv6)]
    texts += [a for h in spec.hosts for a in h.addresses]
    out = set()
    for text in texts:
        if text:
            try:
                out.add(parse_address(text))
            except AddressError:
                pass
    return frozenset(out)


def _is_documentation(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    docs = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
    return any(ip in ipaddress.ip_network(d) for d in docs if ipaddress.ip_network(d).version == ip.version)


def build_topology(spec: ScenarioSpec) -> Topology:
    """Build the topology or raise BuildError listing every problem with its field path."""
    return _Builder(spec).build()
