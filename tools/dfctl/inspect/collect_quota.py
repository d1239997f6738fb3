"""Quotas and capacity: how full each namespace's ResourceQuota is, and how much of each
cluster's declared capacity the pods request and the quotas promise.

Pure: these read lists of Kubernetes objects (as the API returns them) and the repository's
Cluster, and return report rows and findings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from dfctl.errors import QuantityError
from dfctl.inspect.amounts import number, percent, quota_amount
from dfctl.inspect.catalog import finding
from dfctl.inspect.findings import (
    CRITICAL_PERCENT,
    WARNING_PERCENT,
    CapacityHeadroom,
    Finding,
    LocalText,
    QuotaUsage,
    usage_percent,
    usage_severity,
)
from dfctl.model import Cluster
from dfctl.quantity import parse_quantity

GIB = 2**30
# the capacity a cluster declares, and how the headroom table counts it
CAPACITY_RESOURCES = (("cpu", "cores", 1), ("memory", "GiB", GIB), ("pods", "pods", 1))
# the quota entries that promise a share of each of them
QUOTA_OF_CAPACITY = {"cpu": "requests.cpu", "memory": "requests.memory", "pods": "pods"}
TERMINATED = ("Succeeded", "Failed")


def amount(value: object) -> float | None:
    """A quantity as a float in its base unit (cores, bytes, a count); None when unreadable."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    try:
        found = float(parse_quantity(value).value)
    except (QuantityError, OverflowError):  # 1e999 reads, but no float holds it
        return None
    return found if math.isfinite(found) else None


def threshold_text(percent_used: int) -> str:
    return (
        f"≥ {CRITICAL_PERCENT} %" if percent_used >= CRITICAL_PERCENT else f"≥ {WARNING_PERCENT} %"
    )


def quotas(cluster: str, items: Iterable[dict[str, Any]]) -> tuple[list[QuotaUsage], list[Finding]]:
    """A bar per resource of every ResourceQuota, and INS-QUOTA-001 for the full ones."""
    usages: list[QuotaUsage] = []
    found: list[Finding] = []
    for item in sorted(items, key=_name_key):
        meta = item.get("metadata", {})
        namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        status = item.get("status") or {}
        hard = status.get("hard") or (item.get("spec") or {}).get("hard") or {}
        used = status.get("used") or {}
        for resource in sorted(hard):
            limit = amount(hard[resource])
            current = amount(used.get(resource, "0"))
            if limit is None or current is None or limit < 0 or current < 0:
                continue
            usage = QuotaUsage(cluster, namespace, resource, current, limit)
            usages.append(usage)
            severity = usage_severity(usage.percent)
            if severity is None:
                continue
            shown = f"{quota_amount(resource, current)} of {quota_amount(resource, limit)}"
            found.append(
                finding(
                    "INS-QUOTA-001",
                    f"{cluster}/{namespace}/{name}/{resource}",
                    severity,
                    f"{cluster}/{namespace} ResourceQuota/{name}",
                    LocalText(
                        f"命名空间 {namespace} 的 {resource} 配额已使用 {usage.percent}%",
                        f"{resource} quota of namespace {namespace} is {usage.percent} % used",
                    ),
                    f"{percent(usage.percent)} ({shown})",
                    threshold_text(usage.percent),
                    LocalText(
                        f"核查 {namespace} 中工作负载的资源请求，清理不再使用的资源；确需扩容时按变更流程"
                        f"在 cloud/namespaces/ 中调增 {resource} 配额并经审批合并",
                        f"Review the resource requests of the workloads in {namespace} and remove"
                        f" what is no longer used; if more is needed, raise {resource} in the"
                        " namespace's file under cloud/namespaces/ through an approved merge request",
                    ),
                )
            )
    return usages, found


def requested(pods: Iterable[dict[str, Any]]) -> dict[str, float]:
    """What the cluster's running and pending pods request: cores, bytes and a pod count.

    A pod requests the larger of the sum of its containers and its largest init container
    (the scheduler's rule); finished pods request nothing.
    """
    totals = {"cpu": 0.0, "memory": 0.0, "pods": 0.0}
    for pod in pods:
        if (pod.get("status") or {}).get("phase") in TERMINATED:
            continue
        spec = pod.get("spec") or {}
        totals["pods"] += 1
        for resource in ("cpu", "memory"):
            running = sum(_request(c, resource) for c in spec.get("containers") or [])
            init = max(
                (_request(c, resource) for c in spec.get("initContainers") or []), default=0.0
            )
            totals[resource] += max(running, init)
    return totals


def _request(container: dict[str, Any], resource: str) -> float:
    value = ((container.get("resources") or {}).get("requests") or {}).get(resource)
    found = amount(value) if value is not None else None
    return found if found is not None else 0.0


def capacity(
    declared: Cluster, pods: Sequence[dict[str, Any]], quota_items: Sequence[dict[str, Any]]
) -> tuple[list[CapacityHeadroom], list[Finding]]:
    """INS-CAPACITY-001 (pods' requests against the declared capacity) and INS-CAPACITY-002
    (the quotas together promise more than the cluster has)."""
    rows: list[CapacityHeadroom] = []
    found: list[Finding] = []
    totals = requested(pods)
    promised = _promised(quota_items)
    cluster = declared.name
    for resource, unit, scale in CAPACITY_RESOURCES:
        limit = amount(getattr(declared.capacity, resource))
        if limit is None:
            continue
        row = CapacityHeadroom(cluster, resource, totals[resource] / scale, limit / scale, unit)
        rows.append(row)
        severity = usage_severity(row.percent)
        if severity is not None:
            found.append(
                finding(
                    "INS-CAPACITY-001",
                    f"{cluster}/{resource}",
                    severity,
                    f"cluster {cluster}",
                    LocalText(
                        f"集群 {cluster} 的 {resource} 已申请 {row.percent}%（按申报容量）",
                        f"{row.percent} % of cluster {cluster}'s declared {resource} is requested",
                    ),
                    f"{percent(row.percent)} ({number(row.requested)} of {number(row.capacity)} {unit})",
                    threshold_text(row.percent),
                    LocalText(
                        f"评估集群 {cluster} 扩容（节点）或将命名空间迁移到其他集群，并更新"
                        f" cloud/clusters/{cluster}.yaml 中的容量",
                        f"Plan adding nodes to {cluster} or moving namespaces to another cluster,"
                        f" and update the capacity in cloud/clusters/{cluster}.yaml",
                    ),
                )
            )
        total = promised.get(QUOTA_OF_CAPACITY[resource], 0.0)
        if total > limit:
            share = usage_percent(total, limit)
            found.append(
                finding(
                    "INS-CAPACITY-002",
                    f"{cluster}/{resource}",
                    "warning",
                    f"cluster {cluster}",
                    LocalText(
                        f"集群 {cluster} 上各命名空间的 {QUOTA_OF_CAPACITY[resource]} 配额合计超过申报容量",
                        f"The namespaces' {QUOTA_OF_CAPACITY[resource]} quotas on {cluster}"
                        " together exceed its declared capacity",
                    ),
                    f"{percent(share)} ({number(total / scale)} of {number(limit / scale)} {unit})",
                    "≤ 100 %",
                    LocalText(
                        "核对各命名空间配额是否超分配：下调闲置命名空间的配额或为集群扩容",
                        "Check whether quotas are over-allocated: lower the quotas of idle"
                        " namespaces or add capacity to the cluster",
                    ),
                )
            )
    return rows, found


def _promised(quota_items: Iterable[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for item in quota_items:
        hard = (item.get("spec") or {}).get("hard") or {}
        for resource in QUOTA_OF_CAPACITY.values():
            value = amount(hard.get(resource))
            if value is not None:
                totals[resource] = totals.get(resource, 0.0) + value
    return totals


def _name_key(item: dict[str, Any]) -> tuple[str, str]:
    meta = item.get("metadata", {})
    return str(meta.get("namespace", "")), str(meta.get("name", ""))
