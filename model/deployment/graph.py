"""The deployment as a directed graph: what is connected to what, and over which family.

`build_graph` is the one place that decides the graph's nodes and edges; `Topology` wraps the
result (model/deployment/topology.py) and answers every "what is connected to what" question from
it: the explorer's map, a VM's rotation per family, the candidates of a rule, and the paths a
reachability analysis walks.

Nodes are node ids (model/deployment/node_ids.py); each carries its typed object under `obj`,
its `kind`, `name`, its `order` in the configuration, and the `role` that places it in a column
of the explorer's map ("" for nodes the map does not draw: the load balancer itself, NSGs,
subnets, NICs).

Edges carry a `label` (what the link does) and a `family` (IPv4, IPv6, or None when the link is
the same for both). The graph is a MultiDiGraph keyed by family, so one pair of nodes can be
linked once per family (a DNS name answering A and AAAA for the same frontend, a pool holding a
VM's IPv4 and IPv6 endpoints):

    client  -asks->          dns              every client may ask every name
    dns     -answers->       frontend         one edge per A (IPv4) / AAAA (IPv6) record
    frontend -matches->      rule | natrule   the frontend's family (fact 51)
    rule    -forwards->      pool             the rule's family
    pool    -member->        vm               per family; `members` lists the VM's endpoints
    probe   -governs->       rule             family None: one IPv4 probe decides both (fact 10)
    natrule -forwards->      vm               the NAT rule's family; `members` is its target (54)
    nsg     -filters->       subnet | nic     family None: NSGs filter IPv4 only (facts 19, 134)
    subnet  -holds->         vm               the subnet of the VM's primary IPv4 config (159)
    nic     -attaches->      vm
    vm      -leaves-by->     frontend         outbound SNAT frontends, per family (fact 113)

Building costs one pass over the deployment; importing networkx costs about a fifth of a second,
so nothing on the load, check or replay path builds it (tests/test_import_hygiene.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .node_ids import (CLIENT, DNS, FRONTEND, HOST, LB, NAT_RULE, NIC, NSG,
                                           POOL, PROBE, RULE, SUBNET, VM, node_id)
from ..net.addressing import IPv4, IPv6

if TYPE_CHECKING:
    import networkx as nx

# Columns of the explorer's map, left to right, as the packet travels.
ROLES = ("client", "dns", "lb", "vm", "host")

ASKS, ANSWERS, MATCHES, FORWARDS, MEMBER, GOVERNS = (
    "asks", "answers", "matches", "forwards", "member", "governs")
FILTERS, HOLDS, ATTACHES, LEAVES_BY = "filters", "holds", "attaches", "leaves-by"


def nic_name(vm: str, nic: str) -> str:
    """A NIC's node name: NIC names are only unique within their VM."""
    return f"{vm}/{nic}"


def build_graph(t) -> nx.MultiDiGraph:
    """The graph of a `Topology` `t` (its typed objects and the look-ups it already holds).

    `t` is not annotated with its class: topology.py imports this module, and this module
    imports nothing back, not even for a type."""
    import networkx as nx

    g = nx.MultiDiGraph()
    lb = t.load_balancer

    def add(kind: str, name: str, obj, role: str = "") -> str:
        nid = node_id(kind, name)
        g.add_node(nid, obj=obj, role=role, kind=kind, name=name, order=len(g))
        return nid

    def link(a: str, b: str, label: str, family: str | None = None, **attrs) -> None:
        if a in g and b in g:  # a dangling name (refused by validation) links nothing
            g.add_edge(a, b, key=family or label, label=label, family=family, **attrs)

    # Nodes first, in the order the map lists them within a column.
    for c in t.clients:
        add(CLIENT, c.name, c, "client")
    for d in t.dns:
        add(DNS, d.name, d, "dns")
    add(LB, lb.name, lb)
    for f in lb.frontends:
        add(FRONTEND, f.name, f, "lb")
    for r in lb.rules:
        add(RULE, r.name, r, "lb")
    for r in lb.inbound_nat_rules:
        add(NAT_RULE, r.name, r, "lb")
    for p in lb.probes:
        add(PROBE, p.name, p, "lb")
    for p in lb.backend_pools:
        add(POOL, p.name, p, "lb")
    for vm in t.vms:
        add(VM, vm.name, vm, "vm")
    for h in t.hosts:
        add(HOST, h.name, h, "host")
    for n in t.nsgs:
        add(NSG, n.name, n)
    for s in t.vnet.subnets:
        add(SUBNET, s.name, s)
        if s.nsg in t.nsg_by_name:
            link(node_id(NSG, s.nsg), node_id(SUBNET, s.name), FILTERS)

    for c in t.clients:
        for d in t.dns:
            link(node_id(CLIENT, c.name), node_id(DNS, d.name), ASKS)
    for d in t.dns:
        for family, records in ((IPv4, d.a), (IPv6, d.aaaa)):
            for rec in records:
                if rec.target in t.frontends:
                    link(node_id(DNS, d.name), node_id(FRONTEND, rec.target), ANSWERS, family)
    for r in lb.rules:
        family = t.frontends[r.frontend].family
        rid = node_id(RULE, r.name)
        link(node_id(FRONTEND, r.frontend), rid, MATCHES, family)
        link(rid, node_id(POOL, r.backend_pool), FORWARDS, family)
        if r.probe in t.probes:
            link(node_id(PROBE, r.probe), rid, GOVERNS)
    for r in lb.inbound_nat_rules:
        family = t.frontends[r.frontend].family
        rid = node_id(NAT_RULE, r.name)
        link(node_id(FRONTEND, r.frontend), rid, MATCHES, family)
        if r.target is not None:
            link(rid, node_id(VM, r.target.vm), FORWARDS, family, members=(r.target,))
    for p in lb.backend_pools:
        by_vm: dict[tuple[str, str], list] = {}
        for m in p.members:
            by_vm.setdefault((m.vm, m.family), []).append(m)
        for (vm, family), members in by_vm.items():
            link(node_id(POOL, p.name), node_id(VM, vm), MEMBER, family, members=tuple(members))
    for vm in t.vms:
        _link_nsgs(t, vm, add, link)
    _link_egress(g, t, link)
    return g


def _link_egress(g, t, link) -> None:
    """vm → frontend, per family: the frontends of the rules that reach the VM, which are where
    its outbound connections may leave (fact 113). Read off the graph's own inbound paths
    (frontend → rule → pool → vm), so it is a second answer beside `Topology.outbound_frontends`,
    not a copy of it."""
    for vm in t.vms:
        vid = node_id(VM, vm.name)
        for family in (IPv4, IPv6):
            found = set()
            for pool, _, member in g.in_edges(vid, data=True):
                if member["label"] != MEMBER or member["family"] != family:
                    continue
                for rule, _, fwd in g.in_edges(pool, data=True):
                    if fwd["label"] == FORWARDS and fwd["family"] == family:
                        found.update(fe for fe, _, m in g.in_edges(rule, data=True)
                                     if m["label"] == MATCHES)
            for fe in sorted(found):
                link(vid, fe, LEAVES_BY, family)


def _link_nsgs(t, vm, add, link) -> None:
    """nsg → subnet → vm and nsg → nic → vm: the NSGs an inbound packet meets (fact 135)."""
    vid = node_id(VM, vm.name)
    subnet = t.subnet_of(vm.name)
    if subnet is not None:
        link(node_id(SUBNET, subnet.name), vid, HOLDS)
    for nic in vm.nics:
        nid = add(NIC, nic_name(vm.name, nic.name), nic)
        link(nid, vid, ATTACHES)
        if nic.nsg in t.nsg_by_name:
            link(node_id(NSG, nic.nsg), nid, FILTERS)
