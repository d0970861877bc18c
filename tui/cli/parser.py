"""The `lb6` command's argument parser: every command, its options and its help text.

Kept apart from the commands so that `lb6 --help` and a mistyped option cost only argparse.
"""

from __future__ import annotations

import argparse

from ...model.scenario import library

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


def _add_load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("scenario", "arm", "azcli", "powershell"),
                   help="read FILE as this format instead of detecting it from the content")
    p.add_argument("--parameters", metavar="PARAMS_JSON",
                   help="an ARM parameters file (azuredeploy.parameters.json) for a template")
