"""libyaml and the pure-Python composer agree wherever load_yaml lets libyaml parse (issue 8).

`load_yaml` parses with libyaml for speed and falls back to PyYAML's own composer for texts
where the two part ways. This compares both, value by value and line by line, or error by
error, on the shipped scenarios, seeded mutations of them and hand-picked corner cases.
"""

from __future__ import annotations

import random

import pytest
import yaml

import lb6.model.scenario.yamlsource as ys
from lb6.model.scenario import library
from tests.robustness.fuzz import hostile_yaml, mutate_text

pytestmark = pytest.mark.skipif(ys._FAST_LOADER is None, reason="PyYAML built without libyaml")

CORNERS = [
    "a: &x 1\nb: &x 2\nc: *x\n", "a: *nope\n", "a: &x [*x]\n", "---\na: 1\n---\nb: 2\n",
    "%YAML 1.1\n---\na: 1\n", "a: 1\n...\n", "a: |\n  x\n  y\nb: >-\n  p\n  q\n", "a: |2\n   x\n",
    "t: 1:30\nu: 0x1F\nv: 0o17\nw: 1_000\nx: +1\ny: .inf\nz: .NaN\nd: 2001-12-14\n",
    "a: ~\nb: null\nc: \nd: yes\ne: No\nf: on\n", "a:\r\n  - 1\r\n  - 2\r\n", "a:\r  - 1\r  - 2\r",
    "k" * 1100 + ": v\n", "\"k\nk\": v\n", "a: 'it''s'\nb: \"\\x41\\u263A\"\n", "a: [1, 2,]\n",
    "a: [1 2]\n", "a: {b}\n", "a: [b: c]\n", "a:\n- 1\n-2\n", "a: b: c\n", "a: - b\n",
    "- a\nb: c\n", "a: 1\n a: 2\n", "a:\n  b: 1\n c: 2\n", "a: &a {x: 1}\nb: {<<: *a, y: 2}\n",
    "a: 'unterminated\n", "a: \"x\" y\n", "a: [\n", "{a: 1}\n", "[1, 2]\n", "a: @x\n", "a: `x\n",
    "a: x #c\nb: y#c\n", "a: \"multi\n  line\"\n", "a: plain\n  continued\n", "a: 0b101\nb: 012\n",
    "a: <<\n", "a: |+\n  x\n\n", "a: 1\n\x00", "---", "---\n  ", "a: {&k b: 1, *k : 2}\n",
    "a: b\tc\n", "a: [b?c]\n", "title: !\n", "a: 1\u2028b: 2\n", "\ufeffa: 1\n", "a: 1\x85b: 2\n",
]


def _load(text: str, fast: bool, monkeypatch):
    monkeypatch.setattr(ys, "_FAST_LOADER", yaml.CSafeLoader if fast else None)
    try:
        located = ys.load_yaml(text)
    except ys.LoadProblem as exc:
        return ("problem", exc.problem.message, exc.problem.path, exc.problem.line)
    return ("ok", repr(located.data), sorted(located.lines.items(), key=repr))


def _corpus() -> list[str]:
    texts = list(CORNERS) + [text for _, text in hostile_yaml()]
    for path in library.shipped():
        text = path.read_text(encoding="utf-8")
        rng = random.Random(path.name)
        texts += [text] + [mutate_text(rng, text) for _ in range(2)]
    return texts


def test_libyaml_and_pyyaml_agree(monkeypatch):
    differ = [text for text in _corpus()
              if _load(text, False, monkeypatch) != _load(text, True, monkeypatch)]
    assert not differ, f"{len(differ)} texts load differently, first: {differ[0][:300]!r}"
