"""Every catalogue ID is demonstrated by a shipped scenario, and no `covers:` claim is empty.

A scenario covers an ID only if running it shows that ID somewhere: in the refs of a step, in a
warning raised by its traffic (or by a `set` in its timeline), or in what `lb6 check` finds in
its configuration. Listing an ID under `covers:` without exercising it fails here, so the
catalogue cannot be "covered" by a label alone.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from lb6.model.scenario import library
from lb6.model.catalogue import CATALOGUE, check
from lb6.model.engine.runner import run_scenario
from lb6.model.scenario.document import load_scenario

SHIPPED = library.shipped()


def declared_covers(path: Path) -> list[str]:
    """The `covers:` list as written in the file (read as plain YAML, not through the loader)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    covers = data.get("covers") or []
    assert isinstance(covers, list), f"{path.name}: covers must be a list of catalogue IDs"
    return [str(c) for c in covers]


@lru_cache(maxsize=None)
def exercised_ids(path: Path) -> frozenset[str]:
    """Every catalogue ID a run of the scenario shows: step refs, live warnings, check findings."""
    scenario = load_scenario(path)
    result = run_scenario(scenario)
    ids = {i for step in result.engine.records for i in step.refs.ids}
    ids |= {w.id for w in result.engine.warnings()}
    ids |= {f.id for f in check(scenario.topology)}
    return frozenset(ids)


def test_every_catalogue_id_has_a_covering_scenario():
    covered = {cid for path in SHIPPED for cid in declared_covers(path)}
    missing = sorted(set(CATALOGUE) - covered)
    assert not missing, f"catalogue IDs no shipped scenario covers: {', '.join(missing)}"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_covers_names_only_catalogue_ids(path):
    unknown = [cid for cid in declared_covers(path) if cid not in CATALOGUE]
    assert not unknown, f"{path.name} covers unknown IDs: {', '.join(unknown)}"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_covered_id_is_exercised(path):
    shown = exercised_ids(path)
    empty = [cid for cid in declared_covers(path) if cid not in shown]
    assert not empty, (f"{path.name} claims to cover {', '.join(empty)}, but no step, warning "
                       "or check finding of its run mentions it")
