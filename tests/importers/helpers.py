"""Shared helpers for the importer tests: fixture paths, template variants, the CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from lb6.tui.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATE = FIXTURES / "quickstart_2016.json"
PARAMETERS = FIXTURES / "quickstart_2016.parameters.json"
CLI_SCRIPT = FIXTURES / "cli_walkthrough.sh"
PS_SCRIPT = FIXTURES / "ps_walkthrough_az.ps1"


def template() -> dict:
    return json.loads(TEMPLATE.read_text())


def resource(doc: dict, rtype: str, index: int = 0) -> dict:
    return [r for r in doc["resources"] if r["type"] == rtype][index]


def write(tmp_path: Path, doc, name: str = "azuredeploy.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2) if not isinstance(doc, str) else doc)
    return path


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def check_json(capsys, path, *extra) -> tuple[int, dict]:
    code, out, err = run_cli(capsys, "check", path, "--json", *extra)
    return code, json.loads(out)


def ids(report: dict, severity: str | None = None) -> set[str]:
    return {f["id"] for f in report["findings"] if severity is None or f["severity"] == severity}


def variant(tmp_path: Path, change) -> Path:
    doc = copy.deepcopy(template())
    change(doc)
    return write(tmp_path, doc)
