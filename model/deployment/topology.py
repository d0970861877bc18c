"""`Topology`: the deployment, the look-ups the engine needs on its hot path, and the graph.

Look-up tables (address owner, rule by frontend/protocol/port, the pools of a VM, the members a
rule hashes over) are built once so that per-packet work does not grow with the size of the
deployment; they stay plain dicts.

Every other question of "what is connected to what" is a query on the graph (as mininet wraps
its graph rather than subclassing it): the explorer's map columns and the objects it labels,
a VM's rotation per family, the endpoints a frontend or rule reaches, the NSGs on a VM's path.
The graph (a private networkx MultiDiGraph, model/deployment/graph.py) is built on the first
query: nothing on the load, check or replay path asks one, and importing networkx costs about a
fifth of a second, which `lb6 check` and `lb6 run` should not pay (tests/test_import_hygiene.py).
Where the engine's look-ups and the graph answer the same question (a rule's candidates, the
probe targets, a VM's NSGs and outbound frontends), tests/model/test_topology_graph.py holds the
two answers equal on every shipped scenario.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, TypeVar

from . import graph
from .graph import build_graph
from .node_ids import FRONTEND, NAT_RULE, NIC, RULE, VM, node_id, split_node_id
from .nodes import (
    Client,
    DnsName,
    Frontend,
    Host,
    InboundNatRule,
    IpConfig,
    LbRule,
    LoadBalancer,
    Nic,
    Nsg,
    PoolMember,
    Probe,
    PublicIp,
    Subnet,
    VNet,
    Vm,
)
from ..net.addressing import IPv4, IPv6, in_network, parse_network

if TYPE_CHECKING:
    import networkx as nx

T = TypeVar("T")

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
        self._built: nx.MultiDiGraph | None = None
        # Answers the explorer asks for at every step, kept: a topology never changes in place
        # (a config change makes a new one), so an answer once found stays true.
        self._kept: dict[tuple, tuple] = {}

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

        # VM name -> the pools it sits in (their rules decide its rotation and outbound SNAT).
        self.pools_of_vm: dict[str, set[str]] = {}
        for pool in lb.backend_pools:
            for m in pool.members:
                self.pools_of_vm.setdefault(m.vm, set()).add(pool.name)
        # Rule name -> the endpoints it hashes over, in the order the hash indexes them.
        self._candidates: dict[str, tuple[PoolMember, ...]] = {
            r.name: tuple(sorted(self.pools[r.backend_pool].members, key=_member_order))
            for r in lb.rules if r.backend_pool in self.pools}

    def frontend_at(self, address: str) -> Frontend | None:
        owner = self.owners.get(address)
        return self.frontends[owner.name] if owner and owner.kind == "frontend" else None

    def rule_for(self, frontend: str, protocol: str, port: int):
        return self.rule_index.get((frontend, protocol, port))

    def candidates(self, rule: str) -> tuple[PoolMember, ...]:
        """The endpoints a load-balancing rule hashes over: its pool's members sorted by VM,
        NIC and IP configuration (the backend choice indexes this order, facts 41-43)."""
        return self._candidates.get(rule, ())

    def outbound_frontends(self, vm: str, family: str) -> list[str]:
        """Frontends of `family` on rules whose pool holds the VM: where its outbound
        connections may leave (fact 113; Basic picks one of them, fact 114)."""
        pools = self.pools_of_vm.get(vm, ())
        return sorted({r.frontend for r in self.load_balancer.rules
                       if r.backend_pool in pools and self.frontends[r.frontend].family == family})

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

    # ---- the graph: what is connected to what ---------------------------------------------

    @property
    def _graph(self) -> nx.MultiDiGraph:
        if self._built is None:
            self._built = build_graph(self)
        return self._built

    def node(self, nid: str):
        """The typed object of a node (a `Vm`, an `LbRule`, ...)."""
        return self._graph.nodes[nid]["obj"]

    def has_node(self, nid: str) -> bool:
        return nid in self._graph

    def role(self, nid: str) -> str:
        return self._graph.nodes[nid]["role"]

    def node_ids(self, role: str | None = None) -> list[str]:
        """Node ids in the order the map lists them; with `role`, one column (graph.ROLES)."""
        return [n for n, d in self._graph.nodes(data=True) if role is None or d["role"] == role]

    def nodes_of(self, cls: type[T]) -> Iterator[T]:
        for _, data in self._graph.nodes(data=True):
            if isinstance(data["obj"], cls):
                yield data["obj"]

    def edges(self) -> list[tuple[str, str, str, str | None]]:
        """Every edge as (from, to, label, family)."""
        return [(a, b, d["label"], d["family"]) for a, b, d in self._graph.edges(data=True)]

    def path(self, source: str, target: str) -> list[str]:
        import networkx as nx
        try:
            return nx.shortest_path(self._graph, source, target)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return []

    def _out(self, nid: str, label: str, family: str | None = None) -> list[tuple[str, dict]]:
        """Edges leaving `nid` with `label`; with `family`, those of that family or of both."""
        g = self._graph
        if nid not in g:
            return []
        return [(b, d) for _, b, d in g.out_edges(nid, data=True)
                if d["label"] == label and (family is None or d["family"] in (family, None))]

    def _in(self, nid: str, label: str, family: str | None = None) -> list[tuple[str, dict]]:
        g = self._graph
        if nid not in g:
            return []
        return [(a, d) for a, _, d in g.in_edges(nid, data=True)
                if d["label"] == label and (family is None or d["family"] in (family, None))]

    def _ordered(self, nids) -> list[str]:
        """`nids` once each, in the order of the configuration (graph.py's `order`)."""
        nodes = self._graph.nodes
        return sorted(set(nids), key=lambda n: nodes[n]["order"])

    def rules_reaching(self, vm: str, family: str) -> list[LbRule]:
        """Load-balancing rules that can send traffic of `family` to the VM: frontend → rule →
        pool → the VM's endpoint of that family. In the order the rules are configured."""
        return [rule for rule, _ in self._reaching(vm, family)]

    def _reaching(self, vm: str, family: str) -> tuple[tuple[LbRule, str | None], ...]:
        """(rule, probe name) pairs of `rules_reaching`, kept: the map asks for every VM it
        draws at every step."""
        key = ("reaching", vm, family)
        if key not in self._kept:
            pools = [p for p, _ in self._in(node_id(VM, vm), graph.MEMBER, family)]
            rules = [r for p in pools for r, _ in self._in(p, graph.FORWARDS, family)]
            found = []
            for rid in self._ordered(rules):
                probe = self.probe_of(split_node_id(rid)[1])
                found.append((self.node(rid), probe.name if probe else None))
            self._kept[key] = tuple(found)
        return self._kept[key]

    def probe_of(self, rule: str) -> Probe | None:
        """The probe that governs a load-balancing rule, if any (none: everyone stays, fact 87)."""
        found = self._in(node_id(RULE, rule), graph.GOVERNS)
        return self.node(found[0][0]) if found else None

    def rotation(self, vm: str, family: str, probe_states: Mapping) -> str:
        """Is the VM's endpoint of `family` in rotation for any rule that reaches it: up, down,
        or none (no rule reaches it)? `probe_states` is the engine's live state, (probe, vm) →
        a state with `eligible`; a rule without a probe, or one whose probe has no verdict yet,
        keeps the VM in. One IPv4 probe decides both families (fact 10): the rules decide."""
        states = []
        for _, probe in self._reaching(vm, family):
            ps = probe_states.get((probe, vm)) if probe else None
            states.append(ps is None or ps.eligible)
        if not states:
            return "none"
        return "up" if any(states) else "down"

    def governed_endpoints(self, probe: str, vm: str) -> tuple[PoolMember, ...]:
        """A VM's endpoints whose rotation a probe decides: probe → rule → pool → the VM's
        endpoint of the rule's family. One IPv4 probe can govern both families (fact 10).
        Walked from the VM's side (a few edges, where a big pool has hundreds) and kept: the
        probe pane asks for every row at every step."""
        key = ("governed", probe, vm)
        if key not in self._kept:
            found = {}
            for pool, member in self._in(node_id(VM, vm), graph.MEMBER):
                for rid, _ in self._in(pool, graph.FORWARDS, member["family"]):
                    governor = self.probe_of(split_node_id(rid)[1])
                    if governor is not None and governor.name == probe:
                        found.update(((m.family, m.address), m) for m in member["members"])
            order = sorted(found, key=lambda k: (k[0] != IPv4, k[1]))  # IPv4 first, as drawn
            self._kept[key] = tuple(found[k] for k in order)
        return self._kept[key]

    def reachable_endpoints(self, nid: str, family: str) -> list[tuple[str, PoolMember]]:
        """(rule, VM endpoint) pairs that traffic of `family` entering at a frontend or a rule
        (load-balancing or NAT) can reach: frontend → rule → pool → VM, NAT rule → its VM."""
        if not self.has_node(nid):
            return []
        kind, _ = split_node_id(nid)
        rules = [r for r, _ in self._out(nid, graph.MATCHES, family)] if kind == FRONTEND else [nid]
        found = []
        for rid in self._ordered(rules):
            name = split_node_id(rid)[1]
            if split_node_id(rid)[0] == NAT_RULE:
                hops = self._out(rid, graph.FORWARDS, family)
            else:
                hops = [edge for pool, _ in self._out(rid, graph.FORWARDS, family)
                        for edge in self._out(pool, graph.MEMBER, family)]
            members = [m for _, d in hops for m in d.get("members", ()) if m.family == family]
            found += [(name, m) for m in sorted(members, key=_member_order)]
        return found

    def nsgs_on_path(self, vm: str, nic: str | None = None) -> list[Nsg]:
        """NSGs an inbound packet meets on its way to a VM (to one NIC of it, given `nic`):
        nsg → subnet → vm first, then nsg → nic → vm for each NIC (fact 135). For one NIC this
        is the graph's answer to what `nsgs_for` looks up on the hot path."""
        vid = node_id(VM, vm)
        subnets = [s for s, _ in self._in(vid, graph.HOLDS)]
        nics = [n for n, _ in self._in(vid, graph.ATTACHES)
                if nic is None or n == node_id(NIC, graph.nic_name(vm, nic))]
        return [self.node(n) for hop in subnets + nics for n, _ in self._in(hop, graph.FILTERS)]

    def egress_frontends(self, vm: str, family: str) -> list[str]:
        """The graph's vm → frontend edges of `family`: where the VM's connections leave."""
        return sorted(split_node_id(f)[1]
                      for f, _ in self._out(node_id(VM, vm), graph.LEAVES_BY, family))


def _member_order(m: PoolMember) -> tuple[str, str, str]:
    return (m.vm, m.nic, m.ip_config)
