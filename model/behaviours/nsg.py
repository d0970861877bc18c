"""Network security group evaluation (IPv4 only in the Basic IPv6 model, facts 19 and 134)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..net.addressing import PROBE_SOURCE, IPv6, family_of, in_network, parse_network
from ..deployment.nodes import NsgRule


def default_rules() -> tuple[NsgRule, ...]:
    """Fact 135: the default rules every NSG carries beneath the custom ones."""
    return (
        NsgRule("AllowVNetInBound", 65000, "Inbound", "Allow", "*", "VirtualNetwork", "*",
                "VirtualNetwork", "*", default=True),
        NsgRule("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "*",
                "AzureLoadBalancer", "*", "*", "*", default=True),
        NsgRule("DenyAllInbound", 65500, "Inbound", "Deny", default=True),
        NsgRule("AllowVnetOutBound", 65000, "Outbound", "Allow", "*", "VirtualNetwork", "*",
                "VirtualNetwork", "*", default=True),
        NsgRule("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "*", "*", "Internet",
                "*", default=True),
        NsgRule("DenyAllOutBound", 65500, "Outbound", "Deny", default=True),
    )


@lru_cache(maxsize=4096)
def parse_port_range(text: str) -> tuple[tuple[int, int], ...]:
    """`*`, `80`, `1000-2000` or a comma list of those, as inclusive ranges."""
    text = str(text).strip()
    if text == "*":
        return ((0, 65535),)
    out = []
    for part in text.split(","):
        part = part.strip()
        lo, _, hi = part.partition("-")
        try:
            lo_n, hi_n = int(lo), int(hi or lo)
        except ValueError:
            raise ValueError(f"'{text}' is not a port, a range such as 1000-2000, or *") from None
        if not (0 <= lo_n <= hi_n <= 65535):
            raise ValueError(f"'{part}' is not a port range within 0-65535")
        out.append((lo_n, hi_n))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class NsgVerdict:
    allowed: bool
    nsg: str
    rule: str
    priority: int


def _matches_prefix(spec: str, address: str, in_vnet: bool) -> bool:
    if spec == "*":
        return True
    if spec == "VirtualNetwork":
        return in_vnet
    if spec == "AzureLoadBalancer":
        # Fact 65: the AzureLoadBalancer tag stands for the probe source.
        return address == PROBE_SOURCE
    if spec == "Internet":
        return not in_vnet and address != PROBE_SOURCE
    return in_network(address, parse_network(spec))


def _matches_port(spec: str, port: int) -> bool:
    return any(lo <= port <= hi for lo, hi in parse_port_range(spec))


def evaluate(rules, nsg_name: str, direction: str, proto: str, src: str, sport: int, dst: str,
             dport: int, in_vnet) -> NsgVerdict:
    """First matching rule by priority wins (fact 135). `in_vnet(address)` classifies tags."""
    for rule in sorted((r for r in rules if r.direction == direction), key=lambda r: r.priority):
        if rule.protocol != "*" and rule.protocol != proto:
            continue
        if not _matches_prefix(rule.source, src, in_vnet(src)):
            continue
        if not _matches_prefix(rule.destination, dst, in_vnet(dst)):
            continue
        if not (_matches_port(rule.source_port, sport) and _matches_port(rule.destination_port, dport)):
            continue
        return NsgVerdict(rule.access == "Allow", nsg_name, rule.name, rule.priority)
    return NsgVerdict(False, nsg_name, "(no rule)", 0)


def would_deny_ipv6(rules, nsg_name: str, proto: str, src: str, sport: int, dst: str,
                    dport: int) -> NsgVerdict | None:
    """The rule that would deny an inbound IPv6 packet from the Internet if NSGs applied to IPv6.

    Fact 19: they do not. lb6 still asks, so it can warn when an IPv6 packet passes that the
    NSG meant to stop. The default rules count too: an NSG with no custom rule denies Internet
    traffic over IPv4 through DenyAllInbound (fact 135, the quickstart's empty NSG of fact 138),
    yet the same client gets in over IPv6 (fact 134). The source is an Internet client, so the
    VirtualNetwork and AzureLoadBalancer source tags never match it.
    """
    assert family_of(src) == IPv6
    inbound = [r for r in rules if r.direction == "Inbound"]
    for rule in sorted(inbound, key=lambda r: r.priority):
        if rule.protocol != "*" and rule.protocol != proto:
            continue
        if not _ipv6_source_matches(rule.source, src):
            continue
        if rule.destination not in ("*", "VirtualNetwork") and not _ipv6_prefix_matches(rule.destination, dst):
            continue
        if not (_matches_port(rule.source_port, sport) and _matches_port(rule.destination_port, dport)):
            continue
        return NsgVerdict(False, nsg_name, rule.name, rule.priority) if rule.access == "Deny" else None
    return None


def _ipv6_source_matches(spec: str, address: str) -> bool:
    if spec in ("*", "Internet"):
        return True
    if spec in ("VirtualNetwork", "AzureLoadBalancer"):
        return False
    return _ipv6_prefix_matches(spec, address)


def _ipv6_prefix_matches(spec: str, address: str) -> bool:
    try:
        return in_network(address, parse_network(spec))
    except ValueError:
        return False
