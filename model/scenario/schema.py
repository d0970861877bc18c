"""The scenario file format as pydantic models: structure, types and ranges.

Cross-references (a rule naming a frontend, an address of the right family) are checked in
`model/build.py`, where the error can name the exact field. Every model forbids unknown keys so
that a typo is an error, never a silently ignored setting. `lb6 schema` prints the JSON Schema.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from .durations import parse_duration

Duration = Annotated[
    int,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^\d+(\.\d+)?(ms|s|min|m|h)?$"}],
         "description": "a duration: 250ms, 1.5s, 4m, 2h, or a number of seconds"}
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Port = Annotated[int, Field(ge=1, le=65535)]
Family = Literal["IPv4", "IPv6"]
Transport = Literal["Tcp", "Udp"]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# ---- topology ---------------------------------------------------------------------------------


class SubnetSpec(Spec):
    name: Name
    prefix: str
    nsg: Name | None = None


class VNetSpec(Spec):
    name: Name = "vnet"
    address_space: list[str] = ["10.0.0.0/16"]
    subnets: list[SubnetSpec] = []


class PublicIpSpec(Spec):
    name: Name
    version: Family = "IPv4"
    allocation: Literal["Static", "Dynamic"] = "Dynamic"
    address: str | None = None
    dns_label: str | None = None
    reverse_fqdn: str | None = None
    location: str = "westus"


class FrontendSpec(Spec):
    name: Name
    public_ip: Name


class PoolSpec(Spec):
    name: Name


class ProbeSpec(Spec):
    name: Name
    protocol: Literal["Tcp", "Http"] = "Tcp"
    port: Port
    # Fact 72-73: Basic-IPv6-era default 15 s; fact 74: 2 probes, as every sample uses.
    interval_s: int = Field(15, ge=1, le=3600)
    number_of_probes: int = Field(2, ge=1, le=1000)
    request_path: str | None = None


class RuleSpec(Spec):
    name: Name
    frontend: Name
    backend_pool: Name
    protocol: Transport = "Tcp"
    # Fact 53: frontendPort 0-65534, backendPort 0-65535.
    frontend_port: int = Field(ge=0, le=65534)
    backend_port: int = Field(ge=0, le=65535)
    probe: Name | None = None
    idle_timeout_min: int = Field(4, ge=1, le=1440)
    load_distribution: Literal["Default", "SourceIP", "SourceIPProtocol"] = "Default"
    floating_ip: bool = False


class NatRuleSpec(Spec):
    name: Name
    frontend: Name
    protocol: Transport = "Tcp"
    # Fact 53: inbound NAT frontendPort 1-65534, backendPort 1-65535.
    frontend_port: int = Field(ge=1, le=65534)
    backend_port: Port
    idle_timeout_min: int = Field(4, ge=1, le=1440)
    floating_ip: bool = False


class LoadBalancerSpec(Spec):
    name: Name = "lb"
    sku: Literal["Basic"] = "Basic"
    frontends: list[FrontendSpec] = []
    backend_pools: list[PoolSpec] = []
    probes: list[ProbeSpec] = []
    rules: list[RuleSpec] = []
    inbound_nat_rules: list[NatRuleSpec] = []


class IpConfigSpec(Spec):
    name: Name
    version: Family = "IPv4"
    address: str | None = None
    subnet: Name | None = None
    public_ip: Name | None = None
    backend_pools: list[Name] = []
    inbound_nat_rules: list[Name] = []


class NicSpec(Spec):
    name: Name
    primary: bool | None = None
    nsg: Name | None = None
    ip_configs: list[IpConfigSpec] = Field(min_length=1)


class ServiceSpec(Spec):
    protocol: Transport = "Tcp"
    port: Port
    http_status: int | None = Field(None, ge=100, le=599)


class VmSpec(Spec):
    name: Name
    os: Literal["linux", "windows"] = "linux"
    dhcpv6: bool = True
    availability_set: Name | None = None
    scale_set: Name | None = None
    cloud_service: Name | None = None
    ipv6_added_after_creation: bool = False
    running: bool = True
    nics: list[NicSpec] = Field(min_length=1)
    services: list[ServiceSpec] = []


class NsgRuleSpec(Spec):
    name: Name
    # Fact 135: custom rules use priorities 100-4096.
    priority: int = Field(ge=100, le=4096)
    direction: Literal["Inbound", "Outbound"] = "Inbound"
    access: Literal["Allow", "Deny"]
    protocol: Literal["Tcp", "Udp", "Icmp", "*"] = "*"
    source: str = "*"
    source_port: str = "*"
    destination: str = "*"
    destination_port: str = "*"


class NsgSpec(Spec):
    name: Name
    rules: list[NsgRuleSpec] = []


class DnsSpec(Spec):
    name: str = Field(min_length=1, max_length=253)
    a: list[str] = []
    aaaa: list[str] = []
    aaaa_delay_ms: int = Field(0, ge=0, le=60_000)


class ClientSpec(Spec):
    name: Name
    stack: Literal["ipv4", "ipv6", "dual"]
    ipv4: str | None = None
    ipv6: str | None = None
    latency_ms: int = Field(10, ge=0, le=10_000)
    # Fact 199: RFC 8305 Resolution Delay 50 ms.
    resolution_delay_ms: int = Field(50, ge=0, le=10_000)
    # Fact 202-203: Connection Attempt Delay, default 250 ms, never under 10 ms, cap 2 s.
    connection_attempt_delay_ms: int = Field(250, ge=10, le=2000)
    connect_timeout_ms: int = Field(3000, ge=100, le=600_000)


class HostSpec(Spec):
    name: Name
    kind: Literal["internet", "vm-peer", "azure-service", "on-premises"] = "internet"
    addresses: list[str] = Field(min_length=1)
    services: list[ServiceSpec] = []


# ---- timeline ---------------------------------------------------------------------------------


class ConnectSpec(Spec):
    id: Name | None = None
    client: Name
    to: str = Field(min_length=1)
    port: Port
    protocol: Literal["Tcp", "Udp", "Icmp"] = "Tcp"
    # Use only this family's DNS answer (the twin-stack comparison traces each on its own).
    family: Family | None = None
    requests: int = Field(1, ge=0, le=100_000)
    request_bytes: int = Field(200, ge=0, le=10_000_000)
    response_bytes: int = Field(1200, ge=0, le=10_000_000)
    hold: Duration = 0
    keepalive: Duration | None = None
    close: bool = True
    # Each copy is its own timeline event; 100,000 covers the largest load test planned.
    count: int = Field(1, ge=1, le=100_000)
    every: Duration = 0


class SendSpec(Spec):
    connection: Name
    requests: int = Field(1, ge=1, le=100_000)
    request_bytes: int = Field(200, ge=0, le=10_000_000)
    response_bytes: int = Field(1200, ge=0, le=10_000_000)


class CloseSpec(Spec):
    connection: Name


class OutboundSpec(Spec):
    id: Name | None = None
    vm: Name
    to: str = Field(min_length=1)
    port: Port
    protocol: Transport = "Tcp"
    family: Family | None = None
    requests: int = Field(1, ge=0, le=100_000)
    request_bytes: int = Field(200, ge=0, le=10_000_000)
    response_bytes: int = Field(1200, ge=0, le=10_000_000)
    hold: Duration = 0
    close: bool = True
    # Each copy is its own timeline event; 100,000 covers the largest load test planned.
    count: int = Field(1, ge=1, le=100_000)
    every: Duration = 0


class ServiceRefSpec(Spec):
    vm: Name
    port: Port
    protocol: Transport = "Tcp"
    mode: Literal["refuse", "hang", "http_500"] = "refuse"


class RestoreSpec(Spec):
    vm: Name
    port: Port
    protocol: Transport = "Tcp"


def _vm_shorthand(value):
    return {"vm": value} if isinstance(value, str) else value


class VmRefSpec(Spec):
    vm: Name


VmRef = Annotated[VmRefSpec, BeforeValidator(_vm_shorthand)]


class SetSpec(Spec):
    path: str = Field(min_length=1)
    value: Any


EVENT_KINDS = (
    "connect", "send", "close", "outbound", "fail_service", "restore_service",
    "stop_vm", "start_vm", "wait", "set",
)


class EventSpec(Spec):
    at: Duration | None = None
    after: Duration | None = None
    connect: ConnectSpec | None = None
    send: SendSpec | None = None
    close: CloseSpec | None = None
    outbound: OutboundSpec | None = None
    fail_service: ServiceRefSpec | None = None
    restore_service: RestoreSpec | None = None
    stop_vm: VmRef | None = None
    start_vm: VmRef | None = None
    wait: Duration | None = None
    set: SetSpec | None = None

    @model_validator(mode="after")
    def _one_event(self):
        given = [k for k in EVENT_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"each timeline entry holds exactly one of {', '.join(EVENT_KINDS)}; "
                f"found {', '.join(given) if given else 'none'}"
            )
        if self.at is not None and self.after is not None:
            raise ValueError("give `at` or `after`, not both")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in EVENT_KINDS if getattr(self, k) is not None)

    @property
    def body(self):
        return getattr(self, self.kind)


# ---- expectations -----------------------------------------------------------------------------

OUTCOMES = (
    "delivered", "refused", "no-answer", "timed-out", "dropped-no-rule", "dropped-nsg",
    "dropped-no-healthy-backend", "dropped-idle-timeout", "dropped-limitation",
    "dropped-snat-exhausted", "dropped-icmp", "dropped-no-route", "dropped-no-flow", "reset",
    "terminated", "open",
)


class ExpectSpec(Spec):
    connection: Name | None = None
    outcome: Literal[OUTCOMES] | None = None  # type: ignore[valid-type]
    served_by: Name | None = None
    family: Family | None = None
    client_saw: str | None = None
    server_saw: str | None = None
    saw_disposition: str | None = None
    warning: str | None = None
    raised: bool = True
    probe: Name | None = None
    vm: Name | None = None
    state: Literal["up", "down"] | None = None
    flows: int | None = Field(None, ge=0)
    at: Duration | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _one_subject(self):
        subjects = [k for k in ("connection", "warning", "probe", "flows") if getattr(self, k) is not None]
        if len(subjects) != 1:
            raise ValueError(
                "each expectation is about exactly one of connection, warning, probe, flows; "
                f"found {', '.join(subjects) if subjects else 'none'}"
            )
        subject = subjects[0]
        if subject == "connection" and not any(
            getattr(self, k) is not None
            for k in ("outcome", "served_by", "family", "client_saw", "server_saw", "saw_disposition")
        ):
            raise ValueError(
                "a connection expectation needs one of outcome, served_by, family, client_saw, "
                "server_saw, saw_disposition"
            )
        if subject == "probe" and (self.vm is None or self.state is None or self.at is None):
            raise ValueError("a probe expectation needs vm, state and at")
        if subject == "flows" and self.at is None:
            raise ValueError("a flows expectation needs at")
        return self


class NoteSpec(Spec):
    """Lesson narration (Markdown) shown from `at`; `pause` stops playback there."""

    at: Duration
    text: str
    pause: bool = False


QUESTION_ASKS = ("served_by", "server_saw", "family", "outcome", "passes_nsg")


class QuestionSpec(Spec):
    """A prediction asked before the step that reveals it; the engine's result is the answer.

    `ask` names what is predicted about `connection`: the VM that serves it, the source address
    the remote server sees, the address family the client uses, how it ends, or whether it
    passes the NSG ("yes"/"no"). Choices are plain strings; none is marked right by hand.
    """

    id: Name
    connection: Name
    ask: Literal[QUESTION_ASKS]  # type: ignore[valid-type]
    text: str = Field(min_length=1)
    choices: list[str] = Field(min_length=2, max_length=8)


class CheckpointSpec(Spec):
    """A named point in time the instructor can return the class to."""

    name: Name
    at: Duration


class ScenarioSpec(Spec):
    title: str = Field(min_length=1, max_length=200)
    summary: str = ""
    covers: list[str] = []
    seed: int = Field(1, ge=0, le=2**63 - 1)
    duration: Duration | None = None
    deployment: Literal["portal", "template", "cli", "powershell"] = "template"
    vnet: VNetSpec = VNetSpec()
    public_ips: list[PublicIpSpec] = []
    load_balancer: LoadBalancerSpec = LoadBalancerSpec()
    vms: list[VmSpec] = []
    nsgs: list[NsgSpec] = []
    dns: list[DnsSpec] | None = None
    clients: list[ClientSpec] = []
    hosts: list[HostSpec] = []
    timeline: list[EventSpec] = []
    expect: list[ExpectSpec] = []
    notes: list[NoteSpec] = []
    questions: list[QuestionSpec] = []
    checkpoints: list[CheckpointSpec] = []


TOPOLOGY_KEYS = (
    "deployment", "vnet", "public_ips", "load_balancer", "vms", "nsgs", "dns", "clients", "hosts",
)


def json_schema() -> dict:
    schema = ScenarioSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "lb6 scenario"
    return schema
