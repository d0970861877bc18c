"""Every module that registers event handlers, imported once by the engine so that each name
on the heap finds its handler (world/registry.py) whichever connection comes first."""

from . import client, guest, idle, inbound, lifecycle, outbound, probing

__all__ = ["client", "guest", "idle", "inbound", "lifecycle", "outbound", "probing"]
