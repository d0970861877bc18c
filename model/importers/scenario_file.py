"""The imported scenario as an editable YAML file, with its notes as a comment header.

`lb6 import` writes this file; it lays short mappings on one line, as the shipped scenarios
do, so that what a person edits next looks like what lb6 ships.
"""

from __future__ import annotations

import yaml

from .resources import Note


class _Dumper(yaml.SafeDumper):
    """A safe dumper that writes short mappings of plain values on one line."""


def _flow_small(dumper, value):
    # Short mappings of plain values on one line, like the shipped scenarios.
    flat = all(not isinstance(v, (dict, list)) for v in value.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", value,
                                    flow_style=flat and len(value) <= 8)


_Dumper.add_representer(dict, _flow_small)


def scenario_yaml(data: dict, notes: list[Note], source: str, fmt: str) -> str:
    """The imported scenario as an editable YAML file, its notes as a comment header."""
    header = [f"# Imported by lb6 from {source} ({fmt}).",
              "# The clients and the timeline below were added by lb6; addresses come from the",
              "# documentation ranges. Edit freely, then: lb6 check THIS_FILE / lb6 run THIS_FILE"]
    if notes:
        header.append("#")
        header.append("# Not modelled:")
        for n in notes:
            text = n.render(source).replace("\n", " ")
            header.append(f"#   - {text}")
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n\n" + body
