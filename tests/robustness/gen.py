"""Hypothesis strategies for scenario data within the format: random but loadable topologies.

A topology is plain scenario data (the dict a YAML file or an importer produces), so it goes
through `load_scenario_data`, the same door as every other input. Addresses are left for the
loader to assign except where a test needs to know them.
"""

from __future__ import annotations

from hypothesis import strategies as st

FQDN = "contoso.westus.cloudapp.azure.com"
SERVICE_PORTS = {("Tcp", 80), ("Tcp", 8080), ("Tcp", 443), ("Udp", 53), ("Udp", 5000)}
RULE_PORTS = (80, 443, 53, 8080, 5000)
NSG_PREFIXES = ("*", "Internet", "VirtualNetwork", "AzureLoadBalancer", "198.51.100.0/24",
                "10.0.0.0/16", "203.0.113.0/24")
NSG_PORTS = ("*", "80", "80,443", "53", "1000-9000", "8080")


@st.composite
def nsg_rules(draw, n_max: int = 4) -> list[dict]:
    priorities = draw(st.lists(st.integers(100, 4096), min_size=0, max_size=n_max, unique=True))
    rules = []
    for i, priority in enumerate(priorities):
        rules.append({
            "name": f"r{i}",
            "priority": priority,
            "direction": draw(st.sampled_from(["Inbound", "Inbound", "Outbound"])),
            "access": draw(st.sampled_from(["Allow", "Deny"])),
            "protocol": draw(st.sampled_from(["Tcp", "Udp", "*", "Icmp"])),
            "source": draw(st.sampled_from(NSG_PREFIXES)),
            "destination": draw(st.sampled_from(("*", "*", "VirtualNetwork", "10.0.0.0/24"))),
            "destination_port": draw(st.sampled_from(NSG_PORTS)),
        })
    return rules


@st.composite
def topologies(draw) -> dict:
    """Scenario data: 1-4 VMs, IPv4 and IPv6 frontends, rules, probes, NSGs, clients, hosts."""
    n_vms = draw(st.integers(1, 4))
    second_v4 = draw(st.booleans())
    public_ips = [
        {"name": "pip-v4", "version": "IPv4", "dns_label": "contoso"},
        {"name": "pip-v6", "version": "IPv6", "dns_label": "contoso"},
    ]
    frontends = [{"name": "fe-v4", "public_ip": "pip-v4"}, {"name": "fe-v6", "public_ip": "pip-v6"}]
    if second_v4:
        public_ips.append({"name": "pip-v4b", "version": "IPv4"})
        frontends.append({"name": "fe-v4b", "public_ip": "pip-v4b"})
    family_of_fe = {"fe-v4": "IPv4", "fe-v6": "IPv6", "fe-v4b": "IPv4"}

    probes = []
    for i in range(draw(st.integers(0, 2))):
        proto = draw(st.sampled_from(["Tcp", "Http"]))
        probes.append({
            "name": f"probe{i}", "protocol": proto,
            "port": draw(st.sampled_from([80, 8080, 443] if proto == "Http" else [80, 8080, 443, 22])),
            "interval_s": draw(st.integers(5, 15)),
            "number_of_probes": draw(st.integers(1, 3)),
        })
        if proto == "Http":
            probes[-1]["request_path"] = "/"

    rules = []
    used_front: set = set()
    used_back: set = set()
    for i in range(draw(st.integers(1, 4))):
        fe = draw(st.sampled_from([f["name"] for f in frontends]))
        proto = draw(st.sampled_from(["Tcp", "Tcp", "Udp"]))
        fport = draw(st.sampled_from(RULE_PORTS))
        bport = draw(st.sampled_from(RULE_PORTS))
        family = family_of_fe[fe]
        pool = "pool-v4" if family == "IPv4" else "pool-v6"
        # Fact 52: one (frontend, protocol, port) per rule and one backend port per pool.
        if (fe, proto, fport) in used_front or (pool, proto, bport) in used_back:
            continue
        used_front.add((fe, proto, fport))
        used_back.add((pool, proto, bport))
        rule = {"name": f"rule{i}", "frontend": fe, "backend_pool": pool, "protocol": proto,
                "frontend_port": fport, "backend_port": bport}
        if probes and draw(st.booleans()):
            rule["probe"] = draw(st.sampled_from([p["name"] for p in probes]))
        if draw(st.booleans()):
            rule["idle_timeout_min"] = draw(st.integers(4, 30))
        if draw(st.booleans()):
            rule["load_distribution"] = draw(st.sampled_from(["Default", "SourceIP",
                                                              "SourceIPProtocol"]))
        rules.append(rule)

    nsgs = []
    if draw(st.booleans()):
        nsgs.append({"name": "nsg1", "rules": draw(nsg_rules())})

    vms = []
    for v in range(n_vms):
        dual = draw(st.booleans()) or v == 0
        ip_configs = [{"name": "ipv4", "version": "IPv4", "backend_pools": ["pool-v4"]}]
        if dual:
            ip_configs.append({"name": "ipv6", "version": "IPv6", "backend_pools": ["pool-v6"]})
        nic = {"name": f"vm{v}-nic", "ip_configs": ip_configs}
        if nsgs and draw(st.booleans()):
            nic["nsg"] = "nsg1"
        services = []
        for proto, port in sorted(draw(st.sets(st.sampled_from(sorted(SERVICE_PORTS)),
                                               min_size=0, max_size=4))):
            svc = {"protocol": proto, "port": port}
            if proto == "Tcp" and draw(st.integers(0, 9)) == 0:
                svc["http_status"] = 500
            services.append(svc)
        os_ = draw(st.sampled_from(["linux", "windows"]))
        vm = {"name": f"vm{v}", "os": os_, "availability_set": "avset", "nics": [nic],
              "services": services}
        if os_ == "linux":
            vm["dhcpv6"] = draw(st.sampled_from([True, True, False]))
        vms.append(vm)

    clients = []
    for c, stack in enumerate(draw(st.lists(st.sampled_from(["ipv4", "ipv6", "dual"]),
                                            min_size=1, max_size=3))):
        client = {"name": f"client{c}", "stack": stack,
                  "latency_ms": draw(st.integers(0, 60))}
        if draw(st.booleans()):
            client["connect_timeout_ms"] = draw(st.integers(500, 5000))
        clients.append(client)

    hosts = [{"name": "web", "kind": "internet", "addresses": ["192.0.2.80", "2001:db8:99::80"],
              "services": [{"protocol": "Tcp", "port": 443}, {"protocol": "Udp", "port": 53}]}]
    if draw(st.booleans()):
        hosts.append({"name": "onprem", "kind": "on-premises", "addresses": ["172.16.0.9"],
                      "services": [{"protocol": "Tcp", "port": 443}]})

    return {
        "title": "generated",
        "seed": draw(st.integers(0, 2**32)),
        "public_ips": public_ips,
        "load_balancer": {"name": "lb",
                          "frontends": frontends,
                          "backend_pools": [{"name": "pool-v4"}, {"name": "pool-v6"}],
                          "probes": probes, "rules": rules},
        "vms": vms,
        "nsgs": nsgs,
        "clients": clients,
        "hosts": hosts,
    }
