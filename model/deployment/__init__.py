"""The deployment: typed, frozen objects (clients, DNS names, the load balancer, VMs, NSGs), the
node ids that name them (node_ids.py), the graph of what is connected to what (graph.py), and
`Topology`, which holds the engine's look-ups and answers every other question from the graph."""
