"""`model/` is the domain: it must never import Textual or Rich (STYLE.md, PRODUCT.md)."""

import subprocess
import sys
from pathlib import Path

import lb6.model as model

MODEL_DIR = Path(model.__file__).parent


def test_model_imports_neither_textual_nor_rich():
    modules = sorted(
        "lb6.model." + ".".join(p.relative_to(MODEL_DIR).with_suffix("").parts)
        for p in MODEL_DIR.rglob("*.py") if p.name != "__init__.py"
    )
    code = (
        "import sys\n"
        f"for name in {modules!r}:\n"
        "    __import__(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"model/ pulled in: {out.stdout.strip()}"
    assert len(modules) > 10


def test_no_model_source_mentions_textual_or_rich():
    for path in MODEL_DIR.rglob("*.py"):
        text = path.read_text()
        for banned in ("import textual", "from textual", "import rich", "from rich"):
            assert banned not in text, f"{path} contains {banned!r}"


def test_check_and_run_leave_networkx_and_the_importers_unloaded():
    """Issue 8: loading, checking and replaying a scenario never reads the topology graph, so
    networkx (a fifth of a second to import) loads only when the graph is asked for; the ARM,
    az CLI and PowerShell importers load only for such an input."""
    code = (
        "import sys\n"
        "from lb6.tui.cli import main\n"
        "for argv in (['check', 'dual_stack_web_farm'], ['run', '-q', 'dual_stack_web_farm']):\n"
        "    main(argv)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('networkx', 'textual')\n"
        "             or m.startswith('lb6.model.importers.') and m != 'lb6.model.importers.detect')\n"
        "print('LOADED', ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=MODEL_DIR.parent)
    loaded = out.stdout.strip().splitlines()[-1]
    assert loaded == "LOADED", loaded


def test_the_ui_reads_the_engine_through_its_public_api():
    """PRODUCT.md: tui/ drives the engine only through its public API and renders what the
    engine records; the mutable state behind it (`engine.state`) is the engine's own."""
    import re

    import lb6.tui as tui
    offenders = [f"{p.relative_to(Path(tui.__file__).parent)}:{n}"
                 for p in Path(tui.__file__).parent.rglob("*.py")
                 for n, line in enumerate(p.read_text().splitlines(), 1)
                 if re.search(r"engine\.state\b", line)]
    assert offenders == [], offenders
