"""Rules for references between files, and identities that must be unique across files.

Names are taken from ``repo.names(Kind)``, which includes the identities of files that failed to
load: a reference to such a file is not reported again (the file's own diagnostics say what is
wrong). Where a check needs the content of a referenced file (a release's components, an
environment's regions) and that file could not be loaded, the check says nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from dfctl.checks.element_index import SetIndex, quote, set_key
from dfctl.checks.registry import CheckContext, Finding, repo_rule
from dfctl.diagnostics import Severity
from dfctl.model import (
    AccessPolicy,
    Cluster,
    ConfigItemSet,
    ControlRuleSet,
    DatahubInterface,
    DatahubPeer,
    Document,
    ElementSet,
    Environment,
    Namespace,
    PortalSystem,
    Release,
    TdsqlInventory,
)
from dfctl.model.portal import Endpoint

_SHOWN_NAMES = 8


def _known(names: Iterable[str]) -> str:
    ordered = sorted(names)
    if not ordered:
        return "none defined"
    shown = ", ".join(ordered[:_SHOWN_NAMES])
    return "known: " + (shown + ", …" if len(ordered) > _SHOWN_NAMES else shown)


def _namespace_names(ctx: CheckContext) -> set[str]:
    """Namespace names without their cluster (identities are ``cluster/name``)."""
    return {identity.rpartition("/")[2] for identity in ctx.repo.names(Namespace)}


@repo_rule("DFP-REF-001", Severity.ERROR)
def references_resolve(ctx: CheckContext) -> Iterator[Finding]:
    """Every name that points into another file resolves to something defined there.

    Checked: an environment's clusters, release version, and override keys and regions (ones
    it serves); a namespace's cluster, environment and region (one the environment serves) and
    its workloads' components (in the release its environment pins, or a hotfix pin); a portal
    system's environments, regions (served by one of them) and namespace; an access policy's
    endpoint systems (portal systems or data hub peers) and namespaces (in the policy's
    environment); a data hub interface's provider, consumer, element sets, access policy and
    environments; an element set's maps_to set (same fiscal year, same division or one above).

    Passing:
        # cloud/clusters/tke-prod-a.yaml
        name: tke-prod-a
        # environments/production/environment.yaml
        clusters:
          - tke-prod-a

    Failing:
        # environments/production/environment.yaml
        clusters:
          - tke-prod-c                 # no such cluster in cloud/clusters/
    """
    yield from _environment_refs(ctx)
    yield from _namespace_refs(ctx)
    yield from _portal_refs(ctx)
    yield from _access_policy_refs(ctx)
    yield from _interface_refs(ctx)
    yield from _element_set_refs(ctx)


def _environment_refs(ctx: CheckContext) -> Iterator[Finding]:
    clusters = ctx.repo.names(Cluster)
    releases = ctx.repo.names(Release)
    config_keys = {item.key for s in ctx.repo.of(ConfigItemSet) for item in s.items}
    # an unreadable ConfigItemSet may hold any key: say nothing about keys then
    keys_complete = not ctx.repo.unreadable.get(ConfigItemSet.KIND)
    for env in ctx.repo.of(Environment):
        for index, cluster in enumerate(env.clusters):
            if cluster not in clusters:
                yield Finding(
                    where=env,
                    key=f"clusters[{index}]",
                    message=f"cluster {quote(cluster)} is not defined in cloud/clusters/ "
                    f"({_known(clusters)})",
                )
        if env.release.version not in releases:
            yield Finding(
                where=env.release,
                key="version",
                message=f"release {quote(env.release.version)} is not in standards/releases/ "
                f"({_known(releases)})",
            )
        served = {region.mof_div_code for region in env.regions}
        for override in env.config_overrides:
            if override.mof_div_code not in served:
                yield Finding(
                    where=override,
                    key="mof_div_code",
                    message=f"region {quote(override.mof_div_code)} is not served by environment "
                    f"{env.name} ({_known(served)})",
                )
            if keys_complete and override.key not in config_keys:
                yield Finding(
                    where=override,
                    key="key",
                    message=f"configuration item {quote(override.key)} is not defined in "
                    "standards/system-config/",
                )


def _namespace_refs(ctx: CheckContext) -> Iterator[Finding]:
    clusters = ctx.repo.names(Cluster)
    environments = ctx.repo.names(Environment)
    env_by_name = {env.name: env for env in ctx.repo.of(Environment)}
    release_by_version = {release.version: release for release in ctx.repo.of(Release)}
    for ns in ctx.repo.of(Namespace):
        if ns.cluster not in clusters:
            yield Finding(
                where=ns,
                key="cluster",
                message=f"cluster {quote(ns.cluster)} is not defined in cloud/clusters/ "
                f"({_known(clusters)})",
            )
        if ns.environment not in environments:
            yield Finding(
                where=ns,
                key="environment",
                message=f"environment {quote(ns.environment)} is not defined in environments/ "
                f"({_known(environments)})",
            )
        env = env_by_name.get(ns.environment)
        if env is None:
            continue
        served = {region.mof_div_code for region in env.regions}
        if ns.region is not None and ns.region not in served:
            yield Finding(
                where=ns,
                key="region",
                message=f"region {quote(ns.region)} is not served by environment {env.name} "
                f"({_known(served)})",
            )
        release = release_by_version.get(env.release.version)
        if release is None:
            continue
        components = {c.name for c in release.components} | {
            pin.component for pin in env.release.hotfixes
        }
        for workload in ns.workloads:
            if workload.component not in components:
                yield Finding(
                    where=workload,
                    key="component",
                    message=f"component {quote(workload.component)} is not in release "
                    f"{release.version}, which environment {env.name} pins",
                )


def _portal_refs(ctx: CheckContext) -> Iterator[Finding]:
    environments = ctx.repo.names(Environment)
    env_by_name = {env.name: env for env in ctx.repo.of(Environment)}
    namespaces = _namespace_names(ctx)
    for system in ctx.repo.of(PortalSystem):
        for index, name in enumerate(system.environments):
            if name not in environments:
                yield Finding(
                    where=system,
                    key=f"environments[{index}]",
                    message=f"environment {quote(name)} is not defined in environments/ "
                    f"({_known(environments)})",
                )
        listed = [env_by_name.get(name) for name in system.environments]
        loaded = [env for env in listed if env is not None]
        if loaded and len(loaded) == len(listed):
            served = {region.mof_div_code for env in loaded for region in env.regions}
            noun = "environment" if len(loaded) == 1 else "environments"
            shown = noun + " " + " or ".join(env.name for env in loaded)
            for index, region in enumerate(system.regions):
                if region not in served:
                    yield Finding(
                        where=system,
                        key=f"regions[{index}]",
                        message=f"region {quote(region)} is not served by {shown}",
                    )
        for stage, namespace in system.network.namespaces.items():
            if namespace not in namespaces:
                yield Finding(
                    where=system.network,
                    key="namespaces",
                    message=f"{stage} namespace {quote(namespace)} is not defined in cloud/namespaces/",
                )


def _access_policy_refs(ctx: CheckContext) -> Iterator[Finding]:
    parties = ctx.repo.names(PortalSystem) | ctx.repo.names(DatahubPeer)
    unreadable_namespaces = {
        identity.rpartition("/")[2] for identity in ctx.repo.unreadable.get(Namespace.KIND, set())
    }
    namespace_envs: dict[str, set[str]] = {}
    for ns in ctx.repo.of(Namespace):
        namespace_envs.setdefault(ns.name, set()).add(ns.environment)
    for policy in ctx.repo.of(AccessPolicy):
        for side, endpoint in (("source", policy.source), ("destination", policy.destination)):
            yield from _endpoint_refs(
                side,
                endpoint,
                policy.environment,
                parties=parties,
                namespace_envs=namespace_envs,
                unreadable_namespaces=unreadable_namespaces,
            )


def _endpoint_refs(
    side: str,
    endpoint: Endpoint,
    environment: str,
    *,
    parties: set[str],
    namespace_envs: dict[str, set[str]],
    unreadable_namespaces: set[str],
) -> Iterator[Finding]:
    if endpoint.system is not None and endpoint.system not in parties:
        yield Finding(
            where=endpoint,
            key="system",
            message=f"{side} system {quote(endpoint.system)} is not a portal system or a data "
            "hub peer",
        )
    namespace = endpoint.namespace
    if namespace is None or namespace in unreadable_namespaces:
        return
    envs = namespace_envs.get(namespace)
    if envs is None:
        yield Finding(
            where=endpoint,
            key="namespace",
            message=f"{side} namespace {quote(namespace)} is not defined in cloud/namespaces/",
        )
    elif environment not in envs:
        yield Finding(
            where=endpoint,
            key="namespace",
            message=f"{side} namespace {quote(namespace)} is in {', '.join(sorted(envs))}, "
            f"not in the policy's environment {environment}",
        )


def _interface_refs(ctx: CheckContext) -> Iterator[Finding]:
    parties = ctx.repo.names(PortalSystem) | ctx.repo.names(DatahubPeer)
    policies = ctx.repo.names(AccessPolicy)
    loaded_policies = {p.id: p for p in ctx.repo.of(AccessPolicy)}
    environments = ctx.repo.names(Environment)
    set_codes = {identity.split("/", 1)[0] for identity in ctx.repo.names(ElementSet)}
    for interface in ctx.repo.of(DatahubInterface):
        for role in ("provider", "consumer"):
            party: str = getattr(interface, role)
            if party not in parties:
                yield Finding(
                    where=interface,
                    key=role,
                    message=f"{role} {quote(party)} is not a portal system or a data hub peer",
                )
        for index, set_code in enumerate(interface.element_sets):
            if set_code not in set_codes:
                yield Finding(
                    where=interface,
                    key=f"element_sets[{index}]",
                    message=f"element set {quote(set_code)} is not defined in standards/elements/",
                )
        for stage, policy_id in interface.access_policies.items():
            policy = loaded_policies.get(policy_id)
            if policy_id not in policies:
                yield Finding(
                    where=interface,
                    key="access_policies",
                    message=f"{stage} access policy {quote(policy_id)} is not defined in "
                    "portal/access-policies/",
                )
            elif policy is not None and policy.environment != stage:
                yield Finding(
                    where=interface,
                    key="access_policies",
                    message=f"{stage} access policy {quote(policy_id)} opens a path in "
                    f"{policy.environment}, not in {stage}",
                )
        for index, name in enumerate(interface.environments):
            if name not in environments:
                yield Finding(
                    where=interface,
                    key=f"environments[{index}]",
                    message=f"environment {quote(name)} is not defined in environments/ "
                    f"({_known(environments)})",
                )


def _element_set_refs(ctx: CheckContext) -> Iterator[Finding]:
    index = SetIndex(ctx.repo)
    for element_set in ctx.repo.of(ElementSet):
        target = element_set.maps_to
        if target is None or not index.known(target):
            continue
        _, year, division = set_key(element_set)
        if not index.lineage((target, year, division)):
            yield Finding(
                where=element_set,
                key="maps_to",
                message=f"maps_to set {quote(target)} has no set for fiscal year {year} in "
                f"division {division} or a division above it",
            )


# The key that holds each kind's identity (to point at the second definition) and what people
# call it. ElementSet is not here: one set may be split over several files (DFP-ELE-003 checks
# its codes across them).
_IDENTITY_KEY: dict[type[Document], tuple[str, str]] = {
    Environment: ("name", "environment"),
    Cluster: ("name", "cluster"),
    Release: ("version", "release"),
    Namespace: ("name", "namespace"),
    TdsqlInventory: ("environment", "TDSQL inventory of environment"),
    PortalSystem: ("id", "portal system"),
    AccessPolicy: ("id", "access policy"),
    DatahubPeer: ("id", "data hub peer"),
    DatahubInterface: ("id", "data hub interface"),
    ConfigItemSet: ("domain", "configuration item set of domain"),
    ControlRuleSet: ("domain", "control rule set of domain"),
}


@repo_rule("DFP-REF-002", Severity.ERROR)
def identities_unique(ctx: CheckContext) -> Iterator[Finding]:
    """No two files define the same thing: one file per cluster, release, policy id, ….

    The later file (in path order) is reported, naming the first. Portal systems and data hub
    peers share one set of ids, because endpoints and interfaces name either. Element sets may
    span several files; their codes are checked by DFP-ELE-003.

    Passing:
        # cloud/clusters/tke-prod-a.yaml
        name: tke-prod-a
        # cloud/clusters/tke-prod-b.yaml
        name: tke-prod-b

    Failing:
        # cloud/clusters/tke-prod-a.yaml
        name: tke-prod-a
        # cloud/clusters/tke-prod-a-copy.yaml
        name: tke-prod-a               # defined twice
    """
    for model, (key, noun) in _IDENTITY_KEY.items():
        first: dict[str, Document] = {}
        for document in ctx.repo.of(model):
            identity = document.identity()
            earlier = first.setdefault(identity, document)
            if earlier is not document:
                yield Finding(
                    where=document,
                    key=key,
                    message=f"{noun} {quote(identity)} is already defined at "
                    f"{earlier.src.file}:{earlier.src.at(key)[0]}",
                )
    systems = {system.id: system for system in ctx.repo.of(PortalSystem)}
    for peer in ctx.repo.of(DatahubPeer):
        system = systems.get(peer.id)
        if system is not None:
            yield Finding(
                where=peer,
                key="id",
                message=f"peer id {quote(peer.id)} is also the id of the portal system at "
                f"{system.src.file}:{system.src.at('id')[0]}; endpoints could mean either",
            )


RULES = (references_resolve, identities_unique)
