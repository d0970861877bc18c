"""Read an ARM template (and its parameters file) into a `Deployment`.

Both template generations of the IPv6 quickstart work: the old 2015-01-01 schema with
apiVersion 2016-03-30 and `concat(lbID, '/backendAddressPools/...')` IDs, and the newer ones
with `resourceId()` child IDs, a `location` parameter and copy loops (fact 161). Property names
follow facts 150-158. Expressions are evaluated by `expressions.py`; every problem names the
file, the JSON path and the line of the value at fault.

`TemplateDocument` (arm_document) evaluates the template; the parameters and each group of
resource types have their reader (arm_parameters, arm_network, arm_lb, arm_compute), all built
on it; `TemplateReader` joins them and reads the resources in dependency order.
"""

from __future__ import annotations

from . import resources as c
from .arm_compute import ComputeReader
from .arm_document import looks_like_template
from .arm_lb import LoadBalancerReader
from .arm_network import NetworkReader
from .arm_parameters import ParameterReader

MODELLED = {
    "microsoft.network/publicipaddresses", "microsoft.network/loadbalancers",
    "microsoft.network/loadbalancers/inboundnatrules",
    "microsoft.network/loadbalancers/backendaddresspools",
    "microsoft.network/networkinterfaces", "microsoft.network/networksecuritygroups",
    "microsoft.network/networksecuritygroups/securityrules",
    "microsoft.network/virtualnetworks", "microsoft.network/virtualnetworks/subnets",
    "microsoft.compute/virtualmachines", "microsoft.compute/availabilitysets",
    "microsoft.compute/virtualmachinescalesets",
}


class TemplateReader(ParameterReader, NetworkReader, LoadBalancerReader, ComputeReader):
    """A template read into a `Deployment`: parameters, copy expansion, then each resource."""

    def read(self) -> c.Deployment:
        data = self.doc.data
        if not looks_like_template(data):
            if isinstance(data, dict) and "deploymentparameters" in str(data.get("$schema", "")).lower():
                raise self.fail((), "this is a parameters file, not a template; pass it as "
                                "--parameters next to its template")
            keys = ", ".join(list(data)[:8]) if isinstance(data, dict) else type(data).__name__
            raise self.fail((), "JSON that is not an ARM template: expected an object with "
                            "'$schema' (…/deploymentTemplate.json#), 'contentVersion' and a "
                            f"'resources' list; found {keys or 'an empty object'}")
        self.read_parameters()
        self.expand()
        for name in ("outputs", "functions"):
            if data.get(name):
                self.dep.note(f"template '{name}' are not evaluated", self.origin((name,)))
        lbs = [i for i in self.instances if i.type.lower() == "microsoft.network/loadbalancers"]
        self.lb_name = lbs[0].name if lbs else None
        for extra in lbs[1:]:
            self.dep.note(f"load balancer '{extra.name}' is not modelled: lb6 simulates one load "
                          f"balancer, '{self.lb_name}'", self.origin(extra.path))
        order = ["microsoft.network/virtualnetworks", "microsoft.network/networksecuritygroups",
                 "microsoft.network/publicipaddresses", "microsoft.network/loadbalancers",
                 "microsoft.network/networkinterfaces", "microsoft.compute/virtualmachines",
                 "microsoft.compute/virtualmachinescalesets"]
        for t in order:
            for inst in self.instances:
                if inst.type.lower() == t:
                    try:
                        getattr(self, "res_" + t.split("/")[-1])(inst)
                    except (AttributeError, TypeError, KeyError, IndexError) as exc:
                        # A property of an unexpected shape that no targeted check caught.
                        raise self.fail(inst.path, f"{inst.type} '{inst.name}': a property has "
                                        "an unexpected shape (an object, list or value where "
                                        f"another was expected: {exc})") from None
        for inst in self.instances:
            t = inst.type.lower()
            if t not in MODELLED:
                self.dep.note(f"{inst.type} '{inst.name}'{inst.copy_note} is not modelled",
                              self.origin(inst.path))
        self.dep.title = (data.get("metadata") or {}).get("description") if isinstance(
            data.get("metadata"), dict) else None
        return self.dep


def read_template(text: str, source: str, parameters_text: str | None = None,
                  parameters_source: str | None = None) -> c.Deployment:
    return TemplateReader(text, source, parameters_text, parameters_source).read()
