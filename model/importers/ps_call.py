"""One cmdlet call as its handler sees it: the named parameters and which were read.

A handler asks for parameters by name (`get`, `need`); whatever it never asks for, and that is
not in `HARMLESS`, is noted as not modelled, so no parameter is dropped silently.
"""

from __future__ import annotations

from . import resources as c
from .names import fold

HARMLESS = {"resourcegroupname", "location", "force", "tag", "asjob", "defaultprofile", "sku",
            "vmsize", "computername", "credential", "provisionvmagent", "enableautoupdate",
            "platformfaultdomaincount", "platformupdatedomaincount", "confirm", "whatif",
            "name", "vmname"}


def as_list(value) -> list:
    """A parameter's value as a list: PowerShell passes one object or an array alike."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class Call:
    """One cmdlet call: its canonical (Az) name and its parameters (a FoldedDict: -Name and
    -name are one parameter, shown as the script spelled it)."""

    def __init__(self, reader, name: str, params: dict):
        self.r = reader  # the PsReader: its deployment, objects, current line and `fail`
        self.name = name
        self.params = params
        self.used: set[str] = set()

    def get(self, *names, default=None):
        for n in names:
            self.used.add(fold(n))
            if n in self.params:
                return self.params[n]
        return default

    def object_or_id(self, name: str, many: bool = False):
        """-Name's object, else the name(s) at the end of -NameId's resource ID(s): the
        cmdlets take a referenced object either way."""
        value = self.get(name)
        if value is None and self.get(name + "Id"):
            ids = self.get(name + "Id")
            value = [c.last_segment(i) for i in as_list(ids)] if many else c.last_segment(ids)
        return value

    def need(self, name: str):
        value = self.get(name)
        if value is None or value is True:
            raise self.r.fail(f"`{self.name}` needs -{name} with a value", "-" + name)
        return value

    def report_unused(self) -> None:
        used = {fold(u) for u in self.used}
        unused = [p for p in self.params if fold(p) not in used and fold(p) not in HARMLESS]
        if unused:
            self.r.dep.note(f"`{self.name}`: parameter{'s' if len(unused) > 1 else ''} "
                            f"{', '.join('-' + p for p in unused)} not modelled",
                            c.Origin(self.r.line))
