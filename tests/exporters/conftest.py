"""Replays and captures shared by the exporter tests: each scenario runs once per session."""

from __future__ import annotations

import pytest

from lb6.model.scenario import library
from lb6.model.engine.runner import run_scenario
from lb6.model.scenario.document import load_scenario

_RUNS: dict[str, object] = {}


def replay(name: str):
    """The `Result` of a shipped scenario, replayed once per test session."""
    if name not in _RUNS:
        _RUNS[name] = run_scenario(load_scenario(library.find(name), display=name))
    return _RUNS[name]


@pytest.fixture(scope="session")
def capture(tmp_path_factory):
    """`capture(name)` -> (result, wires, packets read back from the written pcapng)."""
    from lb6.model.exporters.pcap import export_pcapng, read_pcapng

    made: dict[str, tuple] = {}

    def make(name: str):
        if name not in made:
            result = replay(name)
            path = tmp_path_factory.mktemp("pcap") / f"{name}.pcapng"
            wires = export_pcapng(result, path)
            made[name] = (result, wires, read_pcapng(path), path)
        return made[name]

    return make
