"""Read an az CLI script (the shape of the IPv6 CLI walkthrough) into a `Deployment`.

Understood: `az network public-ip | lb | lb frontend-ip | lb address-pool | lb probe | lb rule |
lb inbound-nat-rule | vnet | vnet subnet | nsg | nsg rule | nic | nic ip-config` create (and
`lb rule update`, `... show --query id` for IDs), `az vm availability-set create`, `az vm create`;
bash variables (`name=value`, `$name`, `${name}`, `$(az ...)`) and the PowerShell-style ones the
walkthrough uses (`$name = "value"`); `\\` and backtick line continuations; `#` comments. Any
other command is listed as skipped. Every problem names the line.
The script's words come from `azcli_words`; this reader expands variables and `$(...)`
substitutions, splits each `az` command into verbs and options, and hands it to the handler
`HANDLERS` names (in `azcli_lb`, `azcli_network` and `azcli_vms`).
"""

from __future__ import annotations

import re

from ..errors import ScenarioError
from . import resources as c
from .azcli_command import Command
from .azcli_lb import (
    frontend_create, lb_create, nat_rule_create, pool_create, probe_create, public_ip_create,
    rule_create, rule_update,
)
from .azcli_network import (
    nsg_create, nsg_rule_create, subnet_create, vnet_create,
)
from .azcli_vms import avset_create, nic_create, nic_ipconfig_create, vm_create
from .azcli_words import Word, is_option, join_lines, split_words
from .names import FoldedDict, Spellings

# Options that take a list of values (space separated, as az accepts them).
MULTI_VALUED = {"--lb-address-pools", "--lb-inbound-nat-rules", "--nics", "--address-prefixes",
                "--address-prefix", "--subnet-prefixes", "--source-address-prefixes",
                "--source-port-ranges", "--destination-address-prefixes",
                "--destination-port-ranges", "--tags", "--ssh-key-values", "--zones",
                "--dns-servers", "--query", "--application-security-groups", "--secrets",
                "--data-disk-sizes-gb", "--custom-data", "--assign-identity", "--scope"}

SHORT = {"-g": "--resource-group", "-n": "--name", "-l": "--location"}


class AzReader:
    """One script being read: its variables so far, the deployment, and what it passed over."""

    def __init__(self, text: str, source: str):
        self.text = text
        self.source = source
        # bash variables are case-sensitive; the walkthrough's `$name = "value"` ones are
        # PowerShell's, which are not ($rgName set, $rgname used). Both live here; a name
        # matches in another case only if it was set the PowerShell way.
        self.vars: dict[str, str] = {}
        self.ps_vars: FoldedDict = FoldedDict()
        self.dep = c.Deployment("cli", source=source)
        self.avsets = Spellings()
        self.skipped: dict[str, list[int]] = {}

    def fail(self, line: int, message: str, option: str | None = None) -> ScenarioError:
        return c.fail(self.source, message, c.Origin(line, (option,) if option else ()))

    def expand(self, word: Word, line: int) -> str:
        out = []
        for kind, value in word.parts:
            if kind == "lit":
                out.append(value)
            elif kind == "var":
                out.append(self.variable(value, line))
            else:
                out.append(self.substitute(value, line))
        return "".join(out)

    def variable(self, name: str, line: int) -> str:
        if name in self.vars:
            return self.vars[name]
        if name in self.ps_vars:
            return self.ps_vars[name]
        raise self.fail(line, f"${name} is used but never set earlier in the script; expected "
                              f"an assignment such as {name}=... or ${name} = \"...\"")

    def substitute(self, command: str, line: int) -> str:
        words = split_words(command, line, self.source)
        if not words:
            return ""
        return self.run([self.expand(w, line) for w in words], line, command) or ""

    # ---- statements ---------------------------------------------------------------------

    def read(self) -> c.Deployment:
        for line, text in join_lines(self.text, self.source):
            if not text.strip() or text.strip().startswith("#"):
                continue
            words = split_words(text, line, self.source)
            if not words:
                continue
            self.statement(words, line, text.strip())
        self.dep.note_skipped(self.skipped)
        if self.dep.load_balancer is None and not self.dep.nics:
            if "azure" in self.skipped:
                raise self.fail(self.skipped["azure"][0], "this script uses the retired `azure` "
                                "xplat CLI (azure network ...), which lb6 does not read; the "
                                "2018 walkthrough's `az network ...` commands are read (fact 168)")
            raise self.fail(1, "no load balancer or network interface is created in this "
                               "script; expected az network lb create, az network nic create …")
        return self.dep

    def statement(self, words: list[Word], line: int, text: str) -> None:
        first = words[0].parts
        # PowerShell-style: $name = value   /   $name = az ...
        if len(words) >= 2 and len(first) == 1 and first[0][0] == "var" and \
                words[1].parts == [("lit", "=")]:
            name = first[0][1]
            rest = words[2:]
            value = self.value_of(rest, line, text)
            self.vars.pop(self.ps_vars.spelling(name), None)
            self.vars[name] = self.ps_vars[name] = value
            return
        head = "".join(v for k, v in first if k == "lit") if all(k == "lit" for k, _ in first) else ""
        if head == "export" and len(words) > 1:
            words, first = words[1:], words[1].parts
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", first[0][1]) if first[0][0] == "lit" else None
        if m and words[0].bare.startswith(m.group(1) + "="):
            name = m.group(1)
            value_word = Word(([("lit", m.group(2))] if m.group(2) else []) + first[1:])
            value = self.expand(value_word, line)
            if len(words) > 1:
                value += " " + " ".join(self.expand(w, line) for w in words[1:])
            self.vars[name] = value
            return
        argv0 = self.expand(words[0], line) if words[0].parts else ""
        if argv0 != "az":
            self.skip(argv0 or text.split()[0], line)
            return
        args = [self.expand(w, line) for w in words]
        self.run(args, line, text)

    def value_of(self, words: list[Word], line: int, text: str) -> str:
        if not words:
            return ""
        if len(words) >= 2 and words[0].parts == [("lit", "az")]:
            return self.run([self.expand(w, line) for w in words], line, text) or ""
        return " ".join(self.expand(w, line) for w in words)

    def skip(self, what: str, line: int) -> None:
        self.skipped.setdefault(what, []).append(line)

    # ---- az commands ----------------------------------------------------------------------

    def run(self, args: list[str], line: int, text: str) -> str | None:
        if not args or args[0] != "az":
            self.skip(args[0] if args else text, line)
            return None
        verbs = []
        i = 1
        while i < len(args) and not is_option(args[i]):
            verbs.append(args[i])
            i += 1
        opts: dict[str, list[str]] = {}
        order: list[str] = []
        while i < len(args):
            opt = args[i]
            if not is_option(opt):
                raise self.fail(line, f"unexpected word '{opt}' after the options of "
                                      f"`az {' '.join(verbs)}`; expected --option value")
            opt = SHORT.get(opt, opt)
            if "=" in opt and opt.startswith("--"):
                opt, _, val = opt.partition("=")
                opts.setdefault(opt, []).append(val)
                i += 1
                continue
            i += 1
            values = []
            while i < len(args) and not is_option(args[i]):
                values.append(args[i])
                i += 1
            opts.setdefault(opt, []).extend(values)
            order.append(opt)
        command = " ".join(verbs)
        for opt, values in opts.items():
            if command in HANDLERS and len(values) > 1 and opt not in MULTI_VALUED:
                raise self.fail(line, f"`az {command}`: {opt} takes one value, but got "
                                      f"{', '.join(repr(v) for v in values)}; is a quote or a "
                                      "-- missing?", opt)
        handler = HANDLERS.get(command)
        if handler is None:
            if verbs and verbs[-1] == "show" and ("--query" in opts):
                return self.show(verbs, opts, line)
            self.skip("az " + command, line)
            return None
        cmd = Command(self, line, "az " + command, opts)
        result = handler(cmd)
        cmd.report_unused()
        return result

    def show(self, verbs, opts, line) -> str:
        """`az network ... show --query id`: the resource ID, for later commands."""
        name = (opts.get("--name") or [""])[0]
        parent = {"lb": "--lb-name", "vnet": "--vnet-name", "nsg": "--nsg-name",
                  "nic": "--nic-name"}
        kinds = {("public-ip",): "publicIPAddresses", ("lb",): "loadBalancers",
                 ("vnet",): "virtualNetworks", ("nsg",): "networkSecurityGroups",
                 ("nic",): "networkInterfaces", ("lb", "frontend-ip"): "frontendIPConfigurations",
                 ("lb", "address-pool"): "backendAddressPools", ("lb", "probe"): "probes",
                 ("lb", "rule"): "loadBalancingRules",
                 ("lb", "inbound-nat-rule"): "inboundNatRules", ("vnet", "subnet"): "subnets",
                 ("nsg", "rule"): "securityRules", ("nic", "ip-config"): "ipConfigurations"}
        path = tuple(v for v in verbs[1:-1])
        if len(path) == 2 and path in kinds:
            owner = (opts.get(parent[path[0]]) or [""])[0]
            return c.resource_id(f"Microsoft.Network/{kinds[(path[0],)]}", owner, kinds[path], name)
        if path in kinds:
            return c.resource_id(f"Microsoft.Network/{kinds[path]}", name)
        return name


HANDLERS = {
    "network public-ip create": public_ip_create,
    "network lb create": lb_create,
    "network lb frontend-ip create": frontend_create,
    "network lb address-pool create": pool_create,
    "network lb probe create": probe_create,
    "network lb rule create": rule_create,
    "network lb rule update": rule_update,
    "network lb inbound-nat-rule create": nat_rule_create,
    "network vnet create": vnet_create,
    "network vnet subnet create": subnet_create,
    "network nsg create": nsg_create,
    "network nsg rule create": nsg_rule_create,
    "network nic create": nic_create,
    "network nic ip-config create": nic_ipconfig_create,
    "vm availability-set create": avset_create,
    "vm create": vm_create,
}


def read_azcli(text: str, source: str) -> c.Deployment:
    return AzReader(text, source).read()
