"""`model/` is the domain: it must never import Textual or Rich (STYLE.md, PRODUCT.md)."""

import subprocess
import sys
from pathlib import Path

import model

MODEL_DIR = Path(model.__file__).parent


def test_model_imports_neither_textual_nor_rich():
    modules = sorted(
        "model." + ".".join(p.relative_to(MODEL_DIR).with_suffix("").parts)
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
