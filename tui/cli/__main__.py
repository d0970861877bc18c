"""`python -m lb6.tui.cli`: the same entry point as the `lb6` command."""

from lb6.tui.cli import main

raise SystemExit(main())
