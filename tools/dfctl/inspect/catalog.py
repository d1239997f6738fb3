"""Every check ``dfctl inspect`` runs: its stable id, who owns what it finds, and what it looks at.

The ids never change meaning: the history, the metrics and people's alert rules name them. The
thresholds are here too, so that the checks, the docs (docs/inspect.md lists this table) and the
tests read the same numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dfctl.inspect.findings import Finding, LocalText, Owner, Severity


@dataclass(frozen=True)
class Check:
    id: str
    owner: Owner
    summary: str  # one English line, for docs and ``--list-checks``


CHECKS: dict[str, Check] = {
    c.id: c
    for c in (
        Check("INS-SOURCE-001", "cloud-platform", "a cluster or the configuration service could not be read"),
        Check("INS-QUOTA-001", "cloud-platform", "ResourceQuota status.used against hard, per resource"),
        Check("INS-CAPACITY-001", "cloud-platform", "a cluster's pod requests against its declared capacity"),
        Check("INS-CAPACITY-002", "cloud-platform", "the quotas on a cluster promise more than its declared capacity"),
        Check("INS-WORKLOAD-001", "application", "pods of a workload not ready"),
        Check("INS-WORKLOAD-002", "application", "Deployments or StatefulSets short of available replicas"),
        Check("INS-WORKLOAD-003", "application", "containers restarting or in CrashLoopBackOff"),
        Check("INS-WORKLOAD-004", "application", "a workload runs another image than the environment's release"),
        Check("INS-DRIFT-001", "cloud-platform", "a cluster differs from the applied revision"),
        Check("INS-DRIFT-002", "operations", "the configuration service differs from the applied revision"),
        Check("INS-EVIDENCE-001", "operations", "no applied revision is recorded"),
        Check("INS-EVIDENCE-002", "operations", "the last apply failed"),
        Check("INS-EVIDENCE-003", "operations", "a break-glass change applied in the last 30 days, to review"),
        Check("INS-EVIDENCE-004", "operations", "the targets' applied-revision markers disagree"),
        Check("INS-REPO-001", "operations", "the inspected revision fails validation"),
        Check("INS-RELEASE-001", "operations", "the environment runs an older release than the newest in the catalog"),
        Check("INS-ETCD-001", "cloud-platform", "configuration-service members not answering, or quorum lost"),
        Check("INS-ETCD-002", "cloud-platform", "a configuration-service member knows no leader"),
        Check("INS-ETCD-003", "cloud-platform", "configuration-service database size against its quota"),
        Check("INS-ETCD-004", "cloud-platform", "configuration-service alarms (NOSPACE, CORRUPT)"),
        Check("INS-ACCESS-001", "security", "access policies expired or expiring within 90 days"),
        Check("INS-CERT-001", "security", "kubeconfig and etcd certificates expired or expiring within 90 days"),
        Check("INS-TDSQL-001", "database", "the TDSQL inventory as declared (declared, not observed)"),
        Check("INS-TDSQL-002", "database", "TDSQL backups kept fewer days than required (declared)"),
        Check("INS-TDSQL-003", "database", "TDSQL shards with fewer than three replicas in production (declared)"),
        Check("INS-TDSQL-004", "database", "TDSQL storage per shard above the planning limit (declared)"),
    )
}  # fmt: skip

# -- thresholds ----------------------------------------------------------------------------------
EXPIRY_WARNING_DAYS = 30  # expires within 30 days: warning; expired: critical
EXPIRY_INFO_DAYS = 90  # within 90 days: info
RESTART_WARNING = 3  # restarts of a container with its last exit in the last day
RESTART_WINDOW = dt.timedelta(hours=24)
BREAK_GLASS_WINDOW = dt.timedelta(days=30)
PRODUCTION = "production"
TDSQL_BACKUP_DAYS = 30  # production backups kept at least 30 days (inferred operating rule)
TDSQL_REPLICAS = 3  # one primary and two standbys per shard in production (一主两备)
TDSQL_STORAGE_PER_SHARD_GB = (
    2000  # planning limit: a larger shard takes too long to rebuild (inferred)
)


def finding(  # noqa: PLR0913  (a finding's fields, each named at every call)
    check: str,
    key: str,
    severity: Severity,
    obj: str,
    title: LocalText,
    measured: str,
    threshold: str,
    action: LocalText,
    observed: bool = True,
) -> Finding:
    """A finding of ``check`` about ``key``; its id is ``<check>:<key>``, stable across runs."""
    return Finding(
        id=f"{check}:{key}",
        check=check,
        severity=severity,
        owner=CHECKS[check].owner,
        object=obj,
        title=title,
        measured=measured,
        threshold=threshold,
        action=action,
        observed=observed,
    )


def expiry_severity(days_left: int) -> Severity | None:
    """Expired: critical; within 30 days: warning; within 90: info; later: nothing."""
    if days_left < 0:
        return "critical"
    if days_left <= EXPIRY_WARNING_DAYS:
        return "warning"
    if days_left <= EXPIRY_INFO_DAYS:
        return "info"
    return None


def expiry_threshold(severity: Severity) -> str:
    return {
        "critical": "expired",
        "warning": f"≤ {EXPIRY_WARNING_DAYS} d",
        "info": f"≤ {EXPIRY_INFO_DAYS} d",
    }[severity]
