"""Catalogue entries for the source document's features and details (PRODUCT.md's first rows).

Features are what the IPv6-for-Basic-LB offer does (facts 3-6, 63); details are how it does it
(DNS, outbound translation, DHCPv6, the shared IPv4 probe: facts 6-10, 31, 199-209). Their
checks only report (info or warning): none of them is something Azure refuses.
"""

from __future__ import annotations

from .registry import INFO, WARNING, Finding, entry
from ..deployment.topology import Topology
from ..net.addressing import IPv4, IPv6


@entry("ipv6-load-balancing", "feature", "IPv6 clients reach the service through the LB", (3, 5),
       """An Internet-facing Basic load balancer can carry a public IPv6 frontend beside its IPv4
       one. IPv6 clients connect to that frontend and the load balancer translates each packet
       to the private IPv6 address of a backend VM.""")
def _check_ipv6_lb(t: Topology):
    for f in t.load_balancer.frontends:
        if f.family == IPv6:
            rules = [r.name for r in t.load_balancer.rules if r.frontend == f.name]
            yield Finding("ipv6-load-balancing", INFO, f.name,
                          f"IPv6 frontend {f.address} serves rules: {', '.join(rules) or 'none'}")


@entry("dual-stack-vms", "feature", "Backend VMs are dual stacked", (5,),
       """Each backend VM's network interface carries a private IPv4 and a private IPv6 address,
       so one VM can answer clients of both families through the same load balancer.""")
def _check_dual_stack(t: Topology):
    for vm in t.vms:
        fams = {cfg.version for _, cfg in vm.ip_configs()}
        if fams == {IPv4, IPv6}:
            yield Finding("dual-stack-vms", INFO, vm.name,
                          f"dual stack: {vm.address(IPv4)} and {vm.address(IPv6)}")


entry("ipv6-inbound-outbound", "feature", "IPv6 connections in and out", (5, 6),
      """Connections can be opened both into the VMs (through a load-balancing rule) and out of
      them (through the load balancer's outbound translation) over IPv6.""")()

@entry("tcp-udp-http", "feature", "TCP, UDP and HTTP", (5, 63),
       """Load-balancing rules carry TCP or UDP; HTTP rides on TCP. Health probes are TCP (a
       completed handshake) or HTTP (a 200 answer to a GET).""")
def _check_protocols(t: Topology):
    rules = sorted({r.protocol for r in t.load_balancer.rules})
    probes = sorted({p.protocol for p in t.load_balancer.probes})
    if rules or probes:
        yield Finding("tcp-udp-http", INFO, t.load_balancer.name,
                      f"rules carry {', '.join(rules) or 'nothing'}; probes use "
                      f"{', '.join(probes) or 'none'}")


@entry("dns-a-and-aaaa", "detail", "DNS answers A and AAAA; the client picks", (31, 199, 207, 209),
       """Azure DNS holds an A and an AAAA record for the load balancer and returns both. The
       client chooses the family: a dual-stack client following Happy Eyeballs (RFC 8305) asks
       for AAAA first, prefers IPv6 by RFC 6724, and falls back to IPv4 250 ms later if IPv6 has
       not connected.""")
def _check_dns(t: Topology):
    for d in t.dns:
        if d.a and d.aaaa:
            yield Finding("dns-a-and-aaaa", INFO, d.name, "answers both A and AAAA")


entry("outbound-ipv6-snat", "detail", "Outbound IPv6 leaves as the LB's public IPv6", (6, 7),
      """When a backend VM opens a connection to an IPv6 host on the Internet, its private IPv6
      source address is translated to the load balancer's public IPv6 address.""")()


@entry("linux-dhcpv6", "detail", "Linux guests need DHCPv6 for their IPv6 address", (8, 9),
       """A Linux VM only configures its private IPv6 address if the guest runs DHCPv6. Without
       it the NIC has an IPv6 configuration in Azure but the guest never takes the address, so
       IPv6 traffic the load balancer sends to it goes nowhere.""")
def _check_dhcpv6(t: Topology):
    for vm in t.vms:
        if vm.os == "linux" and vm.has_ipv6 and not vm.dhcpv6:
            yield Finding("linux-dhcpv6", WARNING, vm.name,
                          "Linux VM with an IPv6 configuration but no DHCPv6 in the guest: "
                          "it will not take its IPv6 address")


@entry("ipv4-probe-governs-both", "detail", "One IPv4 probe governs both families", (10,),
       """The guidance is one IPv4 health probe attached to both the IPv4 and the IPv6 rule. The
       probe tests the VM's IPv4 address only, and its verdict takes the VM in or out of
       rotation for both families at once.""")
def _check_shared_probe(t: Topology):
    for name, probe in t.probes.items():
        users = [r for r in t.load_balancer.rules if r.probe == name and r.frontend in t.frontends]
        fams = {t.frontend_family(r) for r in users}
        if fams == {IPv4, IPv6}:
            yield Finding("ipv4-probe-governs-both", INFO, name,
                          f"probe {probe.protocol}:{probe.port} decides rotation for rules "
                          f"{', '.join(r.name for r in users)} (IPv4 and IPv6)")

