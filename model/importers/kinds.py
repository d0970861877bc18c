"""Recognise inputs lb6 must refuse by kind, before any importer evaluates them.

Some inputs are not wrong, they are a different thing: a script for the retired `azure` xplat
CLI, a Standard SKU load balancer, the newer dual-stack "IPv6 for Azure Virtual Network" model,
a Bicep file, a Terraform configuration. Evaluating them first gives a misleading message (a
variable error on line 3 of an xplat script) or, worse, a wrong model: a dual-stack VNet read
as the legacy Basic IPv6 feature makes lb6 warn that NSGs ignore IPv6, which is false there.
So the door (`inputs.load_text`) asks `refusal` first and stops at one located paragraph.

The scan reads text and literals only: it never evaluates an expression or runs a command, so
it can never fail itself. A value it cannot see without evaluation (an SKU given as a template
parameter) is left to the importer, which still refuses it in its own words.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import PurePath

from ..errors import Problem
from .jsonpos import JsonProblem, load_json

BASIC_ONLY = ("lb6 models the Basic SKU (retired 2025-09-30, fact 30) and its legacy IPv6 "
              "feature; a later version of lb6 models Standard")


def _vnet_model(evidence: str) -> str:
    return (f"this is the dual-stack VNet model (\"IPv6 for Azure Virtual Network\": {evidence}), "
            "not the legacy Basic IPv6 feature lb6 models; NSGs do filter IPv6 there, so lb6 "
            "refuses it rather than misread it as the legacy model, until a later version "
            "models it")


_V6_IPCONFIG = "an IPv6 IP configuration that names a subnet"

_BICEP = re.compile(r"^[ \t]*resource\s+\w+\s+'[\w.]+/[\w./]+@[^']*'\s*(?:existing\s*)?=", re.M)
_TERRAFORM = re.compile(r"^[ \t]*(?:resource|data)\s+\"azurerm_\w+\"\s+\"[^\"]*\"\s*\{"
                        r"|^[ \t]*provider\s+\"azurerm\"", re.M)
_XPLAT = re.compile(r"^\s*azure\s+[a-z]", re.I)
_AZ = re.compile(r"(?:^|[\s($=])az\s+[a-z]", re.I)
# Candidate IPv6 prefixes: hex and at least two colons, then /length; ipaddress confirms.
_V6_PREFIX = re.compile(r"(?<![\w.:])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]+/\d{1,3}(?!\d)")
_ASSIGN = re.compile(r"^\s*(?:export\s+)?\$?([A-Za-z_]\w*)\s*=\s*([\"']?)([^\"'\s]*)\2\s*$")
_VAR = re.compile(r"\$\{?([A-Za-z_]\w*)\}?")
# Commands whose IPv6 prefix belongs to the VNet model: a VNet or subnet, an NSG rule.
_PREFIX_COMMANDS = re.compile(r"\baz\s+network\s+(?:vnet|nsg)\b|\b(?:New|Add|Set)-Az(?:ureRm)?"
                              r"(?:VirtualNetwork\w*|NetworkSecurityRuleConfig)\b", re.I)
_IPCONFIG_COMMANDS = re.compile(r"\baz\s+network\s+nic\s+(?:ip-config\s+)?create\b"
                                r"|\bNew-Az(?:ureRm)?NetworkInterfaceIpConfig\b", re.I)
_V6_VERSION = re.compile(r"-(?:-private-ip-address-version|PrivateIpAddressVersion)[\s=:]+"
                         r"[\"']?IPv6\b", re.I)
_SUBNET_OPTION = re.compile(r"\s-(?:-subnet|Subnet|SubnetId)(?:[\s=]|$)", re.I)
_SKU_COMMANDS = re.compile(r"\baz\s+network\s+(lb|public-ip)\s+create\b"
                           r"|\bNew-Az(?:ureRm)?(LoadBalancer|PublicIpAddress)\b", re.I)
_SKU = re.compile(r"\s(--?sku)[\s=:]+[\"']?([A-Za-z]+)", re.I)
_NAME = re.compile(r"\s(?:-n|--name|-Name)[\s=:]+[\"']?([^\s\"']+)", re.I)


def refusal(text: str, source: str, fmt: str | None) -> Problem | None:
    """The one problem that says what kind of input this is and why lb6 will not read it,
    or None for an input the importer for `fmt` should read."""
    if fmt == "scenario":
        return None
    problem = _other_language(text, source)
    if problem is not None or fmt is None:
        return problem
    if fmt == "arm":
        return _template(text)
    if fmt in ("azcli", "powershell"):
        return _script(text, fmt)
    return None


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _other_language(text: str, source: str) -> Problem | None:
    name = PurePath(source).name
    lower = name.lower()
    bicep = _BICEP.search(text)
    if bicep or lower.endswith(".bicep"):
        json_name = (name[:-6] if lower.endswith(".bicep") else PurePath(name).stem) + ".json"
        return Problem(
            f"this is a Bicep file, which lb6 does not read; compile it to an ARM template with "
            f"`az bicep build --file {name}` and give lb6 the JSON it writes ({json_name})",
            (), _line_of(text, bicep.start()) if bicep else 1)
    terraform = _TERRAFORM.search(text)
    if terraform or lower.endswith((".tf", ".tf.json")):
        return Problem(
            "this is a Terraform configuration (azurerm provider), which lb6 does not read; lb6 "
            "reads ARM templates (JSON), az CLI scripts and PowerShell scripts today",
            (), _line_of(text, terraform.start()) if terraform else 1)
    return None


# ---- scripts ---------------------------------------------------------------------------------

def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line, text) of each command, joining `\\` (bash) and backtick (PowerShell)
    continuations and dropping comment lines, as both shells would."""
    out: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if not pending and line.lstrip().startswith("#"):
            continue
        if not pending:
            start = number
        stripped = line.rstrip()
        if stripped.endswith(("\\", "`")):
            pending += stripped[:-1] + " "
            continue
        out.append((start, pending + line))
        pending = ""
    if pending:
        out.append((start, pending))
    return out


def _script(text: str, fmt: str) -> Problem | None:
    lines = _logical_lines(text)
    if fmt == "azcli":
        xplat = [n for n, line in lines if _XPLAT.match(line)]
        if xplat and not any(_AZ.search(line) for _, line in lines):
            # Before the importer: its first complaint would be a variable the old CLI set.
            return Problem(
                "this script is for the retired Azure cross-platform CLI (the `azure` xplat CLI: "
                "azure config mode arm, azure network lb create ...), which lb6 does not read; "
                "lb6 reads `az` scripts (Azure CLI 2.0, as in the 2018 walkthrough: az network "
                "lb create ...) (fact 168)", (), xplat[0])
    values: dict[str, str] = {}
    for _, line in lines:
        m = _ASSIGN.match(line)
        if m:
            values[m.group(1).lower()] = m.group(3)  # both shells: the last assignment wins

    def expand(line: str) -> str:
        return _VAR.sub(lambda m: values.get(m.group(1).lower(), m.group(0)), line)

    for number, raw in lines:
        line = expand(raw)
        sku = _SKU_COMMANDS.search(line)
        value = _SKU.search(line) if sku else None
        if value and value.group(2).lower() != "basic":
            what = "load balancer" if (sku.group(1) or sku.group(2)).lower() in \
                ("lb", "loadbalancer") else "public IP"
            name = _NAME.search(line)
            what += f" '{name.group(1)}'" if name else ""
            return Problem(f"{what} has SKU {value.group(2)}: {BASIC_ONLY}", (value.group(1),),
                           number)
        if _PREFIX_COMMANDS.search(line) and (prefix := _v6_prefix(line)):
            return Problem(_vnet_model(f"IPv6 prefix {prefix} on a VNet, subnet or NSG rule"),
                           (), number)
        if _IPCONFIG_COMMANDS.search(line) and _V6_VERSION.search(line) and \
                _SUBNET_OPTION.search(line):
            return Problem(_vnet_model(_V6_IPCONFIG),
                           (), number)
    return None


def _v6_prefix(value: str) -> str | None:
    for m in _V6_PREFIX.finditer(value):
        try:
            if ipaddress.ip_network(m.group(0), strict=False).version == 6:
                return m.group(0)
        except ValueError:
            continue
    return None


# ---- ARM templates ---------------------------------------------------------------------------

def _get(obj: dict, key: str):
    """A property read the way ARM reads it: names are case-insensitive."""
    key = key.lower()
    return next((v for k, v in obj.items() if k.lower() == key), None)


def _template(text: str) -> Problem | None:
    try:
        doc = load_json(text)
    except JsonProblem:
        return None  # the importer names the syntax error and its line
    if not isinstance(doc.data, dict):
        return None
    variables = _get(doc.data, "variables")
    variables = variables if isinstance(variables, dict) else {}

    def literal(value) -> str | None:
        """A string as written, or a variable holding one; any other expression is unknown."""
        if not isinstance(value, str):
            return None
        m = re.fullmatch(r"\[\s*variables\(\s*'([^']+)'\s*\)\s*\]", value.strip(), re.I)
        if m:
            value = _get(variables, m.group(1))
            return value if isinstance(value, str) and not value.startswith("[") else None
        return None if value.startswith("[") else value

    def walk(node, path: tuple) -> Problem | None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                if (found := walk(item, path + (i,))) is not None:
                    return found
            return None
        if not isinstance(node, dict):
            return None
        if (found := _arm_object(node, path, literal)) is not None:
            return Problem(found[0], found[1], doc.line_of(found[1]))
        for key, value in node.items():
            if (found := walk(value, path + (key,))) is not None:
                return found
        return None

    return walk(_get(doc.data, "resources"), ("resources",))


def _arm_object(node: dict, path: tuple, literal) -> tuple[str, tuple] | None:
    """(message, JSON path) when this object is a Standard SKU resource or a piece of the
    dual-stack VNet model, else None."""
    rtype = str(_get(node, "type") or "").lower()
    if rtype in ("microsoft.network/loadbalancers", "microsoft.network/publicipaddresses"):
        sku = _get(node, "sku")
        name = literal(_get(sku, "name")) if isinstance(sku, dict) else None
        if name is not None and name.lower() != "basic":
            what = "load balancer" if rtype.endswith("loadbalancers") else "public IP"
            key = next(k for k in node if k.lower() == "sku")
            label = literal(_get(node, "name")) or _get(node, "name")
            return (f"{what} '{label}' has SKU {name}: {BASIC_ONLY}", path + (key,))
    for key, value in node.items():
        lower = key.lower()
        if lower in ("addressprefix", "addressprefixes", "sourceaddressprefix",
                     "sourceaddressprefixes", "destinationaddressprefix",
                     "destinationaddressprefixes"):
            for i, item in enumerate(value if isinstance(value, list) else [value]):
                prefix = literal(item)
                if prefix and _v6_prefix(prefix if "/" in prefix else prefix + "/128"):
                    where = path + ((key, i) if isinstance(value, list) else (key,))
                    return (_vnet_model(f"IPv6 prefix {prefix} on a VNet, subnet or NSG rule"),
                            where)
    version = literal(_get(node, "privateIPAddressVersion"))
    if version and version.lower() == "ipv6" and _get(node, "subnet"):
        key = next(k for k in node if k.lower() == "subnet")
        return (_vnet_model(_V6_IPCONFIG), path + (key,))
    return None
