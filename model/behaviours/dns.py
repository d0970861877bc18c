"""DNS answers and the client's choice of address family (facts 31, 197-209).

A dual-stack client asks AAAA first and A right after (fact 198). If AAAA arrives first, or
within the Resolution Delay after A (fact 199), it tries IPv6 first: RFC 6724 ranks a global
IPv6 destination (precedence 40) above IPv4 (35, fact 206-207). Otherwise it starts with IPv4 and
folds a late AAAA in after it (fact 200). Families then alternate, one address each (the First
Address Family Count of 1, fact 201).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..net.addressing import IPv4, IPv6
from ..deployment.nodes import Client, DnsName, STACK_DUAL, STACK_IPV4, STACK_IPV6

# Fact 206: RFC 6724 default policy precedence.
PRECEDENCE = {IPv6: 40, IPv4: 35}


@dataclass(frozen=True, slots=True)
class Resolution:
    asked: tuple[str, ...]            # record types the client asked for, in order
    answers: tuple[tuple[str, str], ...]  # (family, address) the client will use
    decide_after_ms: int              # from the query to the first connection attempt
    first_family: str | None
    reason: str


def resolve(client: Client, name: DnsName) -> Resolution:
    lat = client.latency_ms
    a = [(IPv4, r.address) for r in name.a]
    aaaa = [(IPv6, r.address) for r in name.aaaa]
    if client.stack == STACK_IPV4:
        return Resolution(("A",), tuple(a), lat, IPv4 if a else None,
                          "an IPv4-only client asks for A only")
    if client.stack == STACK_IPV6:
        return Resolution(("AAAA",), tuple(aaaa), lat, IPv6 if aaaa else None,
                          "an IPv6-only client asks for AAAA only")
    assert client.stack == STACK_DUAL
    if aaaa and name.aaaa_delay_ms <= client.resolution_delay_ms:
        order = _interleave(aaaa, a)
        wait = lat + name.aaaa_delay_ms
        why = ("AAAA answered first" if name.aaaa_delay_ms == 0 else
               f"AAAA arrived {name.aaaa_delay_ms} ms after A, within the "
               f"{client.resolution_delay_ms} ms resolution delay")
        return Resolution(("AAAA", "A"), tuple(order), wait, IPv6,
                          f"{why}; RFC 6724 ranks IPv6 (precedence {PRECEDENCE[IPv6]}) above "
                          f"IPv4 ({PRECEDENCE[IPv4]})")
    if not aaaa:
        # Fact 200: an empty AAAA answer arrives with A; nothing to wait for.
        return Resolution(("AAAA", "A"), tuple(a), lat, IPv4 if a else None,
                          "AAAA came back empty, so only IPv4 can be used")
    if not a:
        return Resolution(("AAAA", "A"), tuple(aaaa), lat + name.aaaa_delay_ms, IPv6,
                          "A came back empty; IPv6 is used when AAAA arrives")
    order = _interleave(a, aaaa)
    return Resolution(("AAAA", "A"), tuple(order), lat + client.resolution_delay_ms, IPv4,
                      f"AAAA still missing {client.resolution_delay_ms} ms after A, so IPv4 goes "
                      "first and the late AAAA is tried after it")


def _interleave(first: list, second: list) -> list:
    out = []
    for i in range(max(len(first), len(second))):
        if i < len(first):
            out.append(first[i])
        if i < len(second):
            out.append(second[i])
    return out
