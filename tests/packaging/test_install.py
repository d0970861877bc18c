"""lb6 installs as one package, `lb6`, three ways: from a built wheel, `pip install .`, and
`pip install -e .`. Each is installed into a fresh virtual environment and used from a folder
that holds a `model.py` of its own, the case that broke `python -m tui.cli` when lb6 shipped
top-level `model` and `tui` packages (issue 14).

The dependencies are installed once, into a folder the fresh environments share through a .pth
file, so each environment holds lb6 alone and what it exposes is exactly what lb6 installed.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRAP = "raise SystemExit('a model.py of the user was imported instead of lb6')\n"


def _run(*words, cwd=None, check=True) -> subprocess.CompletedProcess:
    out = subprocess.run([str(w) for w in words], cwd=cwd, capture_output=True, text=True,
                         timeout=600)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, words))} exited {out.returncode}:\n"
                             f"{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return out


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The tracked files of this checkout, copied: what a fresh clone holds."""
    files = _run("git", "ls-files", "-z", cwd=ROOT).stdout.split("\0")
    dest = tmp_path_factory.mktemp("clone")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(src.read_bytes())
    return dest


@pytest.fixture(scope="module")
def deps(tmp_path_factory) -> Path:
    """lb6's run-time dependencies, installed once into a folder of their own."""
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    target = tmp_path_factory.mktemp("deps")
    _run(sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--target", target, *wanted)
    return target


@pytest.fixture(scope="module")
def wheel(source, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check",
         "-w", out, source)
    (built,) = out.glob("lb6-*.whl")
    return built


def _fresh_env(where: Path, deps: Path) -> Path:
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout
    Path(site.strip(), "lb6_test_deps.pth").write_text(f"{deps}\n")
    return python


def test_the_wheel_holds_lb6_alone_with_its_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"lb6", wheel.name.split("-py3")[0] + ".dist-info"}, tops
    for needed in ("lb6/__init__.py", "lb6/model/engine/engine.py", "lb6/tui/cli/__init__.py",
                   "lb6/tui/styles/app.tcss", "lb6/scenarios/dual_stack_web_farm.yaml"):
        assert needed in names, needed
    assert not [n for n in names if "__pycache__" in n]


@pytest.mark.parametrize("how", ["wheel", "directory", "editable"])
def test_installed_lb6_works_beside_a_users_model_py(how, source, deps, wheel, tmp_path):
    python = _fresh_env(tmp_path / "env", deps)
    target = {"wheel": [wheel], "directory": [source], "editable": ["-e", source]}[how]
    _run(python, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check",
         *target)
    work = tmp_path / "work"
    work.mkdir()
    (work / "model.py").write_text(TRAP)
    (work / "tui.py").write_text(TRAP)
    where = _run(python, "-c", "import lb6.model.engine.engine as e, lb6.tui.cli; "
                 "print(e.__file__)", cwd=work).stdout.strip()
    # An editable install reads the checkout; the others their own copy in site-packages.
    assert where.startswith(str(source)) == (how == "editable"), where
    ran = _run(python, "-m", "lb6", "run", "-q", "dual_stack_web_farm", cwd=work)
    assert "PASS" in ran.stdout
    lb6 = python.parent / "lb6"
    checked = _run(lb6, "check", "dual_stack_web_farm", cwd=tmp_path)
    assert checked.stdout.strip().splitlines()[-1].startswith("OK")
    if how != "editable":  # an editable install puts the checkout's top on sys.path
        probe = "import importlib.util as u; print(u.find_spec('model'), u.find_spec('tui'))"
        assert _run(python, "-c", probe, cwd=tmp_path).stdout.strip() == "None None"
