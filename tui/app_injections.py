"""Injecting events from the explorer (connect, fail a service, stop a VM, set a value): the
explorer's injection controller. Every value goes through the scenario file's own validation.
What this needs from the app is `tui.host.Explorer`."""

from __future__ import annotations

from .host import Explorer
from .inject import Refused, make_event
from .screens.forms import ConnectScreen, ServiceScreen, SetScreen, VmPowerScreen


class InjectionController:
    """Asks what to inject with a dialog, then injects it through the app's `inject` (which the
    classroom also watches, to publish or compare what this engine holds)."""

    def __init__(self, app: Explorer) -> None:
        self.app = app

    def inject(self, kind: str, body: dict, conn_id: str | None = None) -> bool:
        """Validate and inject the event at the current time, then take the next step."""
        session = self.app.session
        try:
            event = make_event(kind, body, session.now, conn_id)
            session.inject(event)
        except (Refused, ValueError) as exc:
            self.app.notify(f"Refused: {exc}", severity="error", timeout=6)
            return False
        session.forward()
        self.app.refresh_panes()
        return True

    def connect(self) -> None:
        t = self.app.session.engine.topology
        names = [d.name for d in t.dns] + [f.address for f in t.load_balancer.frontends]

        def done(body) -> None:
            if body is None:
                return
            n = sum(1 for c in self.app.session.engine.connections()
                    if c.id.startswith("live")) + 1
            if self.app.inject("connect", {**body, "id": f"live{n}"}, f"live{n}"):
                self.app.notify(f"Connection live{n} started: step through it with →.", timeout=3)
        self.app.push_screen(ConnectScreen([c.name for c in t.clients], names), done)

    def service(self) -> None:
        t = self.app.session.engine.topology
        services = [(vm.name, s.protocol, s.port) for vm in t.vms for s in vm.services]
        self.app.push_screen(ServiceScreen(services), lambda a: a and self.app.inject(*a))

    def vm_power(self) -> None:
        engine = self.app.session.engine
        vms = [(vm.name, engine.running(vm.name)) for vm in engine.topology.vms]
        self.app.push_screen(VmPowerScreen(vms), lambda a: a and self.app.inject(*a))

    def set_config(self) -> None:
        t = self.app.session.engine.topology
        examples = [f"load_balancer.rules.{r.name}.{field}" for r in t.load_balancer.rules
                    for field in ("idle_timeout_min", "load_distribution")]
        examples += [f"load_balancer.probes.{p.name}.{field}" for p in t.load_balancer.probes
                     for field in ("interval_s", "number_of_probes")]
        examples += [f"nsgs.{n.name}.rules.{r.name}.access" for n in t.nsgs for r in n.rules
                     if not r.default]

        def done(answer) -> None:
            if answer and self.app.inject(*answer):
                step = self.app.session.current
                self.app.notify(step.reason if step else "Changed.", timeout=8)
        self.app.push_screen(SetScreen(examples), done)
