"""Adapters to the systems outside dfctl, one module per system, and the only modules that import
their client libraries: git (gitpython), Kubernetes (the official client), etcd (its v3 JSON
gateway client) and local processes (the sandbox's control planes). Each wraps its library's
failures in dfctl's own errors (``dfctl.errors``), so the rest of the code never sees them."""
