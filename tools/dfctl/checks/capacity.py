"""Rules for what a namespace's workloads need against its quota (云资源).

The platform installer's Deployments set no resources of their own, so every container gets the
namespace's limit range defaults *(inferred from the installer's manifests)*: each pod requests
``limit_range.default_request`` and is limited to ``limit_range.default``. A namespace's
workloads therefore need, summed over their replicas, that many pods, requests and limits; the
ResourceQuota refuses the pods that do not fit, and the Deployment silently stays short.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.errors import QuantityError
from dfctl.model import Namespace
from dfctl.model.cloud import Resources, Workload
from dfctl.quantity import Quantity, format_quantity, parse_quantity


@dataclass(frozen=True)
class _Need:
    """A quota key and what each pod takes of it: a limit range part and resource, or one pod."""

    key: str
    part: str | None = None
    resource: str | None = None


_NEEDS = (
    _Need("pods"),
    _Need("requests.cpu", "default_request", "cpu"),
    _Need("requests.memory", "default_request", "memory"),
    _Need("limits.cpu", "default", "cpu"),
    _Need("limits.memory", "default", "memory"),
)


def _quantity(text: str | int | None) -> Quantity | None:
    if text is None:
        return None
    try:
        found = parse_quantity(text)
    except QuantityError:
        return None  # DFP-CLD-001's
    return found if found.value >= 0 else None


def _quota(namespace: Namespace, key: str) -> Quantity | None:
    for name, field in type(namespace.quota).model_fields.items():
        if (field.alias or name) == key:
            value = getattr(namespace.quota, name)
            return _quantity(value if isinstance(value, (str, int)) else None)
    return None


def _per_pod(namespace: Namespace, need: _Need) -> Quantity | None:
    if need.part is None or need.resource is None:
        return parse_quantity(1)
    resources: Resources = getattr(namespace.limit_range, need.part)
    return _quantity(getattr(resources, need.resource))


@repo_rule("DFP-CLD-007", Severity.ERROR)
def workloads_fit_quota(ctx: CheckContext) -> Iterator[Finding]:
    """A namespace's workloads fit its quota: pods, and requests and limits × replicas.

    Each replica is one pod taking the limit range's default_request and default (the
    installer's Deployments set no resources of their own). Workloads are added in file order;
    the finding is at the replicas of the workload that takes a total over the quota.

    Passing:
        quota: {requests.cpu: "8", requests.memory: 16Gi, limits.cpu: "16",
                limits.memory: 32Gi, pods: "20"}
        limit_range:
          default: {cpu: "1", memory: 2Gi}
          default_request: {cpu: 500m, memory: 1Gi}
        workloads:
          - {name: pay-server, component: pay-server, replicas: 8}   # 4 cpu, 8 pods

    Failing:
        quota: {requests.cpu: "8", requests.memory: 16Gi, limits.cpu: "16",
                limits.memory: 32Gi, pods: "20"}
        limit_range:
          default: {cpu: "1", memory: 2Gi}
          default_request: {cpu: 500m, memory: 1Gi}
        workloads:
          - {name: pay-server, component: pay-server, replicas: 18}  # 9 cpu: over 8
    """
    for namespace in ctx.repo.of(Namespace):
        for need in _NEEDS:
            quota = _quota(namespace, need.key)
            per_pod = _per_pod(namespace, need)
            if quota is None or per_pod is None:
                continue
            if need.part is None and quota.value.denominator != 1:
                continue  # a fraction of a pod is DFP-CLD-001's
            pods = 0
            for workload in namespace.workloads:
                pods += workload.replicas
                total = per_pod.value * pods
                if total > quota.value:
                    yield Finding(
                        workload,
                        "replicas",
                        _message(namespace, workload, pods, need, per_pod, total, quota),
                    )
                    break


def _message(
    namespace: Namespace,
    workload: Workload,
    pods: int,
    need: _Need,
    per_pod: Quantity,
    total: Fraction,
    quota: Quantity,
) -> str:
    start = (
        f"with {workload.name}'s {workload.replicas} replicas the workloads of {namespace.name} "
    )
    if need.part is None:
        return f"{start}run {pods} pods; quota.pods is {quota.text}"
    return (
        f"{start}need {need.key} {format_quantity(total, per_pod.format)} ({pods} pods × "
        f"limit_range.{need.part}.{need.resource} {per_pod.text}); "
        f"quota.{need.key} is {quota.text}"
    )


RULES = (workloads_fit_quota,)
