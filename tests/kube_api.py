"""The official Kubernetes client on a test control plane, for tests that check the cluster
directly rather than through dfctl."""

from __future__ import annotations

from pathlib import Path

import kubernetes

from dfctl.sandbox import ControlPlane


def api_client(plane: ControlPlane, config_file: Path | None = None) -> kubernetes.client.ApiClient:
    """A client of the official library; the admin's unless another kubeconfig is given.

    Close it (use it as a context manager).
    """
    return kubernetes.config.new_client_from_config(  # type: ignore[no-any-return,no-untyped-call]
        config_file=str(config_file or plane.kubeconfig), context=plane.name
    )
