"""Safety (issue 9): scenario files cannot run code, alias expansion is bounded, the model holds
no eval/exec/pickle, file includes (none exist) cannot escape, and `lb6 serve` (when it exists)
binds loopback by default."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from lb6.model.errors import ScenarioError
from lb6.model.inputs import load_text
from lb6.model.scenario.yamlsource import MAX_VALUES

from .fuzz import ROOT, alias_bomb

MODEL = ROOT / "model"

CODE_TAGS = [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/new:os.system ['touch {marker}']",
    "!!python/object:os.system {{}}",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/tuple ['a']",
    "!!python/str 'x'",
    "!!python/bytes 'eA=='",
    "!!python/complex 1+2j",
    "!!python/object/apply:subprocess.check_output [['touch', '{marker}']]",
]


@pytest.mark.parametrize("tag", CODE_TAGS)
def test_python_tags_are_refused_and_run_nothing(tag, tmp_path):
    marker = tmp_path / "pwned"
    text = f"title: {tag.format(marker=marker)}\n"
    with pytest.raises(ScenarioError) as err:
        load_text(text, "evil.yaml", "scenario")
    assert "line 1" in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize("tag", CODE_TAGS[:2])
def test_lb6_check_refuses_python_tags_with_exit_2(tag, tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"title: t\nvms: {tag.format(marker=marker)}\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "lb6", "check", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert "line 2" in out.stderr
    assert not marker.exists()


def test_alias_expansion_is_bounded():
    with pytest.raises(ScenarioError) as err:
        load_text(alias_bomb(levels=7, width=10), "bomb.yaml", "scenario")
    assert f"more than {MAX_VALUES}" in str(err.value)
    # A small, honest use of anchors still works.
    text = "title: t\nclients:\n  - &c {name: a, stack: ipv4}\n  - *c\n"
    with pytest.raises(ScenarioError, match="duplicate client name 'a'"):
        load_text(text, "ok.yaml", "scenario")


def test_merge_keys_can_be_overridden_but_not_repeated():
    # Found here: a key given beside a << merge (YAML's override) was refused as a duplicate.
    text = "title: t\nclients:\n  - &c {name: a, stack: ipv4}\n  - {<<: *c, name: b}\n"
    clients = load_text(text, "ok.yaml", "scenario").scenario.topology.clients
    assert [c.name for c in clients] == ["a", "b"]
    # The same anchor merged twice (the node is flattened once, then shared) still works.
    text += "  - {<<: *c, name: c}\n"
    assert len(load_text(text, "ok.yaml", "scenario").scenario.topology.clients) == 3
    with pytest.raises(ScenarioError, match="line 4.*duplicate key 'name'"):
        load_text("title: t\nclients:\n  - &c {name: a, stack: ipv4}\n  - {<<: *c, name: b, "
                  "name: d}\n", "dup.yaml", "scenario")
    with pytest.raises(ScenarioError, match="line 2.*merging"):
        load_text("title: t\n<<: 1\n", "merge.yaml", "scenario")


def _calls_and_imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            yield "call", owner, name, node
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield "import", "", alias.name.split(".")[0], node
        elif isinstance(node, ast.ImportFrom):
            yield "import", "", (node.module or "").split(".")[0], node


FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "system", "popen", "unsafe_load",
                   "full_load", "load_all", "import_module"}
FORBIDDEN_IMPORTS = {"pickle", "marshal", "shelve", "dill", "subprocess", "ctypes"}


def test_model_source_has_no_eval_exec_or_pickle():
    offences = []
    files = sorted(MODEL.rglob("*.py"))
    assert len(files) > 20
    for path in files:
        for kind, owner, name, node in _calls_and_imports(path):
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if kind == "import" and name in FORBIDDEN_IMPORTS:
                offences.append(f"{where} imports {name}")
            if kind == "call" and name in FORBIDDEN_CALLS and not (owner == "re" and name == "compile"):
                offences.append(f"{where} calls {owner + '.' if owner else ''}{name}")
            if kind == "call" and owner == "yaml" and name == "load":
                kw = {k.arg: k.value for k in node.keywords}
                loader = kw.get("Loader") or (node.args[1] if len(node.args) > 1 else None)
                text = ast.unparse(loader) if loader is not None else ""
                if "Safe" not in text:
                    offences.append(f"{where} calls yaml.load without a safe loader")
    assert not offences, offences


def test_model_never_imports_textual_or_rich():
    for path in sorted(MODEL.rglob("*.py")):
        for kind, _, name, node in _calls_and_imports(path):
            assert not (kind == "import" and name in ("textual", "rich")), \
                f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"


def test_scenarios_have_no_include_mechanism():
    # Issue 9: "file includes (if any) cannot escape the scenario's folder". There are none: an
    # include-like key is an unknown field, refused with exit 2 rather than followed.
    for key in ("include", "includes", "import", "$ref", "extends"):
        with pytest.raises(ScenarioError, match="unknown field"):
            load_text(f"title: t\n{key}: ../../etc/passwd\n", "inc.yaml", "scenario")


def test_lb6_serve_binds_loopback_by_default():
    from lb6.tui import cli
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    if "serve" not in subparsers.choices:
        pytest.skip("lb6 serve does not exist yet")
    serve = subparsers.choices["serve"]
    defaults = {a.dest: a.default for a in serve._actions}
    host = defaults.get("host") or defaults.get("bind") or defaults.get("address")
    assert host in ("127.0.0.1", "localhost", "::1"), f"lb6 serve binds {host!r} by default"


def test_lb6_debug_is_the_only_way_to_a_traceback(tmp_path):
    """The CLI turns an internal error into one line unless LB6_DEBUG is set."""
    env = dict(os.environ)
    env.pop("LB6_DEBUG", None)
    path = tmp_path / "x.yaml"
    path.write_bytes(b"\xff\xfe\x00junk")
    out = subprocess.run([sys.executable, "-m", "lb6", "check", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert str(path) in out.stderr
