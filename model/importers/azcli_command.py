"""One az command as its handler sees it: the options given, the line, what was read.

A handler asks for options by name (`get`, `many`, `need`); whatever it never asks for, and
that is not in `HARMLESS`, is noted as not modelled, so no option is dropped silently. The
command also finds the load balancer and NSGs that earlier commands created.
"""

from __future__ import annotations

import re

from . import resources as c
from .names import same

# Options that change nothing lb6 models (so they are not listed as ignored).
HARMLESS = {"--resource-group", "--location", "--output", "-o", "--query", "--no-wait",
            "--subscription", "--tags", "--only-show-errors", "--debug", "--verbose",
            "--admin-username", "--admin-password", "--size", "--generate-ssh-keys",
            "--ssh-key-values", "--authentication-type", "--storage-sku", "--os-disk-name",
            "--custom-data", "--platform-fault-domain-count", "--platform-update-domain-count",
            "--nsg", "--yes", "-y", "--lb-name", "--nic-name", "--nsg-name", "--vnet-name",
            "--name", "--description", "--zone", "--storage-account", "--use-unmanaged-disk",
            "--unmanaged"}


class Command:
    """One az command's options, with the line, for handlers; unread options are noted."""

    def __init__(self, reader, line: int, what: str, opts: dict[str, list[str]]):
        self.r = reader  # the AzReader: its deployment, and `fail` naming a line and option
        self.line = line
        self.what = what
        self.opts = opts
        self.read: set[str] = set()

    def has(self, *names) -> bool:
        return any(n in self.opts for n in names)

    def get(self, *names, default=None):
        for n in names:
            self.read.add(n)
            if n in self.opts:
                values = self.opts[n]
                if not values:
                    return "true"
                return values[0]
        return default

    def many(self, *names) -> list[str]:
        out = []
        for n in names:
            self.read.add(n)
            for v in self.opts.get(n, []):
                out.extend(x for x in re.split(r"[\s,]+", v) if x)
        return out

    def need(self, name: str, *aliases) -> str:
        value = self.get(name, *aliases)
        if value is None or value == "":
            raise self.r.fail(self.line, f"`{self.what}` needs {name}", name)
        return value

    def origin(self, label: str, fields: dict[str, str] | None = None) -> c.Origin:
        o = c.Origin(self.line, (), f"{self.what} ({label})")
        for field_name, opt in (fields or {}).items():
            o.fields[field_name] = (self.line, (opt,))
        return o

    def report_unused(self) -> None:
        unused = [o for o in self.opts if o not in self.read and o not in HARMLESS]
        if unused:
            self.r.dep.note(f"`{self.what}`: option{'s' if len(unused) > 1 else ''} "
                            f"{', '.join(unused)} not modelled", c.Origin(self.line))

    def lb(self) -> c.LoadBalancer:
        name = self.need("--lb-name")
        lb = self.r.dep.load_balancer
        if lb is None or not same(lb.name, name):
            known = lb.name if lb else "none yet"
            raise self.r.fail(self.line, f"no load balancer named '{name}' was created earlier "
                                         f"in the script (created: {known})", "--lb-name")
        return lb

    def nsg_ref(self, value: str, option: str) -> str:
        """The name of an NSG an option names, which an earlier command must have created."""
        name = c.last_segment(value)
        if name not in self.r.dep.nsgs:
            raise self.r.fail(self.line, f"no NSG named '{name}' was created earlier in the "
                              f"script (created: {', '.join(self.r.dep.nsgs) or 'none'})", option)
        return name


def int_or_none(value):
    """An option's value as a whole number when it reads as one; None stays None."""
    return c.as_int(value) if value is not None else None


def network_id(kind: str, name: str, child: str | None = None, child_name: str | None = None) -> str:
    """The ID of a Microsoft.Network resource (or child) a create command prints."""
    return c.resource_id(f"Microsoft.Network/{kind}", name, child, child_name)
