"""Local Kubernetes control planes (etcd, kube-apiserver, kube-controller-manager) on loopback.

Binaries come from tools/controlplane/build.sh. Tests use `ControlPlane` through the
`control_plane` / `control_planes` fixtures; people use `dfctl sandbox up|down|status`.
"""

from dfctl.errors import BinariesMissing, SandboxError
from dfctl.sandbox.binaries import Binaries, find_binaries
from dfctl.sandbox.control_plane import (
    ADMIN_GROUPS,
    ADMIN_USER,
    CONTROLLERS,
    ControlPlane,
    running,
    start_all,
    stop_recorded,
    write_kubeconfig,
)
from dfctl.sandbox.kubeconfig import Access

__all__ = [
    "ADMIN_GROUPS",
    "ADMIN_USER",
    "CONTROLLERS",
    "Access",
    "Binaries",
    "BinariesMissing",
    "ControlPlane",
    "SandboxError",
    "find_binaries",
    "running",
    "start_all",
    "stop_recorded",
    "write_kubeconfig",
]
