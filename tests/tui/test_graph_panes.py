"""The explorer's probe pane and map ask the topology graph which endpoints a probe governs and
whether a VM's endpoint of each family is in rotation (issue 14, item 4)."""

from __future__ import annotations

from types import SimpleNamespace

from lb6.model.engine.engine import Engine
from lb6.model.scenario import library
from lb6.model.scenario.document import load_scenario
from lb6.tui.widgets.panes import ProbesTable
from lb6.tui.widgets.topology import TopologyMap
from lb6.tui.widgets.rowkeys import ProbeRow


def _down_engine() -> Engine:
    """rule_without_probe_keeps_dead_vm at 20 s: probe tcp-80, on the IPv6 rule only, has
    marked web1 down; the IPv4 rule has no probe and keeps web1."""
    eng = Engine(load_scenario(library.find("rule_without_probe_keeps_dead_vm")))
    eng.run(until=20_000)
    assert {(p.probe, p.vm): p.eligible for p in eng.probe_states()}[("tcp-80", "web1")] is False
    return eng


def test_the_probe_pane_lists_only_the_endpoints_the_probe_governs():
    eng = _down_engine()
    rows = ProbesTable._rows(SimpleNamespace(engine=eng))
    endpoints = rows[ProbeRow("tcp-80", "web1")][5].plain
    assert "IPv6" in endpoints
    assert "IPv4" not in endpoints  # the IPv4 rule has no probe: not this probe's to take out


def test_the_map_keeps_the_unprobed_family_in_rotation():
    eng = _down_engine()
    t = eng.topology
    assert t.rotation("web1", "IPv6", eng.state.probes) == "down"
    assert t.rotation("web1", "IPv4", eng.state.probes) == "up"
    # ...and the map draws what the graph says: web1's IPv4 endpoint up, its IPv6 one down.
    label, down = TopologyMap(SimpleNamespace(engine=eng))._vm_label(t.vm_by_name["web1"], t)
    assert "v4▲ v6▼" in label.plain and down
