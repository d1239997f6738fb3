"""One inspection: read the live platform and the repository, run every check, and return the
Inspection the reports are written from.

The clusters and the configuration service are read at the same time, each cluster with one
LIST per kind (``live``); drift is computed from those same lists against the desired state of
the applied revision (the one the markers name), images against that revision's release, and the
repository's own checks (expiries, release lag, the TDSQL inventory) against the inspected
revision. Whatever cannot be read is a source that says so, and the checks that needed it are
left out; nothing raises past :func:`collect` but a usage error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dfctl.adapters.etcd import Credentials, EtcdClient, parse_endpoints
from dfctl.clock import SHANGHAI
from dfctl.errors import (
    RenderError,
    SourceError,
    TargetError,
    UsageError,
    ValidationFailed,
)
from dfctl.gitops import evidence as ev
from dfctl.inspect import (
    collect_config_service,
    collect_declared,
    collect_expiry,
    collect_gitops,
    collect_quota,
    collect_workloads,
)
from dfctl.inspect.catalog import finding
from dfctl.inspect.collect_expiry import CertificateSource
from dfctl.inspect.findings import (
    CapacityHeadroom,
    Finding,
    Inspection,
    LocalText,
    QuotaUsage,
    SourceStatus,
)
from dfctl.inspect.live import ClusterReading, ServiceReading, read_cluster, read_config_service
from dfctl.model import AccessPolicy, Cluster, Environment, Release, TdsqlInventory
from dfctl.model.environment import CONFIG_SERVICE
from dfctl.pipeline import CheckedRevision, first_errors
from dfctl.reconcile.cluster import ClusterTarget, live_cluster
from dfctl.reconcile.config_service import ConfigServiceTarget
from dfctl.reconcile.connect import ClusterConnections, config_service_urls
from dfctl.reconcile.target import Marker
from dfctl.render.state import DesiredState

SERVICE_SOURCE = "configuration service"


class Connections(ClusterConnections):
    """The clusters and, when asked, a client of the configuration service. Nothing connects
    until asked."""

    def __init__(
        self,
        kubeconfig: Path | None,
        etcd_endpoints: Sequence[str] | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        super().__init__(kubeconfig, etcd_endpoints, credentials)
        self._services: list[EtcdClient] = []

    def config_service(self, env: Environment) -> EtcdClient | None:
        urls = config_service_urls(env, self.etcd_endpoints)
        if not urls:
            return None
        client = EtcdClient(parse_endpoints(urls), self.credentials)
        self._services.append(client)
        return client

    def close(self) -> None:
        super().close()
        for service in self._services:
            service.close()
        self._services.clear()


LoadRevision = Callable[[str, dt.date], CheckedRevision]


@dataclass
class _Run:
    """What one inspection gathers as it goes."""

    findings: list[Finding] = field(default_factory=list)
    sources: list[SourceStatus] = field(default_factory=list)
    quota: list[QuotaUsage] = field(default_factory=list)
    capacity: list[CapacityHeadroom] = field(default_factory=list)

    def source(self, name: str, ok: bool, zh: str, en: str) -> None:
        self.sources.append(SourceStatus(name, ok, LocalText(zh, en)))


def collect(
    inspected: CheckedRevision,
    load: LoadRevision,
    environment: str,
    connections: Connections,
    now: dt.datetime,
    history: Sequence[SourceStatus] = (),
) -> Inspection:
    """Inspect ``environment``: the live platform through ``connections``, the repository at
    ``inspected``; ``load`` checks another revision (the applied one) when drift needs it."""
    env = inspected.environment(environment)
    if env is None:
        raise UsageError(f"no environment {environment!r} at {inspected.label}")
    run = _Run()
    service = connections.config_service(env)
    clusters, reading = _read(env, connections, service)

    for cluster in clusters:
        if cluster.ok:
            run.source(
                f"cluster {cluster.cluster}",
                True,
                f"集群 {cluster.cluster}：已读取 {cluster.objects} 个对象（{cluster.requests} 次请求）",
                f"Cluster {cluster.cluster}: read {cluster.objects} objects in {cluster.requests} requests",
            )
        else:
            name = cluster.cluster
            _unreachable(run, name, f"cluster {name}", f"集群 {name}", cluster.error)
    _service_source(run, env, reading)

    records = ev.merged(*(c.evidence for c in clusters if c.ok))
    _evidence_source(run, env.name, clusters, records)
    markers: dict[str, Marker | None] = {c.cluster: c.marker for c in clusters if c.ok}
    if reading is not None and reading.ok:
        markers[CONFIG_SERVICE] = reading.marker
    last = collect_gitops.last_applied(records)
    applied = _applied_revision(env.name, markers, last)
    state = _applied_state(run, inspected, load, env.name, applied, now)
    revision = applied[0] if applied else None

    _repository_checks(run, inspected, env, now)
    _cluster_checks(run, inspected, connections, clusters, state, revision, now)
    if reading is not None and reading.ok:
        run.findings += collect_config_service.health(
            reading.statuses, reading.members, reading.alarms
        )
        if service is not None and state is not None and revision is not None:
            _service_drift(run, service, env.name, revision, state)
    run.findings += collect_gitops.evidence(
        env.name, records, now, readable=any(c.ok and c.evidence_problem is None for c in clusters)
    )
    run.findings += collect_gitops.markers(env.name, markers)
    run.findings += collect_expiry.certificates(_certificates(clusters, connections, service), now)
    run.sources += history
    return Inspection(
        environment=env.name,
        generated_at=now,
        revision=inspected.commit,
        applied_revision=last.revision if last else revision,
        applied_approvers=collect_gitops.approvers(last),
        findings=tuple(run.findings),
        quota=tuple(run.quota),
        capacity=tuple(run.capacity),
        sources=tuple(run.sources),
    )


def _read(
    env: Environment, connections: Connections, service: EtcdClient | None
) -> tuple[list[ClusterReading], ServiceReading | None]:
    """Every cluster and the configuration service at the same time."""
    with ThreadPoolExecutor(max_workers=len(env.clusters) + 1) as pool:
        pending = [pool.submit(read_cluster, c, connections.client, env.name) for c in env.clusters]
        service_reading = (
            pool.submit(read_config_service, service, env.name) if service is not None else None
        )
        clusters = [p.result() for p in pending]
        return clusters, service_reading.result() if service_reading else None


def _unreachable(run: _Run, key: str, name: str, zh_name: str, error: str | None) -> None:
    reason = (error or "unknown")[:300]
    english = f"{name[0].upper()}{name[1:]}"
    run.source(
        name, False, f"{zh_name}无法读取：{reason}", f"{english} could not be read: {reason}"
    )
    run.findings.append(
        finding(
            "INS-SOURCE-001",
            key,
            "critical",
            name,
            LocalText(f"{zh_name}无法读取，本次巡检不完整", f"{english} could not be read"),
            reason,
            "readable",
            LocalText(
                "检查网络、kubeconfig 或配置中心凭据及服务状态，恢复后重新巡检",
                "Check the network, the kubeconfig or configuration-service credentials and the"
                " service itself, then inspect again",
            ),
        )
    )


def _service_source(run: _Run, env: Environment, reading: ServiceReading | None) -> None:
    if reading is None:
        run.source(
            SERVICE_SOURCE,
            True,
            f"环境 {env.name} 未声明配置中心，未检查",
            f"Environment {env.name} names no configuration service; not inspected",
        )
    elif not reading.ok:
        _unreachable(run, CONFIG_SERVICE, SERVICE_SOURCE, "配置中心", reading.error)
    else:
        answered = sum(s.error is None for s in reading.statuses)
        run.source(
            SERVICE_SOURCE,
            True,
            f"配置中心：{answered}/{len(reading.statuses)} 个节点响应，成员 {len(reading.members)} 个",
            f"Configuration service: {answered} of {len(reading.statuses)} endpoints answered,"
            f" {len(reading.members)} members",
        )


def _evidence_source(
    run: _Run, environment: str, clusters: Sequence[ClusterReading], records: Sequence[ev.Evidence]
) -> None:
    problems = [
        f"{c.cluster}: {c.evidence_problem}" for c in clusters if c.ok and c.evidence_problem
    ]
    for problem in problems:
        run.source(
            "evidence",
            False,
            f"发布记录无法读取：{problem}",
            f"Evidence records could not be read: {problem}",
        )
    if records:
        last = records[-1]
        run.source(
            "evidence",
            True,
            f"发布记录：{len(records)} 条，最近一次 {last.finished_at[:19]}（{last.result}）",
            f"Evidence: {len(records)} records, the last at {last.finished_at[:19]} ({last.result})",
        )
    elif not problems and any(c.ok for c in clusters):
        run.source(
            "evidence",
            True,
            f"尚无 {environment} 的发布记录",
            f"No evidence records of {environment} yet",
        )
    elif not problems:
        run.source(
            "evidence",
            False,
            "发布记录未能读取：没有可读取的集群",
            "Evidence records not read: no cluster could be read",
        )


def _applied_revision(
    environment: str, markers: dict[str, Marker | None], last: ev.Evidence | None
) -> tuple[str, dt.date] | None:
    """The revision the targets' markers name (when they disagree, the last recorded apply's if
    one of them names it, else the first target's), and the day it was applied."""
    named = [m for _t, m in sorted(markers.items()) if m and m.environment == environment]
    if last is not None and (not named or last.revision in {m.revision for m in named}):
        return last.revision, _day(last.finished_at)
    if not named:
        return None
    return named[0].revision, _day(named[0].applied_at)


def _day(stamp: str) -> dt.date:
    try:
        moment = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return dt.datetime.now(dt.UTC).astimezone(SHANGHAI).date()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(SHANGHAI).date()


def _applied_state(
    run: _Run,
    inspected: CheckedRevision,
    load: LoadRevision,
    environment: str,
    applied: tuple[str, dt.date] | None,
    now: dt.datetime,
) -> DesiredState | None:
    """The desired state of the applied revision, validated as of today and, when a date rule
    (an expiry) fails it now, as of the day it was applied, when it passed."""
    if applied is None:
        return None
    revision, applied_on = applied
    today = now.astimezone(SHANGHAI).date()
    try:
        checked = inspected if inspected.commit == revision else load(revision, today)
        try:
            return checked.desired_state(environment)
        except ValidationFailed:
            if applied_on >= today:
                raise
            return load(revision, applied_on).desired_state(environment)
    except (ValidationFailed, RenderError, SourceError) as exc:
        run.source(
            "repository",
            False,
            f"无法生成已发布版本 {revision[:12]} 的期望状态，未检查漂移和镜像：{exc}",
            f"Cannot render the applied revision {revision[:12]}, so drift and images were not"
            f" inspected: {exc}",
        )
        return None


def _repository_checks(
    run: _Run, inspected: CheckedRevision, env: Environment, now: dt.datetime
) -> None:
    repo = inspected.repo
    result = inspected.result
    revision = inspected.commit or ""
    run.source(
        "repository",
        True,
        f"配置仓库 {revision[:12] or '工作区'}：{result.files_checked} 个文件，错误 {result.errors} 个",
        f"Repository {revision[:12] or 'work tree'}: {result.files_checked} files,"
        f" {result.errors} errors",
    )
    run.findings += collect_gitops.repository(
        revision, result.errors, first_errors(result.diagnostics, 1)
    )
    run.findings += collect_gitops.release_lag(env, repo.of(Release))
    today = now.astimezone(SHANGHAI).date()
    run.findings += collect_expiry.access_policies(env.name, repo.of(AccessPolicy), today)
    run.findings += collect_declared.tdsql(env.name, repo.of(TdsqlInventory))


def _cluster_checks(
    run: _Run,
    inspected: CheckedRevision,
    connections: Connections,
    clusters: Sequence[ClusterReading],
    state: DesiredState | None,
    applied: str | None,
    now: dt.datetime,
) -> None:
    declared = {c.name: c for c in inspected.repo.of(Cluster)}
    for reading in clusters:
        if not reading.ok:
            continue
        name = reading.cluster
        quota_items = reading.lists["ResourceQuota"]
        usages, found = collect_quota.quotas(name, quota_items)
        run.quota += usages
        run.findings += found
        if name in declared:
            rows, found = collect_quota.capacity(declared[name], reading.lists["Pod"], quota_items)
            run.capacity += rows
            run.findings += found
        run.findings += collect_workloads.pods(name, reading.lists["Pod"], now)
        run.findings += collect_workloads.replicas(
            name, [*reading.lists["Deployment"], *reading.lists["StatefulSet"]]
        )
        if state is not None and applied is not None:
            run.findings += collect_workloads.images(
                name, reading.lists["Deployment"], state.objects
            )
            live = live_cluster(reading.lists, reading.requests)
            items = ClusterTarget(connections.client(name)).drift_of(state, live)
            run.findings += collect_gitops.drift(name, items, applied)


def _service_drift(
    run: _Run, service: EtcdClient, environment: str, applied: str, state: DesiredState
) -> None:
    try:
        items = ConfigServiceTarget(service, environment, applied).drift(state)
    except TargetError as exc:
        run.source(
            SERVICE_SOURCE,
            False,
            f"配置中心漂移无法读取：{exc}",
            f"Configuration service drift could not be read: {exc}",
        )
        return
    run.findings += collect_gitops.drift(CONFIG_SERVICE, items, applied)


def _certificates(
    clusters: Sequence[ClusterReading], connections: Connections, service: EtcdClient | None
) -> list[CertificateSource]:
    found: list[CertificateSource] = []
    for reading in clusters:
        found.append(CertificateSource(reading.cluster, "CA", reading.tls.ca))
        found.append(CertificateSource(reading.cluster, "client certificate", reading.tls.client))
    if service is not None:
        for role, path in (
            ("CA", connections.credentials.ca),
            ("client certificate", connections.credentials.cert),
        ):
            if path is None:
                continue
            try:
                found.append(CertificateSource(SERVICE_SOURCE, role, path.read_bytes()))
            except OSError:
                continue
    return found
