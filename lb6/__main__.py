"""`python -m lb6`: the same entry point as the `lb6` command."""

from lb6.tui.cli import main

raise SystemExit(main())
