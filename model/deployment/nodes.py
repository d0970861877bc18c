"""The typed, frozen objects of a deployment: clients, DNS, load balancer, VMs, NSGs, hosts.

Names follow Azure's own resource and property names (frontend IP configuration, backend pool,
probe, load-balancing rule, inbound NAT rule, NIC IP configuration), so an imported template and
a hand-written scenario read alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..net.addressing import IPv4, IPv6

# Client address stacks.
STACK_IPV4 = "ipv4"
STACK_IPV6 = "ipv6"
STACK_DUAL = "dual"

# Fact 199: RFC 8305 Resolution Delay, recommended 50 ms.
RESOLUTION_DELAY_MS = 50
# Fact 202: RFC 8305 Connection Attempt Delay, recommended 250 ms.
CONNECTION_ATTEMPT_DELAY_MS = 250
# Not in the facts: how long a client waits for a handshake before giving up. A teaching value
# (real stacks retry SYNs for ~20 s), long enough for every Happy Eyeballs fallback to run.
CONNECT_TIMEOUT_MS = 3000
# Not in the facts: one-way delay between an Internet client and Azure. A round 10 ms keeps
# traces readable; clients may override it.
INTERNET_LATENCY_MS = 10


@dataclass(frozen=True, slots=True)
class Client:
    """An Internet client, IPv4-only, IPv6-only or dual stack."""

    name: str
    stack: str
    ipv4: str | None = None
    ipv6: str | None = None
    resolution_delay_ms: int = RESOLUTION_DELAY_MS
    connection_attempt_delay_ms: int = CONNECTION_ATTEMPT_DELAY_MS
    connect_timeout_ms: int = CONNECT_TIMEOUT_MS
    latency_ms: int = INTERNET_LATENCY_MS

    def address(self, family: str) -> str | None:
        return self.ipv4 if family == IPv4 else self.ipv6

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(f for f in (IPv6, IPv4) if self.address(f))


@dataclass(frozen=True, slots=True)
class DnsRecord:
    """An A or AAAA record; `target` is the frontend it names, or None for a literal."""

    address: str
    target: str | None = None


@dataclass(frozen=True, slots=True)
class DnsName:
    name: str
    a: tuple[DnsRecord, ...] = ()
    aaaa: tuple[DnsRecord, ...] = ()
    # Lets a scenario show RFC 8305's resolution delay: the AAAA answer arrives this much later.
    aaaa_delay_ms: int = 0
    ttl_s: int = 60


@dataclass(frozen=True, slots=True)
class PublicIp:
    name: str
    version: str
    allocation: str = "Dynamic"
    address: str = ""
    dns_label: str | None = None
    reverse_fqdn: str | None = None
    location: str = "westus"

    @property
    def fqdn(self) -> str | None:
        # Fact 34: <label>.<region>.cloudapp.azure.com
        if not self.dns_label:
            return None
        return f"{self.dns_label}.{self.location}.cloudapp.azure.com"


@dataclass(frozen=True, slots=True)
class Frontend:
    name: str
    public_ip: str
    address: str
    family: str


@dataclass(frozen=True, slots=True)
class PoolMember:
    """A NIC IP configuration in a backend pool."""

    vm: str
    nic: str
    ip_config: str
    address: str
    family: str


@dataclass(frozen=True, slots=True)
class BackendPool:
    name: str
    members: tuple[PoolMember, ...] = ()


@dataclass(frozen=True, slots=True)
class Probe:
    name: str
    protocol: str
    port: int
    # Fact 72-73 CONFLICT: 15 s is the Basic-IPv6-era REST default (the 2023 doc says 5 s).
    interval_s: int = 15
    # Fact 74: no default in the spec; every sample uses 2, so that is lb6's default.
    number_of_probes: int = 2
    request_path: str | None = None


LOAD_DISTRIBUTIONS = ("Default", "SourceIPProtocol", "SourceIP")
# Fact 99-100: default idle timeout 4 minutes, configurable 4-30 on Basic rules.
DEFAULT_IDLE_TIMEOUT_MIN = 4
IDLE_TIMEOUT_RANGE_MIN = (4, 30)


@dataclass(frozen=True, slots=True)
class LbRule:
    name: str
    frontend: str
    backend_pool: str
    protocol: str
    frontend_port: int
    backend_port: int
    probe: str | None = None
    idle_timeout_min: int = DEFAULT_IDLE_TIMEOUT_MIN
    load_distribution: str = "Default"
    floating_ip: bool = False


@dataclass(frozen=True, slots=True)
class InboundNatRule:
    name: str
    frontend: str
    protocol: str
    frontend_port: int
    backend_port: int
    target: PoolMember | None = None
    idle_timeout_min: int = DEFAULT_IDLE_TIMEOUT_MIN
    floating_ip: bool = False


@dataclass(frozen=True, slots=True)
class LoadBalancer:
    name: str
    sku: str = "Basic"
    frontends: tuple[Frontend, ...] = ()
    backend_pools: tuple[BackendPool, ...] = ()
    probes: tuple[Probe, ...] = ()
    rules: tuple[LbRule, ...] = ()
    inbound_nat_rules: tuple[InboundNatRule, ...] = ()


@dataclass(frozen=True, slots=True)
class IpConfig:
    name: str
    version: str
    address: str
    subnet: str | None = None
    public_ip: str | None = None
    backend_pools: tuple[str, ...] = ()
    inbound_nat_rules: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Nic:
    name: str
    primary: bool = True
    nsg: str | None = None
    ip_configs: tuple[IpConfig, ...] = ()


@dataclass(frozen=True, slots=True)
class Service:
    """A listener on a VM. `http_status` makes it answer HTTP (probes check for 200)."""

    protocol: str
    port: int
    http_status: int | None = None


@dataclass(frozen=True, slots=True)
class Vm:
    name: str
    os: str = "linux"
    dhcpv6: bool = True
    availability_set: str | None = None
    scale_set: str | None = None
    cloud_service: str | None = None
    # True when IPv6 was added to a VM that already existed (fact 12 forbids that).
    ipv6_added_after_creation: bool = False
    nics: tuple[Nic, ...] = ()
    services: tuple[Service, ...] = ()

    def ip_configs(self):
        for nic in self.nics:
            for cfg in nic.ip_configs:
                yield nic, cfg

    def address(self, family: str) -> str | None:
        """The VM's address of `family`, primary NIC first."""
        for nic in sorted(self.nics, key=lambda n: not n.primary):
            for cfg in nic.ip_configs:
                if cfg.version == family:
                    return cfg.address
        return None

    @property
    def has_ipv6(self) -> bool:
        return any(cfg.version == IPv6 for _, cfg in self.ip_configs())

    def service(self, protocol: str, port: int) -> Service | None:
        for svc in self.services:
            if svc.protocol == protocol and svc.port == port:
                return svc
        return None


@dataclass(frozen=True, slots=True)
class NsgRule:
    name: str
    priority: int
    direction: str
    access: str
    protocol: str = "*"
    source: str = "*"
    source_port: str = "*"
    destination: str = "*"
    destination_port: str = "*"
    default: bool = False


@dataclass(frozen=True, slots=True)
class Nsg:
    name: str
    rules: tuple[NsgRule, ...] = ()


@dataclass(frozen=True, slots=True)
class Subnet:
    name: str
    prefix: str
    nsg: str | None = None


@dataclass(frozen=True, slots=True)
class VNet:
    name: str = "vnet"
    address_space: tuple[str, ...] = ("10.0.0.0/16",)
    subnets: tuple[Subnet, ...] = ()


HOST_INTERNET = "internet"
HOST_VM_PEER = "vm-peer"
HOST_AZURE_SERVICE = "azure-service"
HOST_ON_PREMISES = "on-premises"
HOST_KINDS = (HOST_INTERNET, HOST_VM_PEER, HOST_AZURE_SERVICE, HOST_ON_PREMISES)


@dataclass(frozen=True, slots=True)
class Host:
    """Something a VM may talk to: an Internet server, another VM's peer, a service, on-prem."""

    name: str
    kind: str
    addresses: tuple[str, ...] = ()
    services: tuple[Service, ...] = field(default_factory=tuple)

    def address(self, family: str) -> str | None:
        for a in self.addresses:
            if (":" in a) == (family == IPv6):
                return a
        return None

    def service(self, protocol: str, port: int) -> Service | None:
        for svc in self.services:
            if svc.protocol == protocol and svc.port == port:
                return svc
        return None
