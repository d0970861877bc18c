"""`python -m lb6.tui.cli`: the same entry point as the `lb6` command."""

from . import main

raise SystemExit(main())
