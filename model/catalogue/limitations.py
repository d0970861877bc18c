"""Catalogue entries for the source document's limitations (facts 11-25).

Each limitation's check finds a configuration that breaks it: most are errors, because Azure
refuses the deployment; the ones Azure accepts but that behave surprisingly at run time (NSGs
that do not filter IPv6, IPv4-only services) are warnings or info.
"""

from __future__ import annotations

from .registry import ERROR, INFO, WARNING, Finding, entry, ipv6_rules
from ..deployment.topology import Topology
from ..net.addressing import IPv6


@entry("portal-cannot-add-ipv6-rules", "limitation", "No IPv6 rules from the portal", (11,),
       """IPv6 load-balancing rules cannot be created in the Azure portal; only a template, the
       CLI or PowerShell can create them.""")
def _check_portal(t: Topology):
    if t.deployment == "portal":
        for r in ipv6_rules(t):
            yield Finding("portal-cannot-add-ipv6-rules", ERROR, r.name,
                          "this IPv6 rule is declared as made in the portal, which cannot create "
                          "IPv6 rules; use a template, the CLI or PowerShell")


@entry("no-ipv6-upgrade-of-existing-vm", "limitation", "Existing VMs cannot gain IPv6", (12,),
       """IPv6 cannot be added to a VM that already exists; new VMs must be deployed with it.""")
def _check_upgrade(t: Topology):
    for vm in t.vms:
        if vm.ipv6_added_after_creation and vm.has_ipv6:
            yield Finding("no-ipv6-upgrade-of-existing-vm", ERROR, vm.name,
                          "IPv6 added to an existing VM is refused; redeploy the VM with IPv6")


@entry("one-ipv6-per-nic", "limitation", "One IPv6 address on one NIC per VM", (13,),
       """A VM gets at most one IPv6 address, on one of its network interfaces.""")
def _check_one_ipv6(t: Topology):
    for vm in t.vms:
        v6 = [f"{nic.name}/{cfg.name}" for nic, cfg in vm.ip_configs() if cfg.version == IPv6]
        if len(v6) > 1:
            yield Finding("one-ipv6-per-nic", ERROR, vm.name,
                          f"{len(v6)} IPv6 configurations ({', '.join(v6)}); only one is allowed")


@entry("no-public-ipv6-on-vm", "limitation", "Public IPv6 only on the load balancer", (14,),
       """A public IPv6 address can be attached only to a load balancer frontend, never to a
       VM's network interface.""")
def _check_public_ipv6_vm(t: Topology):
    for vm in t.vms:
        for nic, cfg in vm.ip_configs():
            pip = t.public_ip_by_name.get(cfg.public_ip or "")
            if pip and pip.version == IPv6:
                yield Finding("no-public-ipv6-on-vm", ERROR, f"{vm.name}/{nic.name}/{cfg.name}",
                              f"public IPv6 '{pip.name}' on a VM NIC is refused; only a load "
                              "balancer can hold it")


@entry("no-ipv6-reverse-dns", "limitation", "No reverse DNS for public IPv6", (15, 38),
       """Reverse DNS (a PTR record) cannot be configured for a public IPv6 address.""")
def _check_reverse(t: Topology):
    for pip in t.public_ips:
        if pip.version == IPv6 and pip.reverse_fqdn:
            yield Finding("no-ipv6-reverse-dns", ERROR, pip.name,
                          "a reverse FQDN on an IPv6 public IP is refused")


@entry("no-cloud-service-membership", "limitation", "IPv6 VMs cannot join a Cloud Service", (16,),
       """VMs with IPv6 addresses cannot be members of an Azure Cloud Service; they can sit in a
       VNet and talk to each other over IPv4.""")
def _check_cloud_service(t: Topology):
    for vm in t.vms:
        if vm.cloud_service and vm.has_ipv6:
            yield Finding("no-cloud-service-membership", ERROR, vm.name,
                          f"IPv6 VM in cloud service '{vm.cloud_service}' is refused")


@entry("no-private-ipv6-in-scale-sets", "limitation", "No private IPv6 through scale sets", (17,),
       """Private IPv6 works on individually deployed VMs but cannot be deployed through a
       virtual machine scale set.""")
def _check_scale_set(t: Topology):
    for vm in t.vms:
        if vm.scale_set and vm.has_ipv6:
            yield Finding("no-private-ipv6-in-scale-sets", ERROR, vm.name,
                          f"IPv6 configuration on scale set '{vm.scale_set}' instance is refused")


entry("ipv6-only-to-load-balancer", "limitation", "VMs speak IPv6 only to the load balancer", (18,),
      """A VM's only IPv6 peer is the Azure load balancer. IPv6 to another VM, an Azure service
      or an on-premises host fails; the same conversation over IPv4 works.""")()


@entry("nsg-ignores-ipv6", "limitation", "NSGs filter IPv4 only", (19, 134),
       """In a dual-stack Basic deployment network security groups apply to IPv4 only. IPv6
       packets pass them unexamined; the IPv6 endpoint is protected only by the fact that just
       the load balancer's rule ports reach it.""")
def _check_nsg_v6(t: Topology):
    for vm in t.vms:
        if not vm.has_ipv6:
            continue
        for nic in vm.nics:
            nsgs = t.nsgs_for(vm.name, nic.name)
            denies = [f"{n.name}/{r.name}" for n in nsgs for r in n.rules
                      if not r.default and r.access == "Deny" and r.direction == "Inbound"]
            if nsgs:
                what = f" (deny rules {', '.join(denies)} stop IPv4 only)" if denies else ""
                yield Finding("nsg-ignores-ipv6", WARNING, vm.name,
                              f"NSG {', '.join(n.name for n in nsgs)} does not filter the IPv6 "
                              f"endpoint {vm.address(IPv6)}{what}")
                break


@entry("ipv6-only-rule-ports-exposed", "limitation", "Over IPv6 only rule ports are reachable", (20, 4),
       """The VM's IPv6 endpoint is never exposed to the Internet directly. Only the ports that a
       load-balancing or NAT rule on the IPv6 frontend names are reachable; anything else sent
       to the IPv6 frontend is dropped.""")
def _check_exposed(t: Topology):
    for f in t.load_balancer.frontends:
        if f.family != IPv6:
            continue
        ports = sorted({f"{r.protocol} {r.frontend_port}" for r in
                        list(t.load_balancer.rules) + list(t.load_balancer.inbound_nat_rules)
                        if r.frontend == f.name})
        yield Finding("ipv6-only-rule-ports-exposed", INFO, f.name,
                      f"reachable over IPv6: {', '.join(ports) or 'nothing'}")


@entry("ipv6-idle-timeout-fixed", "limitation", "IPv6 rules keep the 4-minute idle timeout", (21, 107),
       """The idle timeout of an IPv6 rule cannot be changed; it stays at the 4-minute default.
       lb6 applies 4 minutes to IPv6 flows whatever the rule says.""")
def _check_v6_idle(t: Topology):
    for r in ipv6_rules(t):
        if r.idle_timeout_min != 4:
            yield Finding("ipv6-idle-timeout-fixed", ERROR, r.name,
                          f"idle timeout {r.idle_timeout_min} min on an IPv6 rule is refused; "
                          "IPv6 rules keep 4 min")


@entry("ipv6-distribution-fixed", "limitation", "IPv6 rules keep 5-tuple distribution", (22,),
       """The load distribution of an IPv6 rule cannot be changed, so IPv6 rules always use the
       default 5-tuple hash. lb6 applies Default to IPv6 flows whatever the rule says.""")
def _check_v6_distribution(t: Topology):
    for r in ipv6_rules(t):
        if r.load_distribution != "Default":
            yield Finding("ipv6-distribution-fixed", ERROR, r.name,
                          f"load distribution {r.load_distribution} on an IPv6 rule is refused; "
                          "IPv6 rules keep Default (5-tuple)")


@entry("no-static-ipv6", "limitation", "IPv6 public IPs must be Dynamic", (23, 28),
       """Reserved (Static) IPv6 public addresses are not supported on Basic; the allocation
       method must be Dynamic.""")
def _check_static(t: Topology):
    for pip in t.public_ips:
        if pip.version == IPv6 and pip.allocation == "Static":
            yield Finding("no-static-ipv6", ERROR, pip.name,
                          "Static allocation for an IPv6 public IP is refused; use Dynamic")


@entry("no-nat64", "limitation", "No NAT64", (24,),
       """IPv6 is never translated to IPv4. An IPv6-only client cannot reach a service that is
       offered only on the IPv4 frontend.""")
def _check_nat64(t: Topology):
    v4 = {(r.protocol, r.frontend_port) for r in t.load_balancer.rules
          if r.frontend in t.frontends and not t.is_ipv6_rule(r)}
    v6 = {(r.protocol, r.frontend_port) for r in ipv6_rules(t)}
    for proto, port in sorted(v4 - v6):
        yield Finding("no-nat64", INFO if not t.frontends or not any(
            f.family == IPv6 for f in t.frontends.values()) else WARNING,
                      f"{proto} {port}", f"{proto} {port} is offered over IPv4 only; "
                      "IPv6-only clients cannot reach it (no NAT64)")


@entry("no-secondary-nic-ipv6-in-pool", "limitation", "No secondary-NIC IPv6 in a pool", (25,),
       """On Basic, a secondary NIC whose IPv6 configuration is put in a backend pool is not
       supported.""")
def _check_secondary(t: Topology):
    for vm in t.vms:
        for nic, cfg in vm.ip_configs():
            if not nic.primary and cfg.version == IPv6 and cfg.backend_pools:
                yield Finding("no-secondary-nic-ipv6-in-pool", ERROR, f"{vm.name}/{nic.name}",
                              f"secondary NIC IPv6 configuration {cfg.name} in pool "
                              f"{', '.join(cfg.backend_pools)} is refused")

