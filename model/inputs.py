"""Open any input lb6 understands: a scenario, an ARM template, an az CLI or PowerShell script.

`open_input` is the one door: the command line, the explorer's Open dialog and a classroom
follower all open what they are given through it, so each accepts the same inputs (a shipped
scenario's name or a path to any of the formats) and refuses a bad one with the same located
one-paragraph `ScenarioError`. Printing that error, or the notes, is for the caller.

`load_any` detects the format from the content (or takes `format`), runs the matching importer
and validates the result through the scenario loader, so every input obeys the same rules and
every problem names the file and the line (and in a template, the JSON path). It returns the
scenario together with the notes on what the input holds that lb6 does not model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from .errors import Problem, ScenarioError
from .importers.detect import FORMATS, detect
from .scenario import library
from .scenario.document import Scenario, load_scenario_data, read_text, load_scenario_text

if TYPE_CHECKING:  # the importers load only for an input that needs them
    from .importers.resources import Deployment, Note


@dataclass
class Loaded:
    """An opened input: the scenario, the format it was read as, and what it holds that lb6
    does not model (the notes of an imported template or script)."""

    scenario: Scenario
    format: str
    notes: list[Note] = field(default_factory=list)
    data: dict | None = None  # the scenario data an importer produced (None for a scenario)
    subjects: dict = field(default_factory=dict)  # finding subject → Origin in the input

    def where(self, subject: str) -> str | None:
        """'file line N, json.path' of the object a finding names, for an imported input."""
        origin = self.subjects.get(subject)
        if origin is None:
            return None
        return Problem("", origin.path, origin.line).location(self.scenario.source)


# What an imported file is called in the title of the scenario made from it.
IMPORTED_KIND = {"arm": "ARM template", "azcli": "az CLI script", "powershell": "PowerShell script"}


def read_deployment(text: str, source: str, fmt: str, parameters: str | None = None,
                    parameters_source: str | None = None) -> Deployment:
    """The deployment an importer reads from a template or script (imported on first use)."""
    if fmt == "arm":
        from .importers.arm import read_template
        return read_template(text, source, parameters, parameters_source)
    if fmt == "azcli":
        from .importers.azcli import read_azcli
        return read_azcli(text, source)
    if fmt == "powershell":
        from .importers.powershell import read_powershell
        return read_powershell(text, source)
    raise ValueError(fmt)


def load_text(text: str, source: str, format: str | None = None,
              parameters_text: str | None = None, parameters_source: str | None = None) -> Loaded:
    """Open an input's text: detect its format (unless given), import it if it is not a
    scenario, and validate the result through the scenario loader."""
    fmt = format or detect(text, source)
    # What kind of input this is comes first: a Bicep file or an xplat script is named as
    # such, not refused for a variable or a syntax error the importer would meet on the way.
    if fmt != "scenario":  # a scenario loads no importer module, this one included
        from .importers.kinds import refusal
        kind = refusal(text, source, fmt)
        if kind is not None:
            raise ScenarioError(source, [kind])
    if fmt is None:
        raise ScenarioError(source, [Problem(
            "not a file lb6 can read: expected a scenario (YAML with a title), an ARM template "
            "(JSON with $schema and resources), an az CLI script (az network ... commands) or a "
            "PowerShell script (New-AzLoadBalancer and friends); use --format to say which", (), 1)])
    if fmt not in FORMATS:
        raise ScenarioError(source, [Problem(f"unknown format '{fmt}'; expected one of "
                                             f"{', '.join(FORMATS)}")])
    if parameters_text is not None and fmt != "arm":
        raise ScenarioError(parameters_source or "<parameters>", [Problem(
            f"--parameters applies to ARM templates only, and {source} is read as {fmt}")])
    if fmt == "scenario":
        return Loaded(load_scenario_text(text, source), fmt)
    from .importers.mapping import to_scenario
    dep = read_deployment(text, source, fmt, parameters_text, parameters_source)
    title = dep.title or f"{FsPath(source).name} ({IMPORTED_KIND[fmt]})"
    data, locate = to_scenario(dep, title)
    scenario = load_scenario_data(data, source, locate)
    return Loaded(scenario, fmt, dep.notes, data, dep.subjects)


def load_any(path: str | FsPath, format: str | None = None, parameters: str | FsPath | None = None,
             display: str | None = None) -> Loaded:
    """Read `path` in whichever format it holds; `parameters` is an ARM parameters file."""
    path = FsPath(path)
    text = read_text(path)
    params_text = read_text(FsPath(parameters)) if parameters is not None else None
    return load_text(text, display or str(path), format, params_text,
                     str(parameters) if parameters is not None else None)


def find_input(target: str) -> FsPath:
    """The file `target` names: a path as given, or a shipped scenario by name."""
    try:
        path = library.find(target)
    except OSError as exc:  # a name the system cannot even look up (too long, say)
        raise ScenarioError(target, [Problem(f"cannot read: {exc.strerror}")]) from None
    if path is None:
        names = ", ".join(library.names()) or "none"
        raise ScenarioError(target, [Problem(
            f"no such file, and no shipped scenario by that name (shipped: {names})")])
    return path


def open_input(target: str, format: str | None = None, parameters: str | None = None) -> Loaded:
    """Open `target`, a shipped scenario's name or a path to a scenario, an ARM template, an az
    CLI or a PowerShell script (detected from the content unless `format` says which);
    `parameters` is an ARM parameters file. Every failure is a located `ScenarioError`.

    The scenario's source is the name as given for a shipped scenario and the path otherwise,
    so that passing `scenario.source` back in opens the same input again (a classroom follower
    opens the lead's scenario that way).
    """
    path = find_input(target)
    display = str(path) if path == FsPath(target) else target
    if parameters is not None and not FsPath(parameters).is_file():
        raise ScenarioError(parameters, [Problem("no such parameters file")])
    return load_any(path, format=format, parameters=parameters, display=display)
