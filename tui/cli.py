"""The `lb6` command: argparse entry point and the headless Rich report.

Textual is imported only by the commands that open the explorer, so `lb6 --help`, `lb6 run` and
`lb6 check` start fast and work without a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lb6.model.scenario import library
from lb6.model.errors import Problem, ScenarioError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

DESCRIPTION = """\
Step through how the Azure Basic Load Balancer carries IPv6 and dual-stack traffic.

With no command, lb6 opens the explorer on the built-in scenario ({default}).
A FILE_OR_NAME is a path to a scenario file or the name of a shipped scenario
(see `lb6 scenarios`)."""

EPILOG = """\
exit codes:
  run    0 every expectation passed, 1 one failed, 2 bad input
  check  0 clean or only warnings/info, 1 a finding Azure would refuse, 2 bad input
  run --golden  0 the replay matches the trace, 1 a step differs, 2 bad input
  export, screenshot  0 written, 2 bad input
  serve  0 ended with Ctrl+C, 2 bad input (scenario, port in use, no serve extra)

examples:
  lb6 run dual_stack_web_farm
  lb6 run --all --json > traces.json
  lb6 check my-scenario.yaml
  lb6 schema > lb6-scenario.schema.json
  lb6 export dual_stack_web_farm --pcap farm.pcapng --mermaid farm.mmd
  lb6 export dual_stack_web_farm --json farm.json && lb6 run --golden farm.json
  lb6 screenshot dual_stack_web_farm --step 9 -o step9.svg
  lb6 serve lesson_1_first_dual_stack_request --lead"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lb6", description=DESCRIPTION.format(default=library.DEFAULT_SCENARIO),
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("run", help="replay scenarios headless and check their expectations",
                       description="Replay scenarios headless: print the trace, flows, probes, "
                                   "warnings and expectations (or JSON with --json).")
    p.add_argument("targets", nargs="*", metavar="FILE_OR_NAME")
    p.add_argument("--all", action="store_true", help="run every shipped scenario")
    p.add_argument("--json", action="store_true", help="print the JSON trace instead")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print only the expectations, not the trace")
    p.add_argument("--golden", metavar="TRACE_JSON",
                   help="compare the replay with a stored `run --json` trace and show the first "
                        "differing step (exit 1); with no FILE_OR_NAME, replay the scenario it names")
    _add_load_options(p)

    p = sub.add_parser("check", help="validate a scenario and list catalogue findings",
                       description="Validate a file and list every catalogue finding: errors are "
                                   "configurations Azure would refuse.")
    p.add_argument("target", metavar="FILE_OR_NAME")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    _add_load_options(p)

    p = sub.add_parser("import", help="turn an ARM template or az CLI / PowerShell script into "
                                      "an editable scenario file",
                       description="Read an ARM template, az CLI script or PowerShell script and "
                                   "write the scenario YAML lb6 made of it (with default clients "
                                   "and timeline), listing what it did not model.")
    p.add_argument("target", metavar="FILE")
    p.add_argument("-o", "--output", metavar="SCENARIO_YAML",
                   help="write the scenario here (default: print it)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    _add_load_options(p)

    p = sub.add_parser("scenarios", help="list the shipped scenarios")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("compare", help="trace one request over IPv4 and over IPv6, side by side",
                       description="Twin-stack comparison: the same request from a dual-stack "
                                   "client traced over each family, with the first step where "
                                   "they differ highlighted.")
    p.add_argument("target", metavar="SCENARIO")
    p.add_argument("--client", required=True, help="a dual-stack client of the scenario")
    p.add_argument("--to", required=True, metavar="NAME:PORT", help="DNS name and port")
    p.add_argument("--protocol", default="Tcp", choices=["Tcp", "Udp"])
    p.add_argument("--json", action="store_true")

    sub.add_parser("schema", help="print the JSON Schema of the scenario format")
    sub.add_parser("catalogue", help="list every behaviour lb6 models, with its ID and facts")

    p = sub.add_parser("explore", help="open the interactive explorer on a scenario")
    p.add_argument("target", nargs="?", default=library.DEFAULT_SCENARIO, metavar="FILE_OR_NAME")
    _add_load_options(p)

    p = sub.add_parser("serve", help="serve the explorer to browsers; --lead runs a class that "
                                     "follows you",
                       description="Serve the explorer to web browsers (each browser gets its own "
                                   "explorer). With --lead, lb6 prints two links: yours leads, and "
                                   "every student who opens the join link follows your steps, "
                                   "can break away (e) and rejoin (g), and answers your lesson's "
                                   "questions. Needs the serve extra: pip install 'lb6[serve]'.")
    p.add_argument("target", nargs="?", default=library.DEFAULT_SCENARIO, metavar="FILE_OR_NAME")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; "
                        "0.0.0.0 lets a classroom network in)")
    p.add_argument("--port", type=_port, default=8000,
                   help="port to listen on (default 8000; 0 picks a free one)")
    p.add_argument("--lead", action="store_true",
                   help="run a class: print a lead link for you and a join link for students")
    _add_load_options(p)

    p = sub.add_parser("export", help="write a replay as a pcapng capture, a JSON trace or a "
                                      "Mermaid sequence diagram",
                       description="Replay a scenario and write it out: --pcap as real packets for "
                                   "Wireshark (interfaces 'internet' and 'vnet', one comment per "
                                   "step), --json as `lb6 run --json` prints it, --mermaid as a "
                                   "sequence diagram. Give one or more; '-' writes JSON or Mermaid "
                                   "to standard output.")
    p.add_argument("target", metavar="FILE_OR_NAME")
    p.add_argument("--pcap", metavar="OUT_PCAPNG", help="write every simulated packet as pcapng")
    p.add_argument("--json", metavar="OUT_JSON", help="write the run --json trace")
    p.add_argument("--mermaid", metavar="OUT_MMD", help="write a Mermaid sequence diagram")
    p.add_argument("--max-steps", type=int, metavar="N",
                   help="draw only the first N steps in the diagram (renderers choke on huge ones)")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    _add_load_options(p)

    p = sub.add_parser("screenshot", help="render the explorer at a step to an SVG, headless",
                       description="Open the explorer headless on a scenario, go to step N and save "
                                   "the screen as SVG (the explorer's ctrl+s does the same live).")
    p.add_argument("target", metavar="FILE_OR_NAME")
    p.add_argument("--step", type=int, metavar="N",
                   help="the step to show (default: the scenario's last step)")
    p.add_argument("-o", "--output", metavar="OUT_SVG",
                   help="where to write the SVG (default: NAME-stepN.svg here)")
    p.add_argument("--size", default="120x40", metavar="COLSxROWS",
                   help="terminal size to render (default 120x40)")
    _add_load_options(p)
    return parser


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535)")
    return port


class _VersionAction(argparse._VersionAction):
    """`--version`, looked up only when asked: importlib.metadata costs every other command
    tens of milliseconds."""

    def __call__(self, parser, namespace, values, option_string=None):
        self.version = f"lb6 {_version()}"
        super().__call__(parser, namespace, values, option_string)


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("lb6")
    except Exception:
        return "0.1.0"


def _console(stderr: bool = False):
    from rich.console import Console
    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def error(message: str) -> None:
    """One clear paragraph on stderr; never a traceback."""
    from rich.text import Text
    text = Text("lb6: ", style="bold red")
    text.append(message)
    _console(stderr=True).print(text, soft_wrap=True)


def resolve(target: str) -> Path:
    path = library.find(target)
    if path is None:
        names = ", ".join(library.names()) or "none"
        raise ScenarioError(target, [Problem(
            f"no such file, and no shipped scenario by that name (shipped: {names})")])
    return path


def _add_load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("scenario", "arm", "azcli", "powershell"),
                   help="read FILE as this format instead of detecting it from the content")
    p.add_argument("--parameters", metavar="PARAMS_JSON",
                   help="an ARM parameters file (azuredeploy.parameters.json) for a template")


def load_from(args, target: str | None = None):
    """`load` with the command's own --format and --parameters (when it has them)."""
    return load(target if target is not None else args.target,
                getattr(args, "format", None), getattr(args, "parameters", None))


def load_with_notes(target: str, format: str | None = None, parameters: str | None = None):
    """A `model.loader.Loaded`: the scenario, its format and the notes on what is not modelled."""
    from lb6.model.inputs import load_any
    path = resolve(target)
    display = target if not Path(target).exists() else str(path)
    if parameters is not None and not Path(parameters).is_file():
        raise ScenarioError(parameters, [Problem("no such parameters file")])
    return load_any(path, format=format, parameters=parameters, display=display)


def load(target: str, format: str | None = None, parameters: str | None = None):
    """The scenario in `target`: a scenario file or name, an ARM template, an az CLI or
    PowerShell script (detected from the content unless `format` says). For an imported file,
    one line on stderr says how many things it holds that lb6 does not model."""
    loaded = load_with_notes(target, format, parameters)
    if loaded.format != "scenario" and loaded.notes:
        from rich.text import Text
        n = len(loaded.notes)
        again = f"lb6 check {target}" + (f" --parameters {parameters}" if parameters else "")
        _console(stderr=True).print(Text(
            f"lb6: read {target} as {loaded.format}; {n} thing{'s' if n != 1 else ''} not "
            f"modelled ({again} lists them)", style="dim"), soft_wrap=True)
    return loaded.scenario


# ---- commands -----------------------------------------------------------------------------------


def cmd_run(args) -> int:
    from lb6.model.engine.runner import run_scenario, to_json
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
        console = _console()
        for result in results:
            print_result(console, result, quiet=args.quiet)
        if len(results) > 1:
            passed = sum(r.passed for r in results)
            console.print(f"{passed} passed, {len(results) - passed} failed", soft_wrap=True)
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED


def print_result(console, result, quiet: bool = False) -> None:
    from rich.rule import Rule
    from rich.text import Text
    from lb6.tui import present
    eng = result.engine
    sc = result.scenario
    console.print(Rule(Text(f"{sc.title}  ({sc.name}, seed {eng.seed})"), align="left"))
    if not quiet:
        if console.color_system is None:
            # A pipe or a file (CI, `> trace.txt`): Rich would emit each line's plain text, so
            # write that directly; printing 7,000 lines one by one through Rich takes a second.
            console.file.write("".join(present.step_plain(step) + "\n" for step in eng.records))
        else:
            for step in eng.records:
                console.print(present.step_line(step), soft_wrap=True)
        flows = eng.flows()
        if flows:
            console.print(present.flows_table(flows[:200], eng.now))
        if eng.probe_states():
            console.print(present.probes_table(eng.probe_states(), eng.now))
        if eng.warnings():
            console.print(present.warnings_table(eng.warnings()))
    if result.verdicts:
        console.print(Text("Expectations", style="bold"))
        for v in result.verdicts:
            console.print(present.verdict_line(v), soft_wrap=True)
    status = Text("PASS" if result.passed else "FAIL",
                  style="bold green" if result.passed else "bold red")
    console.print(Text.assemble(status, f"  {sc.name}: {len(eng.records)} steps, "
                                        f"{sum(v.passed for v in result.verdicts)}/"
                                        f"{len(result.verdicts)} expectations"), soft_wrap=True)


def cmd_check(args) -> int:
    from lb6.model.catalogue import check
    fmt = getattr(args, "format", None)
    try:
        loaded = load_with_notes(args.target, fmt, getattr(args, "parameters", None))
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
        from lb6.tui import present
        console = _console()
        console.print(present.findings_table(findings, f"{args.target}: {len(findings)} findings"))
        places = _where(loaded, [f for f in findings if f.severity != "info"])
        if places:
            console.print(Text("Where (errors and warnings):", style="bold"))
            for subject, location in places.items():
                line = Text(f"  {subject}: ")
                line.append(location, style="dim")
                console.print(line, soft_wrap=True)
        _print_notes(console, loaded, source)
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
    from lb6.model.importers.detect import detect
    try:
        path = resolve(target)
        return detect(path.read_text(encoding="utf-8-sig", errors="replace"), str(path))
    except (ScenarioError, OSError):
        return None


def _print_notes(console, loaded, source: str) -> None:
    """What the imported file holds that lb6 does not model (info, never a failure)."""
    from rich.text import Text
    if not loaded.notes:
        return
    console.print(Text(f"Not modelled ({len(loaded.notes)}, info):", style="bold"))
    for note in loaded.notes:
        line = Text("  • ")
        line.append(note.location(source), style="dim")
        line.append(": " + note.message)
        console.print(line, soft_wrap=True)


def cmd_import(args) -> int:
    from lb6.model.importers.common import scenario_yaml
    loaded = load_with_notes(args.target, getattr(args, "format", None),
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
        console = _console(stderr=True)
        _print_notes(console, loaded, loaded.scenario.source)
        console.print(Text(f"wrote {out} ({loaded.format} → scenario); try: lb6 run {out}",
                           style="bold green"), soft_wrap=True)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_scenarios(args) -> int:
    from lb6.model.scenario.document import load_scenario
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
    _console().print(table)
    return EXIT_OK


def cmd_compare(args) -> int:
    from lb6.model.teaching.compare import compare
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
        from lb6.tui.present import comparison
        _console().print(comparison(result))
    return EXIT_OK


def cmd_schema(args) -> int:
    from lb6.model.scenario.schema import json_schema
    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")
    return EXIT_OK


def cmd_catalogue(args) -> int:
    from rich.table import Table
    from lb6.model.catalogue import CATALOGUE
    table = Table(title="The catalogue", title_justify="left")
    for col in ("id", "kind", "title", "facts"):
        table.add_column(col, overflow="fold")
    for e in CATALOGUE.values():
        table.add_row(e.id, e.kind, e.title, ", ".join(map(str, e.facts)))
    _console().print(table)
    return EXIT_OK


def cmd_explore(args) -> int:
    scenario = load_from(args)
    try:
        from lb6.tui.app import run_explorer
    except ImportError:  # the explorer is not built yet: replay headless instead
        from lb6.model.engine.runner import run_scenario
        print_result(_console(), run_scenario(scenario))
        _console().print("The interactive explorer is coming; this was the headless replay.")
        return EXIT_OK
    return run_explorer(scenario)


def cmd_serve(args) -> int:
    scenario = load_from(args)  # a bad scenario is exit 2 before anything listens
    try:
        from lb6.tui.classroom.hub import Hub, new_token
        from lb6.tui.classroom.server import ClassServer, ServeError, explorer_command
    except ImportError as exc:
        error(f"lb6 serve needs textual-serve, which is not installed ({exc.name} is missing): "
              "pip install 'lb6[serve]'")
        return EXIT_BAD_INPUT
    hub = Hub(join_token=new_token(), lead_token=new_token() if args.lead else None)
    server = ClassServer(explorer_command(args.target, args.format, args.parameters), hub,
                         host=args.host, port=args.port, title=scenario.title)
    try:
        server.serve()
    except ServeError as exc:
        error(f"lb6 serve: {exc}")
        return EXIT_BAD_INPUT
    return EXIT_OK


# ---- export, screenshot and golden traces ---------------------------------------------------


def _output(value: str, what: str) -> Path:
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


def _write_text(value: str, text: str, what: str) -> None:
    if value == "-":
        sys.stdout.write(text)
        return
    try:
        Path(value).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(value, [Problem(f"cannot write the {what}: {exc.strerror}")]) from None


def cmd_export(args) -> int:
    from rich.text import Text
    from lb6.model.engine.runner import run_scenario, to_json
    wanted = {k: getattr(args, k) for k in ("pcap", "json", "mermaid") if getattr(args, k)}
    if not wanted:
        error("export needs at least one of --pcap OUT.pcapng, --json OUT.json, "
              "--mermaid OUT.mmd (see `lb6 export --help`)")
        return EXIT_BAD_INPUT
    if wanted.get("pcap") == "-":
        raise ScenarioError("-", [Problem("a pcapng capture needs a file name, not standard output")])
    for kind, value in wanted.items():
        if value != "-":
            _output(value, {"pcap": "capture", "json": "trace", "mermaid": "diagram"}[kind])
    if args.max_steps is not None and args.max_steps < 1:
        raise ScenarioError("--max-steps", [Problem("expected a number of steps of 1 or more")])
    result = run_scenario(load_from(args), args.seed)
    notes = _console(stderr=True)
    if "pcap" in wanted:
        from lb6.model.exporters.pcap import INTERFACES, export_pcapng
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
        _write_text(wanted["json"], json.dumps(to_json(result), indent=2) + "\n", "trace")
        if wanted["json"] != "-":
            notes.print(Text(f"wrote {wanted['json']}: {len(result.engine.records)} steps; "
                             f"compare later with: lb6 run --golden {wanted['json']}",
                             style="green"), soft_wrap=True)
    if "mermaid" in wanted:
        from lb6.model.exporters.mermaid import to_mermaid
        _write_text(wanted["mermaid"], to_mermaid(result, args.max_steps), "diagram")
        if wanted["mermaid"] != "-":
            notes.print(Text(f"wrote {wanted['mermaid']}: a Mermaid sequence diagram",
                             style="green"), soft_wrap=True)
    return EXIT_OK


def _parse_size(text: str) -> tuple[int, int]:
    import re
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text or "")
    if not m:
        raise ScenarioError("--size", [Problem(f"'{text}' is not COLSxROWS, e.g. 120x40")])
    cols, rows = int(m.group(1)), int(m.group(2))
    if not (40 <= cols <= 400 and 12 <= rows <= 200):
        raise ScenarioError("--size", [Problem(
            f"{cols}x{rows} is out of range: columns 40-400, rows 12-200")])
    return cols, rows


def cmd_screenshot(args) -> int:
    import asyncio
    from rich.text import Text
    from lb6.model.engine.engine import Engine
    size = _parse_size(args.size)
    scenario = load_from(args)
    engine = Engine(scenario)
    engine.run(until=scenario.duration_ms)
    last = len(engine.records)
    step = last if args.step is None else args.step
    if not 0 <= step <= last:
        raise ScenarioError("--step", [Problem(
            f"{scenario.name} has steps 0 to {last} within its {scenario.duration_ms // 1000} s; "
            f"{step} is outside them")])
    out = _output(args.output or f"{scenario.name}-step{step}.svg", "screenshot")
    svg = asyncio.run(_screenshot_svg(scenario, step, size))
    _write_text(str(out), svg, "screenshot")
    _console(stderr=True).print(Text(f"wrote {out}: the explorer at step {step}/{last}, "
                                     f"{size[0]}x{size[1]}", style="green"), soft_wrap=True)
    return EXIT_OK


async def _screenshot_svg(scenario, step: int, size: tuple[int, int]) -> str:
    from lb6.tui.app import Lb6App
    app = Lb6App(scenario)
    async with app.run_test(size=size) as pilot:
        app.session.goto(step)
        app.refresh_panes()
        await pilot.pause()
        return app.export_screenshot(title=f"lb6 — {scenario.title} — step {step}")


def cmd_run_golden(args) -> int:
    from rich.text import Text
    from lb6.model.exporters.golden import compare, golden_runs, load_golden
    from lb6.model.engine.runner import run_scenario, to_json
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
    console = _console()
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
        console.print(_golden_table(diff, args.golden))
    return EXIT_FAILED if different else EXIT_OK


def _golden_table(diff, golden_name: str):
    """The differing item, golden and replay side by side; changed fields marked."""
    from rich.table import Table
    from rich.text import Text
    table = Table(title=Text(diff.label), title_justify="left", show_lines=False, expand=True)
    table.add_column("", width=1, no_wrap=True)
    table.add_column("field", no_wrap=True)
    table.add_column(f"golden ({Path(golden_name).name})", overflow="fold", ratio=1)
    table.add_column("replay", overflow="fold", ratio=1)
    keys = list(dict.fromkeys(list(diff.golden or {}) + list(diff.replay or {})))
    for key in keys:
        old = "—" if diff.golden is None else _cell(diff.golden.get(key, "(absent)"))
        new = "—" if diff.replay is None else _cell(diff.replay.get(key, "(absent)"))
        changed = key in diff.fields or diff.golden is None or diff.replay is None
        style = "bold red" if changed else "dim"
        table.add_row(Text("≠" if changed else "", style=style), Text(key, style=style),
                      Text(old, style="" if changed else "dim"),
                      Text(new, style="" if changed else "dim"))
    return table


def _cell(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


COMMANDS = {"compare": cmd_compare, "run": cmd_run, "check": cmd_check, "import": cmd_import,
            "scenarios": cmd_scenarios, "schema": cmd_schema,
            "catalogue": cmd_catalogue, "explore": cmd_explore,
            "export": cmd_export, "screenshot": cmd_screenshot, "serve": cmd_serve}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "explore"
    if command == "explore" and not hasattr(args, "target"):
        args.target = library.DEFAULT_SCENARIO
    try:
        return COMMANDS[command](args)
    except ScenarioError as exc:
        error(exc.render())
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug in lb6, not bad input: say so without a traceback
        if os.environ.get("LB6_DEBUG"):
            raise
        error(f"internal error ({type(exc).__name__}: {exc}). Set LB6_DEBUG=1 for the traceback "
              "and please report it with the scenario file.")
        return 70


if __name__ == "__main__":
    sys.exit(main())
