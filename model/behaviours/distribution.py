"""Backend choice: the documented, deterministic hash over the healthy pool members.

Fact 41: Default hashes the 5-tuple; fact 42-43: SourceIPProtocol the 3-tuple (source IP,
destination IP, protocol) and SourceIP the 2-tuple. Fact 179: every Mux uses the same hash and
seed, so the choice depends only on the inputs. lb6 uses the first 8 bytes of SHA-256 over the
inputs joined with '|', taken modulo the number of healthy members in name order. SHA-256 is
stable across processes and PYTHONHASHSEED, so traces are reproducible byte for byte.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..net.packet import Packet

MODE_TUPLES = {"Default": "5-tuple", "SourceIPProtocol": "3-tuple", "SourceIP": "2-tuple"}


def hash_inputs(packet: Packet, mode: str) -> tuple[str, ...]:
    if mode == "SourceIP":
        return (packet.src, packet.dst)
    if mode == "SourceIPProtocol":
        return (packet.src, packet.dst, packet.proto)
    return (packet.src, str(packet.sport), packet.dst, str(packet.dport), packet.proto)


def hash_value(inputs: tuple[str, ...]) -> int:
    digest = hashlib.sha256("|".join(inputs).encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True, slots=True)
class Choice:
    index: int
    value: int
    inputs: tuple[str, ...]


def choose(packet: Packet, mode: str, count: int) -> Choice:
    inputs = hash_inputs(packet, mode)
    value = hash_value(inputs)
    return Choice(value % count, value, inputs)
