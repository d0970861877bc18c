"""`Topology`: the deployment as a graph, plus the look-ups the engine needs on its hot path.

Wraps a private networkx DiGraph (as mininet wraps its graph rather than subclassing it): node id
is `kind:name`, each node carries one typed object under the `obj` key and a `role` used by the
explorer's layout. Look-up tables (address owner, rule by frontend/protocol/port) are built once
so that per-packet work does not grow with the size of the deployment.

The graph is built on first use: nothing on the load, check or replay path asks for it, and
importing networkx alone costs about a fifth of a second, which `lb6 check` and the explorer's
start-up should not pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, TypeVar

from lb6.model.net.addressing import IPv4, IPv6, parse_network, in_network
if TYPE_CHECKING:
    import networkx as nx

from lb6.model.deployment.nodes import (
    BackendPool,
    Client,
    DnsName,
    Frontend,
    Host,
    InboundNatRule,
    LbRule,
    LoadBalancer,
    Nsg,
    Nic,
    IpConfig,
    Probe,
    PublicIp,
    Subnet,
    VNet,
    Vm,
)

T = TypeVar("T")

# Column order of the explorer's map, left to right.
ROLES = ("client", "dns", "frontend", "rule", "pool", "vm", "host")


def node_id(kind: str, name: str) -> str:
    return f"{kind}:{name}"


@dataclass(frozen=True, slots=True)
class Owner:
    """Who holds an address: a frontend, a VM's IP configuration, a host or a client."""

    kind: str  # frontend | vm | host | client
    name: str
    nic: str | None = None
    ip_config: str | None = None


@dataclass(eq=False)  # identity, as before: the graph it held never compared equal
class Topology:
    vnet: VNet
    public_ips: tuple[PublicIp, ...]
    load_balancer: LoadBalancer
    vms: tuple[Vm, ...]
    nsgs: tuple[Nsg, ...]
    dns: tuple[DnsName, ...]
    clients: tuple[Client, ...]
    hosts: tuple[Host, ...]
    deployment: str = "template"

    def __post_init__(self) -> None:
        self._index()
        self._built: nx.DiGraph | None = None

    @property
    def _graph(self) -> nx.DiGraph:
        if self._built is None:
            import networkx as nx
            self._built = nx.DiGraph()
            self._build_graph()
        return self._built

    def __deepcopy__(self, memo):
        return self  # replaced, never changed in place: engine checkpoints share it

    # ---- look-ups -------------------------------------------------------------------------

    def _index(self) -> None:
        lb = self.load_balancer
        self.frontends = {f.name: f for f in lb.frontends}
        self.pools = {p.name: p for p in lb.backend_pools}
        self.probes = {p.name: p for p in lb.probes}
        self.rules = {r.name: r for r in lb.rules}
        self.nat_rules = {r.name: r for r in lb.inbound_nat_rules}
        self.vm_by_name = {v.name: v for v in self.vms}
        self.nsg_by_name = {n.name: n for n in self.nsgs}
        self.client_by_name = {c.name: c for c in self.clients}
        self.host_by_name = {h.name: h for h in self.hosts}
        self.dns_by_name = {d.name.lower(): d for d in self.dns}
        self.public_ip_by_name = {p.name: p for p in self.public_ips}
        self.subnet_by_name = {s.name: s for s in self.vnet.subnets}
        self._vnet_networks = tuple(parse_network(p) for p in self.vnet.address_space)

        self.owners: dict[str, Owner] = {}
        for f in lb.frontends:
            self.owners[f.address] = Owner("frontend", f.name)
        for vm in self.vms:
            for nic, cfg in vm.ip_configs():
                self.owners[cfg.address] = Owner("vm", vm.name, nic.name, cfg.name)
        for h in self.hosts:
            for a in h.addresses:
                self.owners[a] = Owner("host", h.name)
        for c in self.clients:
            for a in (c.ipv4, c.ipv6):
                if a:
                    self.owners[a] = Owner("client", c.name)

        # (frontend name, protocol, port) -> rule; fact 51: a frontend is IP + protocol + port.
        self.rule_index: dict[tuple[str, str, int], LbRule | InboundNatRule] = {}
        for r in lb.rules:
            self.rule_index[(r.frontend, r.protocol, r.frontend_port)] = r
        for r in lb.inbound_nat_rules:
            self.rule_index.setdefault((r.frontend, r.protocol, r.frontend_port), r)

        # VM name -> probes that decide its rotation (through the rules of pools it sits in).
        self.pools_of_vm: dict[str, set[str]] = {}
        for pool in lb.backend_pools:
            for m in pool.members:
                self.pools_of_vm.setdefault(m.vm, set()).add(pool.name)

    def frontend_at(self, address: str) -> Frontend | None:
        owner = self.owners.get(address)
        return self.frontends[owner.name] if owner and owner.kind == "frontend" else None

    def rule_for(self, frontend: str, protocol: str, port: int):
        return self.rule_index.get((frontend, protocol, port))

    def rules_using_pool(self, pool: str) -> list[LbRule]:
        return [r for r in self.load_balancer.rules if r.backend_pool == pool]

    def probe_targets(self) -> list[tuple[Probe, Vm]]:
        """Every (probe, VM) pair the platform probes: VMs in pools of rules with that probe."""
        pairs: dict[tuple[str, str], tuple[Probe, Vm]] = {}
        for rule in self.load_balancer.rules:
            if not rule.probe or rule.probe not in self.probes:
                continue
            for m in self.pools[rule.backend_pool].members:
                pairs[(rule.probe, m.vm)] = (self.probes[rule.probe], self.vm_by_name[m.vm])
        return [pairs[k] for k in sorted(pairs)]

    def nic_of(self, vm: str, nic: str) -> Nic:
        return next(n for n in self.vm_by_name[vm].nics if n.name == nic)

    def ip_config(self, vm: str, nic: str, name: str) -> IpConfig:
        return next(c for c in self.nic_of(vm, nic).ip_configs if c.name == name)

    def in_vnet(self, address: str) -> bool:
        return any(in_network(address, n) for n in self._vnet_networks)

    def subnet_of(self, vm: str) -> Subnet | None:
        """The subnet of the VM's primary IPv4 configuration (IPv6 configs have none, fact 159)."""
        for nic, cfg in self.vm_by_name[vm].ip_configs():
            if cfg.subnet and cfg.subnet in self.subnet_by_name:
                return self.subnet_by_name[cfg.subnet]
        return None

    def nsgs_for(self, vm: str, nic: str) -> list[Nsg]:
        """NSGs on the path to a NIC, inbound order: subnet first, then the NIC (fact 135)."""
        found = []
        subnet = self.subnet_of(vm)
        if subnet and subnet.nsg in self.nsg_by_name:
            found.append(self.nsg_by_name[subnet.nsg])
        nic_obj = self.nic_of(vm, nic)
        if nic_obj.nsg in self.nsg_by_name:
            found.append(self.nsg_by_name[nic_obj.nsg])
        return found

    def frontend_family(self, rule) -> str:
        return self.frontends[rule.frontend].family

    def is_ipv6_rule(self, rule) -> bool:
        return self.frontend_family(rule) == IPv6

    def pool_size(self, vm: str) -> int:
        """Members of the largest pool the VM sits in: picks the SNAT preallocation tier."""
        sizes = [len({m.vm for m in self.pools[p].members}) for p in self.pools_of_vm.get(vm, ())]
        return max(sizes, default=1)

    # ---- the graph ------------------------------------------------------------------------

    def _add(self, kind: str, name: str, obj, role: str) -> str:
        nid = node_id(kind, name)
        self._built.add_node(nid, obj=obj, role=role, kind=kind, name=name)
        return nid

    def _build_graph(self) -> None:
        g = self._built
        lb = self.load_balancer
        self._add("lb", lb.name, lb, "frontend")
        for c in self.clients:
            self._add("client", c.name, c, "client")
        for d in self.dns:
            nid = self._add("dns", d.name, d, "dns")
            for rec in d.a + d.aaaa:
                if rec.target:
                    g.add_edge(nid, node_id("frontend", rec.target), label="answers")
        for f in lb.frontends:
            self._add("frontend", f.name, f, "frontend")
        for p in lb.backend_pools:
            self._add("pool", p.name, p, "pool")
        for p in lb.probes:
            self._add("probe", p.name, p, "rule")
        for r in lb.rules:
            nid = self._add("rule", r.name, r, "rule")
            g.add_edge(node_id("frontend", r.frontend), nid, label="matches")
            g.add_edge(nid, node_id("pool", r.backend_pool), label="forwards")
            if r.probe:
                g.add_edge(node_id("probe", r.probe), nid, label="governs")
        for r in lb.inbound_nat_rules:
            nid = self._add("natrule", r.name, r, "rule")
            g.add_edge(node_id("frontend", r.frontend), nid, label="matches")
            if r.target:
                g.add_edge(nid, node_id("vm", r.target.vm), label="forwards")
        for vm in self.vms:
            self._add("vm", vm.name, vm, "vm")
        for p in lb.backend_pools:
            for m in p.members:
                g.add_edge(node_id("pool", p.name), node_id("vm", m.vm), label=m.family)
        for h in self.hosts:
            self._add("host", h.name, h, "host")
        for n in self.nsgs:
            self._add("nsg", n.name, n, "vm")
        for c in self.clients:
            for d in self.dns:
                g.add_edge(node_id("client", c.name), node_id("dns", d.name), label="asks")

    def node(self, nid: str):
        return self._graph.nodes[nid]["obj"]

    def has_node(self, nid: str) -> bool:
        return nid in self._graph

    def role(self, nid: str) -> str:
        return self._graph.nodes[nid]["role"]

    def node_ids(self, role: str | None = None) -> list[str]:
        return [n for n, d in self._graph.nodes(data=True) if role is None or d["role"] == role]

    def nodes_of(self, cls: type[T]) -> Iterator[T]:
        for _, data in self._graph.nodes(data=True):
            if isinstance(data["obj"], cls):
                yield data["obj"]

    def edges(self) -> list[tuple[str, str, str]]:
        return [(a, b, d.get("label", "")) for a, b, d in self._graph.edges(data=True)]

    def path(self, source: str, target: str) -> list[str]:
        import networkx as nx
        try:
            return nx.shortest_path(self._graph, source, target)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return []


def families_of(vm: Vm) -> tuple[str, ...]:
    return tuple(f for f in (IPv4, IPv6) if vm.address(f))
