"""Importers: ARM templates, az CLI scripts and PowerShell scripts into scenario data.

Each importer reads its format into a `resources.Deployment` (Azure's own object model, with the
place in the file each object came from) and `mapping.to_scenario` turns that into the same
plain data a scenario YAML file holds. The data is then validated by the scenario loader, so
imported deployments and hand-written scenarios obey one set of rules. `detect` tells the
formats apart without loading any importer, and `kinds` refuses, before any importer runs,
the inputs of a kind lb6 does not model (the xplat CLI, Standard SKU, the dual-stack VNet model,
Bicep, Terraform).

- ARM: `arm` (the reader) on `arm_document` (evaluation through `expressions`, over
  `jsonpos`), with `arm_parameters`, `arm_network`, `arm_lb` and `arm_compute`;
- az CLI: `azcli` (the reader) over `azcli_words`, with `azcli_command` and the handlers in
  `azcli_lb`, `azcli_network` and `azcli_vms`;
- PowerShell: `powershell` (the interpreter) over `ps_lexer`, with `ps_call`, `ps_cmdlets`
  and `ps_build`;
- shared: `resources`, `mapping`, `scenario_file` (the editable YAML `lb6 import` writes).
"""
