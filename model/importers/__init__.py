"""Importers: ARM templates, az CLI scripts and PowerShell scripts into scenario data.

Each importer reads its format into a `common.Deployment` (Azure's own object model, with the
place in the file each object came from) and `common.to_scenario` turns that into the same plain
data a scenario YAML file holds. The data is then validated by the scenario loader, so imported
deployments and hand-written scenarios obey one set of rules.
"""
