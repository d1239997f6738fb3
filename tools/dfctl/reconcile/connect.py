"""Build the targets of an environment: one per cluster, plus the configuration service."""

from __future__ import annotations

from pathlib import Path

from dfctl.model import Environment
from dfctl.reconcile.cluster import ClusterTarget
from dfctl.reconcile.target import Target
from dfctl.targets.kube import KubeClient


def cluster_targets(env: Environment, kubeconfig: Path | None) -> list[Target]:
    """A target per cluster of ``env``; the kubeconfig context of each is named like the cluster."""
    return [ClusterTarget(KubeClient(name, kubeconfig)) for name in env.clusters]
