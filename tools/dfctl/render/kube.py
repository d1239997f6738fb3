"""Kubernetes objects for one environment: namespaces with quotas, limits, network policies,
configuration ConfigMaps, and image/replica patches for the installer's workloads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dfctl.load.repo import Repo
from dfctl.model import (
    AccessPolicy,
    DatahubInterface,
    DatahubPeer,
    Environment,
    Namespace,
    PortalSystem,
    Release,
)
from dfctl.model.base import Strict
from dfctl.render.effective import RegionConfig, items_by_key
from dfctl.render.state import (
    LABEL_DOMAIN,
    LABEL_REGION,
    LABEL_STAGE,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    PATCHED_BY_LABEL,
    SOURCE_ANNOTATION,
    KubeObject,
)

QUOTA_NAME = "dfp-quota"
LIMITS_NAME = "dfp-limits"
DEFAULT_DENY_NAME = "dfp-default-deny"
ALLOW_PLATFORM_NAME = "dfp-allow-platform"


def source_of(obj: Strict, key: str | None = None) -> str:
    return f"{obj.src.file}:{obj.src.at(key)[0]}"


def _metadata(
    name: str, namespace: str | None, source: str, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta["labels"] = {MANAGED_BY_LABEL: MANAGED_BY, **(labels or {})}
    meta["annotations"] = {SOURCE_ANNOTATION: source}
    return meta


def _quantity(value: str | int) -> str:
    return str(value)


def namespace_objects(ns: Namespace, env: Environment) -> Iterator[KubeObject]:
    source = source_of(ns)
    labels: dict[str, str] = {LABEL_DOMAIN: ns.domain, LABEL_STAGE: env.name}
    if ns.region is not None:
        labels[LABEL_REGION] = ns.region
    # Platform services are Java workloads the installer ships; "baseline" blocks privilege
    # escalation paths without breaking them, "restricted" is reported so it can be adopted.
    labels["pod-security.kubernetes.io/enforce"] = "baseline"
    labels["pod-security.kubernetes.io/warn"] = "restricted"
    labels["pod-security.kubernetes.io/audit"] = "restricted"
    yield KubeObject(
        ns.cluster,
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": _metadata(ns.name, None, source, labels),
        },
        source,
    )
    quota_source = source_of(ns, "quota")
    hard = {
        alias: _quantity(value)
        for alias, value in ns.quota.model_dump(by_alias=True, exclude_none=True).items()
    }
    yield KubeObject(
        ns.cluster,
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": _metadata(QUOTA_NAME, ns.name, quota_source),
            "spec": {"hard": dict(sorted(hard.items()))},
        },
        quota_source,
    )
    limits = ns.limit_range
    limits_source = source_of(ns, "limit_range")
    yield KubeObject(
        ns.cluster,
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": _metadata(LIMITS_NAME, ns.name, limits_source),
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": _resources(limits.default),
                        "defaultRequest": _resources(limits.default_request),
                        "max": _resources(limits.max),
                    }
                ]
            },
        },
        limits_source,
    )
    yield KubeObject(
        ns.cluster,
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _metadata(DEFAULT_DENY_NAME, ns.name, source),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
        source,
    )
    # The platform's services call each other across domains; traffic between namespaces of the
    # same stage stays open, everything from elsewhere needs an approved policy.
    yield KubeObject(
        ns.cluster,
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _metadata(ALLOW_PLATFORM_NAME, ns.name, source),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": [{"namespaceSelector": {"matchLabels": {LABEL_STAGE: env.name}}}]}
                ],
            },
        },
        source,
    )


def _resources(res: Any) -> dict[str, str]:
    return {"cpu": _quantity(res.cpu), "memory": _quantity(res.memory)}


def workload_patches(
    ns: Namespace, release: Release, env: Environment, releases: dict[str, Release]
) -> Iterator[KubeObject]:
    images = {c.name: c.image for c in release.components}
    for hotfix in env.release.hotfixes:
        pinned = releases.get(hotfix.version)
        if pinned is not None:
            for component in pinned.components:
                if component.name == hotfix.component:
                    images[component.name] = component.image
    for workload in ns.workloads:
        source = source_of(workload)
        meta: dict[str, Any] = {
            "name": workload.name,
            "namespace": ns.name,
            # The installer owns app.kubernetes.io/managed-by on its workloads; taking that label
            # would fight its field manager, so patched workloads carry their own marker.
            "labels": {PATCHED_BY_LABEL: MANAGED_BY},
            "annotations": {SOURCE_ANNOTATION: source},
        }
        yield KubeObject(
            ns.cluster,
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": meta,
                "spec": {
                    "replicas": workload.replicas,
                    "template": {
                        "spec": {
                            "containers": [
                                {"name": workload.name, "image": images[workload.component]}
                            ]
                        }
                    },
                },
            },
            source,
            patch_only=True,
        )


def config_map(ns: Namespace, config: RegionConfig, domain_keys: list[str]) -> KubeObject:
    """The namespace's domain configuration, as its region (or the city) runs it."""
    data = {key: config.encoded(key) for key in sorted(domain_keys)}
    source = source_of(ns)
    return KubeObject(
        ns.cluster,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _metadata(f"dfp-config-{ns.domain}", ns.name, source),
            "data": data,
        },
        source,
    )


def network_policies(
    repo: Repo, env: Environment, namespaces: dict[str, Namespace]
) -> Iterator[KubeObject]:
    """Allow rules from approved access policies and from data hub interfaces with outside peers."""
    systems = {s.id: s for s in repo.of(PortalSystem)}
    peers = {p.id: p for p in repo.of(DatahubPeer)}
    policies = {p.id: p for p in repo.of(AccessPolicy)}

    def target_namespace(endpoint_system: str | None, endpoint_ns: str | None) -> str | None:
        if endpoint_ns is not None:
            return endpoint_ns
        system = systems.get(endpoint_system or "")
        return system.network.namespaces.get(env.name) if system is not None else None

    def peers_of(policy: AccessPolicy) -> list[dict[str, Any]]:
        src = policy.source
        if src.cidr is not None:
            return [{"ipBlock": {"cidr": src.cidr}}]
        if src.namespace is not None:
            return [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": src.namespace}
                    }
                }
            ]
        system = systems.get(src.system or "")
        own = system.network.namespaces.get(env.name) if system is not None else None
        if own is not None:
            return [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": own}}}]
        cidrs = (
            system.network.cidrs
            if system is not None
            else peers[src.system].cidrs
            if src.system in peers
            else []
        )
        return [{"ipBlock": {"cidr": cidr}} for cidr in cidrs]

    for policy in sorted(policies.values(), key=lambda p: p.id):
        if policy.environment != env.name:
            continue
        ns_name = target_namespace(policy.destination.system, policy.destination.namespace)
        ns = namespaces.get(ns_name or "")
        sources = peers_of(policy)
        if ns is None or not sources:
            continue
        yield _allow(
            ns,
            f"dfp-{policy.id.lower()}",
            sources,
            policy.ports,
            policy.protocol,
            source_of(policy),
        )

    for interface in sorted(repo.of(DatahubInterface), key=lambda i: i.id):
        policy_id = interface.access_policies.get(env.name)
        if env.name not in interface.environments or policy_id is None:
            continue
        hub_policy = policies.get(policy_id)
        outside = interface.provider if interface.direction == "inbound" else interface.consumer
        peer = peers.get(outside)
        if (
            hub_policy is None
            or peer is None
            or not peer.cidrs
            or hub_policy.environment != env.name
        ):
            continue
        ns_name = target_namespace(hub_policy.destination.system, hub_policy.destination.namespace)
        ns = namespaces.get(ns_name or "")
        if ns is None:
            continue
        sources = [{"ipBlock": {"cidr": cidr}} for cidr in peer.cidrs]
        yield _allow(
            ns,
            f"dfp-dh-{interface.id}",
            sources,
            hub_policy.ports,
            hub_policy.protocol,
            source_of(interface),
        )


def _allow(
    ns: Namespace,
    name: str,
    sources: list[dict[str, Any]],
    ports: list[int],
    protocol: str,
    source: str,
) -> KubeObject:
    return KubeObject(
        ns.cluster,
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": _metadata(name[:63].rstrip("-"), ns.name, source),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": sources,
                        "ports": [{"protocol": protocol, "port": port} for port in sorted(ports)],
                    }
                ],
            },
        },
        source,
    )


def kube_objects(
    repo: Repo, env: Environment, effective: dict[str, RegionConfig], city: str
) -> list[KubeObject]:
    releases = {r.version: r for r in repo.of(Release)}
    release = releases[env.release.version]
    keys_by_domain: dict[str, list[str]] = {}
    for key, (domain, _item) in items_by_key(repo).items():
        keys_by_domain.setdefault(domain, []).append(key)
    namespaces = {
        ns.name: ns
        for ns in repo.of(Namespace)
        if ns.environment == env.name and ns.cluster in env.clusters
    }
    objects: list[KubeObject] = []
    for ns in namespaces.values():
        objects.extend(namespace_objects(ns, env))
        objects.extend(workload_patches(ns, release, env, releases))
        domain_keys = keys_by_domain.get(ns.domain, [])
        region = ns.region if ns.region in effective else city
        if domain_keys and region in effective:
            objects.append(config_map(ns, effective[region], domain_keys))
    objects.extend(network_policies(repo, env, namespaces))
    return objects
