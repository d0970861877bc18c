"""The scenario format: its schema, safe YAML with line numbers, validation into a `Topology`,
and the shipped scenarios found by name."""
