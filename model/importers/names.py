"""Names compared the way Azure compares them: case-insensitive, first spelling kept.

Azure resource names, ARM property and function names, PowerShell variables and cmdlet
parameters are all case-insensitive (`$rgName` set and `$rgname` used are one variable;
`--subnet dsSubNet` names the subnet created as `dsSubNET`). lb6 still shows each name as the
user first wrote it, so the importers fold case in this one place instead of scattering
`.lower()`: `FoldedDict` is a dict whose keys match in any case and keep their first spelling,
and `Spellings` maps any spelling of a declared name back to the declared one. Values stay
exact (passwords, DNS labels, strings compared inside expressions): only keys fold.
"""

from __future__ import annotations


def fold(name) -> str:
    """The form two names are compared in (str.casefold, as Azure's ordinal-ignore-case)."""
    return str(name).casefold()


def same(a, b) -> bool:
    """Whether two names are the same name to Azure."""
    return a is not None and b is not None and fold(a) == fold(b)


def declared(mapping, name):
    """The key of `mapping` that is `name` in any case, spelled as declared; None if absent."""
    if isinstance(mapping, FoldedDict):
        return mapping.spelling(name) if name in mapping else None
    return next((k for k in mapping if same(k, name)), None)


class FoldedDict(dict):
    """A dict with case-insensitive string keys; iteration yields the first spelling set.

    It stays a `dict` (json, isinstance and `.items()` work unchanged); a later assignment
    under another spelling replaces the value but keeps the key as first written.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()
        self._keys: dict[str, object] = {}
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def _real(self, key):
        return self._keys.get(fold(key), key) if isinstance(key, str) else key

    def spelling(self, key):
        """The spelling `key` was first stored under (or `key` itself if absent)."""
        return self._real(key)

    def __setitem__(self, key, value) -> None:
        if isinstance(key, str):
            key = self._keys.setdefault(fold(key), key)
        super().__setitem__(key, value)

    def __getitem__(self, key):
        return super().__getitem__(self._real(key))

    def __delitem__(self, key) -> None:
        real = self._real(key)
        super().__delitem__(real)
        if isinstance(real, str):
            self._keys.pop(fold(real), None)

    def __contains__(self, key) -> bool:
        return super().__contains__(self._real(key))

    def get(self, key, default=None):
        return super().get(self._real(key), default)

    def pop(self, key, *default):
        real = self._real(key)
        if isinstance(real, str) and super().__contains__(real):
            self._keys.pop(fold(real), None)
        return super().pop(real, *default)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def copy(self) -> FoldedDict:
        return FoldedDict(self)

    def __copy__(self) -> FoldedDict:
        return self.copy()

    def __deepcopy__(self, memo) -> FoldedDict:
        import copy
        return FoldedDict({k: copy.deepcopy(v, memo) for k, v in self.items()})

    def __reduce__(self):
        return (FoldedDict, (dict(self),))


def folded_tree(value):
    """`value` (JSON data) with every object a `FoldedDict`, as ARM reads property names."""
    if isinstance(value, dict):
        return FoldedDict({k: folded_tree(v) for k, v in value.items()})
    if isinstance(value, list):
        return [folded_tree(v) for v in value]
    return value


class Spellings:
    """Declared names of one kind (subnets, frontends …): any spelling → the declared one."""

    def __init__(self, names=()):
        self._by_fold: dict[str, str] = {}
        for name in names:
            self.add(name)

    def add(self, name) -> None:
        if isinstance(name, str):
            self._by_fold.setdefault(fold(name), name)

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and fold(name) in self._by_fold

    def __iter__(self):
        return iter(self._by_fold.values())

    def __call__(self, name):
        """The declared spelling of a reference, or the reference unchanged if none matches
        (so the validator still reports a name that is really missing)."""
        if not isinstance(name, str):
            return name
        return self._by_fold.get(fold(name), name)


def declared_spellings(dep) -> None:
    """Rewrite every reference in a `Deployment` to the spelling its target was declared with.

    Azure resolves `--subnet dsSubNet` to the subnet created as `dsSubNET`; the scenario lb6
    writes compares names exactly, so each reference takes the declared spelling here, once,
    for all three importers. A reference that matches nothing is left as written, for the
    validator to report.
    """
    lb, vnet = dep.load_balancer, dep.vnet
    subnets = Spellings(s.name for s in (vnet.subnets if vnet else []))
    nsgs, pips, nics = Spellings(dep.nsgs), Spellings(dep.public_ips), Spellings(dep.nics)
    for s in vnet.subnets if vnet else []:
        s.nsg = nsgs(s.nsg)
    if lb is not None:
        fes, pools, probes, nats = (Spellings(i.name for i in items) for items in
                                    (lb.frontends, lb.pools, lb.probes, lb.nat_rules))
        for f in lb.frontends:
            f.public_ip = pips(f.public_ip)
        for r in lb.rules:
            r.frontend, r.backend_pool, r.probe = fes(r.frontend), pools(r.backend_pool), \
                probes(r.probe)
        for r in lb.nat_rules:
            r.frontend = fes(r.frontend)
    else:
        pools = nats = Spellings()
    for nic in dep.nics.values():
        nic.nsg = nsgs(nic.nsg)
        for c in nic.ip_configs:
            c.subnet, c.public_ip = subnets(c.subnet), pips(c.public_ip)
            c.pools = [pools(p) for p in c.pools]
            c.nat_rules = [nats(r) for r in c.nat_rules]
    avsets = Spellings(vm.availability_set for vm in dep.vms.values())
    for vm in dep.vms.values():
        vm.nics = [(nics(n), primary) for n, primary in vm.nics]
        vm.availability_set = avsets(vm.availability_set)
