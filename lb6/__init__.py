"""lb6: step through how the Azure Basic Load Balancer carries IPv6 and dual-stack traffic.

The package root. Its parts are `lb6.model` (the domain, no Textual), `lb6.tui` (the command
line and the explorer) and `lb6.scenarios` (the shipped YAML). In a wheel those folders sit
inside this package; in a source checkout (and an editable install) they sit beside it, at the
top of the repository, and the lines below add that folder to where the package looks.
"""

from pathlib import Path as _Path

_here = _Path(__file__).resolve().parent
if not (_here / "model").is_dir() and (_here.parent / "model").is_dir():
    __path__.append(str(_here.parent))  # a checkout: lb6.model is ../model
