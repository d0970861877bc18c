"""The deployment as the importers read it: Azure's resources, each with where it came from.

The three importers fill the same `Deployment`: public IPs, one load balancer with its
frontends, pools, probes, rules and inbound NAT rules, NICs with IP configurations, VMs, NSGs and
the VNet, using Azure's names. Every object remembers where it came from (`Origin`: a line, and
for templates a JSON path), so that a problem found later by the scenario validator can still be
reported against the user's own file. Whatever lb6 does not model becomes a `Note`, listed by
`lb6 check` and `lb6 import`, never silently dropped. The small value helpers at the end are the
spellings Azure accepts that every importer must normalise the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import Path, Problem, ScenarioError
from .expressions import RESOURCE_GROUP, SUBSCRIPTION_ID
from .names import FoldedDict, fold

DEFAULT_LOCATION = "westus"


@dataclass
class Origin:
    """Where an object was declared: a line and, in a template, its JSON path.

    `fields` maps a scenario field name (frontend_port) to the place of the value it came from:
    a JSON path and line in a template, an option name and line in a script.
    """

    line: int | None = None
    path: Path = ()
    what: str = ""
    fields: dict[str, tuple[int | None, Path]] = field(default_factory=dict)


@dataclass
class Note:
    """Something in the input that lb6 read but does not model (severity info)."""

    message: str
    origin: Origin = field(default_factory=Origin)
    source: str | None = None   # set when the note is about another file (a parameters file)

    def location(self, source: str) -> str:
        return Problem(self.message, self.origin.path,
                       self.origin.line).location(self.source or source)

    def render(self, source: str) -> str:
        return f"{self.location(source)}: {self.message}"

    def to_json(self, source: str) -> dict:
        return {"severity": "info", "message": self.message, "location": self.location(source)}


def fail(source: str, message: str, origin: Origin | None = None) -> ScenarioError:
    """A ScenarioError for one problem at `origin` (raise the result)."""
    origin = origin or Origin()
    return ScenarioError(source, [Problem(message, origin.path, origin.line)])


# ---- the deployment -----------------------------------------------------------------------


@dataclass
class PublicIp:
    name: str
    origin: Origin
    version: str = "IPv4"
    allocation: str = "Dynamic"
    dns_label: str | None = None
    reverse_fqdn: str | None = None
    location: str = DEFAULT_LOCATION
    address: str | None = None


@dataclass
class Frontend:
    name: str
    origin: Origin
    public_ip: str | None = None


@dataclass
class Pool:
    name: str
    origin: Origin


@dataclass
class Probe:
    name: str
    origin: Origin
    protocol: str = "Tcp"
    port: object = None
    interval_s: object = 15
    number_of_probes: object = 2
    request_path: str | None = None


@dataclass
class Rule:
    name: str
    origin: Origin
    frontend: str | None = None
    backend_pool: str | None = None
    protocol: str = "Tcp"
    frontend_port: object = None
    backend_port: object = None
    probe: str | None = None
    idle_timeout_min: object = 4
    load_distribution: str = "Default"
    floating_ip: object = False


@dataclass
class NatRule:
    name: str
    origin: Origin
    frontend: str | None = None
    protocol: str = "Tcp"
    frontend_port: object = None
    backend_port: object = None
    idle_timeout_min: object = 4
    floating_ip: object = False


@dataclass
class LoadBalancer:
    name: str
    origin: Origin
    frontends: list[Frontend] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    nat_rules: list[NatRule] = field(default_factory=list)

    def find(self, kind: str, name: str):
        items = {"frontend": self.frontends, "pool": self.pools, "probe": self.probes,
                 "rule": self.rules, "nat_rule": self.nat_rules}[kind]
        # Azure names match in any case (fold in names.py); the first declared spelling wins.
        return next((i for i in items if fold(i.name) == fold(name)), None)


@dataclass
class IpConfig:
    name: str
    origin: Origin
    version: str = "IPv4"
    address: str | None = None
    subnet: str | None = None
    public_ip: str | None = None
    pools: list[str] = field(default_factory=list)
    nat_rules: list[str] = field(default_factory=list)


@dataclass
class Nic:
    name: str
    origin: Origin
    ip_configs: list[IpConfig] = field(default_factory=list)
    nsg: str | None = None


@dataclass
class Vm:
    name: str
    origin: Origin
    os: str = "linux"
    nics: list[tuple[str, bool | None]] = field(default_factory=list)
    availability_set: str | None = None
    scale_set: str | None = None


@dataclass
class NsgRule:
    name: str
    origin: Origin
    values: dict = field(default_factory=dict)  # scenario field → value


@dataclass
class Nsg:
    name: str
    origin: Origin
    rules: list[NsgRule] = field(default_factory=list)


@dataclass
class Subnet:
    name: str
    origin: Origin
    prefix: str | None = None
    nsg: str | None = None


@dataclass
class VNet:
    name: str
    origin: Origin
    address_space: list[str] = field(default_factory=list)
    subnets: list[Subnet] = field(default_factory=list)


@dataclass
class Deployment:
    """Everything an importer read, in Azure's terms, before it becomes scenario data."""

    kind: str  # template | cli | powershell (the scenario's `deployment` field)
    source: str = "<input>"
    title: str = ""
    # Keyed by Azure name, which matches in any case: `nics["web1-nic"]` finds 'Web1-Nic'.
    public_ips: dict[str, PublicIp] = field(default_factory=FoldedDict)
    load_balancer: LoadBalancer | None = None
    nics: dict[str, Nic] = field(default_factory=FoldedDict)
    vms: dict[str, Vm] = field(default_factory=FoldedDict)
    nsgs: dict[str, Nsg] = field(default_factory=FoldedDict)
    vnet: VNet | None = None
    notes: list[Note] = field(default_factory=list)
    # Scenario names (as catalogue findings give them: "vm", "vm/nic", "vm/nic/config") →
    # where that object is declared; filled by to_scenario.
    subjects: dict[str, Origin] = field(default_factory=dict)

    def note(self, message: str, origin: Origin | None = None, source: str | None = None) -> None:
        self.notes.append(Note(message, origin or Origin(), source))

    def note_skipped(self, skipped: dict[str, list[int]]) -> None:
        """One note per kind of script command lb6 passed over, with the lines it stood on."""
        for what, lines in skipped.items():
            shown = ", ".join(map(str, lines[:8])) + (" …" if len(lines) > 8 else "")
            self.note(f"skipped `{what}` (line{'s' if len(lines) > 1 else ''} {shown}): it "
                      "does not change what lb6 models", Origin(lines[0]))


def resource_id(resource_type: str, name: str, child: str | None = None,
                child_name: str | None = None) -> str:
    """The ID Azure would give a resource (or one of its children) in lb6's placeholder
    subscription and resource group, for a script that passes IDs between commands."""
    base = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers/"
            f"{resource_type}/{name}")
    return f"{base}/{child}/{child_name}" if child else base


def last_segment(text: str) -> str:
    """`pool` from a resource ID `/subscriptions/.../backendAddressPools/pool`, or the name itself."""
    text = str(text).strip().rstrip("/")
    return text.rsplit("/", 1)[-1] if "/" in text else text


def normalise_location(text: str | None) -> str:
    """'West US' → 'westus', as Azure spells a region in a host name."""
    if not text:
        return DEFAULT_LOCATION
    return re.sub(r"[^a-z0-9]", "", str(text).lower()) or DEFAULT_LOCATION


def canon(value, choices: tuple[str, ...]):
    """Azure accepts enum values in any case; map them to the spelling the scenario uses."""
    if isinstance(value, str):
        for c in choices:
            if value.lower() == c.lower():
                return c
    return value


def as_bool(value):
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def as_int(value):
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return value

