"""Small inline scenarios for the model's unit tests.

`farm()` writes the YAML of the quickstart shape (two dual-stack VMs, IPv4 rule TCP 80→80,
IPv6 rule TCP 80→8080, one TCP probe on 80) with hooks to change one part at a time, so each
test states only what it is about. Everything goes through `load_scenario_text`, the same door
a scenario file uses.
"""

from __future__ import annotations

import textwrap

from lb6.model.engine.engine import Engine
from lb6.model.engine.runner import Result, run_scenario
from lb6.model.scenario.document import Scenario, load_scenario_text
from lb6.model.world.trace import Step

FQDN = "contoso.westus.cloudapp.azure.com"
FE_V4, FE_V6 = "203.0.113.10", "2001:db8:1::10"
WEB1_V4, WEB1_V6 = "10.0.0.4", "fd00:10::4"
WEB2_V4, WEB2_V6 = "10.0.0.5", "fd00:10::5"
DANA_V4, DANA_V6 = "198.51.100.20", "2001:db8:c::20"

CLIENTS = """
clients:
  - {name: dana, stack: dual, ipv4: 198.51.100.20, ipv6: "2001:db8:c::20"}
  - {name: vera, stack: ipv4, ipv4: 198.51.100.30}
  - {name: sixto, stack: ipv6, ipv6: "2001:db8:c::40"}
"""


def _vm(name: str, n: int, extra: str, services: str, nic_extra: str) -> str:
    return f"""
  - name: {name}
    availability_set: web-avset
    {extra}
    nics:
      - name: {name}-nic
        {nic_extra}
        ip_configs:
          - {{name: ipv4, version: IPv4, address: 10.0.0.{n}, backend_pools: [pool-v4]}}
          - {{name: ipv6, version: IPv6, address: "fd00:10::{n}", backend_pools: [pool-v6]}}
    services: {services}
"""


def farm(*, timeline: str = "", expect: str = "", v4_rule: str = "", v6_rule: str = "",
         probe: str = "{name: tcp-80, protocol: Tcp, port: 80, interval_s: 5, number_of_probes: 2}",
         v4_probe: str = "tcp-80", v6_probe: str = "tcp-80", proto: str = "Tcp",
         vm_extra: str = "", web1_extra: str = "", nic_extra: str = "", nsgs: str = "",
         clients: str = CLIENTS, hosts: str = "", dns: str = "", extra: str = "",
         duration: str = "60s", seed: int = 3, services: str | None = None,
         lb_extra: str = "") -> str:
    """YAML text of the quickstart shape; each keyword swaps in one part."""
    if services is None:
        services = (f"[{{protocol: {proto}, port: 80}}, {{protocol: {proto}, port: 8080}}]"
                    if proto == "Udp" else
                    "[{protocol: Tcp, port: 80}, {protocol: Tcp, port: 8080}]")
    v4p = f", probe: {v4_probe}" if v4_probe else ""
    v6p = f", probe: {v6_probe}" if v6_probe else ""
    text = f"""
title: inline test
seed: {seed}
duration: {duration}
{extra}
public_ips:
  - {{name: pip-v4, version: IPv4, address: 203.0.113.10, dns_label: contoso}}
  - {{name: pip-v6, version: IPv6, address: "2001:db8:1::10", dns_label: contoso}}
load_balancer:
  frontends:
    - {{name: fe-v4, public_ip: pip-v4}}
    - {{name: fe-v6, public_ip: pip-v6}}
  backend_pools:
    - {{name: pool-v4}}
    - {{name: pool-v6}}
  probes:
    - {probe}
  rules:
    - {{name: rule-v4, frontend: fe-v4, backend_pool: pool-v4, protocol: {proto}, frontend_port: 80, backend_port: 80{v4p}{v4_rule}}}
    - {{name: rule-v6, frontend: fe-v6, backend_pool: pool-v6, protocol: {proto}, frontend_port: 80, backend_port: 8080{v6p}{v6_rule}}}
{lb_extra}
vms:{_vm("web1", 4, vm_extra + web1_extra, services, nic_extra)}{_vm("web2", 5, vm_extra, services, nic_extra)}
{nsgs}
{dns}
{clients}
{hosts}
timeline:
{textwrap.indent(textwrap.dedent(timeline).strip(), "  ") if timeline.strip() else "  []"}
expect:
{textwrap.indent(textwrap.dedent(expect).strip(), "  ") if expect.strip() else "  []"}
"""
    return text


def load(text: str, source: str = "inline.yaml") -> Scenario:
    return load_scenario_text(textwrap.dedent(text), source)


def run(text: str, seed: int | None = None) -> Result:
    return run_scenario(load(text), seed)


def engine(text: str) -> Engine:
    return Engine(load(text))


def conn_steps(eng: Engine, conn: str) -> list[Step]:
    return [s for s in eng.records if s.conn == conn]


def first(steps, **where) -> Step:
    """The first step whose attributes equal `where` (kind=..., disposition=..., node=...)."""
    for s in steps:
        if all(getattr(s, k) == v for k, v in where.items()):
            return s
    raise AssertionError(f"no step with {where}; got "
                         + "; ".join(f"{s.n} {s.node} {s.kind} {s.disposition}" for s in steps))


def failed_verdicts(result: Result) -> list[str]:
    return [f"{v.text}: {v.detail}" for v in result.verdicts if not v.passed]
