"""The catalogue: every behaviour lb6 models, with a stable ID, its facts and a static check.

IDs are part of the interface (scenarios, expectations, JSON and tests use them). This package
face hands on the registry's public names; the entries live in modules grouped as PRODUCT.md
groups them, imported here in the order the catalogue lists them:

- `registry`: `Finding`, `Entry`, the `entry` decorator, `CATALOGUE` and `check`;
- `features`: the source document's features and details;
- `limitations`: the source document's limitations;
- `beyond_document`: the behaviours lb6 models beyond it, and the lints.
"""

from __future__ import annotations

from .registry import (
    CATALOGUE, ERROR, INFO, SEVERITY_ORDER, WARNING, Entry, Finding, check, entry,
)
# Imported for their side effect, in this order: each registers its entries in CATALOGUE.
from . import features, limitations, beyond_document  # noqa: E402,F401

__all__ = ["CATALOGUE", "ERROR", "INFO", "SEVERITY_ORDER", "WARNING", "Entry", "Finding",
           "check", "entry"]
