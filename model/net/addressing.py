"""Addresses, prefixes and the well-known values of Azure's address plan."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

IPv4 = "IPv4"
IPv6 = "IPv6"
FAMILIES = (IPv4, IPv6)

# Fact 64: every IPv4 health probe comes from this one address, the same in every region.
PROBE_SOURCE = "168.63.129.16"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressError(ValueError):
    """An address or prefix that does not parse, or is of the wrong family."""


@lru_cache(maxsize=65536)
def canonical(text: str) -> str:
    """The canonical text form of an address (lower case, shortest IPv6 form)."""
    try:
        return str(ipaddress.ip_address(str(text).strip()))
    except ValueError:
        raise AddressError(f"'{text}' is not an IPv4 or IPv6 address") from None


@lru_cache(maxsize=65536)
def family_of(address: str) -> str:
    """IPv4 or IPv6 for an address in text form (cheap: no parse for the common case)."""
    return IPv6 if ":" in address else IPv4


def parse_address(text: str, family: str | None = None) -> str:
    """Canonical form of `text`, checking its family when one is asked for."""
    value = canonical(text)
    if family is not None and family_of(value) != family:
        raise AddressError(f"'{text}' is an {family_of(value)} address, expected {family}")
    return value


@lru_cache(maxsize=4096)
def parse_network(text: str) -> Network:
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        raise AddressError(f"'{text}' is not an IPv4 or IPv6 prefix") from None


def in_network(address: str, network: Network) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.version == network.version and ip in network


def endpoint(address: str, port: int | None) -> str:
    """`10.0.0.4:80` or `[fd00::4]:8080`; callers that render must escape the brackets."""
    if port is None:
        return address
    if family_of(address) == IPv6:
        return f"[{address}]:{port}"
    return f"{address}:{port}"
