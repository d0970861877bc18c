"""The topology map: the deployment drawn by role, left to right, as the packet travels.

Columns: Internet clients | DNS | the load balancer (frontends, rules, probes, pools) | VMs |
other hosts. Each place is a small focusable box; the current step's place is highlighted, the
places the current connection has visited are marked, VMs show their rotation per address
family, and a place where a limitation blocked the packet is marked ✗. Clicking (or Enter on) a
box shows its configuration.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from lb6.model.net.addressing import IPv4, IPv6
from lb6.model.deployment.nodes import Client, DnsName, Frontend, Host, LbRule, InboundNatRule, BackendPool, Probe, Vm
from lb6.model.world.trace import FAILURES

MAX_PER_COLUMN = 24  # a 300-VM pool shows the first ones and a count, not 300 boxes


class NodeBox(Static, can_focus=True):
    """One place on the map."""

    DEFAULT_CSS = """
    NodeBox { padding: 0 1; height: auto; margin-bottom: 0; }
    NodeBox:focus { text-style: underline; }
    NodeBox.-path { background: $primary 30%; }
    NodeBox.-current { background: $accent; color: $text; text-style: bold; }
    NodeBox.-blocked { background: $error 60%; }
    NodeBox.-down { color: $error; }
    """

    class Selected(Message):
        def __init__(self, node_id: str) -> None:
            self.node_id = node_id
            super().__init__()

    def __init__(self, node_id: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.node_id = node_id
        self._label: Text | None = None

    def show(self, label: Text) -> None:
        """Show `label`, doing nothing if it is already shown.

        A step changes one or two places, not the whole map: an unchanged box costs no render,
        and a changed one whose lines keep their widths (and fit) skips the screen's layout.
        """
        old = self._label
        if old is not None and old == label:
            return
        self._label = label
        self.update(label, layout=old is None or not self._same_size(old, label))

    def _same_size(self, old: Text, new: Text) -> bool:
        width = self.content_region.width
        if width <= 0:
            return False
        old_lines = [cell_len(line) for line in old.plain.split("\n")]
        new_lines = [cell_len(line) for line in new.plain.split("\n")]
        return len(old_lines) == len(new_lines) and max(old_lines + new_lines) <= width

    def on_click(self) -> None:
        self.post_message(self.Selected(self.node_id))

    def key_enter(self) -> None:
        self.post_message(self.Selected(self.node_id))


def _safe_id(node_id: str) -> str:
    return "n-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in node_id)


class TopologyMap(Horizontal):
    DEFAULT_CSS = """
    TopologyMap { height: 1fr; }
    TopologyMap > VerticalScroll { width: 1fr; height: 1fr; }
    TopologyMap .column-title { text-style: bold; color: $text-muted; padding: 0 1; }
    TopologyMap #col-lb { width: 2fr; }
    TopologyMap > VerticalScroll { scrollbar-size-vertical: 1; }
    TopologyMap.-compact NodeBox.-detail { display: none; }
    TopologyMap.-compact .column-title { display: none; }
    """

    def __init__(self, session, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.compact = False
        self._boxes: dict[str, NodeBox] = {}

    def compose(self) -> ComposeResult:
        self._boxes = {}
        t = self.session.engine.topology
        columns = [
            ("col-clients", "Clients", [f"client:{c.name}" for c in t.clients]),
            ("col-dns", "DNS", [f"dns:{d.name}" for d in t.dns]),
            ("col-lb", f"Load balancer {t.load_balancer.name} (Basic)",
             [f"frontend:{f.name}" for f in t.load_balancer.frontends]
             + [f"rule:{r.name}" for r in t.load_balancer.rules]
             + [f"natrule:{r.name}" for r in t.load_balancer.inbound_nat_rules]
             + [f"probe:{p.name}" for p in t.load_balancer.probes]
             + [f"pool:{p.name}" for p in t.load_balancer.backend_pools]),
            ("col-vms", "VMs", [f"vm:{v.name}" for v in t.vms]),
        ]
        if t.hosts:
            columns.append(("col-hosts", "Other hosts", [f"host:{h.name}" for h in t.hosts]))
        for col_id, title, nodes in columns:
            with VerticalScroll(id=col_id):
                yield Static(title, classes="column-title")
                for nid in nodes[:MAX_PER_COLUMN]:
                    detail = nid.split(":")[0] in ("rule", "natrule", "probe", "pool")
                    box = NodeBox(nid, id=_safe_id(nid), classes="-detail" if detail else "")
                    self._boxes[nid] = box
                    yield box
                if len(nodes) > MAX_PER_COLUMN:
                    yield Static(f"  … {len(nodes) - MAX_PER_COLUMN} more", classes="column-title")

    def set_compact(self, compact: bool) -> None:
        self.compact = compact
        self.set_class(compact, "-compact")
        self.sync()

    def sync(self) -> None:
        session = self.session
        step = session.current
        path = set(session.path_so_far())
        t = session.engine.topology
        current = step.node if step else None
        blocked = step.node if step and step.disposition in FAILURES else None
        for nid, box in self._boxes.items():
            label, down = self._label(nid, t)
            if nid == blocked:
                label = Text("✗ ") + label
            # One style update per box that changed (a class at a time would cost one each).
            box.update_classes({"-current": nid == current,
                                "-path": nid in path and nid != current,
                                "-blocked": nid == blocked, "-down": down})
            box.show(label)

    # ---- labels ---------------------------------------------------------------------------

    def _label(self, nid: str, t) -> tuple[Text, bool]:
        kind, _, name = nid.partition(":")
        obj = _lookup(t, kind, name)
        compact = self.compact
        if obj is None:
            return Text(f"{name} (removed)", style="dim"), False
        if isinstance(obj, Client):
            text = Text(f"● {name}")
            if not compact:
                text.append(f"  {obj.stack}", style="dim")
                for a in (obj.ipv4, obj.ipv6):
                    if a:
                        text.append(f"\n  {a}", style="dim")
            return text, False
        if isinstance(obj, DnsName):
            text = Text(name if not compact else name.split(".")[0])
            if not compact:
                for r in obj.a:
                    text.append(f"\nA {r.address}", style="dim")
                for r in obj.aaaa:
                    text.append(f"\nAAAA {r.address}", style="dim")
            return text, False
        if isinstance(obj, Frontend):
            text = Text(f"◆ {name} ", style="bold")
            text.append(obj.family, style="magenta" if obj.family == IPv6 else "cyan")
            if not compact:
                text.append(f"\n  {obj.address}", style="dim")
            return text, False
        simple = SIMPLE_LABELS.get(type(obj))
        if simple is not None:
            prefix, detail = simple
            text = Text(f"{prefix}{name}")
            if not compact:
                text.append(f" {detail(obj)}", style="dim")
            return text, False
        if isinstance(obj, Vm):
            return self._vm_label(obj, t)
        if isinstance(obj, Host):
            text = Text(f"○ {name}")
            if not compact:
                text.append(f" {obj.kind}", style="dim")
                for a in obj.addresses:
                    text.append(f"\n  {a}", style="dim")
            return text, False
        return Text(name), False

    def _vm_label(self, vm: Vm, t) -> tuple[Text, bool]:
        s = self.session.engine.state
        running = s.vm_running.get(vm.name, True)
        text = Text(f"▣ {vm.name}", style="bold")
        if not running:
            text.append(" stopped", style="red")
            return text, True
        any_down = False
        addresses = []
        for family in (IPv4, IPv6):
            address = vm.address(family)
            if address is None:
                continue
            addresses.append(address)
            state = self._rotation(vm.name, family, t)
            up = state != "down"
            any_down |= not up
            mark = "▲" if up else "▼"
            text.append(f" {'v4' if family == IPv4 else 'v6'}{mark}", style="green" if up else "bold red")
        if not self.compact:
            for address in addresses:
                text.append(f"\n  {address}", style="dim")
        if vm.os == "linux" and vm.has_ipv6 and not vm.dhcpv6 and not self.compact:
            text.append("\n  no DHCPv6!", style="yellow")
        return text, any_down

    def _rotation(self, vm: str, family: str, t) -> str:
        """up / down / none for a VM's endpoint of one family, through the rules' probes."""
        s = self.session.engine.state
        states = []
        for r in t.load_balancer.rules:
            if t.frontends.get(r.frontend) is None or t.frontends[r.frontend].family != family:
                continue
            if not any(m.vm == vm for m in t.pools[r.backend_pool].members):
                continue
            ps = s.probes.get((r.probe, vm)) if r.probe else None
            states.append("up" if ps is None or ps.eligible else "down")
        if not states:
            return "none"
        return "down" if all(st == "down" for st in states) else "up"


# One-line places: the mark before the name and the detail shown when there is room.
SIMPLE_LABELS = {
    LbRule: ("  ↳ ", lambda r: f"{r.protocol.upper()} {r.frontend_port}→{r.backend_port}"),
    InboundNatRule: ("  ↳ NAT ", lambda r: f"{r.frontend_port}→{r.backend_port}"
                     + (f" → {r.target.vm}" if r.target else "")),
    Probe: ("♥ ", lambda p: f"{p.protocol.upper()}:{p.port} {p.interval_s}s×{p.number_of_probes}"),
    BackendPool: ("▦ ", lambda p: f"({len(p.members)})"),
}


def _lookup(t, kind: str, name: str):
    return {
        "client": t.client_by_name, "dns": t.dns_by_name, "frontend": t.frontends,
        "rule": t.rules, "natrule": t.nat_rules, "probe": t.probes, "pool": t.pools,
        "vm": t.vm_by_name, "host": t.host_by_name,
    }.get(kind, {}).get(name)
