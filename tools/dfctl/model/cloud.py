"""Clusters, namespaces with quotas and scaling, and the TDSQL inventory (云资源)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dfctl.model.base import (
    DnsLabel,
    Document,
    Domain,
    MofDivCode,
    Quantity,
    Stage,
    Strict,
    Text,
    kind_field,
)


class Capacity(Strict):
    cpu: Quantity = Field(description="allocatable CPU, a Kubernetes quantity, e.g. 384")
    memory: Quantity = Field(description="allocatable memory, a Kubernetes quantity, e.g. 1536Gi")
    pods: Quantity = Field(description="how many pods the cluster can run")
    storage: Quantity | None = Field(default=None, description="persistent storage, e.g. 20Ti")


class Cluster(Document):
    KIND = "Cluster"
    kind: Literal["Cluster"] = kind_field("Cluster")
    name: DnsLabel = Field(description="the cluster's name; its kubeconfig context is named so")
    provider: Literal["tke"] = Field(description="tke: Tencent Kubernetes Engine")
    cluster_id: str = Field(pattern=r"^cls-[a-z0-9]{8}$", description="TKE's id, e.g. cls-8x2k4m9q")
    cloud_region: Text = Field(description="the cloud region it runs in")
    kubernetes_version: str = Field(pattern=r"^\d+\.\d+$", description="MAJOR.MINOR, e.g. 1.30")
    environment: Stage = Field(description="the only stage whose namespaces it runs")
    capacity: Capacity = Field(description="allocatable resources that namespace quotas share")

    def identity(self) -> str:
        return self.name


class Quota(Strict):
    requests_cpu: Quantity = Field(alias="requests.cpu", description="CPU all pods may request")
    requests_memory: Quantity = Field(
        alias="requests.memory", description="memory all pods may request"
    )
    limits_cpu: Quantity = Field(alias="limits.cpu", description="the sum of all CPU limits")
    limits_memory: Quantity = Field(
        alias="limits.memory", description="the sum of all memory limits"
    )
    pods: Quantity = Field(description="how many pods may run")
    persistentvolumeclaims: Quantity | None = Field(
        default=None, description="how many volume claims may exist"
    )
    requests_storage: Quantity | None = Field(
        default=None, alias="requests.storage", description="storage all claims may request"
    )


class Resources(Strict):
    cpu: Quantity = Field(description="CPU, a Kubernetes quantity, e.g. 500m")
    memory: Quantity = Field(description="memory, a Kubernetes quantity, e.g. 1Gi")


class LimitRange(Strict):
    default: Resources = Field(description="container limits when none are set")
    default_request: Resources = Field(description="container requests when none are set")
    max: Resources = Field(description="the most one container may ask for")


class Workload(Strict):
    """A Deployment the platform installer created; dfctl sets only its image and replicas."""

    name: DnsLabel = Field(description="the Deployment's name")
    component: Text = Field(description="the release component whose image it runs")
    replicas: int = Field(ge=0, description="how many pods it runs")


class Namespace(Document):
    KIND = "Namespace"
    kind: Literal["Namespace"] = kind_field("Namespace")
    name: DnsLabel = Field(description="the namespace's name, e.g. dfp-budget-prod")
    cluster: Text = Field(description="the cluster it lives on")
    environment: Stage = Field(description="the stage it serves")
    domain: Domain = Field(description="the domain whose workloads run in it")
    region: MofDivCode | None = Field(
        default=None, description="set when the namespace serves one region"
    )
    quota: Quota = Field(description="its ResourceQuota")
    limit_range: LimitRange = Field(description="its LimitRange for containers")
    workloads: list[Workload] = Field(
        default_factory=list,
        description="the installer's Deployments whose image and replicas dfctl sets",
    )

    def identity(self) -> str:
        return f"{self.cluster}/{self.name}"


class TdsqlInstance(Strict):
    id: str = Field(pattern=r"^tdsql(shard)?-[a-z0-9]{8}$", description="the cloud's instance id")
    name: Text = Field(description="the instance's name for people")
    domain: Domain = Field(description="the domain whose data it holds")
    engine: Literal["mysql-5.7", "mysql-8.0"] = Field(description="the MySQL version it speaks")
    cpu: int = Field(ge=1, description="CPU cores per shard")
    memory_gb: int = Field(ge=1, description="memory per shard, GB")
    storage_gb: int = Field(ge=10, description="storage per shard, GB")
    shards: int = Field(ge=1, description="how many shards")
    replicas_per_shard: int = Field(ge=2, description="one primary and at least one standby")
    backup_retention_days: int = Field(ge=7, description="how long backups are kept")


class TdsqlInventory(Document):
    KIND = "TdsqlInventory"
    kind: Literal["TdsqlInventory"] = kind_field("TdsqlInventory")
    environment: Stage = Field(description="the stage these instances serve")
    instances: list[TdsqlInstance] = Field(min_length=1, description="the planned instances")

    def identity(self) -> str:
        return self.environment
