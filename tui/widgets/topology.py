"""The topology map: the deployment drawn by role, left to right, as the packet travels.

Columns: Internet clients | DNS | the load balancer (frontends, rules, probes, pools) | VMs |
other hosts. Each place is a small focusable box; the current step's place is highlighted, the
places the current connection has visited are marked, VMs show their rotation per address
family, and a place where a limitation blocked the packet is marked ✗. Clicking (or Enter on) a
box shows its configuration.

The widget only asks and draws: its columns are the topology graph's roles, each box's object
is the graph's node, and a VM's rotation per family is the graph's answer (`Topology.rotation`)
over the engine's live probe state.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ...model.deployment.node_ids import NAT_RULE, POOL, PROBE, RULE, split_node_id
from ...model.net.addressing import IPv4, IPv6
from ...model.deployment.nodes import Client, DnsName, Frontend, Host, LbRule, InboundNatRule, BackendPool, Probe, Vm
from ...model.world.trace import FAILURES

MAX_PER_COLUMN = 24  # a 300-VM pool shows the first ones and a count, not 300 boxes

# The map's columns: (widget id, title, the graph role whose nodes it shows). The load
# balancer's title names it; the hosts column appears only when there are hosts.
COLUMNS = (
    ("col-clients", "Clients", "client"),
    ("col-dns", "DNS", "dns"),
    ("col-lb", None, "lb"),
    ("col-vms", "VMs", "vm"),
    ("col-hosts", "Other hosts", "host"),
)
# Places hidden in the compact map: the load balancer's inner parts.
DETAIL_KINDS = (RULE, NAT_RULE, PROBE, POOL)


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
        for col_id, title, role in COLUMNS:
            nodes = t.node_ids(role)  # the graph's column, in configuration order
            if role == "host" and not nodes:
                continue
            with VerticalScroll(id=col_id):
                yield Static(title or f"Load balancer {t.load_balancer.name} (Basic)",
                             classes="column-title")
                for nid in nodes[:MAX_PER_COLUMN]:
                    detail = split_node_id(nid)[0] in DETAIL_KINDS
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
        name = split_node_id(nid)[1]
        obj = t.node(nid) if t.has_node(nid) else None  # gone after a config change
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
        engine = self.session.engine
        running = engine.running(vm.name)
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
            state = t.rotation(vm.name, family, engine.probe_map)
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


# One-line places: the mark before the name and the detail shown when there is room.
SIMPLE_LABELS = {
    LbRule: ("  ↳ ", lambda r: f"{r.protocol.upper()} {r.frontend_port}→{r.backend_port}"),
    InboundNatRule: ("  ↳ NAT ", lambda r: f"{r.frontend_port}→{r.backend_port}"
                     + (f" → {r.target.vm}" if r.target else "")),
    Probe: ("♥ ", lambda p: f"{p.protocol.upper()}:{p.port} {p.interval_s}s×{p.number_of_probes}"),
    BackendPool: ("▦ ", lambda p: f"({len(p.members)})"),
}
