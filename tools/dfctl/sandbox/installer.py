"""The platform installer, played in a sandbox: the namespaces and Deployments dfctl patches.

In a real cluster the province's installer creates each domain's namespace and its workloads;
dfctl only adopts the namespaces and sets the Deployments' image and replicas, so a plan against
an empty cluster would stop at "Deployment … does not exist". `dfctl sandbox up --env ENV`
makes them as the installer would (its own field manager, the image and replicas the
environment pins), so plan and apply can be tried at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from dfctl.adapters.kube import KubeClient
from dfctl.errors import VersionConflict

FIELD_MANAGER = "platform-installer"


@dataclass(frozen=True)
class Workload:
    """One installer Deployment with a single container, in its namespace."""

    cluster: str
    namespace: str
    name: str
    container: str
    image: str
    replicas: int


def install(client: KubeClient, workloads: Sequence[Workload]) -> None:
    """Create the namespaces and Deployments of ``workloads`` that are missing in the cluster."""
    namespaces = sorted({w.namespace for w in workloads})
    for namespace in namespaces:
        _create(
            client,
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        )
    for workload in workloads:
        labels = {"app": workload.name}
        _create(
            client,
            f"/apis/apps/v1/namespaces/{workload.namespace}/deployments",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": workload.name,
                    "namespace": workload.namespace,
                    "labels": labels,
                },
                "spec": {
                    "replicas": workload.replicas,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [{"name": workload.container, "image": workload.image}]
                        },
                    },
                },
            },
        )


def _create(client: KubeClient, collection: str, body: dict[str, object]) -> None:
    # made already when a sandbox is started again over the same folder
    with contextlib.suppress(VersionConflict):
        client.request(
            "POST",
            collection,
            [("fieldManager", FIELD_MANAGER)],
            body,
            "application/json",
            retry=False,
        )
