"""lb6's domain model: topology, scenario format, stepping engine and catalogue.

Pure Python (stdlib, networkx, pydantic, PyYAML). Nothing here imports Textual or Rich;
tests/test_import_hygiene.py keeps it that way.
"""
