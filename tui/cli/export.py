"""Writing a replay out (export: pcapng, JSON, Mermaid) and comparing one with a golden trace.

Every output path is checked before the replay starts, so a typo is exit 2 at once rather than
after a long run.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from ...model.errors import Problem, ScenarioError
from ...model.scenario import library
from .console import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, error, load_from, rich_console
from .report import golden_table


def writable_path(value: str, what: str) -> Path:
    """A path we can write `what` to, checked before the replay starts (bad input: exit 2)."""
    path = Path(value)
    if path.is_dir():
        raise ScenarioError(value, [Problem(f"is a directory; give a file name for the {what}")])
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ScenarioError(value, [Problem(f"cannot write the {what}: folder {parent} does not exist")])
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ScenarioError(value, [Problem(f"cannot write the {what}: permission denied")])
    return path


def write_text(value: str, text: str, what: str) -> None:
    if value == "-":
        sys.stdout.write(text)
        return
    try:
        Path(value).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(value, [Problem(f"cannot write the {what}: {exc.strerror}")]) from None


def cmd_export(args) -> int:
    from rich.text import Text
    from ...model.engine.runner import run_scenario, to_json
    wanted = {k: getattr(args, k) for k in ("pcap", "json", "mermaid") if getattr(args, k)}
    if not wanted:
        error("export needs at least one of --pcap OUT.pcapng, --json OUT.json, "
              "--mermaid OUT.mmd (see `lb6 export --help`)")
        return EXIT_BAD_INPUT
    if wanted.get("pcap") == "-":
        raise ScenarioError("-", [Problem("a pcapng capture needs a file name, not standard output")])
    for kind, value in wanted.items():
        if value != "-":
            writable_path(value, {"pcap": "capture", "json": "trace", "mermaid": "diagram"}[kind])
    if args.max_steps is not None and args.max_steps < 1:
        raise ScenarioError("--max-steps", [Problem("expected a number of steps of 1 or more")])
    result = run_scenario(load_from(args), args.seed)
    notes = rich_console(stderr=True)
    if "pcap" in wanted:
        from ...model.exporters.pcap import INTERFACES, export_pcapng
        try:
            wires = export_pcapng(result, wanted["pcap"])
        except ImportError:
            error("the pcap export needs scapy: pip install scapy")
            return EXIT_BAD_INPUT
        except OSError as exc:
            raise ScenarioError(wanted["pcap"], [Problem(f"cannot write the capture: {exc.strerror}")]) from None
        counts = ", ".join(f"{sum(w.iface == i for w in wires)} on {i}" for i in INTERFACES)
        notes.print(Text(f"wrote {wanted['pcap']}: {len(wires)} packets ({counts})",
                         style="green"), soft_wrap=True)
    if "json" in wanted:
        write_text(wanted["json"], json.dumps(to_json(result), indent=2) + "\n", "trace")
        if wanted["json"] != "-":
            notes.print(Text(f"wrote {wanted['json']}: {len(result.engine.records)} steps; "
                             f"compare later with: lb6 run --golden {wanted['json']}",
                             style="green"), soft_wrap=True)
    if "mermaid" in wanted:
        from ...model.exporters.mermaid import to_mermaid
        write_text(wanted["mermaid"], to_mermaid(result, args.max_steps), "diagram")
        if wanted["mermaid"] != "-":
            notes.print(Text(f"wrote {wanted['mermaid']}: a Mermaid sequence diagram",
                             style="green"), soft_wrap=True)
    return EXIT_OK


def cmd_run_golden(args) -> int:
    from rich.text import Text
    from ...model.exporters.golden import compare, golden_runs, load_golden
    from ...model.engine.runner import run_scenario, to_json
    if args.json:
        error("--golden prints a comparison, not JSON; drop --json (or run without --golden)")
        return EXIT_BAD_INPUT
    runs = golden_runs(load_golden(args.golden))
    targets = list(args.targets) + ([str(p) for p in library.shipped()] if args.all else [])
    if not targets:
        targets = [run["scenario"] for run in runs]
    scenarios = [load_from(args, t) for t in targets]
    by_name = {run["scenario"]: run for run in runs}
    pairs = []
    for target, sc in zip(targets, scenarios):
        run = by_name.get(sc.name)
        if run is None:
            raise ScenarioError(args.golden, [Problem(
                f"holds no trace of scenario {sc.name} (it has: {', '.join(by_name)})")])
        pairs.append((sc, run))
    console = rich_console()
    different = 0
    for sc, run in pairs:
        seed = args.seed if args.seed is not None else run.get("seed")
        replay = to_json(run_scenario(sc, seed if isinstance(seed, int) else None))
        diff = compare(run, replay)
        if diff is None:
            console.print(Text.assemble(("SAME", "bold green"),
                                        f"  {sc.name} (seed {replay['seed']}) matches {args.golden}: "
                                        f"{len(replay['steps'])} steps"), soft_wrap=True)
            continue
        different += 1
        console.print(Text.assemble(("DIFFERENT", "bold red"),
                                    f"  {sc.name} (seed {replay['seed']}) departs from "
                                    f"{args.golden} at {diff.describe()}"), soft_wrap=True)
        console.print(golden_table(diff, args.golden))
    return EXIT_FAILED if different else EXIT_OK
