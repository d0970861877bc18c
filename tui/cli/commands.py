"""The headless commands: run, check, import, scenarios, compare, schema and catalogue.

Each takes the parsed arguments and returns the exit code; bad input is raised as a
`ScenarioError`, which `main` prints as one paragraph and turns into exit 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ...model.errors import Problem, ScenarioError
from ...model.scenario import library
from .console import (EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, error, load_from,
                                 print_notes, rich_console)
from .export import cmd_run_golden
from .report import print_result


def cmd_run(args) -> int:
    from ...model.engine.runner import run_scenario, to_json
    if getattr(args, "golden", None) is not None:
        return cmd_run_golden(args)
    targets = list(args.targets)
    if args.all:
        targets += [str(p) for p in library.shipped()]
    if not targets:
        error("run needs a FILE_OR_NAME or --all (see `lb6 run --help`)")
        return EXIT_BAD_INPUT
    scenarios = []
    for target in targets:
        scenarios.append(load_from(args, target))  # bad input anywhere stops before any output
    results = [run_scenario(sc, args.seed) for sc in scenarios]
    if args.json:
        doc = to_json(results[0]) if len(results) == 1 else {
            "runs": [to_json(r) for r in results], "passed": all(r.passed for r in results)}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        console = rich_console()
        for result in results:
            print_result(console, result, quiet=args.quiet)
        if len(results) > 1:
            passed = sum(r.passed for r in results)
            console.print(f"{passed} passed, {len(results) - passed} failed", soft_wrap=True)
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED


def cmd_check(args) -> int:
    from ...model.catalogue import check
    from ...model.inputs import open_input
    fmt = getattr(args, "format", None)
    try:
        loaded = open_input(args.target, fmt, getattr(args, "parameters", None))
    except ScenarioError as exc:
        if args.json:
            sys.stdout.write(json.dumps({"source": args.target, "format": fmt or _sniff(args.target),
                                         "errors": exc.to_json(), "findings": [],
                                         "not_modelled": []}, indent=2) + "\n")
            return EXIT_BAD_INPUT
        raise
    findings = check(loaded.scenario.topology)
    refused = any(f.severity == "error" for f in findings)
    source = loaded.scenario.source
    if args.json:
        sys.stdout.write(json.dumps({"source": args.target, "format": loaded.format, "errors": [],
                                     "findings": [f.to_json() for f in findings],
                                     "not_modelled": [n.to_json(source) for n in loaded.notes],
                                     "where": _where(loaded, findings)},
                                    indent=2) + "\n")
    else:
        from rich.text import Text
        from .. import present
        console = rich_console()
        console.print(present.findings_table(findings, f"{args.target}: {len(findings)} findings"))
        places = _where(loaded, [f for f in findings if f.severity != "info"])
        if places:
            console.print(Text("Where (errors and warnings):", style="bold"))
            for subject, location in places.items():
                line = Text(f"  {subject}: ")
                line.append(location, style="dim")
                console.print(line, soft_wrap=True)
        print_notes(console, loaded, source)
        counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning", "info")}
        summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items())
        console.print(Text(("Azure would refuse this configuration: " if refused else "OK: ")
                           + summary, style="bold red" if refused else "bold green"))
    return EXIT_FAILED if refused else EXIT_OK


def _where(loaded, findings) -> dict:
    """Finding subject → its place in an imported file ('file line N, json.path')."""
    out = {}
    for f in findings:
        location = loaded.where(f.subject) if hasattr(loaded, "where") else None
        if location and f.subject not in out:
            out[f.subject] = location
    return out


def _sniff(target: str) -> str | None:
    """The detected format of a file that failed to load, for the JSON report."""
    from ...model.importers.detect import detect
    try:
        from ...model.inputs import find_input
        path = find_input(target)
        return detect(path.read_text(encoding="utf-8-sig", errors="replace"), str(path))
    except (ScenarioError, OSError):
        return None


def cmd_import(args) -> int:
    from ...model.importers.scenario_file import scenario_yaml
    from ...model.inputs import open_input
    loaded = open_input(args.target, getattr(args, "format", None),
                        getattr(args, "parameters", None))
    if loaded.format == "scenario":
        error(f"{args.target} is already a scenario file; nothing to import")
        return EXIT_BAD_INPUT
    text = scenario_yaml(loaded.data, loaded.notes, loaded.scenario.source, loaded.format)
    if args.output:
        out = Path(args.output)
        if out.exists() and not args.force:
            error(f"{out} exists; use --force to overwrite it")
            return EXIT_BAD_INPUT
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            error(f"cannot write {out}: {exc.strerror}")
            return EXIT_BAD_INPUT
        from rich.text import Text
        console = rich_console(stderr=True)
        print_notes(console, loaded, loaded.scenario.source)
        console.print(Text(f"wrote {out} ({loaded.format} → scenario); try: lb6 run {out}",
                           style="bold green"), soft_wrap=True)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_scenarios(args) -> int:
    from ...model.scenario.document import load_scenario
    rows = []
    for path in library.shipped():
        try:
            sc = load_scenario(path, display=path.stem)
            rows.append({"name": path.stem, "title": sc.title, "kind": "lesson" if sc.is_lesson else "scenario",
                         "covers": list(sc.covers), "summary": sc.summary})
        except ScenarioError as exc:
            rows.append({"name": path.stem, "title": "(does not load)", "kind": "broken",
                         "covers": [], "summary": exc.problems[0].message})
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    from rich.table import Table
    from rich.text import Text
    table = Table(title="Shipped scenarios (lb6 run NAME, lb6 explore NAME)", title_justify="left")
    table.add_column("name", no_wrap=True, style="bold")
    table.add_column("kind", no_wrap=True)
    table.add_column("title and summary", ratio=3)
    table.add_column("covers", ratio=2)
    for r in rows:
        text = Text(r["title"], style="bold")
        if r["summary"]:
            text.append("\n" + r["summary"], style="dim")
        table.add_row(r["name"], r["kind"], text, Text(" ".join(r["covers"]), style="magenta"))
    rich_console().print(table)
    return EXIT_OK


def cmd_compare(args) -> int:
    from ...model.teaching.compare import compare
    scenario = load_from(args)
    t = scenario.topology
    name, _, port = args.to.rpartition(":")
    problems = []
    client = t.client_by_name.get(args.client)
    if client is None:
        problems.append(Problem(f"no client named '{args.client}'; known: "
                                f"{', '.join(sorted(t.client_by_name)) or 'none'}", ("--client",)))
    elif client.stack != "dual":
        problems.append(Problem(f"client '{args.client}' is {client.stack}-only; a comparison "
                                "needs a dual-stack client", ("--client",)))
    if not name or not port.isdigit() or not 1 <= int(port) <= 65535:
        problems.append(Problem(f"'{args.to}' is not NAME:PORT (e.g. www.example.com:80)", ("--to",)))
    elif name.lower() not in t.dns_by_name:
        problems.append(Problem(f"no DNS name '{name}'; known: "
                                f"{', '.join(sorted(t.dns_by_name)) or 'none'}", ("--to",)))
    if problems:
        raise ScenarioError(args.target, problems)
    result = compare(scenario, args.client, name, int(port), args.protocol)
    if args.json:
        doc = {"client": result.client, "to": result.to, "port": result.port,
               "first_difference": result.first_difference, "why": result.why,
               "ipv4": {"outcome": result.ipv4.outcome, "steps": [s.to_json() for s in result.ipv4.steps]},
               "ipv6": {"outcome": result.ipv6.outcome, "steps": [s.to_json() for s in result.ipv6.steps]}}
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        from ..present import comparison
        rich_console().print(comparison(result))
    return EXIT_OK


def cmd_schema(args) -> int:
    from ...model.scenario.schema import json_schema
    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return EXIT_OK


def cmd_catalogue(args) -> int:
    from rich.table import Table
    from ...model.catalogue import CATALOGUE
    table = Table(title="The catalogue", title_justify="left")
    for col in ("id", "kind", "title", "facts"):
        table.add_column(col, overflow="fold")
    for e in CATALOGUE.values():
        table.add_row(e.id, e.kind, e.title, ", ".join(map(str, e.facts)))
    rich_console().print(table)
    return EXIT_OK
