"""The catalogue: every behaviour lb6 models, with a stable ID, its facts and a static check.

IDs are part of the interface (scenarios, expectations, JSON and tests use them). The first
block follows PRODUCT.md's table; the second holds the behaviours lb6 models beyond the source
document. A check looks at a topology and returns findings; `lb6 check` exits 1 when any
finding has severity "error", meaning Azure would refuse the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from lb6.model.net.addressing import IPv4, IPv6
from lb6.model.deployment.topology import Topology

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    severity: str
    subject: str
    message: str

    def to_json(self) -> dict:
        return {"id": self.id, "severity": self.severity, "subject": self.subject,
                "message": self.message}


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # feature | detail | limitation | behaviour | lint
    title: str
    explanation: str
    facts: tuple[int, ...]
    check: Callable[[Topology], Iterable[Finding]] | None = None


CATALOGUE: dict[str, Entry] = {}


def entry(id: str, kind: str, title: str, facts: tuple[int, ...], explanation: str):
    """Register an entry; used as a decorator on its check, or called bare."""
    def register(check=None):
        CATALOGUE[id] = Entry(id, kind, title, " ".join(explanation.split()), facts, check)
        return check
    return register


def _ipv6_rules(t: Topology):
    return [r for r in t.load_balancer.rules if r.frontend in t.frontends and t.is_ipv6_rule(r)]


# ---- PRODUCT.md's table -----------------------------------------------------------------------


@entry("ipv6-load-balancing", "feature", "IPv6 clients reach the service through the LB", (3, 5),
       """An Internet-facing Basic load balancer can carry a public IPv6 frontend beside its IPv4
       one. IPv6 clients connect to that frontend and the load balancer translates each packet
       to the private IPv6 address of a backend VM.""")
def _check_ipv6_lb(t: Topology):
    for f in t.load_balancer.frontends:
        if f.family == IPv6:
            rules = [r.name for r in t.load_balancer.rules if r.frontend == f.name]
            yield Finding("ipv6-load-balancing", INFO, f.name,
                          f"IPv6 frontend {f.address} serves rules: {', '.join(rules) or 'none'}")


@entry("dual-stack-vms", "feature", "Backend VMs are dual stacked", (5,),
       """Each backend VM's network interface carries a private IPv4 and a private IPv6 address,
       so one VM can answer clients of both families through the same load balancer.""")
def _check_dual_stack(t: Topology):
    for vm in t.vms:
        fams = {cfg.version for _, cfg in vm.ip_configs()}
        if fams == {IPv4, IPv6}:
            yield Finding("dual-stack-vms", INFO, vm.name,
                          f"dual stack: {vm.address(IPv4)} and {vm.address(IPv6)}")


entry("ipv6-inbound-outbound", "feature", "IPv6 connections in and out", (5, 6),
      """Connections can be opened both into the VMs (through a load-balancing rule) and out of
      them (through the load balancer's outbound translation) over IPv6.""")()

@entry("tcp-udp-http", "feature", "TCP, UDP and HTTP", (5, 63),
       """Load-balancing rules carry TCP or UDP; HTTP rides on TCP. Health probes are TCP (a
       completed handshake) or HTTP (a 200 answer to a GET).""")
def _check_protocols(t: Topology):
    rules = sorted({r.protocol for r in t.load_balancer.rules})
    probes = sorted({p.protocol for p in t.load_balancer.probes})
    if rules or probes:
        yield Finding("tcp-udp-http", INFO, t.load_balancer.name,
                      f"rules carry {', '.join(rules) or 'nothing'}; probes use "
                      f"{', '.join(probes) or 'none'}")


@entry("dns-a-and-aaaa", "detail", "DNS answers A and AAAA; the client picks", (31, 199, 207, 209),
       """Azure DNS holds an A and an AAAA record for the load balancer and returns both. The
       client chooses the family: a dual-stack client following Happy Eyeballs (RFC 8305) asks
       for AAAA first, prefers IPv6 by RFC 6724, and falls back to IPv4 250 ms later if IPv6 has
       not connected.""")
def _check_dns(t: Topology):
    for d in t.dns:
        if d.a and d.aaaa:
            yield Finding("dns-a-and-aaaa", INFO, d.name, "answers both A and AAAA")


entry("outbound-ipv6-snat", "detail", "Outbound IPv6 leaves as the LB's public IPv6", (6, 7),
      """When a backend VM opens a connection to an IPv6 host on the Internet, its private IPv6
      source address is translated to the load balancer's public IPv6 address.""")()


@entry("linux-dhcpv6", "detail", "Linux guests need DHCPv6 for their IPv6 address", (8, 9),
       """A Linux VM only configures its private IPv6 address if the guest runs DHCPv6. Without
       it the NIC has an IPv6 configuration in Azure but the guest never takes the address, so
       IPv6 traffic the load balancer sends to it goes nowhere.""")
def _check_dhcpv6(t: Topology):
    for vm in t.vms:
        if vm.os == "linux" and vm.has_ipv6 and not vm.dhcpv6:
            yield Finding("linux-dhcpv6", WARNING, vm.name,
                          "Linux VM with an IPv6 configuration but no DHCPv6 in the guest: "
                          "it will not take its IPv6 address")


@entry("ipv4-probe-governs-both", "detail", "One IPv4 probe governs both families", (10,),
       """The guidance is one IPv4 health probe attached to both the IPv4 and the IPv6 rule. The
       probe tests the VM's IPv4 address only, and its verdict takes the VM in or out of
       rotation for both families at once.""")
def _check_shared_probe(t: Topology):
    for name, probe in t.probes.items():
        users = [r for r in t.load_balancer.rules if r.probe == name and r.frontend in t.frontends]
        fams = {t.frontend_family(r) for r in users}
        if fams == {IPv4, IPv6}:
            yield Finding("ipv4-probe-governs-both", INFO, name,
                          f"probe {probe.protocol}:{probe.port} decides rotation for rules "
                          f"{', '.join(r.name for r in users)} (IPv4 and IPv6)")


@entry("portal-cannot-add-ipv6-rules", "limitation", "No IPv6 rules from the portal", (11,),
       """IPv6 load-balancing rules cannot be created in the Azure portal; only a template, the
       CLI or PowerShell can create them.""")
def _check_portal(t: Topology):
    if t.deployment == "portal":
        for r in _ipv6_rules(t):
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
    for r in _ipv6_rules(t):
        if r.idle_timeout_min != 4:
            yield Finding("ipv6-idle-timeout-fixed", ERROR, r.name,
                          f"idle timeout {r.idle_timeout_min} min on an IPv6 rule is refused; "
                          "IPv6 rules keep 4 min")


@entry("ipv6-distribution-fixed", "limitation", "IPv6 rules keep 5-tuple distribution", (22,),
       """The load distribution of an IPv6 rule cannot be changed, so IPv6 rules always use the
       default 5-tuple hash. lb6 applies Default to IPv6 flows whatever the rule says.""")
def _check_v6_distribution(t: Topology):
    for r in _ipv6_rules(t):
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
    v6 = {(r.protocol, r.frontend_port) for r in _ipv6_rules(t)}
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


# ---- behaviours beyond the source document ----------------------------------------------------

entry("five-tuple-hash", "behaviour", "Default distribution hashes the 5-tuple", (41, 179),
      """With the Default mode the load balancer hashes source IP, source port, destination IP,
      destination port and protocol over the healthy pool members: one connection stays on one
      VM, a new connection from the same client may land on another.""")()

entry("source-ip-affinity", "behaviour", "Source IP affinity on IPv4 rules", (42, 43, 47),
      """SourceIP (2-tuple) and SourceIPProtocol (3-tuple) send every connection from one client
      to the same VM, while the set of healthy members is unchanged. Only IPv4 rules may use
      them.""")()


@entry("probe-thresholds", "behaviour", "Probe interval and threshold", (68, 69, 70, 71, 72, 74),
       """Probes run every interval (15 s by default here) and a VM changes state after
       numberOfProbes consecutive results the other way. Azure refuses an interval under 5 s, a
       count under 2, or interval × count over 120 s.""")
def _check_probe_limits(t: Topology):
    for p in t.load_balancer.probes:
        problems = []
        if p.interval_s < 5:
            problems.append(f"interval {p.interval_s} s is under the 5 s minimum")
        if p.number_of_probes < 2:
            problems.append(f"numberOfProbes {p.number_of_probes} is under the minimum of 2")
        if p.interval_s * p.number_of_probes > 120:
            problems.append(f"interval × count = {p.interval_s * p.number_of_probes} s exceeds 120 s")
        if p.protocol == "Http" and not p.request_path:
            problems.append("an HTTP probe needs a request_path (fact 75)")
        if p.protocol == "Tcp" and p.request_path:
            problems.append("request_path is only allowed on HTTP probes (fact 75)")
        for text in problems:
            yield Finding("probe-thresholds", ERROR, p.name, text)


entry("http-probe-non-200", "behaviour", "HTTP probe: anything but 200 is down at once", (78,),
      """An HTTP probe counts only 200 OK as healthy. Any other status marks the VM down
      immediately, without waiting for the threshold.""")()

entry("backend-down-tcp-continues", "behaviour", "One backend down: its TCP flows carry on", (82,),
      """When one VM probes down, new connections go only to healthy VMs, and established TCP
      connections to the failed VM keep working.""")()

entry("backend-down-udp-moves", "behaviour", "One backend down: its UDP flows move", (83,),
      """UDP has no connection state to keep, so when a VM probes down its UDP flows are hashed
      again over the healthy members and move to another VM.""")()

entry("all-backends-down", "behaviour", "All backends down: Basic ends every flow", (84, 85),
      """When every member of a pool probes down, no new flow is admitted (a SYN gets no answer)
      and the Basic load balancer ends every existing TCP and UDP flow to the pool.""")()

entry("stopped-vm-not-probed", "behaviour", "Stopped VMs are not probed", (81, 80),
      """A stopped VM is not probed and takes no new flows; after it starts, it returns to
      rotation once the probe has succeeded numberOfProbes times.""")()

entry("idle-timeout-expiry", "behaviour", "Idle flows are removed silently", (99, 100, 102, 103, 104),
      """A TCP flow silent for longer than its rule's idle timeout (4-30 minutes on IPv4, 4 on
      IPv6) is removed without a reset on Basic; the next packet of that connection is dropped.
      Keep-alives shorter than the timeout keep the flow.""")()


@entry("idle-timeout-range", "lint", "Idle timeout within 4-30 minutes", (100, 101),
       """Basic rules and inbound NAT rules accept idle timeouts from 4 to 30 minutes.""")
def _check_idle_range(t: Topology):
    for r in list(t.load_balancer.rules) + list(t.load_balancer.inbound_nat_rules):
        if not 4 <= r.idle_timeout_min <= 30:
            yield Finding("idle-timeout-range", ERROR, r.name,
                          f"idle timeout {r.idle_timeout_min} min is outside 4-30")


entry("snat-port-allocation", "behaviour", "SNAT ports for outbound flows", (113, 117, 118, 121, 123),
      """A VM in a pool behind a public rule reaches the Internet through port masquerading on
      the load balancer's public address of the same family. Each VM gets a preallocated port
      range sized by the pool (1,024 ports up to 50 members); a TCP port is reused across
      different destinations, handed out lowest first.""")()

entry("snat-exhaustion", "behaviour", "SNAT port exhaustion", (125, 122),
      """When a VM has used all its SNAT ports towards one destination, new outbound flows fail
      until ports are released, even if the load balancer has ports left.""")()

entry("basic-outbound-frontend-random", "behaviour", "Basic picks one frontend for outbound", (114,),
      """With several public frontends, Basic uses one of them for outbound and the choice is not
      configurable; lb6 draws it from the scenario's seed.""")()


@entry("nsg-default-rules", "behaviour", "NSG default rules and the probe tag", (135, 136, 137, 65, 130),
       """Every NSG ends in the default rules: VNet and AzureLoadBalancer allowed in, everything
       else denied; outbound to the VNet and the Internet allowed. Rules are stateful. Blocking
       the AzureLoadBalancer tag makes probes fail and takes the VM out of rotation.""")
def _check_probe_blocked(t: Topology):
    from lb6.model.behaviours.nsg import evaluate
    from lb6.model.net.addressing import PROBE_SOURCE
    for probe, vm in t.probe_targets():
        address = vm.address(IPv4)
        if not address:
            continue
        for nic, cfg in vm.ip_configs():
            if cfg.address != address:
                continue
            for nsg in t.nsgs_for(vm.name, nic.name):
                v = evaluate(nsg.rules, nsg.name, "Inbound", "Tcp", PROBE_SOURCE, 50000, address,
                             probe.port, t.in_vnet)
                if not v.allowed:
                    yield Finding("nsg-default-rules", WARNING, vm.name,
                                  f"NSG {nsg.name} rule {v.rule} blocks probe {probe.name} from "
                                  "168.63.129.16: the VM will be marked down")


@entry("lb-open-by-default", "behaviour", "Basic is open by default", (133,),
       """With no NSG on the subnet or NIC, a Basic load balancer forwards rule traffic to the VM
       unfiltered.""")
def _check_open(t: Topology):
    for vm in t.vms:
        if vm.name in t.pools_of_vm and all(not t.nsgs_for(vm.name, n.name) for n in vm.nics):
            yield Finding("lb-open-by-default", INFO, vm.name, "no NSG: open to every rule port")


entry("inbound-nat-rule", "behaviour", "Inbound NAT rules forward to one VM", (54, 153),
      """An inbound NAT rule maps one frontend port to a port on one specific VM (for RDP or SSH),
      without a probe and without a pool.""")()

entry("icmp-dropped", "behaviour", "ICMP is dropped", (26, 56),
      """ICMP is blocked in the Azure network and never load balanced, so ping to a frontend
      always fails; test with TCP instead.""")()

entry("no-healthy-backend", "behaviour", "No healthy backend: no answer", (58, 85),
      """If no VM in the pool can answer, the frontend gives no in-band response at all.""")()


@entry("probe-misses-ipv6-port", "lint", "The probe never tests the IPv6 backend port", (97, 10),
       """When the shared IPv4 probe checks a port other than the IPv6 rule's backend port, the
       IPv6 service can fail while the VM stays in rotation for IPv6.""")
def _check_probe_port(t: Topology):
    for r in _ipv6_rules(t):
        probe = t.probes.get(r.probe or "")
        if probe and probe.port != r.backend_port:
            yield Finding("probe-misses-ipv6-port", WARNING, r.name,
                          f"probe {probe.name} checks port {probe.port}, but IPv6 rule {r.name} "
                          f"sends to backend port {r.backend_port}: a dead IPv6 service stays in "
                          "rotation")


@entry("rule-without-probe", "lint", "A rule without a probe", (87,),
       """Only the portal insists on a probe. A rule without one keeps every member in rotation,
       dead or alive.""")
def _check_no_probe(t: Topology):
    for r in t.load_balancer.rules:
        if not r.probe:
            yield Finding("rule-without-probe", WARNING, r.name,
                          "no health probe: traffic goes to members whatever their health")


@entry("backend-port-reuse", "lint", "Two rules, one backend port", (52, 169),
       """Without floating IP, two rules may not send to the same backend port of the same
       pool.""")
def _check_backend_port(t: Topology):
    seen: dict = {}
    for r in t.load_balancer.rules:
        if r.floating_ip:
            continue
        key = (r.backend_pool, r.protocol, r.backend_port)
        if key in seen:
            yield Finding("backend-port-reuse", ERROR, r.name,
                          f"backend port {r.backend_port} of pool {r.backend_pool} is already used "
                          f"by rule {seen[key]} (floating IP off)")
        seen[key] = r.name


@entry("basic-pool-limits", "lint", "Basic pool size and membership", (139, 140),
       """A Basic pool holds up to 300 instances from a single availability set or scale
       set.""")
def _check_pool_limits(t: Topology):
    for pool in t.load_balancer.backend_pools:
        vms = sorted({m.vm for m in pool.members})
        if len(vms) > 300:
            yield Finding("basic-pool-limits", ERROR, pool.name, f"{len(vms)} VMs exceed Basic's 300")
        sets = {(t.vm_by_name[v].availability_set or t.vm_by_name[v].scale_set) for v in vms}
        if len(sets) > 1:
            yield Finding("basic-pool-limits", ERROR, pool.name,
                          "members come from more than one availability set / scale set")


@entry("dns-label-format", "lint", "DNS label format", (32,),
       """A public IP's DNS label must be lower case and match ^[a-z][a-z0-9-]{1,61}[a-z0-9]$.""")
def _check_label(t: Topology):
    import re
    for pip in t.public_ips:
        if pip.dns_label and not re.fullmatch(r"[a-z][a-z0-9-]{1,61}[a-z0-9]", pip.dns_label):
            yield Finding("dns-label-format", ERROR, pip.name,
                          f"DNS label '{pip.dns_label}' must match ^[a-z][a-z0-9-]{{1,61}}[a-z0-9]$")


SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}


def check(topology: Topology) -> list[Finding]:
    """Every finding for a topology, errors first, in a stable order."""
    findings = []
    for e in CATALOGUE.values():
        if e.check is not None:
            findings.extend(e.check(topology))
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.id, f.subject))
