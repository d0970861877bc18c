"""Generated scenarios for the benchmarks: a load test on a dual-stack farm, and a 300-VM pool.

`load_test(flows)` builds scenario data (the dict a YAML file would hold) for `flows` client
connections spread over IPv4-only, IPv6-only and dual-stack clients, TCP (two requests, left
open so the flow stays in the table) and UDP (two datagrams), with a TCP health probe running
on every VM and the first VM's health listener failing half way through. Every flow is still in
the table at the end (the run is shorter than the 4-minute idle timeout), so peak memory counts
all of them.
"""

from __future__ import annotations

FQDN = "contoso.westus.cloudapp.azure.com"
# One address can open 16384 ephemeral ports (model/behaviours/connection.py): keep every client well under.
FLOWS_PER_CLIENT = 5000


def _vm(i: int) -> dict:
    return {
        "name": f"web{i}",
        "availability_set": "web-avset",
        "nics": [{
            "name": f"web{i}-nic",
            "ip_configs": [
                {"name": "ipv4", "version": "IPv4", "address": f"10.0.{i // 250}.{i % 250 + 4}",
                 "backend_pools": ["pool-v4"]},
                {"name": "ipv6", "version": "IPv6", "address": f"fd00:10::{i + 4:x}",
                 "backend_pools": ["pool-v6"]},
            ],
        }],
        "services": [{"protocol": "Tcp", "port": 80}, {"protocol": "Tcp", "port": 9000},
                     {"protocol": "Udp", "port": 53}],
    }


def _load_balancer() -> dict:
    rules = []
    for fam in ("v4", "v6"):
        rules.append({"name": f"web-{fam}", "frontend": f"fe-{fam}", "backend_pool": f"pool-{fam}",
                      "protocol": "Tcp", "frontend_port": 80, "backend_port": 80,
                      "probe": "health"})
        rules.append({"name": f"dns-{fam}", "frontend": f"fe-{fam}", "backend_pool": f"pool-{fam}",
                      "protocol": "Udp", "frontend_port": 53, "backend_port": 53,
                      "probe": "health"})
    return {
        "name": "lb",
        "frontends": [{"name": "fe-v4", "public_ip": "pip-v4"},
                      {"name": "fe-v6", "public_ip": "pip-v6"}],
        "backend_pools": [{"name": "pool-v4"}, {"name": "pool-v6"}],
        "probes": [{"name": "health", "protocol": "Tcp", "port": 9000, "interval_s": 5,
                    "number_of_probes": 2}],
        "rules": rules,
    }


PUBLIC_IPS = [
    {"name": "pip-v4", "version": "IPv4", "address": "203.0.113.10", "dns_label": "contoso"},
    {"name": "pip-v6", "version": "IPv6", "address": "2001:db8:1::10", "dns_label": "contoso"},
]


def load_test(flows: int, vms: int = 8, span_ms: int | None = None, seed: int = 7) -> dict:
    """Scenario data for `flows` connections (one flow each) within `span_ms` of virtual time."""
    clients_n = max(4, -(-flows // FLOWS_PER_CLIENT))
    clients_n += (-clients_n) % 4
    span_ms = span_ms or 120_000  # under the 4-minute idle timeout: every flow stays
    stacks = ("ipv4", "ipv6", "dual", "ipv4")
    clients, timeline = [], []
    per_client = [flows // clients_n + (1 if i < flows % clients_n else 0) for i in range(clients_n)]
    for i in range(clients_n):
        stack = stacks[i % 4]
        c = {"name": f"client{i}", "stack": stack}
        if stack in ("ipv4", "dual"):
            c["ipv4"] = f"198.51.{100 + i // 250}.{i % 250 + 1}"
        if stack in ("ipv6", "dual"):
            c["ipv6"] = f"2001:db8:c::{i + 1:x}"
        clients.append(c)
        count = per_client[i]
        if not count:
            continue
        every = max(1, span_ms // count)
        udp = i % 4 == 3  # a quarter of the clients speak UDP (DNS-style) over IPv4
        timeline.append({
            "at": f"{1000 + i * 7}ms",
            "connect": {"id": f"k{i}", "client": c["name"], "to": FQDN,
                        "protocol": "Udp" if udp else "Tcp", "port": 53 if udp else 80,
                        "requests": 2, "close": False, "count": count, "every": f"{every}ms"},
        })
    # A backend fails its health probe half way through (and stays down).
    timeline.append({"at": f"{1000 + span_ms // 2}ms", "fail_service": {"vm": "web0", "port": 9000}})
    return {
        "title": f"Load test: {flows} flows",
        "seed": seed,
        "duration": f"{1000 + span_ms + 30_000}ms",
        "vnet": {"subnets": [{"name": "default", "prefix": "10.0.0.0/22"}]},
        "public_ips": PUBLIC_IPS,
        "load_balancer": _load_balancer(),
        "vms": [_vm(i) for i in range(vms)],
        "clients": clients,
        "timeline": timeline,
    }


def big_pool(vms: int = 300, connections: int = 200) -> dict:
    """A deployment at the Basic SKU's pool limit: `vms` dual-stack VMs behind one LB."""
    data = load_test(connections, vms=vms, span_ms=20_000)
    data["title"] = f"{vms}-VM pool"
    return data


def to_yaml(data: dict) -> str:
    """The scenario file a course author would write for `data`."""
    import yaml
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120)


def load(data: dict, source: str = "<generated>"):
    """Validate `data` through the same checks as a YAML file (model.scenario)."""
    from lb6.model.scenario.document import load_scenario_data
    return load_scenario_data(data, source)
