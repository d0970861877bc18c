"""The cmdlets lb6 understands, each building the object the real cmdlet would return.

Configuration cmdlets (`New-AzLoadBalancerRuleConfig`, ...) return plain dicts with Azure's
property names; the deploying ones (`New-AzLoadBalancer`, `New-AzNetworkInterface`, ...) also
record the object as deployed, which is what `ps_build` turns into the deployment. `Get-Az...`
reads back only what the script itself deployed. AzureRM names map onto these.
"""

from __future__ import annotations

from . import resources as c
from .names import FoldedDict, same
from .ps_call import Call, as_list


def _deployed(call: Call, kind: str, what: str):
    name = call.need("Name")
    found = call.r.deployed.get(kind, {}).get(name)
    if found is None:
        raise call.r.fail(f"`{call.name}` reads {what} '{name}', which the script never creates "
                          f"(created: {', '.join(call.r.deployed.get(kind, {})) or 'none'}); lb6 "
                          "reads only what the script itself deploys", "-Name")
    return found


def new_pip(call: Call):
    sku = call.get("Sku")
    if isinstance(sku, str) and sku.lower() != "basic":
        raise call.r.fail(f"public IP SKU {sku}: lb6 simulates the Basic SKU (expected Basic)", "-Sku")
    dns = {}
    if call.get("DomainNameLabel"):
        dns["DomainNameLabel"] = call.get("DomainNameLabel")
    if call.get("ReverseFqdn"):
        dns["ReverseFqdn"] = call.get("ReverseFqdn")
    o = call.r.obj("pip", call.need("Name"), PublicIpAddressVersion=call.get("IpAddressVersion"),
                   PublicIpAllocationMethod=call.get("AllocationMethod"), DnsSettings=dns,
                   Location=call.get("Location"))
    return call.r.deploy("pip", o)


def new_frontend(call: Call):
    pip = call.object_or_id("PublicIpAddress")
    if call.get("Subnet", "SubnetId", "PrivateIpAddress") is not None:
        call.r.dep.note("an internal frontend (subnet / private IP) is not modelled",
                        c.Origin(call.r.line))
    return call.r.obj("frontend", call.need("Name"), PublicIpAddress=pip)


def new_pool(call: Call):
    return call.r.obj("pool", call.need("Name"))


def new_probe(call: Call):
    return call.r.obj("probe", call.need("Name"), Protocol=call.get("Protocol"),
                      Port=call.get("Port"), IntervalInSeconds=call.get("IntervalInSeconds"),
                      NumberOfProbes=call.get("ProbeCount"), RequestPath=call.get("RequestPath"))


def _rule_props(call: Call) -> dict:
    fe = call.object_or_id("FrontendIpConfiguration")
    return {"FrontendIPConfiguration": fe, "Protocol": call.get("Protocol"),
            "FrontendPort": call.get("FrontendPort"), "BackendPort": call.get("BackendPort"),
            "IdleTimeoutInMinutes": call.get("IdleTimeoutInMinutes"),
            "EnableFloatingIP": bool(call.get("EnableFloatingIP"))}


def new_nat_rule(call: Call):
    return call.r.obj("natrule", call.need("Name"), **_rule_props(call))


def new_rule(call: Call):
    pool = call.object_or_id("BackendAddressPool")
    probe = call.object_or_id("Probe")
    return call.r.obj("rule", call.need("Name"), BackendAddressPool=pool, Probe=probe,
                      LoadDistribution=call.get("LoadDistribution"), **_rule_props(call))


def new_lb(call: Call):
    sku = call.get("Sku")
    if isinstance(sku, str) and sku.lower() != "basic":
        raise call.r.fail(f"load balancer SKU {sku}: lb6 simulates the Basic SKU (expected Basic)",
                          "-Sku")
    o = call.r.obj("lb", call.need("Name"),
                   FrontendIpConfigurations=as_list(call.get("FrontendIpConfiguration")),
                   BackendAddressPools=as_list(call.get("BackendAddressPool")),
                   Probes=as_list(call.get("Probe")),
                   LoadBalancingRules=as_list(call.get("LoadBalancingRule")),
                   InboundNatRules=as_list(call.get("InboundNatRule")))
    return call.r.deploy("lb", o)


def new_ipconfig(call: Call):
    subnet = call.object_or_id("Subnet")
    pools = call.object_or_id("LoadBalancerBackendAddressPool", many=True)
    nats = call.object_or_id("LoadBalancerInboundNatRule", many=True)
    call.get("Primary")
    return call.r.obj("ipconfig", call.need("Name"),
                      PrivateIpAddressVersion=call.get("PrivateIpAddressVersion"),
                      PrivateIpAddress=call.get("PrivateIpAddress"), Subnet=subnet,
                      PublicIpAddress=call.get("PublicIpAddress"),
                      LoadBalancerBackendAddressPools=as_list(pools),
                      LoadBalancerInboundNatRules=as_list(nats))


def new_nic(call: Call):
    configs = as_list(call.get("IpConfiguration"))
    if not configs:
        # The single-configuration form: -Subnet/-SubnetId with the pool options on the NIC.
        configs = [new_ipconfig_inline(call)]
    o = call.r.obj("nic", call.need("Name"), IpConfigurations=configs,
                   NetworkSecurityGroup=call.get("NetworkSecurityGroup"))
    return call.r.deploy("nic", o)


def new_ipconfig_inline(call: Call) -> dict:
    name = call.need("Name")
    saved = call.params
    call.params = FoldedDict(saved)
    call.params["Name"] = "ipconfig1"
    try:
        return new_ipconfig(call)
    finally:
        call.params = saved


def new_subnet(call: Call):
    return call.r.obj("subnet", call.need("Name"), AddressPrefix=call.get("AddressPrefix"),
                      NetworkSecurityGroup=call.get("NetworkSecurityGroup"))


def new_vnet(call: Call):
    o = call.r.obj("vnet", call.need("Name"), AddressPrefix=call.get("AddressPrefix"),
                   Subnets=as_list(call.get("Subnet")))
    return call.r.deploy("vnet", o)


def get_subnet(call: Call):
    vnet = call.get("VirtualNetwork")
    name = call.need("Name")
    if not isinstance(vnet, dict):
        raise call.r.fail(f"`{call.name}` needs -VirtualNetwork with a VNet object", "-VirtualNetwork")
    for s in as_list(vnet.get("Subnets")):
        if same(s.get("Name"), name):
            return s
    raise call.r.fail(f"VNet '{vnet.get('Name')}' has no subnet '{name}'", "-Name")


def new_nsg_rule(call: Call):
    return call.r.obj("nsgrule", call.need("Name"), Priority=call.get("Priority"),
                      Direction=call.get("Direction"), Access=call.get("Access"),
                      Protocol=call.get("Protocol"),
                      SourceAddressPrefix=call.get("SourceAddressPrefix"),
                      SourcePortRange=call.get("SourcePortRange"),
                      DestinationAddressPrefix=call.get("DestinationAddressPrefix"),
                      DestinationPortRange=call.get("DestinationPortRange"))


def new_nsg(call: Call):
    o = call.r.obj("nsg", call.need("Name"), SecurityRules=as_list(call.get("SecurityRules")))
    return call.r.deploy("nsg", o)


def new_avset(call: Call):
    return call.r.deploy("avset", call.r.obj("avset", call.need("Name")))


def new_vm_config(call: Call):
    avset = call.get("AvailabilitySetId")
    o = call.r.obj("vmconfig", call.need("VMName"), _avset=c.last_segment(avset) if avset else None,
                   _nics=[], _os="linux")
    return o


def _vm_arg(call: Call) -> dict:
    vm = call.get("VM")
    if not isinstance(vm, dict) or vm.get("_kind") != "vmconfig":
        raise call.r.fail(f"`{call.name}` needs -VM with an object from New-AzVMConfig", "-VM")
    return vm


def add_vm_nic(call: Call):
    vm = _vm_arg(call)
    ident = call.get("Id", "NetworkInterface")
    if isinstance(ident, dict):
        ident = ident.get("Id") or ident.get("Name")
    if not ident:
        raise call.r.fail("`Add-AzVMNetworkInterface` needs -Id (the NIC's .Id)", "-Id")
    vm["_nics"].append({"Id": str(ident), "Primary": bool(call.get("Primary")) or None,
                        "_line": call.r.line})
    return vm


def set_vm_os(call: Call):
    vm = _vm_arg(call)
    if call.get("Windows"):
        vm["_os"] = "windows"
    elif call.get("Linux"):
        vm["_os"] = "linux"
    call.used.update(call.params)
    return vm


def vm_passthrough(call: Call):
    vm = _vm_arg(call)
    call.used.update(call.params)
    call.r.skip(call.name)
    return vm


def new_vm(call: Call):
    vm = _vm_arg(call)
    vm["_line"] = call.r.line if vm.get("_line") is None else vm["_line"]
    call.r.deployed.setdefault("vm", FoldedDict())[vm["Name"]] = vm
    return vm


def setter(call: Call):
    """Set-AzLoadBalancer / Set-AzNetworkInterface: the object, already changed in place."""
    call.used.update(call.params)
    return next((v for v in call.params.values() if isinstance(v, dict)), None)


# Cmdlet names match in any case, as PowerShell finds them.
CMDLETS = FoldedDict({
    "new-azpublicipaddress": new_pip,
    "new-azloadbalancerfrontendipconfig": new_frontend,
    "new-azloadbalancerbackendaddresspoolconfig": new_pool,
    "new-azloadbalancerinboundnatruleconfig": new_nat_rule,
    "new-azloadbalancerprobeconfig": new_probe,
    "new-azloadbalancerruleconfig": new_rule,
    "new-azloadbalancer": new_lb,
    "new-aznetworkinterfaceipconfig": new_ipconfig,
    "new-aznetworkinterface": new_nic,
    "new-azvirtualnetwork": new_vnet,
    "new-azvirtualnetworksubnetconfig": new_subnet,
    "get-azvirtualnetworksubnetconfig": get_subnet,
    "new-aznetworksecurityruleconfig": new_nsg_rule,
    "new-aznetworksecuritygroup": new_nsg,
    "new-azavailabilityset": new_avset,
    "new-azvmconfig": new_vm_config,
    "add-azvmnetworkinterface": add_vm_nic,
    "set-azvmoperatingsystem": set_vm_os,
    "set-azvmsourceimage": vm_passthrough,
    "set-azvmosdisk": vm_passthrough,
    "set-azvmbootdiagnostic": vm_passthrough,
    "new-azvm": new_vm,
    "get-azvirtualnetwork": lambda call: _deployed(call, "vnet", "VNet"),
    "get-azpublicipaddress": lambda call: _deployed(call, "pip", "public IP"),
    "get-azloadbalancer": lambda call: _deployed(call, "lb", "load balancer"),
    "get-aznetworkinterface": lambda call: _deployed(call, "nic", "network interface"),
    "get-azavailabilityset": lambda call: _deployed(call, "avset", "availability set"),
    "get-aznetworksecuritygroup": lambda call: _deployed(call, "nsg", "NSG"),
    "set-azloadbalancer": setter,
    "set-aznetworkinterface": setter,
})
