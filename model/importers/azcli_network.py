"""az CLI handlers for the VNet, its subnets, NSGs and NSG rules.

lb6 models one VNet, IPv4-only as the Basic IPv6 model has it (fact 159): IPv6 prefixes and a
second VNet are noted, not modelled.
"""

from __future__ import annotations

from . import resources as c
from .names import same
from .azcli_command import Command, int_or_none, network_id


def vnet_create(cmd: Command):
    name = cmd.need("--name")
    dep = cmd.r.dep
    if dep.vnet is not None:
        dep.note(f"VNet '{name}' is not modelled: lb6 models one VNet, '{dep.vnet.name}'",
                 c.Origin(cmd.line))
        cmd.read.update(cmd.opts)
        return network_id("virtualNetworks", name)
    vnet = c.VNet(name, cmd.origin(f"VNet '{name}'"))
    for p in cmd.many("--address-prefixes", "--address-prefix"):
        if ":" in p:
            dep.note(f"IPv6 address space {p} is not modelled (fact 159)", c.Origin(cmd.line))
        else:
            vnet.address_space.append(p)
    sub = cmd.get("--subnet-name")
    prefixes = [p for p in cmd.many("--subnet-prefixes", "--subnet-prefix") if ":" not in p]
    if sub:
        vnet.subnets.append(c.Subnet(sub, cmd.origin(f"subnet '{sub}'", {"prefix": "--subnet-prefixes"}),
                                     prefixes[0] if prefixes else None))
    dep.vnet = vnet
    return network_id("virtualNetworks", name)


def subnet_create(cmd: Command):
    dep = cmd.r.dep
    vnet_name = cmd.need("--vnet-name")
    name = cmd.need("--name")
    if dep.vnet is None or not same(dep.vnet.name, vnet_name):
        raise cmd.r.fail(cmd.line, f"no VNet named '{vnet_name}' was created earlier in the "
                                   f"script (created: {dep.vnet.name if dep.vnet else 'none'})",
                         "--vnet-name")
    prefixes = cmd.many("--address-prefixes", "--address-prefix")
    v4 = [p for p in prefixes if ":" not in p]
    if len(v4) != len(prefixes):
        dep.note(f"IPv6 prefix of subnet '{name}' is not modelled (fact 159)", c.Origin(cmd.line))
    subnet = c.Subnet(name, cmd.origin(f"subnet '{name}'", {"prefix": "--address-prefixes"}),
                      v4[0] if v4 else None)
    nsg = cmd.get("--network-security-group", "--nsg")
    if nsg:
        subnet.nsg = cmd.nsg_ref(nsg, "--network-security-group")
    dep.vnet.subnets.append(subnet)
    return network_id("virtualNetworks", vnet_name, "subnets", name)


def nsg_create(cmd: Command):
    name = cmd.need("--name")
    cmd.r.dep.nsgs[name] = c.Nsg(name, cmd.origin(f"NSG '{name}'"))
    return network_id("networkSecurityGroups", name)


def nsg_rule_create(cmd: Command):
    nsg_name = cmd.need("--nsg-name")
    nsg = cmd.r.dep.nsgs.get(nsg_name)
    if nsg is None:
        raise cmd.r.fail(cmd.line, f"no NSG named '{nsg_name}' was created earlier in the script",
                         "--nsg-name")
    name = cmd.need("--name")
    fields = {"priority": "--priority", "direction": "--direction", "access": "--access",
              "protocol": "--protocol", "source": "--source-address-prefixes",
              "source_port": "--source-port-ranges",
              "destination": "--destination-address-prefixes",
              "destination_port": "--destination-port-ranges"}
    origin = cmd.origin(f"NSG rule '{name}'", fields)
    values = {"priority": int_or_none(cmd.need("--priority")),
              "direction": c.canon(cmd.get("--direction", default="Inbound"), ("Inbound", "Outbound")),
              "access": c.canon(cmd.get("--access", default="Allow"), ("Allow", "Deny")),
              "protocol": c.canon(cmd.get("--protocol", default="*"), ("Tcp", "Udp", "Icmp", "*"))}
    for field_name, opt in (("source", "--source-address-prefixes"),
                            ("source_port", "--source-port-ranges"),
                            ("destination", "--destination-address-prefixes"),
                            ("destination_port", "--destination-port-ranges")):
        items = cmd.many(opt, opt.rstrip("es") if opt.endswith("prefixes") else opt.rstrip("s"))
        if items:
            values[field_name] = items[0]
            if len(items) > 1:
                cmd.r.dep.note(f"NSG rule '{name}': only the first of {opt} ({items[0]}) is "
                               "modelled", c.Origin(cmd.line))
    nsg.rules.append(c.NsgRule(name, origin, values))
    return network_id("networkSecurityGroups", nsg_name, "securityRules", name)
