"""Damaged inputs never crash lb6: every mutation of a fixture loads, or exits 2 with a message."""

import random

import pytest

from .helpers import FIXTURES, run_cli

FILES = ["quickstart_2016.json", "quickstart_2020.json", "cli_walkthrough.sh", "cli_bash.sh",
         "ps_walkthrough_az.ps1"]


def _mutate(rng: random.Random, lines: list[str]) -> list[str]:
    lines = list(lines)
    k = rng.randrange(len(lines))
    op = rng.choice(["delete", "truncate", "duplicate", "character"])
    if op == "delete":
        del lines[k]
    elif op == "truncate":
        lines = lines[:k]
    elif op == "duplicate":
        lines.insert(k, lines[k])
    elif lines[k]:
        j = rng.randrange(len(lines[k]))
        lines[k] = lines[k][:j] + rng.choice("\"'$`(){}[],:-x0 ") + lines[k][j + 1:]
    return lines


@pytest.mark.parametrize("name", FILES)
def test_mutated_inputs_exit_0_1_or_2(tmp_path, capsys, name):
    rng = random.Random(name)
    original = (FIXTURES / name).read_text().splitlines()
    for _ in range(40):
        path = tmp_path / name
        path.write_text("\n".join(_mutate(rng, original)) + "\n")
        code, out, err = run_cli(capsys, "check", path, "--json")
        assert code in (0, 1, 2), err
        assert "Traceback" not in err and "internal error" not in err
