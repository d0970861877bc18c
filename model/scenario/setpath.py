"""`set`: change one configuration value of a deployment's plain data, and rebuild it.

The timeline's `set` event and the explorer's Set dialog both change the topology part of a
scenario (`Scenario.raw`) at one dotted path, then validate and build the result exactly as the
loader builds a file, so a change can never produce a deployment a file could not describe.
"""

from __future__ import annotations

import copy
from typing import Any

from ..deployment.topology import Topology
from ..errors import BuildError, ScenarioError
from .build import build_topology
from .schema import TOPOLOGY_KEYS
from .validation import validate_spec


def _resolve(data: Any, parts: list[str], full: str):
    """Walk a `set` path; list items are addressed by their `name`."""
    node = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, dict):
            if part not in node:
                node[part] = [] if parts[i + 1] and _is_list_key(part) else {}
            node = node[part]
        elif isinstance(node, list):
            match = [item for item in node if isinstance(item, dict) and item.get("name") == part]
            if not match:
                names = ", ".join(str(item.get("name")) for item in node if isinstance(item, dict))
                raise ValueError(f"'{full}': no item named '{part}' (known: {names or 'none'})")
            node = match[0]
        else:
            raise ValueError(f"'{full}': '{part}' is not a section that holds settings")
    return node, parts[-1]


def _is_list_key(key: str) -> bool:
    return key in {"rules", "nsgs", "vms", "nics", "ip_configs", "services", "frontends",
                   "backend_pools", "probes", "inbound_nat_rules", "public_ips", "subnets",
                   "clients", "hosts", "dns"}


def apply_set(raw: dict, path: str, value: Any) -> dict:
    """A copy of `raw` with `path` set to `value` (a list item by name is replaced or added)."""
    parts = [p for p in path.split(".") if p]
    if not parts or parts[0] not in TOPOLOGY_KEYS:
        raise ValueError(f"'{path}' must start with one of: {', '.join(TOPOLOGY_KEYS)}")
    out = copy.deepcopy(raw)
    node, last = _resolve(out, parts, path)
    if isinstance(node, list):
        items = [i for i, item in enumerate(node) if isinstance(item, dict) and item.get("name") == last]
        if not isinstance(value, dict):
            raise ValueError(f"'{path}' names a list item; its value must be a mapping")
        value = {"name": last, **value}
        if items:
            node[items[0]] = value
        else:
            node.append(value)
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ValueError(f"'{path}': cannot set a field inside a plain value")
    return out


def topology_from_raw(raw: dict, source: str = "<set>") -> Topology:
    """Validate and build a topology from the plain topology data, as the loader does."""
    spec = validate_spec({"title": "set", **raw}, source, None)
    try:
        return build_topology(spec)
    except BuildError as exc:
        raise ScenarioError(source, exc.problems) from None

