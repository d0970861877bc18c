"""ARM resource readers for the VNet and its subnets, NSGs and their rules, and public IPs.

lb6 models one VNet, IPv4-only as the Basic IPv6 model has it (fact 159); IPv6 prefixes and a
second VNet are noted. Child resources declared at the top level (`.../subnets`,
`.../securityRules`) join their parent. A public IP must be Basic SKU.
"""

from __future__ import annotations

from . import resources as c
from .arm_document import PROPERTY_OF, Instance, TemplateDocument


class NetworkReader(TemplateDocument):
    """`res_<type>` readers for virtualNetworks, networkSecurityGroups and publicIPAddresses."""

    def res_virtualnetworks(self, inst: Instance) -> None:
        props = self.properties(inst)
        base = inst.path + ("properties",)
        if self.dep.vnet is not None:
            self.dep.note(f"VNet '{inst.name}' is not modelled: lb6 models one VNet, "
                          f"'{self.dep.vnet.name}'", self.origin(inst.path))
            return
        vnet = c.VNet(inst.name, self.origin(inst.path, f"VNet '{inst.name}'"))
        prefixes = (props.get("addressSpace") or {}).get("addressPrefixes") or []
        for p in prefixes:
            if ":" in str(p):
                self.dep.note(f"IPv6 address space {p} of VNet '{inst.name}' is not modelled: "
                              "in the Basic IPv6 model the VNet is IPv4-only (fact 159)",
                              self.origin(base + ("addressSpace",)))
            else:
                vnet.address_space.append(str(p))
        subnets = [(s, base + ("subnets", i)) for i, s in enumerate(props.get("subnets") or [])]
        subnets += self.child_resources(inst, "subnets")
        for s, spath in subnets:
            sp = s.get("properties") or {}
            prefixes = [sp["addressPrefix"]] if sp.get("addressPrefix") else list(
                sp.get("addressPrefixes") or [])
            v4 = [p for p in prefixes if ":" not in str(p)]
            for p in prefixes:
                if ":" in str(p):
                    self.dep.note(f"IPv6 prefix {p} of subnet '{s.get('name')}' is not modelled "
                                  "(fact 159)", self.origin(spath))
            subnet = c.Subnet(str(s.get("name")), self.origin(spath, f"subnet '{s.get('name')}'"),
                              v4[0] if v4 else None)
            subnet.origin.fields["prefix"] = self._field(spath, "addressPrefix")
            if sp.get("networkSecurityGroup"):
                subnet.nsg, _ = self.ref(sp["networkSecurityGroup"],
                                         spath + ("properties", "networkSecurityGroup"),
                                         "Microsoft.Network/networkSecurityGroups")
            vnet.subnets.append(subnet)
        self.dep.vnet = vnet

    def res_networksecuritygroups(self, inst: Instance) -> None:
        props = self.properties(inst)
        base = inst.path + ("properties",)
        nsg = c.Nsg(inst.name, self.origin(inst.path, f"NSG '{inst.name}'"))
        rules = [(r, base + ("securityRules", i)) for i, r in enumerate(props.get("securityRules") or [])]
        rules += self.child_resources(inst, "securityRules")
        for r, rpath in rules:
            rp = r.get("properties") or {}
            values: dict = {}
            origin = self.origin(rpath, f"NSG rule '{r.get('name')}'")
            for field_name, prop in (("priority", "priority"), ("direction", "direction"),
                                     ("access", "access"), ("protocol", "protocol")):
                if prop in rp:
                    values[field_name] = rp[prop]
            values["priority"] = c.as_int(values.get("priority"))
            values["direction"] = c.canon(values.get("direction", "Inbound"), ("Inbound", "Outbound"))
            values["access"] = c.canon(values.get("access"), ("Allow", "Deny"))
            values["protocol"] = c.canon(values.get("protocol", "*"), ("Tcp", "Udp", "Icmp", "*"))
            for field_name, single, plural in (
                    ("source", "sourceAddressPrefix", "sourceAddressPrefixes"),
                    ("source_port", "sourcePortRange", "sourcePortRanges"),
                    ("destination", "destinationAddressPrefix", "destinationAddressPrefixes"),
                    ("destination_port", "destinationPortRange", "destinationPortRanges")):
                value = rp.get(single)
                many = rp.get(plural) or []
                if value is None and many:
                    value = many[0]
                    if len(many) > 1:
                        self.dep.note(f"NSG rule '{r.get('name')}': only the first of {plural} "
                                      f"({many[0]}) is modelled", origin)
                if value is not None:
                    values[field_name] = str(value)
            for key in PROPERTY_OF:
                if key in values:
                    origin.fields[key] = self._field(rpath, PROPERTY_OF[key])
            values = {k: v for k, v in values.items() if v is not None}
            nsg.rules.append(c.NsgRule(str(r.get("name")), origin, values))
        self.dep.nsgs[nsg.name] = nsg

    def res_publicipaddresses(self, inst: Instance) -> None:
        props = self.properties(inst)
        origin = self.origin(inst.path, f"public IP '{inst.name}'")
        pip = c.PublicIp(inst.name, origin)
        pip.version = c.canon(props.get("publicIPAddressVersion", "IPv4"), ("IPv4", "IPv6"))
        pip.allocation = c.canon(props.get("publicIPAllocationMethod", "Dynamic"),
                                 ("Static", "Dynamic"))
        dns = props.get("dnsSettings") or {}
        if not isinstance(dns, dict):
            raise self.fail(inst.path + ("properties", "dnsSettings"), "expected dnsSettings to be "
                            f"an object such as {{\"domainNameLabel\": ...}}, got {dns!r}")
        pip.dns_label = dns.get("domainNameLabel")
        pip.reverse_fqdn = dns.get("reverseFqdn")
        pip.location = self.resource_location(inst)
        origin.fields["version"] = self._field(inst.path, "publicIPAddressVersion")
        origin.fields["allocation"] = self._field(inst.path, "publicIPAllocationMethod")
        origin.fields["dns_label"] = self._field(inst.path, "dnsSettings")
        sku = self.evaluate(inst.raw.get("sku"), inst.ctx, inst.path + ("sku",)) or {}
        if isinstance(sku, dict) and str(sku.get("name", "Basic")).lower() != "basic":
            raise self.fail(inst.path + ("sku",), f"public IP '{inst.name}' has SKU "
                            f"{sku.get('name')}; lb6 simulates the Basic SKU (expected Basic)")
        if props.get("ipAddress"):
            pip.address = str(props["ipAddress"])
        self.dep.public_ips[pip.name] = pip
