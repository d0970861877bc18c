"""Catalogue entries for what lb6 models beyond the source document, and its lints.

Behaviours: hashing and affinity (facts 41-48), probe timing (68-81), flows when backends go
down (82-85), idle timeouts (99-106), SNAT (111-125), NSG default rules and the probe tag
(130-137), inbound NAT rules (54, 153), ICMP (26). Lints flag configurations Azure accepts or
refuses that the source document does not discuss, such as a probe that never tests the IPv6
backend port (fact 97).
"""

from __future__ import annotations

import re

from ..behaviours.nsg import evaluate
from .registry import ERROR, INFO, WARNING, Finding, entry, ipv6_rules
from ..deployment.topology import Topology
from ..net.addressing import PROBE_SOURCE, IPv4


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
    for r in ipv6_rules(t):
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
    for pip in t.public_ips:
        if pip.dns_label and not re.fullmatch(r"[a-z][a-z0-9-]{1,61}[a-z0-9]", pip.dns_label):
            yield Finding("dns-label-format", ERROR, pip.name,
                          f"DNS label '{pip.dns_label}' must match ^[a-z][a-z0-9-]{{1,61}}[a-z0-9]$")
