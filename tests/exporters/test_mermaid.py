"""`lb6 export --mermaid`: a well-formed sequence diagram, one arrow per hop, labels escaped.

The syntax check stands in for a renderer (none is needed to run the suite); when `mmdc`
(@mermaid-js/mermaid-cli) is on PATH, one diagram is also rendered for real.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from lb6.model.exporters.mermaid import _Ids, escape, to_mermaid

from .conftest import replay

ARROW = re.compile(r"^    (?P<a>\w+)(?P<arrow>->>|-->>|-x|--x)(?P<b>\w+): (?P<label>.+)$")
NOTE = re.compile(r"^    Note over (?P<a>\w+): (?P<label>.+)$")
PARTICIPANT = re.compile(r"^    participant (?P<id>\w+) as (?P<label>.+)$")
TITLE = re.compile(r"^    title (?P<label>.+)$")
ENTITY = re.compile(r"#\d+;")


def parse(text: str) -> dict:
    """Check every line's shape; return the participants, arrows and notes."""
    lines = text.split("\n")
    assert lines[0] == "sequenceDiagram"
    assert text.endswith("\n") and lines[-1] == ""
    declared, arrows, notes = [], [], []
    for line in lines[1:-1]:
        if m := PARTICIPANT.match(line):
            assert not arrows and not notes, "participants come first"
            declared.append(m["id"])
            label = m["label"]
        elif m := ARROW.match(line):
            arrows.append((m["a"], m["arrow"], m["b"], m["label"]))
            label = m["label"]
        elif m := NOTE.match(line):
            notes.append((m["a"], m["label"]))
            label = m["label"]
        elif m := TITLE.match(line):
            label = m["label"]
        else:
            raise AssertionError(f"not a sequence diagram line: {line!r}")
        bare = ENTITY.sub("", label)
        assert ";" not in bare and "#" not in bare and "<" not in bare and ">" not in bare, line
    assert len(declared) == len(set(declared))
    used = {a for a, _, b, _ in arrows} | {b for _, _, b, _ in arrows} | {a for a, _ in notes}
    assert used <= set(declared), f"undeclared: {used - set(declared)}"
    return {"participants": declared, "arrows": arrows, "notes": notes}


def test_participant_ids_stay_distinct():
    ids = _Ids()
    assert [ids("vm:web-1"), ids("vm:web_1"), ids("vm:web-1"), ids("vm:web.1")] == \
        ["vm_web_1", "vm_web_1_2", "vm_web_1", "vm_web_1_3"]


def test_escape_leaves_no_raw_specials():
    assert escape("a;b#c\nd<e>f") == "a#59;b#35;c d#60;e#62;f"
    assert escape("#59;") == "#35;59#59;"  # a literal entity stays literal text
    assert escape("[2001:db8::1]:80 → x") == "[2001:db8::1]:80 → x"


@pytest.mark.parametrize("name", ["dual_stack_web_farm", "ipv6_only_client",
                                  "outbound_ipv6_from_vm", "vm_to_vm_ipv6", "all_backends_down",
                                  "nsg_on_dual_stack_vm"])
def test_diagram_is_well_formed(name):
    parse(to_mermaid(replay(name)))


def test_one_arrow_per_hop_with_rule_nat_and_probe_decisions():
    result = replay("dual_stack_web_farm")
    d = parse(to_mermaid(result))
    arrows = d["arrows"]
    labels = [label for *_, label in arrows]
    # The first IPv6 SYN: client to frontend (rule), frontend to VM (hash pick and NAT), back.
    first = arrows[:6]  # dana is the first client in the timeline
    assert [(a, arrow, b) for a, arrow, b, _ in first] == [
        ("client_dana", "->>", "dns"), ("dns", "-->>", "client_dana"),
        ("client_dana", "->>", "frontend_fe_v6"), ("frontend_fe_v6", "->>", "vm_web2"),
        ("vm_web2", "-->>", "frontend_fe_v6"), ("frontend_fe_v6", "-->>", "client_dana")]
    assert "rule http-v6" in first[2][3]
    assert "NAT dst 2001:db8:1::10 → fd00:10::5, dport 80 → 8080" in first[3][3]
    assert "NAT src fd00:10::5 → 2001:db8:1::10" in first[4][3]
    assert "answered: AAAA 2001:db8:1::10, A 203.0.113.10" in first[1][3]
    probes = [a for a in arrows if a[0] == "prober"]
    assert len(probes) == sum(s.kind == "probe" for s in result.engine.records)
    assert all("probe tcp-80" in label and "probe-ok" in label for *_, label in probes)
    # Every packet-moving step of a connection is on exactly one arrow (its number in a label).
    numbers = {int(n) for label in labels for n in re.findall(r"(?:^| · )(\d+)\. ", label)}
    moving = {s.n for s in result.engine.records
              if s.packet is not None and s.kind != "send"} | \
        {s.n for s in result.engine.records if s.kind == "dns"}
    assert moving <= numbers


def test_drops_end_in_a_cross_and_limits_are_notes():
    d = parse(to_mermaid(replay("ipv6_only_client")))
    crosses = [(a, b, label) for a, arrow, b, label in d["arrows"] if arrow.endswith("x")]
    assert any("dropped-no-rule" in label for *_, label in crosses)
    assert any("dropped-icmp" in label for *_, label in crosses)
    assert any("no NAT64" in label for _, label in d["notes"])


def test_max_steps_cuts_the_diagram_with_a_note():
    result = replay("dual_stack_web_farm")
    d = parse(to_mermaid(result, max_steps=10))
    assert "more steps not drawn" in d["notes"][-1][1]
    assert len(d["arrows"]) < len(parse(to_mermaid(result))["arrows"])


def _mmdc() -> str | None:
    return os.environ.get("LB6_MMDC") or shutil.which("mmdc")


@pytest.mark.skipif(_mmdc() is None, reason="mermaid-cli (mmdc) is not installed")
def test_mermaid_cli_renders_the_diagram(tmp_path):
    src = tmp_path / "farm.mmd"
    src.write_text(to_mermaid(replay("ipv6_only_client")), encoding="utf-8")
    cmd = [_mmdc(), "-i", str(src), "-o", str(tmp_path / "farm.svg")]
    if os.environ.get("LB6_PUPPETEER_CONFIG"):
        cmd += ["-p", os.environ["LB6_PUPPETEER_CONFIG"]]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    svg = (tmp_path / "farm.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "dropped-no-rule" in svg
