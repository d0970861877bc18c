"""What the Azure Basic Load Balancer and its neighbours do, one decision per handler: DNS,
the client's choice of family, rule matching and distribution, NAT, NSGs, the guest, probes,
outbound SNAT and idle timeouts. Handlers register by name (world/registry.py); the engine runs them."""
