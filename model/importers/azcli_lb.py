"""az CLI handlers for the load balancer's side: public IPs, the load balancer, its frontends,
pools, probes, load-balancing rules and inbound NAT rules (facts 150-158 name the options).

Each handler reads one command's options into the `Deployment` and returns the resource ID the
command would print, so that `$(az ... create ...)` substitutions work.
"""

from __future__ import annotations

from . import resources as c
from .azcli_command import Command, int_or_none, network_id


def public_ip_create(cmd: Command):
    name = cmd.need("--name")
    version = c.canon(cmd.get("--version", "--ip-version", default="IPv4"), ("IPv4", "IPv6"))
    sku = cmd.get("--sku")
    if sku and sku.lower() != "basic":
        raise cmd.r.fail(cmd.line, f"public IP '{name}' has SKU {sku}; lb6 simulates the Basic "
                                   "SKU (expected Basic)", "--sku")
    pip = c.PublicIp(name, cmd.origin(f"public IP '{name}'", {
        "version": "--version", "allocation": "--allocation-method", "dns_label": "--dns-name",
        "reverse_fqdn": "--reverse-fqdn"}))
    pip.version = version
    pip.allocation = c.canon(cmd.get("--allocation-method", default="Dynamic"), ("Static", "Dynamic"))
    pip.dns_label = cmd.get("--dns-name", "--domain-name-label")
    pip.reverse_fqdn = cmd.get("--reverse-fqdn")
    pip.location = c.normalise_location(cmd.get("--location"))
    cmd.r.dep.public_ips[name] = pip
    return network_id("publicIPAddresses", name)


def _pip_ref(cmd: Command, value: str, option: str, create_version: str = "IPv4",
             why: str | None = None) -> str:
    name = c.last_segment(value)
    if name not in cmd.r.dep.public_ips:
        # az network lb create --public-ip-address NEW creates it, as az does.
        pip = c.PublicIp(name, cmd.origin(f"public IP '{name}' created by {option}"))
        pip.allocation = c.canon(cmd.get("--public-ip-address-allocation", default="Dynamic"),
                                 ("Static", "Dynamic"))
        pip.location = c.normalise_location(cmd.get("--location"))
        pip.dns_label = cmd.get("--public-ip-dns-name")
        cmd.r.dep.public_ips[name] = pip
        cmd.r.dep.note(why or f"public IP '{name}' is not created earlier in the script; lb6 "
                       f"creates it as `{cmd.what}` would (IPv4, Dynamic)", c.Origin(cmd.line))
    return name


def lb_create(cmd: Command):
    name = cmd.need("--name")
    sku = cmd.get("--sku")
    if sku and sku.lower() != "basic":
        raise cmd.r.fail(cmd.line, f"load balancer '{name}' has SKU {sku}; lb6 simulates the "
                                   "Basic SKU (expected Basic)", "--sku")
    if cmd.r.dep.load_balancer is not None:
        cmd.r.dep.note(f"load balancer '{name}' is not modelled: lb6 simulates one load "
                       f"balancer, '{cmd.r.dep.load_balancer.name}'", c.Origin(cmd.line))
        cmd.read.update(cmd.opts)
        return network_id("loadBalancers", name)
    lb = c.LoadBalancer(name, cmd.origin(f"load balancer '{name}'"))
    cmd.r.dep.load_balancer = lb
    pip = cmd.get("--public-ip-address")
    fe_name = cmd.get("--frontend-ip-name", default="LoadBalancerFrontEnd")
    if pip:
        lb.frontends.append(c.Frontend(fe_name, cmd.origin(f"frontend '{fe_name}'"),
                                       _pip_ref(cmd, pip, "--public-ip-address")))
    elif cmd.has("--subnet", "--private-ip-address", "--vnet-name"):
        cmd.read.update({"--subnet", "--private-ip-address", "--vnet-name"})
        cmd.r.dep.note(f"load balancer '{name}' has an internal frontend; lb6 models "
                       "Internet-facing frontends only", c.Origin(cmd.line))
    elif not cmd.has("--public-ip-address"):
        # Neither a public IP nor a subnet: az deploys a new public IP named PublicIP<lb name>
        # (Dynamic on Basic) behind the default frontend, so the script's rules have one to use.
        # An explicit empty `--public-ip-address ""` still means none, as in az.
        pip_name = f"PublicIP{name}"
        why = (f"load balancer '{name}' has no --public-ip-address or --subnet; lb6 creates "
               f"frontend '{fe_name}' and public IP '{pip_name}' (IPv4, Dynamic) as `{cmd.what}` "
               "does")
        lb.frontends.append(c.Frontend(fe_name, cmd.origin(f"frontend '{fe_name}'"),
                                       _pip_ref(cmd, pip_name, "the default of "
                                                "--public-ip-address", why=why)))
    pool = cmd.get("--backend-pool-name", default=f"{name}bepool")
    lb.pools.append(c.Pool(pool, cmd.origin(f"backend pool '{pool}'")))
    return network_id("loadBalancers", name)


def frontend_create(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    pip = cmd.get("--public-ip-address")
    if not pip:
        cmd.read.update(cmd.opts)
        cmd.r.dep.note(f"frontend '{name}' has no public IP (internal); not modelled",
                       c.Origin(cmd.line))
        return None
    lb.frontends.append(c.Frontend(name, cmd.origin(f"frontend '{name}'", {
        "public_ip": "--public-ip-address"}), _pip_ref(cmd, pip, "--public-ip-address")))
    return network_id("loadBalancers", lb.name, "frontendIPConfigurations", name)


def pool_create(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    lb.pools.append(c.Pool(name, cmd.origin(f"backend pool '{name}'")))
    return network_id("loadBalancers", lb.name, "backendAddressPools", name)


def probe_create(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    probe = c.Probe(name, cmd.origin(f"probe '{name}'", {
        "protocol": "--protocol", "port": "--port", "interval_s": "--interval",
        "number_of_probes": "--threshold", "request_path": "--path"}))
    probe.protocol = c.canon(cmd.need("--protocol"), ("Tcp", "Http", "Https"))
    probe.port = int_or_none(cmd.need("--port"))
    probe.interval_s = int_or_none(cmd.get("--interval", default="15"))
    probe.number_of_probes = int_or_none(cmd.get("--threshold", "--count", default="2"))
    probe.request_path = cmd.get("--path")
    lb.probes.append(probe)
    return network_id("loadBalancers", lb.name, "probes", name)


RULE_FIELDS = {"protocol": "--protocol", "frontend_port": "--frontend-port",
               "backend_port": "--backend-port", "frontend": "--frontend-ip-name",
               "backend_pool": "--backend-pool-name", "probe": "--probe-name",
               "idle_timeout_min": "--idle-timeout", "load_distribution": "--load-distribution",
               "floating_ip": "--floating-ip"}


def _rule_options(cmd: Command, rule, nat: bool = False) -> None:
    if cmd.has("--protocol"):
        rule.protocol = c.canon(cmd.get("--protocol"), ("Tcp", "Udp", "All"))
    if cmd.has("--frontend-port"):
        rule.frontend_port = int_or_none(cmd.get("--frontend-port"))
    if cmd.has("--backend-port"):
        rule.backend_port = int_or_none(cmd.get("--backend-port"))
    if cmd.has("--frontend-ip-name", "--frontend-ip"):
        rule.frontend = c.last_segment(cmd.get("--frontend-ip-name", "--frontend-ip"))
    if cmd.has("--idle-timeout", "--idle-timeout-in-minutes"):
        rule.idle_timeout_min = int_or_none(cmd.get("--idle-timeout", "--idle-timeout-in-minutes"))
    if cmd.has("--floating-ip", "--enable-floating-ip"):
        rule.floating_ip = c.as_bool(str(cmd.get("--floating-ip", "--enable-floating-ip")))
    if nat:
        return
    if cmd.has("--backend-pool-name", "--backend-address-pool"):
        rule.backend_pool = c.last_segment(cmd.get("--backend-pool-name", "--backend-address-pool"))
    if cmd.has("--probe-name", "--probe"):
        rule.probe = c.last_segment(cmd.get("--probe-name", "--probe"))
    if cmd.has("--load-distribution"):
        rule.load_distribution = c.canon(cmd.get("--load-distribution"),
                                         ("Default", "SourceIP", "SourceIPProtocol"))


def rule_create(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    rule = c.Rule(name, cmd.origin(f"rule '{name}'", RULE_FIELDS))
    cmd.need("--protocol")
    cmd.need("--frontend-port")
    _rule_options(cmd, rule)
    if rule.backend_port is None:
        rule.backend_port = rule.frontend_port
    # az picks the only frontend / pool when the option is left out.
    if rule.frontend is None and len(lb.frontends) == 1:
        rule.frontend = lb.frontends[0].name
    if rule.backend_pool is None and len(lb.pools) == 1:
        rule.backend_pool = lb.pools[0].name
    for attr, opt in (("frontend", "--frontend-ip-name"), ("backend_pool", "--backend-pool-name")):
        if getattr(rule, attr) is None:
            raise cmd.r.fail(cmd.line, f"`{cmd.what}` needs {opt}: the load balancer has more "
                                       "than one to choose from", opt)
    lb.rules.append(rule)
    return network_id("loadBalancers", lb.name, "loadBalancingRules", name)


def rule_update(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    rule = lb.find("rule", name)
    if rule is None:
        raise cmd.r.fail(cmd.line, f"no rule named '{name}' on load balancer '{lb.name}' "
                                   f"(rules: {', '.join(r.name for r in lb.rules) or 'none'})",
                         "--name")
    # Later problems point at this update, the line that set the value.
    for field_name, opt in RULE_FIELDS.items():
        if cmd.has(opt):
            rule.origin.fields[field_name] = (cmd.line, (opt,))
    _rule_options(cmd, rule)
    return network_id("loadBalancers", lb.name, "loadBalancingRules", name)


def nat_rule_create(cmd: Command):
    lb = cmd.lb()
    name = cmd.need("--name")
    rule = c.NatRule(name, cmd.origin(f"inbound NAT rule '{name}'", RULE_FIELDS))
    cmd.need("--protocol")
    cmd.need("--frontend-port")
    cmd.need("--backend-port")
    _rule_options(cmd, rule, nat=True)
    if rule.frontend is None and len(lb.frontends) == 1:
        rule.frontend = lb.frontends[0].name
    if rule.frontend is None:
        raise cmd.r.fail(cmd.line, f"`{cmd.what}` needs --frontend-ip-name", "--frontend-ip-name")
    lb.nat_rules.append(rule)
    return network_id("loadBalancers", lb.name, "inboundNatRules", name)
