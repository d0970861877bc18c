"""24 simulated hours of steady traffic with probes and failures (issue 9): memory stays flat
once idle flows expire. A benchmark, run on demand, never collected by pytest:

    .venv/bin/python -m tests.perf.soak [--hours 24] [--check-every 0] [--json PATH]

The scenario is the quickstart's dual-stack farm (two VMs, IPv4 and IPv6 rules, one TCP probe
every 15 s) with an IPv4-only, an IPv6-only and a dual-stack client connecting every 20-45 s
(some with keep-alives and long holds), a UDP stream, a VM opening outbound connections through
SNAT every minute, a service failure for five minutes every three hours and a VM stopped for ten
minutes every five hours.

Each simulated hour it prints the live flows, the event heap, SNAT ports in use, connections,
steps recorded, the deep size of the engine state without its trace (what must stay flat), the
trace's size (which grows by design: every step is kept so the explorer can go back), RSS, and
the CPU time. With --check-every N it also runs the robustness invariants after every Nth
step (tests/robustness/invariants.py), which slows it down.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time

from lb6.model.engine.engine import Engine
from lb6.model.scenario.document import load_scenario_data

HOUR_MS = 3_600_000


def soak_scenario(hours: int) -> dict:
    span = hours * HOUR_MS
    pool = lambda name, n: {"name": name, "os": "linux", "availability_set": "avset",  # noqa: E731
                            "nics": [{"name": f"{name}-nic", "ip_configs": [
                                {"name": "ipv4", "version": "IPv4", "address": f"10.0.0.{n}",
                                 "backend_pools": ["pool-v4"]},
                                {"name": "ipv6", "version": "IPv6", "address": f"fd00:10::{n}",
                                 "backend_pools": ["pool-v6"]}]}],
                            "services": [{"protocol": "Tcp", "port": 80},
                                         {"protocol": "Tcp", "port": 8080},
                                         {"protocol": "Udp", "port": 53}]}
    fqdn = "contoso.westus.cloudapp.azure.com"

    def stream(cid, client, every_s, start_s=1, **extra):
        count = min(100_000, (span // 1000 - start_s) // every_s)
        return {"at": f"{start_s}s", "connect": {"id": cid, "client": client, "to": fqdn,
                                                  "count": count, "every": f"{every_s}s",
                                                  "port": extra.pop("port", 80), **extra}}

    timeline = [
        stream("v4", "vera", 20, requests=3),
        stream("v6", "sixto", 30, start_s=2, requests=2, hold="90s", keepalive="60s"),
        stream("dual", "dana", 45, start_s=3, requests=1, hold="10m"),   # past the idle timeout
        stream("dns", "vera", 40, start_s=5, protocol="Udp", port=53, requests=2),
        {"at": "7s", "outbound": {"id": "out", "vm": "web1", "to": "api", "port": 443,
                                  "count": min(100_000, span // 60_000 - 1), "every": "60s"}},
    ]
    for h in range(1, hours, 3):
        timeline.append({"at": f"{h}h", "fail_service": {"vm": "web1", "port": 80, "mode": "refuse"}})
        timeline.append({"at": f"{h * 60 + 5}m", "restore_service": {"vm": "web1", "port": 80}})
    for h in range(2, hours, 5):
        timeline.append({"at": f"{h}h", "stop_vm": "web2"})
        timeline.append({"at": f"{h * 60 + 10}m", "start_vm": "web2"})
    timeline.sort(key=lambda e: _ms(e["at"]))
    return {
        "title": f"Soak: {hours} simulated hours",
        "seed": 24,
        "duration": f"{hours}h",
        "public_ips": [{"name": "pip-v4", "version": "IPv4", "address": "203.0.113.10",
                        "dns_label": "contoso"},
                       {"name": "pip-v6", "version": "IPv6", "address": "2001:db8:1::10",
                        "dns_label": "contoso"}],
        "load_balancer": {
            "name": "lb",
            "frontends": [{"name": "fe-v4", "public_ip": "pip-v4"},
                          {"name": "fe-v6", "public_ip": "pip-v6"}],
            "backend_pools": [{"name": "pool-v4"}, {"name": "pool-v6"}],
            "probes": [{"name": "tcp-80", "protocol": "Tcp", "port": 80, "interval_s": 15,
                        "number_of_probes": 2}],
            "rules": [
                {"name": "http-v4", "frontend": "fe-v4", "backend_pool": "pool-v4",
                 "frontend_port": 80, "backend_port": 80, "probe": "tcp-80"},
                {"name": "http-v6", "frontend": "fe-v6", "backend_pool": "pool-v6",
                 "frontend_port": 80, "backend_port": 8080, "probe": "tcp-80"},
                {"name": "dns-v4", "frontend": "fe-v4", "backend_pool": "pool-v4",
                 "protocol": "Udp", "frontend_port": 53, "backend_port": 53, "probe": "tcp-80"},
            ]},
        "vms": [pool("web1", 4), pool("web2", 5)],
        "clients": [{"name": "dana", "stack": "dual"}, {"name": "vera", "stack": "ipv4"},
                    {"name": "sixto", "stack": "ipv6"}],
        "hosts": [{"name": "api", "addresses": ["192.0.2.80", "2001:db8:99::80"],
                   "services": [{"protocol": "Tcp", "port": 443}]}],
        "timeline": timeline,
    }


def _ms(at: str) -> int:
    from lb6.model.scenario.durations import parse_duration
    return parse_duration(at)


def deep_size(obj, seen: set | None = None) -> int:
    """Bytes reachable from `obj` (sys.getsizeof, shared objects counted once)."""
    seen = set() if seen is None else seen
    stack, total = [obj], 0
    while stack:
        o = stack.pop()
        if id(o) in seen or isinstance(o, type):
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        if isinstance(o, dict):
            stack.extend(o.keys())
            stack.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        else:
            if hasattr(o, "__dict__"):
                stack.append(vars(o))
            for slot in getattr(type(o), "__slots__", ()) or ():
                if hasattr(o, slot):
                    stack.append(getattr(o, slot))
    return total


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def state_size(eng: Engine, skip: set) -> int:
    """The engine's live state without the topology, the scenario and the trace."""
    s = eng.state
    parts = [s.heap, s.flows, s.probes, s.snat, s.ports, s.service_mode, s.vm_running,
             s.outbound_frontend, s.injected]
    return sum(deep_size(p, set(skip)) for p in parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.perf.soak", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hours", type=int, default=24)
    ap.add_argument("--check-every", type=int, default=0, metavar="N",
                    help="run the robustness invariants after every Nth step (slow)")
    ap.add_argument("--json", metavar="PATH", help="also write the hourly rows as JSON")
    args = ap.parse_args(argv)

    t0 = time.process_time()
    scenario = load_scenario_data(soak_scenario(args.hours), "soak")
    eng = Engine(scenario)
    skip = {id(scenario), id(scenario.topology), id(eng.state.topology), id(eng.state.raw)}
    watch = None
    if args.check_every:
        from tests.robustness.invariants import Watcher
        watch = Watcher(eng)
    load_s = time.process_time() - t0
    print(f"soak: {args.hours} simulated hours, {len(scenario.events)} timeline events, "
          f"loaded in {load_s:.1f} s CPU; RSS {rss_mb():.0f} MiB")
    header = (f"{'hour':>4} {'steps':>9} {'flows':>6} {'heap':>6} {'snat':>5} {'conns':>7} "
              f"{'state KiB':>10} {'trace MiB':>10} {'RSS MiB':>8} {'CPU s':>7} {'steps/s':>8}")
    print(header)
    rows = []
    t_run = time.process_time()
    steps_before, cpu_before = 0, t_run
    for hour in range(1, args.hours + 1):
        until = hour * HOUR_MS
        n = 0
        while (nxt := eng.peek()) is not None and nxt <= until:
            eng.step()
            n += 1
            if watch is not None and n % args.check_every == 0:
                watch.check()
        eng.run(until=until)
        gc.collect()
        cpu = time.process_time()
        in_use = sum(len(v) for v in eng.state.snat.in_use.values())
        row = {"hour": hour, "steps": len(eng.records), "flows": len(eng.state.flows),
               "heap": len(eng.state.heap), "snat_ports": in_use, "conns": len(eng.state.conns),
               "state_kib": round(state_size(eng, skip) / 1024, 1),
               "trace_mib": round(deep_size(eng.records) / 2**20, 1) if hour % 6 == 0 or
               hour == args.hours else None,
               "rss_mib": round(rss_mb(), 1), "cpu_s": round(cpu - t_run, 1),
               "steps_per_s": round((len(eng.records) - steps_before) / max(cpu - cpu_before, 1e-9))}
        steps_before, cpu_before = len(eng.records), cpu
        rows.append(row)
        trace = f"{row['trace_mib']:>10}" if row["trace_mib"] is not None else f"{'':>10}"
        print(f"{hour:>4} {row['steps']:>9} {row['flows']:>6} {row['heap']:>6} "
              f"{row['snat_ports']:>5} {row['conns']:>7} {row['state_kib']:>10} {trace} "
              f"{row['rss_mib']:>8} {row['cpu_s']:>7} {row['steps_per_s']:>8}", flush=True)
    later = rows[len(rows) // 4:]  # after the first quarter: the steady state
    flows = [r["flows"] for r in later]
    state = [r["state_kib"] for r in later]
    outcomes: dict = {}
    for c in eng.connections():
        outcomes[c.outcome] = outcomes.get(c.outcome, 0) + 1
    print(f"\nsteady state (hours {later[0]['hour']}-{later[-1]['hour']}): live flows "
          f"{min(flows)}-{max(flows)}, engine state {min(state)}-{max(state)} KiB "
          f"(first {state[0]}, last {state[-1]}); trace {rows[-1]['trace_mib']} MiB for "
          f"{rows[-1]['steps']} steps; {rows[-1]['conns']} connections kept for their outcomes: "
          f"{dict(sorted(outcomes.items(), key=lambda kv: -kv[1]))}")
    if watch is not None:
        print(f"invariants checked on {watch.steps_checked} steps")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"hours": args.hours, "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
