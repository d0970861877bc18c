"""`lb6 export` and `lb6 screenshot` on the command line: what they write, and bad input as one
paragraph with exit 2 (never a traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lb6.tui.cli import main

NAME = "ipv6_only_client"  # small, and has drops, ICMP and a failed DNS answer
LB6 = Path(sys.executable).with_name("lb6")


def test_export_json_is_the_run_json_document(tmp_path, capsys):
    assert main(["run", NAME, "--json"]) in (0, 1)
    printed = json.loads(capsys.readouterr().out)
    out = tmp_path / "trace.json"
    assert main(["export", NAME, "--json", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == printed
    assert f"lb6 run --golden {out}" in " ".join(capsys.readouterr().err.split())


def test_export_all_three_at_once(tmp_path, capsys):
    pytest.importorskip("scapy")
    files = {k: tmp_path / f"out.{ext}" for k, ext in
             (("pcap", "pcapng"), ("json", "json"), ("mermaid", "mmd"))}
    assert main(["export", NAME] + [a for k, p in files.items() for a in (f"--{k}", str(p))]) == 0
    err = " ".join(capsys.readouterr().err.split())
    assert all(p.stat().st_size > 0 for p in files.values())
    assert files["pcap"].read_bytes()[:4] == b"\x0a\x0d\x0d\x0a"
    assert files["mermaid"].read_text(encoding="utf-8").startswith("sequenceDiagram\n")
    assert "packets (" in err and " on internet, " in err and " on vnet)" in err


def test_export_mermaid_to_stdout(capsys):
    assert main(["export", NAME, "--mermaid", "-", "--max-steps", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sequenceDiagram\n") and "more steps not drawn" in out


@pytest.mark.parametrize("argv, message", [
    (["export", "no_such_scenario", "--json", "-"], "no shipped scenario by that name"),
    (["export", NAME], "export needs at least one of --pcap"),
    (["export", NAME, "--pcap", "/no/such/folder/out.pcapng"], "folder /no/such/folder does not exist"),
    (["export", NAME, "--json", "."], "is a directory"),
    (["export", NAME, "--pcap", "-"], "needs a file name"),
    (["export", NAME, "--mermaid", "-", "--max-steps", "0"], "1 or more"),
    (["screenshot", NAME, "--size", "huge"], "is not COLSxROWS"),
    (["screenshot", NAME, "--size", "10x5"], "out of range"),
    (["screenshot", NAME, "--step", "100000"], "is outside them"),
    (["screenshot", NAME, "-o", "/no/such/folder/shot.svg"], "does not exist"),
])
def test_bad_input_exits_2_with_one_paragraph(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = " ".join(captured.err.split())
    assert err.startswith("lb6: ") and message in err and "Traceback" not in err
    assert captured.out == ""


def test_unwritable_output_is_bad_input(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if (locked / "probe").exists() or _can_write(locked):
            pytest.skip("running as a user who can write anywhere (root)")
        assert main(["export", NAME, "--json", str(locked / "t.json")]) == 2
        assert "permission denied" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def _can_write(folder: Path) -> bool:
    try:
        (folder / ".w").write_text("")
        (folder / ".w").unlink()
        return True
    except OSError:
        return False


def test_screenshot_renders_the_explorer_at_a_step(tmp_path, capsys):
    out = tmp_path / "shot.svg"
    assert main(["screenshot", NAME, "--step", "6", "-o", str(out), "--size", "100x30"]) == 0
    svg = out.read_text(encoding="utf-8")
    text = svg.replace("&#160;", " ")
    assert svg.lstrip().startswith("<svg") and "step 6" in text
    assert "step 6/" in text  # the header: the session is at the step asked for
    assert "wrote" in capsys.readouterr().err


def test_bad_golden_in_a_real_process_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", encoding="utf-8")
    proc = subprocess.run([str(LB6), "run", "--golden", str(bad)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "not valid JSON" in proc.stderr and "Traceback" not in proc.stderr
