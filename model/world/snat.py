"""SNAT port allocation for outbound flows (facts 117-125).

Each NIC IP configuration gets a preallocated block of ports on the chosen public frontend,
sized by the backend pool (fact 118). TCP may reuse a port towards different destinations
(fact 121); UDP takes a port per flow (fact 122, the 2019 wording that fits the Basic era).
Ports are handed out lowest first (fact 123).
"""

from __future__ import annotations

# Fact 118: preallocated SNAT ports per IP configuration by pool size.
PREALLOCATION_TIERS = ((50, 1024), (100, 512), (200, 256), (400, 128), (800, 64), (1000, 32))
# Fact 117: 64,000 ports per public frontend IP; lb6 numbers them from 1024.
FIRST_PORT = 1024
PORTS_PER_FRONTEND = 64_000
# Fact 124: release timers.
RELEASE_AFTER_FIN_MS = 240_000
RELEASE_AFTER_RST_MS = 15_000
OUTBOUND_IDLE_MS = 4 * 60_000


def preallocation(pool_size: int) -> int:
    for limit, ports in PREALLOCATION_TIERS:
        if pool_size <= limit:
            return ports
    return PREALLOCATION_TIERS[-1][1]


class SnatTable:
    def __init__(self):
        # (frontend address, private address, proto) -> (first port, count)
        self.blocks: dict[tuple[str, str, str], tuple[int, int]] = {}
        self.next_block: dict[tuple[str, str], int] = {}
        # (frontend address, proto, port) -> {(dst, dport): refcount}
        self.in_use: dict[tuple[str, str, int], dict[tuple[str, int], int]] = {}

    def block(self, frontend: str, private: str, proto: str, size: int) -> tuple[int, int]:
        key = (frontend, private, proto)
        if key not in self.blocks:
            start = self.next_block.get((frontend, proto), FIRST_PORT)
            self.blocks[key] = (start, size)
            self.next_block[(frontend, proto)] = start + size
        return self.blocks[key]

    def allocate(self, frontend: str, private: str, proto: str, size: int, dst: str,
                 dport: int) -> int | None:
        """The lowest free port for this destination, or None when the block is exhausted."""
        start, count = self.block(frontend, private, proto, size)
        for port in range(start, start + count):
            users = self.in_use.get((frontend, proto, port))
            if not users:
                self.in_use[(frontend, proto, port)] = {(dst, dport): 1}
                return port
            if proto == "Tcp" and (dst, dport) not in users:
                users[(dst, dport)] = 1  # fact 121: port reuse across destinations
                return port
        return None

    def release(self, frontend: str, proto: str, port: int, dst: str, dport: int) -> None:
        users = self.in_use.get((frontend, proto, port))
        if users and (dst, dport) in users:
            del users[(dst, dport)]
            if not users:
                del self.in_use[(frontend, proto, port)]

    def used(self, frontend: str, private: str, proto: str) -> int:
        block = self.blocks.get((frontend, private, proto))
        if not block:
            return 0
        start, count = block
        return sum(1 for p in range(start, start + count) if self.in_use.get((frontend, proto, p)))
