"""The desired state of one environment: Kubernetes objects per cluster and config documents."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "dfctl"
SOURCE_ANNOTATION = "dfp.config/source"
PATCHED_BY_LABEL = "dfp.config/patched-by"
LABEL_DOMAIN = "dfp.config/domain"
LABEL_STAGE = "dfp.config/stage"
LABEL_REGION = "dfp.config/region"

# The order objects are applied in (and listed in): a namespace before what lives in it.
KIND_ORDER: dict[str, int] = {
    "Namespace": 0,
    "LimitRange": 1,
    "ResourceQuota": 2,
    "NetworkPolicy": 3,
    "ConfigMap": 4,
    "Deployment": 5,
}


@dataclass(frozen=True)
class KubeObject:
    """One rendered Kubernetes object. ``body`` is the full manifest as plain JSON data."""

    cluster: str
    body: dict[str, Any]
    source: str  # "path:line" of the YAML it came from
    patch_only: bool = False  # a workload the installer owns: only image and replicas are ours

    @property
    def api_version(self) -> str:
        return str(self.body["apiVersion"])

    @property
    def kind(self) -> str:
        return str(self.body["kind"])

    @property
    def namespace(self) -> str:
        return str(self.body["metadata"].get("namespace", ""))

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def ref(self) -> str:
        """How people name it: ``Kind namespace/name`` (no namespace for cluster-scoped kinds)."""
        return (
            f"{self.kind} {self.namespace}/{self.name}"
            if self.namespace
            else f"{self.kind} {self.name}"
        )

    def sort_key(self) -> tuple[str, int, str, str, str]:
        return (self.cluster, KIND_ORDER.get(self.kind, 99), self.namespace, self.kind, self.name)


@dataclass(frozen=True)
class ConfigDocument:
    """One document for the configuration service, under a stable key.

    ``row_lines`` says where the rows of the document's identified lists are written, so that a
    review can point at a changed code's own line: list path (``spec.elements``) → row key →
    line in the document's source file (a set's rows are written in the set's file).
    """

    key: str
    value: dict[str, Any]
    source: str
    row_lines: Mapping[str, Mapping[str, int]] = field(default_factory=dict, compare=False)

    def row_source(self, path: str, key: str) -> str:
        """``file:line`` of one row, or "" when it is not known."""
        line = self.row_lines.get(path, {}).get(key)
        if line is None:
            return ""
        return f"{self.source.rpartition(':')[0]}:{line}"


@dataclass(frozen=True)
class DesiredState:
    environment: str
    clusters: tuple[str, ...]
    objects: tuple[KubeObject, ...]
    documents: tuple[ConfigDocument, ...]

    def objects_in(self, cluster: str) -> list[KubeObject]:
        return [o for o in self.objects if o.cluster == cluster]
