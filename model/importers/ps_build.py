"""The deployment from a PowerShell script's deployed objects.

The interpreter leaves dicts shaped as the cmdlets return them; this reads them into the
`Deployment` in dependency order (VNet, NSGs, public IPs, the load balancer, NICs, VMs), checks
that each object a parameter names was made by the right cmdlet and deployed, and records where
each value was set (the cmdlet's line, or a later `$x.Prop = value`) for problems found later.
"""

from __future__ import annotations

from . import resources as c
from .ps_call import as_list

RULE_PARAMS = {"protocol": "-Protocol", "frontend_port": "-FrontendPort",
               "backend_port": "-BackendPort", "idle_timeout_min": "-IdleTimeoutInMinutes",
               "load_distribution": "-LoadDistribution", "floating_ip": "-EnableFloatingIP",
               "frontend": "-FrontendIpConfiguration", "backend_pool": "-BackendAddressPool",
               "probe": "-Probe"}

# Object property (as a script may set it) → scenario field, for locating problems.
PROP_FIELDS = {"idletimeoutinminutes": "idle_timeout_min", "loaddistribution": "load_distribution",
               "enablefloatingip": "floating_ip", "frontendport": "frontend_port",
               "backendport": "backend_port", "protocol": "protocol",
               "publicipallocationmethod": "allocation", "privateipaddressversion": "version"}


def build(reader) -> None:
    """Fill the reader's deployment from the objects the script deployed, in dependency order."""
    dep = reader.dep
    for o in reader.deployed.get("vnet", {}).values():
        if dep.vnet is not None:
            dep.note(f"VNet '{o['Name']}' is not modelled: lb6 models one VNet", origin_of(o))
            continue
        vnet = c.VNet(o["Name"], origin_of(o, f"VNet '{o['Name']}'"))
        for p in as_list(o.get("AddressPrefix")):
            if ":" in str(p):
                dep.note(f"IPv6 address space {p} is not modelled (fact 159)", origin_of(o))
            else:
                vnet.address_space.append(str(p))
        for s in objs(reader, o, "Subnets", "subnet", "Subnet", "New-AzVirtualNetworkSubnetConfig"):
            prefixes = [p for p in as_list(s.get("AddressPrefix")) if ":" not in str(p)]
            subnet = c.Subnet(s["Name"], origin_of(s, f"subnet '{s['Name']}'",
                                                   {"prefix": "-AddressPrefix"}),
                              prefixes[0] if prefixes else None)
            subnet.nsg = reader.name_of(s.get("NetworkSecurityGroup"), "NSG", "NetworkSecurityGroup")
            vnet.subnets.append(subnet)
        dep.vnet = vnet
    for o in reader.deployed.get("nsg", {}).values():
        nsg = c.Nsg(o["Name"], origin_of(o, f"NSG '{o['Name']}'"))
        for r in objs(reader, o, "SecurityRules", "nsgrule", "SecurityRules", "New-AzNetworkSecurityRuleConfig"):
            values = {"priority": c.as_int(r.get("Priority")),
                      "direction": c.canon(r.get("Direction", "Inbound"), ("Inbound", "Outbound")),
                      "access": c.canon(r.get("Access"), ("Allow", "Deny")),
                      "protocol": c.canon(r.get("Protocol", "*"), ("Tcp", "Udp", "Icmp", "*"))}
            for f, key in (("source", "SourceAddressPrefix"), ("source_port", "SourcePortRange"),
                           ("destination", "DestinationAddressPrefix"),
                           ("destination_port", "DestinationPortRange")):
                items = as_list(r.get(key))
                if items:
                    values[f] = str(items[0])
            nsg.rules.append(c.NsgRule(r["Name"], origin_of(r, f"NSG rule '{r['Name']}'", {
                "priority": "-Priority", "access": "-Access", "direction": "-Direction",
                "protocol": "-Protocol"}), {k: v for k, v in values.items() if v is not None}))
        dep.nsgs[nsg.name] = nsg
    for o in reader.deployed.get("pip", {}).values():
        pip = c.PublicIp(o["Name"], origin_of(o, f"public IP '{o['Name']}'", {
            "version": "-IpAddressVersion", "allocation": "-AllocationMethod",
            "dns_label": "-DomainNameLabel", "reverse_fqdn": "-ReverseFqdn"}))
        pip.version = c.canon(o.get("PublicIpAddressVersion") or "IPv4", ("IPv4", "IPv6"))
        pip.allocation = c.canon(o.get("PublicIpAllocationMethod") or "Dynamic", ("Static", "Dynamic"))
        dns = o.get("DnsSettings") or {}
        pip.dns_label = dns.get("DomainNameLabel")
        pip.reverse_fqdn = dns.get("ReverseFqdn")
        pip.location = c.normalise_location(o.get("Location"))
        dep.public_ips[pip.name] = pip
    lbs = list(reader.deployed.get("lb", {}).values())
    for extra in lbs[1:]:
        dep.note(f"load balancer '{extra['Name']}' is not modelled: lb6 simulates one load "
                 f"balancer, '{lbs[0]['Name']}'", origin_of(extra))
    if lbs:
        build_lb(reader, lbs[0])
    for o in reader.deployed.get("nic", {}).values():
        nic = c.Nic(o["Name"], origin_of(o, f"NIC '{o['Name']}'"))
        for cfg in objs(reader, o, "IpConfigurations", "ipconfig", "IpConfiguration", "New-AzNetworkInterfaceIpConfig"):
            nic.ip_configs.append(build_ipconfig(reader, cfg, o["Name"]))
        nic.nsg = reader.name_of(o.get("NetworkSecurityGroup"), "NSG", "NetworkSecurityGroup")
        dep.nics[nic.name] = nic
    for o in reader.deployed.get("vm", {}).values():
        vm = c.Vm(o["Name"], origin_of(o, f"VM '{o['Name']}'"), o.get("_os", "linux"))
        vm.availability_set = o.get("_avset")
        for ref in o.get("_nics", []):
            nic_name = c.last_segment(ref["Id"])
            if nic_name not in dep.nics:
                raise reader.fail(f"VM '{o['Name']}' adds network interface '{nic_name}', which "
                                  "the script never creates with New-AzNetworkInterface",
                                  line=ref["_line"])
            vm.nics.append((nic_name, ref["Primary"]))
        if not vm.nics:
            raise reader.fail(f"VM '{o['Name']}' has no network interface; expected "
                              "Add-AzVMNetworkInterface before New-AzVM", line=o["_line"])
        if not any(p for _, p in vm.nics):
            vm.nics = [(n, None) for n, _ in vm.nics]
        dep.vms[vm.name] = vm
    if dep.load_balancer is None and not dep.nics:
        raise reader.fail("no load balancer or network interface is created in this script; "
                          "expected New-AzLoadBalancer, New-AzNetworkInterface …", line=1)


def objs(reader, o: dict, key: str, kind: str, param: str, cmdlet: str) -> list[dict]:
    """The objects in o[key], each made by `cmdlet`; anything else is an error at o's line."""
    out = []
    for item in as_list(o.get(key)):
        if not isinstance(item, dict) or item.get("_kind") != kind:
            got = "nothing (is the cmdlet that should make it misspelled or skipped?)" \
                if item is None else repr(item)[:80]
            raise reader.fail(f"'{o.get('Name')}': -{param} expects objects made by {cmdlet}, "
                              f"got {got}", "-" + param, o.get("_line"))
        out.append(item)
    return out


def origin_of(o: dict, what: str = "", fields: dict | None = None) -> c.Origin:
    """Where object `o` was made, and where any property a later statement set."""
    origin = c.Origin(o.get("_line"), (), what)
    for f, param in (fields or {}).items():
        origin.fields[f] = (o.get("_line"), (param,))
    for prop, line in (o.get("_set") or {}).items():
        f = PROP_FIELDS.get(prop)
        if f:
            origin.fields[f] = (line, ("$…." + prop,))
    return origin


def build_lb(reader, o: dict) -> None:
    lb = c.LoadBalancer(o["Name"], origin_of(o, f"load balancer '{o['Name']}'"))
    reader.dep.load_balancer = lb
    for f in objs(reader, o, "FrontendIpConfigurations", "frontend", "FrontendIpConfiguration", "New-AzLoadBalancerFrontendIpConfig"):
        pip = f.get("PublicIpAddress")
        if pip is None:
            reader.dep.note(f"frontend '{f['Name']}' has no public IP (internal); not modelled",
                            origin_of(f))
            continue
        name = reader.name_of(pip, "public IP", "PublicIpAddress")
        if name not in reader.deployed.get("pip", {}):
            raise reader.fail(f"frontend '{f['Name']}' uses public IP '{name}', which the "
                              "script never creates with New-AzPublicIpAddress",
                              "-PublicIpAddress", f["_line"])
        lb.frontends.append(c.Frontend(f["Name"], origin_of(f, f"frontend '{f['Name']}'"), name))
    for p in objs(reader, o, "BackendAddressPools", "pool", "BackendAddressPool", "New-AzLoadBalancerBackendAddressPoolConfig"):
        lb.pools.append(c.Pool(p["Name"], origin_of(p, f"backend pool '{p['Name']}'")))
    for p in objs(reader, o, "Probes", "probe", "Probe", "New-AzLoadBalancerProbeConfig"):
        lb.probes.append(c.Probe(
            p["Name"], origin_of(p, f"probe '{p['Name']}'", {
                "protocol": "-Protocol", "port": "-Port", "interval_s": "-IntervalInSeconds",
                "number_of_probes": "-ProbeCount", "request_path": "-RequestPath"}),
            c.canon(p.get("Protocol") or "Tcp", ("Tcp", "Http", "Https")), c.as_int(p.get("Port")),
            c.as_int(p.get("IntervalInSeconds") or 15), c.as_int(p.get("NumberOfProbes") or 2),
            p.get("RequestPath")))
    for r in objs(reader, o, "LoadBalancingRules", "rule", "LoadBalancingRule", "New-AzLoadBalancerRuleConfig"):
        rule = c.Rule(r["Name"], origin_of(r, f"rule '{r['Name']}'", RULE_PARAMS))
        rule.frontend = reader.name_of(r.get("FrontendIPConfiguration"), "frontend", "FrontendIpConfiguration")
        rule.backend_pool = reader.name_of(r.get("BackendAddressPool"), "backend pool", "BackendAddressPool")
        rule.probe = reader.name_of(r.get("Probe"), "probe", "Probe")
        _rule_values(rule, r)
        rule.load_distribution = c.canon(r.get("LoadDistribution") or "Default",
                                         ("Default", "SourceIP", "SourceIPProtocol"))
        lb.rules.append(rule)
    for r in objs(reader, o, "InboundNatRules", "natrule", "InboundNatRule", "New-AzLoadBalancerInboundNatRuleConfig"):
        rule = c.NatRule(r["Name"], origin_of(r, f"inbound NAT rule '{r['Name']}'", RULE_PARAMS))
        rule.frontend = reader.name_of(r.get("FrontendIPConfiguration"), "frontend", "FrontendIpConfiguration")
        _rule_values(rule, r)
        lb.nat_rules.append(rule)


def _rule_values(rule, r: dict) -> None:
    rule.protocol = c.canon(r.get("Protocol"), ("Tcp", "Udp", "All"))
    rule.frontend_port = c.as_int(r.get("FrontendPort"))
    rule.backend_port = c.as_int(r.get("BackendPort"))
    rule.idle_timeout_min = c.as_int(r.get("IdleTimeoutInMinutes") or 4)
    rule.floating_ip = bool(r.get("EnableFloatingIP"))


def build_ipconfig(reader, cfg: dict, owner: str) -> c.IpConfig:
    if not isinstance(cfg, dict) or cfg.get("_kind") != "ipconfig":
        raise reader.fail(f"NIC '{owner}': -IpConfiguration expects objects from "
                          f"New-AzNetworkInterfaceIpConfig, got {cfg!r}")
    ip = c.IpConfig(cfg["Name"], origin_of(cfg, f"IP configuration '{owner}/{cfg['Name']}'", {
        "version": "-PrivateIpAddressVersion", "address": "-PrivateIpAddress",
        "subnet": "-Subnet", "public_ip": "-PublicIpAddress",
        "backend_pools": "-LoadBalancerBackendAddressPool",
        "inbound_nat_rules": "-LoadBalancerInboundNatRule"}))
    ip.version = c.canon(cfg.get("PrivateIpAddressVersion") or "IPv4", ("IPv4", "IPv6"))
    ip.address = cfg.get("PrivateIpAddress")
    subnet = reader.name_of(cfg.get("Subnet"), "subnet", "Subnet")
    if subnet and ip.version == "IPv6":
        reader.dep.note(f"IPv6 configuration '{owner}/{cfg['Name']}' names subnet '{subnet}'; "
                        "the Basic IPv6 model has no IPv6 subnets (fact 159), so lb6 ignores it",
                        origin_of(cfg))
    elif subnet:
        ip.subnet = subnet
    pip = reader.name_of(cfg.get("PublicIpAddress"), "public IP", "PublicIpAddress")
    if pip is not None and pip not in reader.deployed.get("pip", {}):
        raise reader.fail(f"IP configuration '{cfg['Name']}' uses public IP '{pip}', which the "
                          "script never creates", "-PublicIpAddress", cfg["_line"])
    ip.public_ip = pip
    ip.pools = [reader.name_of(p, "pool", "LoadBalancerBackendAddressPool")
                for p in as_list(cfg.get("LoadBalancerBackendAddressPools"))]
    ip.nat_rules = [reader.name_of(p, "NAT rule", "LoadBalancerInboundNatRule")
                    for p in as_list(cfg.get("LoadBalancerInboundNatRules"))]
    return ip
