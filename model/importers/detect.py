"""Tell a scenario, an ARM template, an az CLI script and a PowerShell script apart by content.

The extension is only a tie-breaker: `deploy.txt` holding `az network lb create` is an az CLI
script, and a `.json` file is read as a template (and refused clearly if it is not one).
"""

from __future__ import annotations

import re

FORMATS = ("scenario", "arm", "azcli", "powershell")

_CMDLET = re.compile(r"^\s*(?:\$[\w:]+\s*=\s*)?(?:New|Add|Set|Get|Remove)-Az(?:ureRm)?[A-Za-z]+",
                     re.IGNORECASE)
_AZ = re.compile(r"^\s*(?:[\w$]+\s*=\s*\$?\(?\s*)?(?:az|azure)\s+[a-z]", re.IGNORECASE)
_SCENARIO_KEY = re.compile(r"^(title|load_balancer|public_ips|vms|clients|timeline|vnet)\s*:",
                           re.MULTILINE)

EXTENSIONS = {".json": "arm", ".jsonc": "arm", ".sh": "azcli", ".bash": "azcli", ".azcli": "azcli",
              ".ps1": "powershell", ".psm1": "powershell", ".yaml": "scenario",
              ".yml": "scenario"}


def detect(text: str, filename: str = "") -> str | None:
    """One of FORMATS, or None when the content matches none of them."""
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("{") or body.startswith("//") or body.startswith("/*"):
        return "arm"
    # Top-level scenario keys at column 0 never occur in a script; prose inside a scenario
    # (a lesson note starting "Azure DNS answers...") must not make it look like one.
    if _SCENARIO_KEY.search(text):
        return "scenario"
    # A scenario's top-level keys sit at column 0, where no script line starts with `title:`;
    # checked before the scripts so that a summary quoting `az network ...` stays a scenario.
    if _SCENARIO_KEY.search(text):
        return "scenario"
    cmdlets = azs = 0
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if _CMDLET.match(line):
            cmdlets += 1
        elif _AZ.match(line):
            azs += 1
    if cmdlets or azs:
        return "powershell" if cmdlets > azs else "azcli"
    lower = filename.lower()
    for ext, fmt in EXTENSIONS.items():
        if lower.endswith(ext):
            return fmt
    return None
