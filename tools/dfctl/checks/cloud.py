"""Rules for TKE clusters and namespaces (云资源): quantities, capacity, names, limits, replicas."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction

from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.errors import QuantityError
from dfctl.model import Cluster, Namespace
from dfctl.model.base import Strict
from dfctl.quantity import Quantity, format_quantity, parse_quantity

PRODUCTION = "production"
MIN_PRODUCTION_REPLICAS = 2
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_LABEL_MAX = 63

# Kubernetes counts these in whole objects; "1.5" pods is rejected by the API server.
_WHOLE_NUMBERS = frozenset({"pods", "persistentvolumeclaims"})

# (quota key, capacity key): what the namespace quotas on one cluster share
_SHARED = (
    ("requests.cpu", "cpu"),
    ("limits.cpu", "cpu"),
    ("requests.memory", "memory"),
    ("limits.memory", "memory"),
    ("pods", "pods"),
    ("requests.storage", "storage"),
)


def _written(obj: Strict, key: str) -> str | int | None:
    """The value written under ``key`` (aliases such as ``limits.cpu`` included)."""
    for name, field in type(obj).model_fields.items():
        if (field.alias or name) == key:
            value = getattr(obj, name)
            return value if isinstance(value, (str, int)) else None
    return None


def _quantity(obj: Strict, key: str) -> Quantity | None:
    """The quantity under ``key``, or None when absent or invalid (DFP-CLD-001 reports those)."""
    value = _written(obj, key)
    if value is None:
        return None
    try:
        quantity = parse_quantity(value)
    except QuantityError:
        return None
    return quantity if quantity.value >= 0 else None


def _quantity_fields(ctx: CheckContext) -> Iterator[tuple[Strict, str, str]]:
    """(object, key, shown path) of every quantity in clusters and namespaces."""
    for cluster in ctx.repo.of(Cluster):
        for key in ("cpu", "memory", "pods", "storage"):
            yield cluster.capacity, key, f"capacity.{key}"
    for namespace in ctx.repo.of(Namespace):
        for key in (
            "requests.cpu",
            "requests.memory",
            "limits.cpu",
            "limits.memory",
            "pods",
            "persistentvolumeclaims",
            "requests.storage",
        ):
            yield namespace.quota, key, f"quota.{key}"
        for part in ("default", "default_request", "max"):
            for key in ("cpu", "memory"):
                yield getattr(namespace.limit_range, part), key, f"limit_range.{part}.{key}"


@repo_rule("DFP-CLD-001", Severity.ERROR)
def quantities_are_valid(ctx: CheckContext) -> Iterator[Finding]:
    """Capacities, quotas and limits are valid, non-negative Kubernetes quantities.

    Pod and claim counts are whole numbers.

    Passing:
        quota:
          requests.cpu: "16"
          limits.memory: 64Gi
          pods: "200"

    Failing:
        quota:
          requests.cpu: 16 cores        # not a quantity
          limits.memory: 64GB           # Kubernetes writes 64G or 64Gi
          pods: "1.5"                   # pods are counted whole
    """
    for obj, key, shown in _quantity_fields(ctx):
        value = _written(obj, key)
        if value is None:
            continue
        try:
            quantity = parse_quantity(value)
        except QuantityError as error:
            yield Finding(obj, key, f"{shown}: {error}")
            continue
        if quantity.value < 0:
            yield Finding(
                obj, key, f'{shown} is negative ("{quantity.text}"); it must be 0 or more'
            )
        elif key in _WHOLE_NUMBERS and quantity.value.denominator != 1:
            yield Finding(
                obj, key, f'{shown} is "{quantity.text}"; {key} are counted in whole numbers'
            )


@repo_rule("DFP-CLD-002", Severity.ERROR)
def quotas_fit_capacity(ctx: CheckContext) -> Iterator[Finding]:
    """The namespace quotas on a cluster add up to no more than the cluster's capacity.

    Compared: cpu and memory requests and limits, pods, and storage requests. Namespaces are
    added in path order; the finding is at the quota of the namespace whose share takes the
    total over the capacity, with the running total in the message.

    Passing:
        # cluster tke-prod-a: capacity: {cpu: "384", memory: 1536Gi, pods: "3000"}
        # dfp-budget-prod:    quota: {limits.cpu: "192", limits.memory: 768Gi, pods: "1500"}
        # dfp-execution-prod: quota: {limits.cpu: "192", limits.memory: 768Gi, pods: "1500"}

    Failing:
        # cluster tke-prod-a: capacity: {cpu: "384", memory: 1536Gi, pods: "3000"}
        # dfp-budget-prod:    quota: {limits.cpu: "256", ...}
        # dfp-execution-prod: quota: {limits.cpu: "192", ...}   # 448 > 384
    """
    by_cluster: dict[str, list[Namespace]] = {}
    for namespace in ctx.repo.of(Namespace):
        by_cluster.setdefault(namespace.cluster, []).append(namespace)
    for cluster in ctx.repo.of(Cluster):
        namespaces = sorted(by_cluster.get(cluster.name, []), key=lambda n: n.src.file)
        for quota_key, capacity_key in _SHARED:
            capacity = _quantity(cluster.capacity, capacity_key)
            if capacity is None:
                continue
            total = Fraction(0)
            for namespace in namespaces:
                share = _quantity(namespace.quota, quota_key)
                if share is None:
                    continue
                before, total = total, total + share.value
                if before <= capacity.value < total:
                    yield Finding(
                        namespace.quota,
                        quota_key,
                        f"{quota_key} quotas on cluster {cluster.name} add up to "
                        f"{format_quantity(total, capacity.format)} with this namespace "
                        f"({share.text}); the cluster's capacity.{capacity_key} is {capacity.text}",
                    )
                    break


@repo_rule("DFP-CLD-003", Severity.ERROR)
def production_replicas(ctx: CheckContext) -> Iterator[Finding]:
    """A workload in a production namespace runs at least 2 replicas.

    Passing:
        environment: production
        workloads:
          - name: budget-api
            replicas: 3

    Failing:
        environment: production
        workloads:
          - name: budget-api
            replicas: 1           # one pod: every restart is an outage
    """
    for namespace in ctx.repo.of(Namespace):
        if namespace.environment != PRODUCTION:
            continue
        for workload in namespace.workloads:
            if workload.replicas < MIN_PRODUCTION_REPLICAS:
                yield Finding(
                    workload,
                    "replicas",
                    f"workload {workload.name} has {workload.replicas} "
                    f"replica{'' if workload.replicas == 1 else 's'} in production; "
                    f"production needs at least {MIN_PRODUCTION_REPLICAS}",
                )


def _label_problem(name: str) -> str | None:
    if len(name) > DNS1123_LABEL_MAX:
        return f"is {len(name)} characters long; at most {DNS1123_LABEL_MAX}"
    if not DNS1123_LABEL.fullmatch(name):
        return (
            "is not a DNS-1123 label: lower-case letters, digits and '-', starting and "
            "ending with a letter or digit"
        )
    return None


@repo_rule("DFP-CLD-004", Severity.ERROR)
def names_are_dns_labels(ctx: CheckContext) -> Iterator[Finding]:
    """Cluster, namespace and workload names are DNS-1123 labels (a-z, 0-9, '-'; at most 63).

    Passing:
        name: dfp-budget-prod

    Failing:
        name: DFP_Budget_Prod
    """
    for cluster in ctx.repo.of(Cluster):
        problem = _label_problem(cluster.name)
        if problem:
            yield Finding(cluster, "name", f'cluster name "{cluster.name}" {problem}')
    for namespace in ctx.repo.of(Namespace):
        problem = _label_problem(namespace.name)
        if problem:
            yield Finding(namespace, "name", f'namespace name "{namespace.name}" {problem}')
        for workload in namespace.workloads:
            problem = _label_problem(workload.name)
            if problem:
                yield Finding(workload, "name", f'workload name "{workload.name}" {problem}')


@repo_rule("DFP-CLD-005", Severity.ERROR)
def limits_are_consistent(ctx: CheckContext) -> Iterator[Finding]:
    """A limit range keeps default_request ≤ default ≤ max, and a quota's requests ≤ its limits.

    Passing:
        quota: {requests.cpu: "16", limits.cpu: "32", ...}
        limit_range:
          default_request: {cpu: 250m, memory: 512Mi}
          default: {cpu: "1", memory: 2Gi}
          max: {cpu: "4", memory: 8Gi}

    Failing:
        quota: {requests.cpu: "64", limits.cpu: "32", ...}     # requests above limits
        limit_range:
          default_request: {cpu: "2", memory: 512Mi}         # above the default of 1
          default: {cpu: "1", memory: 2Gi}
          max: {cpu: "4", memory: 8Gi}
    """
    for namespace in ctx.repo.of(Namespace):
        limits = namespace.limit_range
        for resource in ("cpu", "memory"):
            pairs = (
                ("default_request", limits.default_request, "default", limits.default),
                ("default", limits.default, "max", limits.max),
            )
            for low_name, low, high_name, high in pairs:
                low_value, high_value = _quantity(low, resource), _quantity(high, resource)
                if low_value is not None and high_value is not None and low_value > high_value:
                    yield Finding(
                        low,
                        resource,
                        f"limit_range.{low_name}.{resource} {low_value.text} is more than "
                        f"limit_range.{high_name}.{resource} {high_value.text}",
                    )
            request = _quantity(namespace.quota, f"requests.{resource}")
            limit = _quantity(namespace.quota, f"limits.{resource}")
            if request is not None and limit is not None and request > limit:
                yield Finding(
                    namespace.quota,
                    f"requests.{resource}",
                    f"quota.requests.{resource} {request.text} is more than "
                    f"quota.limits.{resource} {limit.text}",
                )


@repo_rule("DFP-CLD-006", Severity.ERROR)
def namespace_environment_matches_cluster(ctx: CheckContext) -> Iterator[Finding]:
    """A namespace belongs to the same environment as the cluster it runs on.

    Passing:
        # cloud/clusters/tke-pre-a.yaml: environment: pre-release
        name: dfp-budget-pre
        cluster: tke-pre-a
        environment: pre-release

    Failing:
        # cloud/clusters/tke-pre-a.yaml: environment: pre-release
        name: dfp-budget-prod
        cluster: tke-pre-a
        environment: production
    """
    clusters = {cluster.name: cluster for cluster in ctx.repo.of(Cluster)}
    for namespace in ctx.repo.of(Namespace):
        cluster = clusters.get(namespace.cluster)
        if cluster is not None and cluster.environment != namespace.environment:
            yield Finding(
                namespace,
                "environment",
                f'namespace {namespace.name} is in environment "{namespace.environment}" but its '
                f'cluster {cluster.name} belongs to "{cluster.environment}"',
            )


RULES = (
    quantities_are_valid,
    quotas_fit_capacity,
    production_replicas,
    names_are_dns_labels,
    limits_are_consistent,
    namespace_environment_matches_cluster,
)
