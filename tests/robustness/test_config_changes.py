"""`set` changes that remove what live traffic uses (issue 9, found while fuzzing `set`).

A rule, VM or client removed while a connection is in flight used to crash the engine with a
KeyError in the next handler (pick_backend, deliver, nat_out, ...): `lb6 run` exited 70 and the
explorer died. The change is now refused, as a step and as an explorer refusal, while anything
in flight still uses the name.
"""

from __future__ import annotations

import pytest

from lb6.model.engine.engine import Engine

from tests.model.helpers import farm, load

from .test_engine_properties import event

TIMELINE = """
- {at: 1s, connect: {id: a, client: dana, to: contoso.westus.cloudapp.azure.com, port: 80, requests: 2, hold: 5s}}
- {at: 1s, outbound: {id: o, vm: web1, to: 192.0.2.9, port: 443}}
"""
HOSTS = "hosts:\n  - {name: api, addresses: [192.0.2.9], services: [{protocol: Tcp, port: 443}]}"
CHANGES = [("load_balancer.rules", []), ("vms", []), ("clients", []),
           ("clients", [{"name": "vera", "stack": "ipv4"}])]
MOMENTS = ["dns", "rule-match", "backend-choice", "nat", "deliver", "send", "snat"]


def run_with_change(path, value, after_kind) -> tuple[Engine, str]:
    """Inject `set path = value` right after the first step of `after_kind`, then run on."""
    eng = Engine(load(farm(timeline=TIMELINE, hosts=HOSTS)))
    outcome = "not injected"
    while (step := eng.step()) is not None and eng.now < 60_000:
        if outcome == "not injected" and step.kind == after_kind:
            try:
                eng.inject(event("set", {"path": path, "value": value}, eng.now))
                outcome = "applied"
            except ValueError as exc:
                outcome = f"refused: {exc}"
    return eng, outcome


@pytest.mark.parametrize("after_kind", MOMENTS)
@pytest.mark.parametrize("path, value", CHANGES, ids=["no-rules", "no-vms", "no-clients",
                                                      "other-client"])
def test_removing_what_traffic_uses_never_crashes(path, value, after_kind):
    eng, outcome = run_with_change(path, value, after_kind)
    assert eng.records
    if outcome.startswith("refused"):
        assert "in use" in outcome


def test_a_timeline_set_that_removes_a_busy_rule_is_refused_as_a_step():
    text = farm(timeline=TIMELINE + "- {at: 1010ms, set: {path: load_balancer.rules, value: []}}",
                hosts=HOSTS)
    eng = Engine(load(text))
    eng.run(until=30_000)
    refused = [s for s in eng.records if s.kind == "config" and s.disposition == "cancelled"]
    if refused:
        assert "in use" in refused[0].reason
    assert eng.connection("a").status in ("closed", "failed", "open")


def test_removing_an_idle_rule_still_works():
    eng = Engine(load(farm(hosts=HOSTS)))
    eng.run(until=500)
    eng.inject(event("set", {"path": "load_balancer.rules", "value": []}, eng.now))
    eng.step()
    assert not eng.topology.load_balancer.rules
