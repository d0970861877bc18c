"""Dialogs and overlays of the explorer."""
