"""Property-based engine tests (issue 9): random topologies, random event sequences, and the
engine's invariants checked after every single step.

The state machine builds a random topology within the format, then injects events the way the
explorer does (`Engine.inject`): connections from any client to any name or address, sends,
closes, service failures and recoveries, VM stops and starts, `set` changes and long waits. After
every step `Watcher` checks the invariants (see invariants.py); now and then it goes back with
`goto(n)` and replays, which must reproduce the very same records.
"""

from __future__ import annotations

from hypothesis import given, note
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition,
                                 rule, run_state_machine_as_test)

from lb6.model.engine.engine import Engine
from lb6.model.scenario.document import TimedEvent, load_scenario_data
from lb6.model.scenario.schema import EventSpec

from .gen import FQDN, RULE_PORTS, nsg_rules, topologies
from .invariants import Watcher
from .profiles import examples

TOTALS = {"examples": 0, "steps": 0, "events": 0}
LAST_LOG: list = []  # the log of the last goto_and_replay, for debugging a failure


def event(kind: str, body, now: int, conn_id: str | None = None) -> TimedEvent:
    spec = EventSpec.model_validate({kind: body})
    return TimedEvent(now, kind, spec.body, -1, conn_id)


def snapshot(eng: Engine):
    return ([f.to_json(eng.now) for f in eng.flows()],
            [c.to_json() for c in eng.connections()],
            [p.to_json(eng.now) for p in eng.probe_states()],
            [w.to_json() for w in eng.warnings()],
            sorted(eng.state.snat.in_use.items()))


class EngineMachine(RuleBasedStateMachine):
    """One random deployment, driven by random events; invariants after every step."""

    @initialize(data=topologies())
    def build(self, data):
        note(f"scenario data: {data!r}")
        self.scenario = load_scenario_data(data, "generated")
        self.eng = Engine(self.scenario)
        self.watch = Watcher(self.eng)
        self.conns: list[str] = []
        self.n = 0
        t = self.eng.topology
        self.clients = [c.name for c in t.clients]
        self.vms = [v.name for v in t.vms]
        self.services = [(v.name, s.protocol, s.port) for v in t.vms for s in v.services]
        self.destinations = [FQDN, *(f.address for f in t.load_balancer.frontends),
                             t.vms[0].address("IPv4"), "192.0.2.200", "2001:db8:77::1"]
        self.rules = [r.name for r in t.load_balancer.rules]
        self.probes = [p.name for p in t.load_balancer.probes]
        # False once an event was injected while the clock stood past the last step: replay
        # then moves it (the engine bug in test_time_travel.py), so goto_and_replay waits.
        self.exact = True
        self.log: list = [("data", data)]  # a replayable record of what this example did
        TOTALS["examples"] += 1

    def teardown(self):
        if hasattr(self, "watch"):
            TOTALS["steps"] += self.watch.steps_checked

    def inject(self, kind: str, body: dict, conn_id: str | None = None) -> bool:
        note(f"t={self.eng.now} inject {kind} {body}")
        records = self.eng.records
        clock_ahead = self.eng.now != (records[-1].t_ms if records else 0)
        self.log.append(("inject", kind, body, conn_id))
        try:
            self.eng.inject(event(kind, body, self.eng.now, conn_id))
        except ValueError as exc:  # pydantic's ValidationError is a ValueError too
            note(f"  refused: {exc}")
            return False
        self.exact = self.exact and not clock_ahead
        TOTALS["events"] += 1
        return True

    # ---- events -----------------------------------------------------------------------------

    @rule(data=st.data(), proto=st.sampled_from(["Tcp", "Tcp", "Udp", "Icmp"]),
          requests=st.integers(0, 3), hold=st.sampled_from([0, 0, 2000, 20_000, 300_000]),
          keepalive=st.sampled_from([None, None, 60_000]), close=st.booleans())
    def connect(self, data, proto, requests, hold, keepalive, close):
        self.n += 1
        cid = f"k{self.n}"
        body = {"id": cid, "client": data.draw(st.sampled_from(self.clients)),
                "to": data.draw(st.sampled_from(self.destinations)),
                "port": data.draw(st.sampled_from(RULE_PORTS + (22,))), "protocol": proto,
                "requests": requests, "hold": hold / 1000, "close": close}
        if keepalive:
            body["keepalive"] = keepalive / 1000
        if self.inject("connect", body, cid):
            self.conns.append(cid)

    @rule(data=st.data(), proto=st.sampled_from(["Tcp", "Udp"]),
          family=st.sampled_from([None, "IPv4", "IPv6"]))
    def outbound(self, data, proto, family):
        self.n += 1
        cid = f"o{self.n}"
        t = self.eng.topology
        to = data.draw(st.sampled_from(["web", *(h.name for h in t.hosts),
                                        *(c.address for v in t.vms for _, c in v.ip_configs())]))
        body = {"id": cid, "vm": data.draw(st.sampled_from(self.vms)), "to": to,
                "port": data.draw(st.sampled_from([443, 53, 80])), "protocol": proto}
        if family:
            body["family"] = family
        if self.inject("outbound", body, cid):
            self.conns.append(cid)

    @precondition(lambda self: self.conns)
    @rule(data=st.data(), requests=st.integers(1, 3))
    def send(self, data, requests):
        cid = data.draw(st.sampled_from(self.conns))
        self.inject("send", {"connection": cid, "requests": requests}, cid)

    @precondition(lambda self: self.conns)
    @rule(data=st.data())
    def close(self, data):
        cid = data.draw(st.sampled_from(self.conns))
        self.inject("close", {"connection": cid}, cid)

    @precondition(lambda self: self.services)
    @rule(data=st.data(), mode=st.sampled_from(["refuse", "hang", "http_500"]))
    def fail_service(self, data, mode):
        vm, proto, port = data.draw(st.sampled_from(self.services))
        self.inject("fail_service", {"vm": vm, "protocol": proto, "port": port, "mode": mode})

    @precondition(lambda self: self.services)
    @rule(data=st.data())
    def restore_service(self, data):
        vm, proto, port = data.draw(st.sampled_from(self.services))
        self.inject("restore_service", {"vm": vm, "protocol": proto, "port": port})

    @rule(data=st.data(), start=st.booleans())
    def power(self, data, start):
        vm = data.draw(st.sampled_from(self.vms))
        self.inject("start_vm" if start else "stop_vm", {"vm": vm})

    @precondition(lambda self: self.rules)
    @rule(data=st.data(), what=st.sampled_from(["idle", "probe", "interval", "port", "bad",
                                                 "no-rules", "fewer-vms", "fewer-clients",
                                                 "nsg"]))
    def set_config(self, data, what):
        r = data.draw(st.sampled_from(self.rules))
        raw = self.eng.state.raw
        if what == "no-rules":
            # Removing what live traffic uses must be refused, never crash a handler.
            path, value = "load_balancer.rules", []
        elif what == "fewer-vms":
            vms = raw.get("vms") or []
            path, value = "vms", vms[:data.draw(st.integers(0, max(0, len(vms) - 1)))]
        elif what == "fewer-clients":
            clients = raw.get("clients") or []
            path, value = "clients", clients[1:]
        elif what == "nsg":
            path, value = "nsgs", [{"name": "nsg1", "rules": data.draw(nsg_rules())}]
        elif what == "idle":
            path, value = f"load_balancer.rules.{r}.idle_timeout_min", data.draw(st.integers(4, 30))
        elif what == "probe" and self.probes:
            path, value = f"load_balancer.rules.{r}.probe", data.draw(st.sampled_from(self.probes))
        elif what == "interval" and self.probes:
            p = data.draw(st.sampled_from(self.probes))
            path, value = f"load_balancer.probes.{p}.interval_s", data.draw(st.integers(5, 30))
        elif what == "port" and self.probes:
            p = data.draw(st.sampled_from(self.probes))
            path, value = f"load_balancer.probes.{p}.port", data.draw(st.sampled_from([80, 22, 443]))
        else:
            path, value = f"load_balancer.rules.{r}.frontend_port", data.draw(
                st.sampled_from([0, 80, 70000, "eighty", None]))
        self.inject("set", {"path": path, "value": value})

    # ---- time -------------------------------------------------------------------------------

    @rule(n=st.integers(1, 40))
    def step(self, n):
        self.log.append(("step", n))
        for _ in range(n):
            if self.watch.step() is None:
                break

    @rule(ms=st.sampled_from([50, 500, 3_000, 15_000, 60_000]))
    def wait(self, ms):
        # Like the explorer's jump to a time: step through everything up to then. The clock is
        # left at the last event (see test_inject_after_run_until_replays_at_its_time).
        self.log.append(("advance", self.eng.now + ms))
        self.watch.advance(self.eng.now + ms, set_clock=False)

    @rule(minutes=st.sampled_from([4, 10, 31]))
    def long_wait(self, minutes):
        # Past every idle timeout this machine can set: flows must be gone by then.
        self.log.append(("advance", self.eng.now + minutes * 60_000 + 1))
        self.watch.advance(self.eng.now + minutes * 60_000 + 1, set_clock=False)

    @precondition(lambda self: len(self.eng.records) > 2 and self.exact)
    @rule(data=st.data())
    def goto_and_replay(self, data):
        eng = self.eng
        full = list(eng.records)
        before = snapshot(eng)
        heap_before = sorted(e[:3] for e in eng.state.heap)
        n = data.draw(st.integers(0, len(full) - 1))
        self.log.append(("goto", n))
        LAST_LOG[:] = self.log
        self.watch.tracking = False  # the replay hands on the same packets again
        try:
            eng.goto(n)
            assert eng.records == full[:n]
            eng.goto(len(full))
        finally:
            self.watch.tracking = True
        assert eng.records == full, f"goto({n}) then replay changed the records"
        # goto(len) stops right after the last step: events that ran after it without making a
        # decision (a SNAT port's release timer, an injection not yet applied) belong to the
        # next step. Where none did, the heaps match and so must everything else.
        if sorted(e[:3] for e in eng.state.heap) == heap_before:
            assert snapshot(eng) == before, f"goto({n}) then replay changed the state"
        else:
            note("events without a step ran after the last one: compared by records only")

    @invariant()
    def checked(self):
        if hasattr(self, "watch"):
            self.watch.check()


def test_engine_invariants_hold_under_random_events():
    cfg = examples(ci=50, soak=500)
    run_state_machine_as_test(EngineMachine, settings=cfg)
    print(f"\nengine state machine: {TOTALS}")


@examples(ci=15, soak=300)
@given(data=topologies(), seed=st.integers(0, 2**32))
def test_scripted_timeline_runs_clean_and_replays_identically(data, seed):
    """A random timeline in the file (not injected) runs clean and replays identically."""
    data = dict(data, seed=seed, duration="20m")
    clients = [c["name"] for c in data["clients"]]
    vms = [v["name"] for v in data["vms"]]
    timeline = []
    for i, client in enumerate(clients * 2):
        timeline.append({"at": f"{i * 7}s", "connect": {
            "id": f"c{i}", "client": client, "to": FQDN, "port": RULE_PORTS[i % len(RULE_PORTS)],
            "protocol": "Udp" if i % 3 == 2 else "Tcp", "requests": i % 3, "hold": "30s",
            "count": 3, "every": "400ms"}})
    timeline.append({"at": "20s", "stop_vm": vms[-1]})
    timeline.append({"at": "40s", "start_vm": vms[-1]})
    timeline.append({"at": "50s", "outbound": {"id": "out", "vm": vms[0], "to": "web",
                                               "port": 443, "count": 5, "every": "1s"}})
    timeline.append({"at": "6m", "send": {"connection": "c0.1"}})
    data["timeline"] = timeline
    scenario = load_scenario_data(data, "generated")
    eng = Engine(scenario)
    watch = Watcher(eng)
    watch.advance(scenario.duration_ms)
    full = list(eng.records)
    again = Engine(scenario)
    again.run(until=scenario.duration_ms)
    assert again.records == full
    n = len(full) // 3
    eng.goto(n)
    eng.goto(len(full))
    assert eng.records == full

