"""The simulated world's mutable state and its records: connections, the flow table, probe
state, SNAT ports, the journals that make checkpoints cheap, and the step log."""
