"""Snapshot tests of the explorer."""
