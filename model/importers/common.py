"""The importers' shared names, handed on from where each job now lives.

Callers (the input door, the CLI, tests) have always found the deployment model, the mapping
to scenario data and the YAML writer here; the jobs themselves live in:

- `resources`: the `Deployment` in Azure's terms, each object with its `Origin`, and `Note`;
- `mapping`: `to_scenario`, the deployment as scenario data and problems moved back to the input;
- `scenario_file`: `scenario_yaml`, the imported scenario as an editable YAML file.

The readers import those modules directly; nothing inside the package imports this face.
"""

from __future__ import annotations

from .mapping import DEFAULT_CLIENTS, to_scenario
from .resources import (
    DEFAULT_LOCATION, Deployment, Frontend, IpConfig, LoadBalancer, NatRule, Nic, Note, Nsg,
    NsgRule, Origin, Pool, Probe, PublicIp, Rule, Subnet, Vm, VNet, as_bool, as_int, canon, fail,
    last_segment, normalise_location,
)
from .scenario_file import scenario_yaml

__all__ = [
    "DEFAULT_CLIENTS", "DEFAULT_LOCATION", "Deployment", "Frontend", "IpConfig", "LoadBalancer",
    "NatRule", "Nic", "Note", "Nsg", "NsgRule", "Origin", "Pool", "Probe", "PublicIp", "Rule",
    "Subnet", "VNet", "Vm", "as_bool", "as_int", "canon", "fail", "last_segment",
    "normalise_location", "scenario_yaml", "to_scenario",
]
