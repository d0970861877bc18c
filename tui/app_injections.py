"""Injecting events from the explorer (connect, fail a service, stop a VM, set a value), as a
mixin of the app. Every value goes through the scenario file's own validation."""

from __future__ import annotations

from lb6.tui.inject import Refused, make_event
from lb6.tui.screens.forms import ConnectScreen, ServiceScreen, SetScreen, VmPowerScreen


class Injections:
    """Needs from the app: session, notify(), push_screen() and refresh_panes()."""

    def inject(self, kind: str, body: dict, conn_id: str | None = None) -> bool:
        try:
            event = make_event(kind, body, self.session.now, conn_id)
            self.session.inject(event)
        except (Refused, ValueError) as exc:
            self.notify(f"Refused: {exc}", severity="error", timeout=6)
            return False
        self.session.forward()
        self.refresh_panes()
        return True

    def action_connect(self) -> None:
        t = self.session.engine.topology
        names = [d.name for d in t.dns] + [f.address for f in t.load_balancer.frontends]

        def done(body) -> None:
            if body is None:
                return
            n = sum(1 for c in self.session.engine.connections() if c.id.startswith("live")) + 1
            if self.inject("connect", {**body, "id": f"live{n}"}, f"live{n}"):
                self.notify(f"Connection live{n} started: step through it with →.", timeout=3)
        self.push_screen(ConnectScreen([c.name for c in t.clients], names), done)

    def action_service(self) -> None:
        t = self.session.engine.topology
        services = [(vm.name, s.protocol, s.port) for vm in t.vms for s in vm.services]
        self.push_screen(ServiceScreen(services), lambda a: a and self.inject(*a))

    def action_vm_power(self) -> None:
        s = self.session.engine.state
        vms = [(vm.name, s.vm_running.get(vm.name, True)) for vm in s.topology.vms]
        self.push_screen(VmPowerScreen(vms), lambda a: a and self.inject(*a))

    def action_set_config(self) -> None:
        t = self.session.engine.topology
        examples = [f"load_balancer.rules.{r.name}.{field}" for r in t.load_balancer.rules
                    for field in ("idle_timeout_min", "load_distribution")]
        examples += [f"load_balancer.probes.{p.name}.{field}" for p in t.load_balancer.probes
                     for field in ("interval_s", "number_of_probes")]
        examples += [f"nsgs.{n.name}.rules.{r.name}.access" for n in t.nsgs for r in n.rules
                     if not r.default]

        def done(answer) -> None:
            if answer and self.inject(*answer):
                step = self.session.current
                self.notify(step.reason if step else "Changed.", timeout=8)
        self.push_screen(SetScreen(examples), done)

