"""az CLI handlers for the VMs' side: NICs and their IP configurations, availability sets, VMs.

A VM created without `--nics` gets the one IPv4 NIC `az vm create` would make, in no backend
pool; an IPv6 configuration's subnet is noted and ignored (fact 159).
"""

from __future__ import annotations

from . import resources as c
from .azcli_command import Command, network_id


IPCONFIG_FIELDS = {"version": "--private-ip-address-version", "address": "--private-ip-address",
                   "subnet": "--subnet", "public_ip": "--public-ip-address",
                   "backend_pools": "--lb-address-pools",
                   "inbound_nat_rules": "--lb-inbound-nat-rules"}


def _ip_config(cmd: Command, name: str, owner: str) -> c.IpConfig:
    dep = cmd.r.dep
    cfg = c.IpConfig(name, cmd.origin(f"IP configuration '{owner}/{name}'", IPCONFIG_FIELDS))
    cfg.version = c.canon(cmd.get("--private-ip-address-version", default="IPv4"), ("IPv4", "IPv6"))
    cfg.address = cmd.get("--private-ip-address")
    subnet = cmd.get("--subnet")
    if subnet:
        if cfg.version == "IPv6":
            dep.note(f"IPv6 configuration '{owner}/{name}' names a subnet; the Basic IPv6 model "
                     "has no IPv6 subnets (fact 159), so lb6 ignores it", c.Origin(cmd.line))
        else:
            cfg.subnet = c.last_segment(subnet)
    pip = cmd.get("--public-ip-address")
    if pip:
        pip_name = c.last_segment(pip)
        if pip_name not in dep.public_ips:
            raise cmd.r.fail(cmd.line, f"no public IP named '{pip_name}' was created earlier in "
                                       "the script", "--public-ip-address")
        cfg.public_ip = pip_name
    cfg.pools = [c.last_segment(p) for p in cmd.many("--lb-address-pools")]
    cfg.nat_rules = [c.last_segment(p) for p in cmd.many("--lb-inbound-nat-rules")]
    if (cfg.pools or cfg.nat_rules) and dep.load_balancer is None:
        raise cmd.r.fail(cmd.line, "the NIC joins a load balancer's pool or NAT rule, but no "
                                   "load balancer was created earlier in the script",
                         "--lb-address-pools")
    return cfg


def nic_create(cmd: Command):
    dep = cmd.r.dep
    name = cmd.need("--name")
    nic = c.Nic(name, cmd.origin(f"NIC '{name}'"))
    nic.ip_configs.append(_ip_config(cmd, cmd.get("--ip-config-name", default="ipconfig1"), name))
    nsg = cmd.get("--network-security-group")
    if nsg:
        nic.nsg = cmd.nsg_ref(nsg, "--network-security-group")
    dep.nics[name] = nic
    return network_id("networkInterfaces", name)


def nic_ipconfig_create(cmd: Command):
    dep = cmd.r.dep
    nic_name = cmd.need("--nic-name")
    nic = dep.nics.get(nic_name)
    if nic is None:
        raise cmd.r.fail(cmd.line, f"no NIC named '{nic_name}' was created earlier in the script "
                                   f"(created: {', '.join(dep.nics) or 'none'})", "--nic-name")
    name = cmd.need("--name")
    nic.ip_configs.append(_ip_config(cmd, name, nic_name))
    return network_id("networkInterfaces", nic_name, "ipConfigurations", name)


def avset_create(cmd: Command):
    name = cmd.need("--name")
    cmd.r.avsets.add(name)
    return c.resource_id("Microsoft.Compute/availabilitySets", name)


def vm_create(cmd: Command):
    dep = cmd.r.dep
    name = cmd.need("--name")
    image = str(cmd.get("--image", default=""))
    os_name = "windows" if "win" in image.lower() else "linux"
    vm = c.Vm(name, cmd.origin(f"VM '{name}'"), os_name)
    avset = cmd.get("--availability-set")
    if avset:
        vm.availability_set = c.last_segment(avset)
        if vm.availability_set not in cmd.r.avsets:
            dep.note(f"availability set '{vm.availability_set}' is not created earlier in the "
                     "script; lb6 takes it as given", c.Origin(cmd.line))
    nics = cmd.many("--nics")
    for i, n in enumerate(nics):
        nic_name = c.last_segment(n)
        if nic_name not in dep.nics:
            raise cmd.r.fail(cmd.line, f"no NIC named '{nic_name}' was created earlier in the "
                                       f"script (created: {', '.join(dep.nics) or 'none'})",
                             "--nics")
        vm.nics.append((nic_name, i == 0))
    if not nics:
        # Without --nics, az vm create makes a NIC (IPv4) in the given or default subnet.
        nic_name = f"{name}VMNic"
        nic = c.Nic(nic_name, cmd.origin(f"NIC '{nic_name}' made by az vm create"))
        subnet = cmd.get("--subnet")
        nic.ip_configs.append(c.IpConfig(f"ipconfig{name}", nic.origin,
                                         subnet=c.last_segment(subnet) if subnet else None))
        dep.nics[nic_name] = nic
        vm.nics.append((nic_name, None))
        dep.note(f"VM '{name}' has no --nics; lb6 gives it one IPv4 NIC, '{nic_name}', in no "
                 "backend pool", c.Origin(cmd.line))
        cmd.read.update({"--vnet-name", "--subnet", "--public-ip-address", "--nsg"})
        if cmd.opts.get("--public-ip-address") not in (None, [], [""], ['""']):
            dep.note(f"VM '{name}': the instance-level public IP az vm create would add is not "
                     "modelled", c.Origin(cmd.line))
    dep.vms[name] = vm
    return None
