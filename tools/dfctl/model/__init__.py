"""The typed model of every file kind, and where each kind lives in the repository."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dfctl.model.approvals import ApprovalPolicy
from dfctl.model.base import Document
from dfctl.model.cloud import Cluster, Namespace, TdsqlInventory
from dfctl.model.datahub import DatahubInterface, DatahubPeer
from dfctl.model.elements import ElementSet
from dfctl.model.environment import Environment
from dfctl.model.portal import AccessPolicy, PortalSystem
from dfctl.model.release import Release
from dfctl.model.sysconfig import ConfigItemSet, ControlRuleSet


@dataclass(frozen=True)
class KindInfo:
    model: type[Document]
    folder: str  # where files of this kind live, as shown to people
    path: re.Pattern[str]  # the repository-relative paths allowed for it
    schema_file: str


def _kind(model: type[Document], folder: str, pattern: str) -> KindInfo:
    return KindInfo(model, folder, re.compile(pattern), f"{model.KIND}.json")


_YAML = r"[^/]+\.ya?ml$"
KINDS: dict[str, KindInfo] = {
    info.model.KIND: info
    for info in (
        _kind(Environment, "environments/<stage>/", r"^environments/[^/]+/" + _YAML),
        _kind(ElementSet, "standards/elements/", r"^standards/elements/(?:[^/]+/)*" + _YAML),
        _kind(
            ConfigItemSet,
            "standards/system-config/",
            r"^standards/system-config/(?:[^/]+/)*" + _YAML,
        ),
        _kind(
            ControlRuleSet,
            "standards/control-rules/",
            r"^standards/control-rules/(?:[^/]+/)*" + _YAML,
        ),
        _kind(Release, "standards/releases/", r"^standards/releases/" + _YAML),
        _kind(Cluster, "cloud/clusters/", r"^cloud/clusters/" + _YAML),
        _kind(Namespace, "cloud/namespaces/", r"^cloud/namespaces/(?:[^/]+/)*" + _YAML),
        _kind(TdsqlInventory, "cloud/tdsql/", r"^cloud/tdsql/" + _YAML),
        _kind(PortalSystem, "portal/systems/", r"^portal/systems/" + _YAML),
        _kind(
            AccessPolicy, "portal/access-policies/", r"^portal/access-policies/(?:[^/]+/)*" + _YAML
        ),
        _kind(DatahubPeer, "datahub/peers/", r"^datahub/peers/" + _YAML),
        _kind(DatahubInterface, "datahub/interfaces/", r"^datahub/interfaces/" + _YAML),
        _kind(ApprovalPolicy, "approvals.yaml", r"^approvals\.yaml$"),
    )
}

DATA_ROOTS: tuple[str, ...] = ("environments", "standards", "cloud", "portal", "datahub")
ROOT_FILES: tuple[str, ...] = ("approvals.yaml",)


def kind_for_path(path: str) -> str | None:
    """The kind whose folder holds ``path`` (repository-relative, forward slashes)."""
    for kind, info in KINDS.items():
        if info.path.match(path):
            return kind
    return None


__all__ = [
    "KINDS",
    "AccessPolicy",
    "ApprovalPolicy",
    "Cluster",
    "ConfigItemSet",
    "ControlRuleSet",
    "DatahubInterface",
    "DatahubPeer",
    "Document",
    "ElementSet",
    "Environment",
    "KindInfo",
    "Namespace",
    "PortalSystem",
    "Release",
    "TdsqlInventory",
    "kind_for_path",
]
