"""Reading the live platform for an inspection: each cluster with one LIST per kind, and the
configuration service's status, members, alarms and marker. Nothing here judges; a source that
cannot be read is a reading with an error, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from dfctl.adapters.etcd import Alarm, EndpointStatus, EtcdClient, Member
from dfctl.adapters.kube import KubeClient, TlsMaterial
from dfctl.errors import EvidenceUnreadable, TargetError
from dfctl.gitops.evidence import ClusterEvidence, Evidence
from dfctl.reconcile.cluster import MANAGED_SELECTOR, ClusterTarget
from dfctl.reconcile.config_service import ConfigServiceTarget
from dfctl.reconcile.target import Marker

# listed whole: quotas, workloads and pods are judged whoever made them, and drift needs the rest
CLUSTER_KINDS = (
    "Namespace",
    "ResourceQuota",
    "LimitRange",
    "NetworkPolicy",
    "Deployment",
    "StatefulSet",
    "Pod",
)


LIST_CONCURRENCY = 4
NO_TLS = TlsMaterial(b"", b"")


@dataclass(frozen=True)
class ClusterReading:
    cluster: str
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # ConfigMap: dfctl's
    marker: Marker | None = None
    evidence: tuple[Evidence, ...] = ()
    evidence_problem: str | None = None  # records that could not be read
    tls: TlsMaterial = NO_TLS
    requests: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def objects(self) -> int:
        return sum(len(items) for items in self.lists.values())


@dataclass(frozen=True)
class ServiceReading:
    name: str
    statuses: tuple[EndpointStatus, ...] = ()
    members: tuple[Member, ...] = ()
    alarms: tuple[Alarm, ...] = ()
    marker: Marker | None = None
    requests: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def read_cluster(
    cluster: str, connect: Callable[[str], KubeClient], environment: str
) -> ClusterReading:
    try:
        client = connect(cluster)
    except TargetError as exc:
        return ClusterReading(cluster, error=str(exc))
    tls = client.tls_material()  # read first: an expired certificate may be why nothing answers
    before = sum(client.requests.values())
    try:
        # the LISTs at the same time: the apiserver answers them in parallel, and each waits
        # mostly for its answer
        with ThreadPoolExecutor(max_workers=LIST_CONCURRENCY) as pool:
            pending = {kind: pool.submit(client.list, kind) for kind in CLUSTER_KINDS}
            pending["ConfigMap"] = pool.submit(client.list, "ConfigMap", MANAGED_SELECTOR)
            found_marker = pool.submit(ClusterTarget(client).read_marker)
            lists = {kind: future.result() for kind, future in pending.items()}
            marker = found_marker.result()
    except TargetError as exc:
        spent = sum(client.requests.values()) - before
        return ClusterReading(cluster, tls=tls, requests=spent, error=str(exc))
    records, problem = _evidence(client, environment)
    spent = sum(client.requests.values()) - before
    return ClusterReading(cluster, lists, marker, records, problem, tls, spent)


def _evidence(client: KubeClient, environment: str) -> tuple[tuple[Evidence, ...], str | None]:
    """The environment's evidence records; a corrupt one makes the whole set unreadable, and
    says so, rather than a partial history that looks complete."""
    try:
        return tuple(ClusterEvidence(client).list(environment)), None
    except (TargetError, EvidenceUnreadable) as exc:
        return (), str(exc)[:300]


def read_config_service(client: EtcdClient, environment: str) -> ServiceReading:
    before = sum(client.requests.values())

    def spent() -> int:
        return sum(client.requests.values()) - before

    try:
        statuses = client.statuses()  # logs in first when a user is given: that may fail
    except TargetError as exc:
        return ServiceReading(client.name, requests=spent(), error=str(exc))
    if statuses and all(s.error is not None for s in statuses):
        reasons = "; ".join(f"{s.endpoint}: {s.error}" for s in statuses)
        return ServiceReading(client.name, statuses, requests=spent(), error=reasons)
    try:
        members = client.members()
        alarms = client.alarms()
        marker = ConfigServiceTarget(client, environment, "").read_marker()
    except TargetError as exc:
        return ServiceReading(client.name, statuses, requests=spent(), error=str(exc))
    return ServiceReading(client.name, statuses, members, alarms, marker, spent())
