"""ARM resource readers for NICs and their IP configurations, VMs and scale sets.

An IP configuration may join pools and NAT rules of the modelled load balancer only; a scale set
is modelled as its first five instances, each with its own NICs. The guest OS comes from the
OS profile, else from the image's publisher and offer.
"""

from __future__ import annotations

from ..errors import Path
from . import resources as c
from .arm_document import Instance, TemplateDocument


class ComputeReader(TemplateDocument):
    """`res_<type>` readers for networkInterfaces, virtualMachines and virtualMachineScaleSets."""

    def ip_config(self, cfg: dict, path: Path, owner: str, pool_key: str = "loadBalancerBackendAddressPools") -> c.IpConfig:
        cp = cfg.get("properties") or {}
        name = str(cfg.get("name"))
        origin = self.origin(path, f"IP configuration '{owner}/{name}'")
        ip = c.IpConfig(name, origin)
        ip.version = c.canon(cp.get("privateIPAddressVersion", "IPv4"), ("IPv4", "IPv6"))
        if str(cp.get("privateIPAllocationMethod", "")).lower() == "static" and \
                cp.get("privateIPAddress"):
            ip.address = str(cp["privateIPAddress"])
        if cp.get("subnet"):
            vnet, sub = self.ref(cp["subnet"], path + ("properties", "subnet"),
                                 "Microsoft.Network/virtualNetworks", "subnets")
            if ip.version == "IPv6":
                self.dep.note(f"IPv6 configuration '{owner}/{name}' names subnet '{sub}'; the "
                              "Basic IPv6 model has no IPv6 subnets (fact 159), so lb6 ignores it",
                              origin)
            elif self.dep.vnet is not None and vnet == self.dep.vnet.name:
                ip.subnet = sub
            else:
                self.dep.note(f"subnet '{sub}' of VNet '{vnet}' is not modelled; lb6 uses the "
                              "modelled VNet's first subnet", origin)
        if cp.get("publicIPAddress"):
            ip.public_ip, _ = self.ref(cp["publicIPAddress"], path + ("properties", "publicIPAddress"),
                                       "Microsoft.Network/publicIPAddresses")
        for key, child, target in ((pool_key, "backendAddressPools", ip.pools),
                                   ("loadBalancerInboundNatRules", "inboundNatRules", ip.nat_rules)):
            for i, ref in enumerate(cp.get(key) or []):
                parent, sub = self.ref(ref, path + ("properties", key, i),
                                       "Microsoft.Network/loadBalancers", child)
                if parent != self.lb_name:
                    self.dep.note(f"'{owner}/{name}' joins '{sub}' of load balancer '{parent}', "
                                  "which is not modelled", origin)
                    continue
                target.append(sub)
        if cp.get("loadBalancerInboundNatPools"):
            self.dep.note(f"'{owner}/{name}': inbound NAT pools are not modelled", origin)
        self._fields(origin, path, ("version", "address", "subnet", "public_ip",
                                    "inbound_nat_rules"))
        origin.fields["backend_pools"] = self._field(path, pool_key)
        return ip

    def res_networkinterfaces(self, inst: Instance) -> None:
        props = self.properties(inst)
        base = inst.path + ("properties",)
        nic = c.Nic(inst.name, self.origin(inst.path, f"NIC '{inst.name}'"))
        for i, cfg in enumerate(self.listing(props, "ipConfigurations", base)):
            self.obj(cfg, self.item_path(inst, "ipConfigurations", i), "ipConfigurations")
            nic.ip_configs.append(self.ip_config(cfg, self.item_path(inst, "ipConfigurations", i),
                                                 inst.name))
        if not nic.ip_configs:
            raise self.fail(base, f"NIC '{inst.name}' has no ipConfigurations; expected at "
                                  "least one")
        if props.get("networkSecurityGroup"):
            nic.nsg, _ = self.ref(props["networkSecurityGroup"], base + ("networkSecurityGroup",),
                                  "Microsoft.Network/networkSecurityGroups")
        self.dep.nics[nic.name] = nic

    def _os(self, props: dict) -> str:
        osp = (props.get("osProfile") or {})
        if "windowsConfiguration" in osp:
            return "windows"
        if "linuxConfiguration" in osp:
            return "linux"
        image = ((props.get("storageProfile") or {}).get("imageReference") or {})
        text = f"{image.get('publisher', '')} {image.get('offer', '')}".lower()
        return "windows" if "windows" in text else "linux"

    def res_virtualmachines(self, inst: Instance) -> None:
        props = self.properties(inst)
        base = inst.path + ("properties",)
        vm = c.Vm(inst.name, self.origin(inst.path, f"VM '{inst.name}'"), self._os(props))
        if props.get("availabilitySet"):
            vm.availability_set, _ = self.ref(props["availabilitySet"], base + ("availabilitySet",),
                                              "Microsoft.Compute/availabilitySets")
        nics = (props.get("networkProfile") or {}).get("networkInterfaces") or []
        for i, ref in enumerate(nics):
            npath = base + ("networkProfile", "networkInterfaces", i)
            nic_name, _ = self.ref(ref, npath, "Microsoft.Network/networkInterfaces")
            primary = (ref.get("properties") or {}).get("primary") if isinstance(ref, dict) else None
            vm.nics.append((nic_name, c.as_bool(primary)))
        if not vm.nics:
            raise self.fail(base, f"VM '{inst.name}' has no networkProfile.networkInterfaces; "
                                  "expected at least one NIC")
        self.dep.vms[vm.name] = vm

    def res_virtualmachinescalesets(self, inst: Instance) -> None:
        props = self.properties(inst)
        base = inst.path + ("properties",)
        sku = self.evaluate(inst.raw.get("sku"), inst.ctx, inst.path + ("sku",)) or {}
        capacity = c.as_int(sku.get("capacity", 2)) if isinstance(sku, dict) else 2
        if not isinstance(capacity, int) or capacity < 0:
            raise self.fail(inst.path + ("sku", "capacity"), f"expected a whole number of "
                            f"instances, got {capacity!r}")
        shown = min(capacity, 5)
        if capacity > shown:
            self.dep.note(f"scale set '{inst.name}' has {capacity} instances; lb6 models the "
                          f"first {shown}", self.origin(inst.path))
        profile = props.get("virtualMachineProfile") or {}
        nic_cfgs = (profile.get("networkProfile") or {}).get("networkInterfaceConfigurations") or []
        npath = base + ("virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations")
        for k in range(shown):
            vm_name = f"{inst.name}-{k}"
            vm = c.Vm(vm_name, self.origin(inst.path, f"scale set '{inst.name}' instance {k}"),
                      self._os(profile), scale_set=inst.name)
            for i, nc in enumerate(nic_cfgs):
                ncp = nc.get("properties") or {}
                nic_name = f"{vm_name}-{nc.get('name')}"
                nic = c.Nic(nic_name, self.origin(npath + (i,), f"scale set NIC '{nc.get('name')}'"))
                for j, cfg in enumerate(ncp.get("ipConfigurations") or []):
                    nic.ip_configs.append(self.ip_config(
                        cfg, npath + (i, "properties", "ipConfigurations", j), nic_name))
                if ncp.get("networkSecurityGroup"):
                    nic.nsg, _ = self.ref(ncp["networkSecurityGroup"],
                                          npath + (i, "properties", "networkSecurityGroup"),
                                          "Microsoft.Network/networkSecurityGroups")
                self.dep.nics[nic_name] = nic
                vm.nics.append((nic_name, c.as_bool(ncp.get("primary"))))
            if not vm.nics:
                raise self.fail(base, f"scale set '{inst.name}' has no network interface "
                                      "configurations")
            self.dep.vms[vm_name] = vm
