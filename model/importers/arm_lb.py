"""The ARM resource reader for the load balancer: frontends, pools, probes, rules, NAT rules.

Only the first load balancer is modelled, and only its Internet-facing frontends; each rule and
probe keeps where each of its values sits (facts 150-158 name the properties), so that a later
problem points at the template line. Children may be inline or separate resources.
"""

from __future__ import annotations

from ..errors import Path
from . import resources as c
from .arm_document import Instance, TemplateDocument


class LoadBalancerReader(TemplateDocument):
    """`res_loadbalancers`, the reader of the one modelled load balancer."""

    def res_loadbalancers(self, inst: Instance) -> None:
        if inst.name != self.lb_name:
            return
        props = self.properties(inst)
        base = inst.path + ("properties",)
        sku = self.evaluate(inst.raw.get("sku"), inst.ctx, inst.path + ("sku",)) or {}
        if isinstance(sku, dict) and str(sku.get("name", "Basic")).lower() != "basic":
            raise self.fail(inst.path + ("sku",), f"load balancer '{inst.name}' has SKU "
                            f"{sku.get('name')}; lb6 simulates the Basic SKU (expected Basic)")
        lb = c.LoadBalancer(inst.name, self.origin(inst.path, f"load balancer '{inst.name}'"))
        self.dep.load_balancer = lb
        lbtype = "Microsoft.Network/loadBalancers"

        def items(key, child_type):
            out = [(self.obj(x, base + (key, i), key), base + (key, i))
                   for i, x in enumerate(self.listing(props, key, base))]
            return out + self.child_resources(inst, child_type)

        def own(value, path, child):
            parent, sub = self.ref(value, path, lbtype, child)
            if parent != inst.name:
                raise self.fail(path, f"refers to a {child} of load balancer '{parent}'; expected "
                                      f"one of '{inst.name}'")
            return sub

        for f, fpath in items("frontendIPConfigurations", "frontendIPConfigurations"):
            fp = f.get("properties") or {}
            origin = self.origin(fpath, f"frontend '{f.get('name')}'")
            if not fp.get("publicIPAddress"):
                self.dep.note(f"frontend '{f.get('name')}' is internal (no public IP); lb6 "
                              "models Internet-facing frontends only, so it and its rules are "
                              "not modelled", origin)
                continue
            pip, _ = self.ref(fp["publicIPAddress"], fpath + ("properties", "publicIPAddress"),
                              "Microsoft.Network/publicIPAddresses")
            lb.frontends.append(c.Frontend(str(f.get("name")), origin, pip))
        fe_names = {f.name for f in lb.frontends}
        for p, ppath in items("backendAddressPools", "backendAddressPools"):
            lb.pools.append(c.Pool(str(p.get("name")), self.origin(ppath, f"backend pool '{p.get('name')}'")))
        for p, ppath in items("probes", "probes"):
            pp = p.get("properties") or {}
            origin = self.origin(ppath, f"probe '{p.get('name')}'")
            probe = c.Probe(str(p.get("name")), origin,
                            c.canon(pp.get("protocol", "Tcp"), ("Tcp", "Http", "Https")),
                            c.as_int(pp.get("port")), c.as_int(pp.get("intervalInSeconds", 15)),
                            c.as_int(pp.get("numberOfProbes", 2)), pp.get("requestPath"))
            self._fields(origin, ppath, ("protocol", "port", "interval_s", "number_of_probes",
                                         "request_path"))
            lb.probes.append(probe)
        for r, rpath in items("loadBalancingRules", "loadBalancingRules"):
            rp = r.get("properties") or {}
            origin = self.origin(rpath, f"load-balancing rule '{r.get('name')}'")
            rule = c.Rule(str(r.get("name")), origin)
            rule.frontend = self._frontend_of(rp, rpath, f"rule '{rule.name}'", own)
            if rule.frontend not in fe_names and rule.frontend in self._internal(props):
                self.dep.note(f"rule '{rule.name}' uses internal frontend '{rule.frontend}'; "
                              "not modelled", origin)
                continue
            if rp.get("backendAddressPool"):
                rule.backend_pool = own(rp["backendAddressPool"],
                                        rpath + ("properties", "backendAddressPool"),
                                        "backendAddressPools")
            else:
                raise self.fail(rpath + ("properties",), f"rule '{rule.name}' has no "
                                "backendAddressPool; expected {\"id\": ...}")
            if rp.get("probe"):
                rule.probe = own(rp["probe"], rpath + ("properties", "probe"), "probes")
            rule.protocol = c.canon(rp.get("protocol"), ("Tcp", "Udp", "All"))
            rule.frontend_port = c.as_int(rp.get("frontendPort"))
            rule.backend_port = c.as_int(rp.get("backendPort", rule.frontend_port))
            rule.idle_timeout_min = c.as_int(rp.get("idleTimeoutInMinutes", 4))
            rule.load_distribution = c.canon(rp.get("loadDistribution", "Default"),
                                             ("Default", "SourceIP", "SourceIPProtocol"))
            rule.floating_ip = c.as_bool(rp.get("enableFloatingIP", False))
            self._fields(origin, rpath, ("protocol", "frontend_port", "backend_port",
                                         "idle_timeout_min", "load_distribution", "floating_ip",
                                         "frontend", "backend_pool", "probe"))
            lb.rules.append(rule)
        for r, rpath in items("inboundNatRules", "inboundNatRules"):
            rp = r.get("properties") or {}
            origin = self.origin(rpath, f"inbound NAT rule '{r.get('name')}'")
            rule = c.NatRule(str(r.get("name")), origin)
            rule.frontend = self._frontend_of(rp, rpath, f"NAT rule '{rule.name}'", own)
            rule.protocol = c.canon(rp.get("protocol"), ("Tcp", "Udp", "All"))
            rule.frontend_port = c.as_int(rp.get("frontendPort"))
            rule.backend_port = c.as_int(rp.get("backendPort"))
            rule.idle_timeout_min = c.as_int(rp.get("idleTimeoutInMinutes", 4))
            rule.floating_ip = c.as_bool(rp.get("enableFloatingIP", False))
            self._fields(origin, rpath, ("protocol", "frontend_port", "backend_port",
                                         "idle_timeout_min", "floating_ip", "frontend"))
            lb.nat_rules.append(rule)
        for key in ("inboundNatPools", "outboundRules"):
            if props.get(key):
                self.dep.note(f"load balancer '{inst.name}': {key} are not modelled",
                              self.origin(base + (key,)))

    def _frontend_of(self, rp: dict, rpath: Path, what: str, own) -> str:
        """The frontend a rule or NAT rule names; both must name one."""
        if "frontendIPConfiguration" not in rp:
            raise self.fail(rpath + ("properties",), f"{what} has no frontendIPConfiguration; "
                            "expected {\"id\": ...}")
        return own(rp["frontendIPConfiguration"], rpath + ("properties", "frontendIPConfiguration"),
                   "frontendIPConfigurations")

    def _internal(self, props) -> set:
        return {f.get("name") for f in props.get("frontendIPConfigurations") or []
                if not (f.get("properties") or {}).get("publicIPAddress")}
