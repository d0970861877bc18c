"""Benchmark bodies, each run in its own process: `python -m tests.perf.worker NAME ARGS_JSON`.

A fresh process per measurement keeps peak RSS honest and keeps one benchmark's garbage out of
the next. Each prints one JSON object on its last line of output.
"""

from __future__ import annotations

import gc
import hashlib
import json
import random
import sys
import time

from tests.perf import generate
from tests.perf.measure import Windows, current_rss_bytes, deep_size, peak_rss_bytes, percentile


# ---- 1. engine throughput and its baseline ----------------------------------------------------


def baseline_loop(packets: int, flows: int, backends: int = 8) -> float:
    """CPU seconds for the per-packet dict work of a load balancer, with no records.

    Per packet: build the 5-tuple, look the flow up; for a new flow hash the 5-tuple (SHA-256,
    as model/rules.py does) to pick a backend and insert the flow; rewrite the destination and
    count the packet. `packets` packets over `flows` flows, mixed IPv4/IPv6 and TCP/UDP.
    """
    v4 = [f"198.51.100.{i % 250 + 1}" for i in range(64)]
    v6 = [f"2001:db8:c::{i + 1:x}" for i in range(64)]
    backend_v4 = [f"10.0.0.{i + 4}" for i in range(backends)]
    backend_v6 = [f"fd00:10::{i + 4:x}" for i in range(backends)]
    table: dict = {}
    per_flow = max(1, packets // max(1, flows))
    start = time.process_time()
    for i in range(packets):
        f = i // per_flow
        ipv6 = f & 1
        proto = "Udp" if f % 4 == 3 else "Tcp"
        src = (v6 if ipv6 else v4)[f % 64]
        key = (proto, src, 49152 + f // 64 % 16384, "2001:db8:1::10" if ipv6 else "203.0.113.10",
               53 if proto == "Udp" else 80)
        flow = table.get(key)
        if flow is None:
            digest = hashlib.sha256("|".join(map(str, key)).encode()).digest()
            pick = int.from_bytes(digest[:8], "big") % backends
            dst = (backend_v6 if ipv6 else backend_v4)[pick]
            flow = table[key] = [key, (key[0], key[1], key[2], dst, key[4]), 0, 0]
        xlat = flow[1]
        after = (proto, key[1], key[2], xlat[3], xlat[4])  # the address rewrite
        flow[2] += 1
        flow[3] += len(after)
    return time.process_time() - start


def run_engine(flows: int, slices: int = 500):
    """Load the generated scenario and run it to its end as `lb6 run` does (`Engine.run`),
    in `slices` slices of virtual time so the cost can be read by ranges of steps."""
    from lb6.model.engine.engine import Engine
    data = generate.load_test(flows)
    t0 = time.process_time()
    scenario = generate.load(data)
    load_s = time.process_time() - t0
    rss_loaded = current_rss_bytes()
    engine = Engine(scenario)
    until = scenario.duration_ms
    w = Windows()
    t0 = time.process_time()
    for i in range(1, slices + 1):
        engine.run(until=until * i // slices)
        w.sample(len(engine.records))
    run_s = time.process_time() - t0
    return engine, scenario, w, run_s, load_s, rss_loaded


def engine(args: dict) -> dict:
    flows = args["flows"]
    eng, scenario, w, run_s, load_s, _ = run_engine(flows)
    steps = len(eng.records)
    base_s = baseline_loop(steps, flows)
    return {"flows": flows, "steps": steps, "engine_s": run_s, "baseline_s": base_s,
            "load_s": load_s, "engine_us_per_step": run_s / steps * 1e6,
            "baseline_us_per_packet": base_s / steps * 1e6,
            "flows_in_table": len(eng.state.flows)}


# ---- 1b, 2, 6: the big run: cost per step, memory, time travel ---------------------------------


def big(args: dict) -> dict:
    flows = args["flows"]
    goto_budget_s = args.get("goto_budget_s", 60.0)
    gotos = args.get("gotos", 20)
    eng, scenario, w, run_s, load_s, rss_loaded = run_engine(flows)
    steps = len(eng.records)
    peak = peak_rss_bytes()
    out = {"flows": flows, "steps": steps, "engine_s": run_s, "load_s": load_s,
           "flows_in_table": len(eng.state.flows), "connections": len(eng.state.conns),
           "checkpoints": len(eng._travel.intervals)}
    # Cost per step by decade of the trace (CPU time; checkpoints amortised in their decade).
    out["us_per_step"] = {
        "1-10k": w.mean_us(0, 10_000),
        "10k-100k": w.mean_us(10_000, 100_000),
        f"100k-{min(steps, 1_000_000) // 1000}k": w.mean_us(100_000, min(steps, 1_000_000)),
        f"1M-{steps // 1000}k": w.mean_us(1_000_000, steps),
        "last 10%": w.mean_us(steps - steps // 10, steps),
    }
    # Memory: peak RSS over what the loaded scenario took, split by what owns it.
    gc.collect()
    seen: set[int] = set()
    deep_size([scenario, eng.state.topology, eng.scenario], seen)  # shared, not per flow
    state_bytes = deep_size([eng.state], seen)
    records_bytes = deep_size([eng.timeline], seen)  # `records` is a view of it
    checkpoint_bytes = deep_size([eng._travel.intervals], seen)
    out["memory"] = {
        "rss_after_load": rss_loaded,
        "peak_rss": peak,
        "peak_over_load": peak - rss_loaded,
        "state_bytes": state_bytes,
        "records_bytes": records_bytes,
        "checkpoint_bytes": checkpoint_bytes,
        "bytes_per_flow": state_bytes / max(1, flows),
        "bytes_per_step": records_bytes / max(1, steps),
        "rss_per_step_all_in": (peak - rss_loaded) / max(1, steps),
    }
    # Time travel: goto(n) to random steps, within a time budget.
    rng = random.Random(1)
    times, cpu, wrong = [], [], 0
    spent = time.perf_counter()
    for _ in range(gotos):
        n = rng.randrange(1, steps + 1)
        t0, c0 = time.perf_counter(), time.process_time()
        rec = eng.goto(n)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        wrong += rec is None or rec.n != n
        if time.perf_counter() - spent > goto_budget_s:
            break
    one_step = run_s / steps
    out["goto"] = {"count": len(times), "p50_s": percentile(times, 50),
                   "p95_s": percentile(times, 95), "max_s": max(times),
                   "cpu_p50_s": percentile(cpu, 50), "cpu_max_s": max(cpu),
                   "wrong": wrong, "one_step_s": one_step}
    out["replay_check"] = replay_check_cost(eng, rng, min(len(times), 20))
    return out


def replay_check_cost(eng, rng, count: int) -> dict:
    """CPU time of the same gotos with every replayed step checked against the stored one
    (as lb6 runs) and without the check (a stand-in `record` that trusts the replay),
    interleaved so both see the same load."""
    from lb6.model.engine.timeline import Timeline
    checked = Timeline.record

    def trusting(self, step):
        if step.n > len(self.log):
            checked(self, step)

    on, off = [], []
    for _ in range(count):
        n = rng.randrange(1, len(eng.timeline) + 1)
        for record, out in ((checked, on), (trusting, off)):
            eng.goto(0 if n > len(eng.timeline) // 2 else len(eng.timeline))  # away from n
            Timeline.record = record
            c0 = time.process_time()
            eng.goto(n)
            out.append(time.process_time() - c0)
            Timeline.record = checked
    return {"count": count, "checked_cpu_p50_s": percentile(on, 50),
            "trusting_cpu_p50_s": percentile(off, 50),
            "checked_cpu_sum_s": sum(on), "trusting_cpu_sum_s": sum(off)}


# ---- 3. explorer responsiveness -------------------------------------------------------------


def explorer(args: dict) -> dict:
    import asyncio
    from textual.app import App
    from lb6.tui.app import Lb6App

    flows = args["flows"]
    repeats = args.get("repeats", 20)
    budget_s = args.get("budget_s", 30.0)
    scenario = generate.load(generate.load_test(flows))
    app = Lb6App(scenario)
    t0 = time.perf_counter()
    # Record the whole run up front (the learner pressed End once), then start half way.
    app.session.to_end()
    prepare_s = time.perf_counter() - t0
    known = app.session.known
    frames: list[float] = []
    original = App._display

    def display(self, screen, renderable):
        if renderable is not None:
            if self.is_headless and hasattr(renderable, "render_segments"):
                renderable.render_segments(self.console)  # what a terminal would be sent
            frames.append(time.perf_counter())
        return original(self, screen, renderable)

    App._display = display
    results: dict = {}

    async def measure(pilot, name: str, keys: tuple[str, ...], setup=None) -> None:
        """Press `keys`, wait until the app is idle; the first frame after the press is the
        repaint (an animated scroll goes on painting: its last frame is reported as settled).

        Wall time is what a person sees, but on a shared machine it includes other
        processes' turns; CPU time of this process over the same interval (the app, the
        pilot's polling and the rendering, all in this one thread) is reported beside it.
        """
        lat: list[float] = []
        first: list[float] = []
        cpu: list[float] = []
        start = time.perf_counter()
        for _ in range(repeats):
            if setup is not None:
                await setup(pilot)
            await pilot.pause()
            frames.clear()
            c0 = time.process_time()
            t0 = time.perf_counter()
            await pilot.press(*keys)
            await pilot.pause()
            end = frames[-1] if frames else time.perf_counter()
            cpu.append(time.process_time() - c0)
            lat.append(end - t0)
            first.append((frames[0] if frames else end) - t0)
            if time.perf_counter() - start > budget_s:
                break
        results[name] = {"n": len(lat), "p50_s": percentile(first, 50),
                         "p95_s": percentile(first, 95), "max_s": max(first),
                         "settled_p50_s": percentile(lat, 50), "settled_p95_s": percentile(lat, 95),
                         "cpu_p50_s": percentile(cpu, 50), "cpu_p95_s": percentile(cpu, 95)}

    rng = random.Random(3)

    async def open_jump(pilot) -> None:
        await pilot.press("j", *str(rng.randrange(1, known + 1)))

    async def flows_tab(pilot) -> None:
        if app.query_one("#panes").active != "flows":
            await pilot.press("2")
            app.query_one("#flowtable").focus()

    async def main() -> None:
        async with app.run_test(size=(160, 48)) as pilot:
            app.session.goto(known // 2)
            app.refresh_panes()
            await pilot.pause()
            await measure(pilot, "step", ("right",))
            await measure(pilot, "back", ("left",))
            await measure(pilot, "jump", ("enter",), setup=open_jump)
            await measure(pilot, "scroll", ("pagedown",), setup=flows_tab)

    asyncio.run(main())
    App._display = original
    return {"flows": flows, "steps": known, "flows_in_table": len(app.session.engine.state.flows),
            "prepare_s": prepare_s, "keys": results}


# ---- 3b. the explorer's memory per step ---------------------------------------------------


def session(args: dict) -> dict:
    """Bytes a step costs once the whole run is known, as the explorer holds it (`holder` =
    "session": a `tui.session.Session` taken to its end, as the End key does) or as the engine
    alone holds it (`holder` = "engine": `Engine.run` to the same end).

    Measured with tracemalloc: memory still allocated after a full collection, less what was
    allocated once the scenario was loaded, over the number of steps. (Run in a fresh process
    per holder, so neither sees the other's garbage.)
    """
    import tracemalloc
    from lb6.model.engine.engine import Engine
    scenario = generate.load(generate.load_test(args["flows"]))
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    if args["holder"] == "session":
        from lb6.tui.session import Session
        holder = Session(scenario)
        holder.to_end()
        engine = holder.engine
    else:
        holder = engine = Engine(scenario)
        engine.run(until=scenario.duration_ms)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    steps = len(engine.records)
    return {"holder": args["holder"], "flows": args["flows"], "steps": steps,
            "bytes": held, "bytes_per_step": held / max(1, steps)}


# ---- 4. start-up: first frame --------------------------------------------------------------


FIRST_FRAME_HOOK = """
import sys, time
from textual.app import App
_display = App._display
def _first_frame(self, screen, renderable):
    if renderable is not None and not getattr(self, '_perf_done', False):
        self._perf_done = True
        if hasattr(renderable, 'render_segments'):
            renderable.render_segments(self.console)
        sys.stderr.write(f'FIRST_FRAME {time.time()!r}\\n')
        sys.stderr.flush()
        self.exit()
    return _display(self, screen, renderable)
App._display = _first_frame
_run = App.run
App.run = lambda self, *a, **k: _run(self, *a, **{**k, 'headless': True})
"""

MINIMAL_APP = """
from textual.app import App
from textual.widgets import Label
class Minimal(App):
    def compose(self):
        yield Label('lb6')
Minimal().run()
"""

LB6_APP = """
from lb6.tui.cli import main
sys.argv = ['lb6']
sys.exit(main())
"""


def _dispatch() -> None:
    name, raw = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
    result = globals()[name](json.loads(raw))
    sys.stdout.write("\n" + json.dumps(result) + "\n")


if __name__ == "__main__":
    _dispatch()
