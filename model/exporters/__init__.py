"""Exporters: a replayed trace written out as packets (pcapng), a diagram (Mermaid), or compared
with a stored trace (golden files). Nothing here imports Textual or Rich; scapy is imported
lazily, only by the functions that write or read packets."""
