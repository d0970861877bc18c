"""The deployment: typed, frozen objects (clients, DNS names, the load balancer, VMs, NSGs)
and `Topology`, the networkx graph that says what is connected to what."""
