"""Packets: frozen values that the engine copies with changes at each NAT."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .addressing import endpoint, family_of

TCP = "Tcp"
UDP = "Udp"
ICMP = "Icmp"
PROTOCOLS = (TCP, UDP, ICMP)


@dataclass(frozen=True, slots=True)
class Packet:
    """One IP packet as the model sees it. Addresses are canonical text."""

    proto: str
    src: str
    sport: int
    dst: str
    dport: int
    flags: str = ""
    size: int = 0

    @property
    def family(self) -> str:
        return family_of(self.src)

    @property
    def five_tuple(self) -> tuple[str, str, int, str, int]:
        return (self.proto, self.src, self.sport, self.dst, self.dport)

    def describe(self) -> str:
        flags = f" {self.flags}" if self.flags else ""
        size = f" {self.size}B" if self.size else ""
        return (
            f"{self.proto.upper()}{flags} {endpoint(self.src, self.sport)} → "
            f"{endpoint(self.dst, self.dport)}{size}"
        )

    def to_json(self) -> dict:
        return {
            "proto": self.proto,
            "src": self.src,
            "sport": self.sport,
            "dst": self.dst,
            "dport": self.dport,
            "flags": self.flags,
        }

    def __deepcopy__(self, memo):
        return self  # immutable: checkpoints share it

    def reply(self, flags: str = "", size: int = 0) -> "Packet":
        """The packet going the other way on the same tuple."""
        return Packet(self.proto, self.dst, self.dport, self.src, self.sport, flags, size)


Rewrite = tuple[tuple[str, object, object], ...]


def rewrite(packet: Packet, **changes) -> tuple[Packet, Rewrite]:
    """Copy `packet` with `changes`, and list each field that really changed as old → new."""
    after = replace(packet, **changes)
    diff = tuple(
        (name, getattr(packet, name), value)
        for name, value in changes.items()
        if getattr(packet, name) != value
    )
    return after, diff
