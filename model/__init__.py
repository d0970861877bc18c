"""lb6's domain model, installed as `lb6.model`: pure Python (stdlib, networkx, pydantic,
PyYAML); nothing here imports Textual or Rich (tests/test_import_hygiene.py).

Cut along its dependencies, each part importing only the parts listed before it:

- `errors`       the located, one-paragraph input errors every reader raises
- `net`          addresses and packets: values on the wire
- `deployment`   the typed, frozen deployment and `Topology`, its networkx graph
- `world`        the simulation's mutable state and its records (flows, probes, SNAT, steps)
- `behaviours`   what Azure does, one decision per handler: DNS, rules, NAT, NSG, probes, SNAT
- `catalogue`    every behaviour with its stable ID and facts, and the static checks
- `exporters`    pcapng, Mermaid and golden traces written from a run
- `scenario`     the scenario format: schema, YAML with lines, validation, shipped scenarios
- `engine`       the stepping engine, its timeline and time travel, and the headless runner
- `importers`    ARM templates, az CLI and PowerShell scripts read into scenario data
- `teaching`     lessons (predict, then reveal) and the twin-stack comparison
- `inputs`       the one door: open any input lb6 reads

tests/test_import_cycles.py holds these layers (parts on one line of its LAYERS share a layer).
"""
