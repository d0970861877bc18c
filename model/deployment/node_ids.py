"""Node ids: the one place that builds and reads the name of a place in the deployment.

A node id is `kind:name` (mininet's "node id = name", with the kind in front so that a VM and a
rule may share a name). Every step of a trace records its place as one, so the text is part of
the interface: the JSON output and its SHA-256 pins depend on it. Build ids only with `node_id`
and read them only with `split_node_id`.

A few places are not in the deployment and have a bare id: `internet`, `vnet`, `timeline`.
"""

from __future__ import annotations

CLIENT = "client"
DNS = "dns"
LB = "lb"
FRONTEND = "frontend"
RULE = "rule"
NAT_RULE = "natrule"
PROBE = "probe"
POOL = "pool"
VM = "vm"
HOST = "host"
NSG = "nsg"
SUBNET = "subnet"
NIC = "nic"  # named vm/nic: a NIC's name is unique only within its VM

KINDS = (CLIENT, DNS, LB, FRONTEND, RULE, NAT_RULE, PROBE, POOL, VM, HOST, NSG, SUBNET, NIC)


def node_id(kind: str, name: str) -> str:
    """The id of the `kind` node called `name`, e.g. `node_id(VM, "web1") == "vm:web1"`."""
    return f"{kind}:{name}"


def split_node_id(nid: str) -> tuple[str, str]:
    """(kind, name) of a node id; a bare id such as `internet` gives (id, "")."""
    kind, _, name = nid.partition(":")
    return kind, name
