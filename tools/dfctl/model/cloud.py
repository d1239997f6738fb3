"""Clusters, namespaces with quotas and scaling, and the TDSQL inventory (云资源)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dfctl.model.base import Document, Domain, MofDivCode, Quantity, Stage, Strict, Text


class Capacity(Strict):
    cpu: Quantity
    memory: Quantity
    pods: Quantity
    storage: Quantity | None = None


class Cluster(Document):
    KIND = "Cluster"
    kind: Literal["Cluster"]
    name: str
    provider: Literal["tke"]
    cluster_id: str = Field(pattern=r"^cls-[a-z0-9]{8}$")
    cloud_region: Text
    kubernetes_version: str = Field(pattern=r"^\d+\.\d+$")
    environment: Stage
    capacity: Capacity = Field(description="allocatable resources that namespace quotas share")

    def identity(self) -> str:
        return self.name


class Quota(Strict):
    requests_cpu: Quantity = Field(alias="requests.cpu")
    requests_memory: Quantity = Field(alias="requests.memory")
    limits_cpu: Quantity = Field(alias="limits.cpu")
    limits_memory: Quantity = Field(alias="limits.memory")
    pods: Quantity
    persistentvolumeclaims: Quantity | None = None
    requests_storage: Quantity | None = Field(default=None, alias="requests.storage")


class Resources(Strict):
    cpu: Quantity
    memory: Quantity


class LimitRange(Strict):
    default: Resources = Field(description="container limits when none are set")
    default_request: Resources
    max: Resources


class Workload(Strict):
    """A Deployment the platform installer created; dfctl sets only its image and replicas."""

    name: str
    component: Text = Field(description="the release component whose image it runs")
    replicas: int = Field(ge=0)


class Namespace(Document):
    KIND = "Namespace"
    kind: Literal["Namespace"]
    name: str
    cluster: Text
    environment: Stage
    domain: Domain
    region: MofDivCode | None = Field(
        default=None, description="set when the namespace serves one region"
    )
    quota: Quota
    limit_range: LimitRange
    workloads: list[Workload] = Field(default_factory=list)

    def identity(self) -> str:
        return f"{self.cluster}/{self.name}"


class TdsqlInstance(Strict):
    id: str = Field(pattern=r"^tdsql(shard)?-[a-z0-9]{8}$")
    name: Text
    domain: Domain
    engine: Literal["mysql-5.7", "mysql-8.0"]
    cpu: int = Field(ge=1)
    memory_gb: int = Field(ge=1)
    storage_gb: int = Field(ge=10)
    shards: int = Field(ge=1)
    replicas_per_shard: int = Field(ge=2, description="one primary and at least one standby")
    backup_retention_days: int = Field(ge=7)


class TdsqlInventory(Document):
    KIND = "TdsqlInventory"
    kind: Literal["TdsqlInventory"]
    environment: Stage
    instances: list[TdsqlInstance] = Field(min_length=1)

    def identity(self) -> str:
        return self.environment
