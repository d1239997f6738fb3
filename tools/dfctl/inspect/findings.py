"""What an inspection found: immutable records the collector produces and every report reads.

The records check themselves when built (a naive timestamp, a duplicate finding id or a negative
quota is a bug in the collector or a corrupt history file, and is refused here rather than drawn
as a wrong chart). The functions below are the verdicts all formats share: the order findings
are listed in, the counts, how full a quota is, and the exit code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

Severity = Literal["critical", "warning", "info"]
Owner = Literal["cloud-platform", "application", "database", "security", "operations"]
Lang = Literal["zh", "en"]
FailOn = Literal["critical", "warning", "never"]

SEVERITIES: tuple[Severity, ...] = get_args(Severity)  # most severe first
OWNERS: tuple[Owner, ...] = get_args(Owner)
LANGS: tuple[Lang, ...] = get_args(Lang)
FAIL_ON: tuple[FailOn, ...] = get_args(FailOn)

# How full a quota or a cluster may get before the report colours it; a collector's quota check
# uses the same numbers so that a bar's colour and its finding agree.
WARNING_PERCENT = 80
CRITICAL_PERCENT = 95


@dataclass(frozen=True)
class LocalText:
    """A text in both report languages."""

    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        if lang == "zh":
            return self.zh
        if lang == "en":
            return self.en
        raise ValueError(f"unknown report language {lang!r}; expected one of {', '.join(LANGS)}")


@dataclass(frozen=True)
class Finding:
    id: str  # stable across runs: the history compares inspections by it
    check: str  # the check's code, e.g. "INS-QUOTA-001"
    severity: Severity
    owner: Owner
    object: str  # e.g. "tke-prod-a/dfp-budget-prod ResourceQuota/dfp-quota"
    title: LocalText
    measured: str  # e.g. "96 % (30.72 of 32 cores)"
    threshold: str  # e.g. "≥ 95 %"
    action: LocalText  # what to do about it
    observed: bool = True  # False for declared-only resources (the TDSQL inventory)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError(f"a finding of {self.check} has an empty id")
        if self.severity not in SEVERITIES:
            raise ValueError(f"finding {self.id}: unknown severity {self.severity!r}")
        if self.owner not in OWNERS:
            raise ValueError(f"finding {self.id}: unknown owner {self.owner!r}")


@dataclass(frozen=True)
class QuotaUsage:
    """One bar of the quota chart. Amounts in the resource's base unit (cores, bytes, count)."""

    cluster: str
    namespace: str
    resource: str  # e.g. "requests.cpu", "requests.memory", "pods"
    used: float
    hard: float

    def __post_init__(self) -> None:
        _check_amounts(
            f"quota {self.cluster}/{self.namespace} {self.resource}", self.used, self.hard
        )

    @property
    def percent(self) -> int:
        return usage_percent(self.used, self.hard)


@dataclass(frozen=True)
class CapacityHeadroom:
    """One cluster's requests of one resource against the capacity declared for it."""

    cluster: str
    resource: str  # e.g. "cpu", "memory"
    requested: float
    capacity: float
    unit: str  # how ``requested`` and ``capacity`` are counted, e.g. "cores", "GiB"

    def __post_init__(self) -> None:
        _check_amounts(f"capacity {self.cluster} {self.resource}", self.requested, self.capacity)

    @property
    def percent(self) -> int:
        return usage_percent(self.requested, self.capacity)

    @property
    def headroom(self) -> float:
        return self.capacity - self.requested


@dataclass(frozen=True)
class SourceStatus:
    """What could be read: "cluster tke-prod-a", "configuration service", "evidence", "history"."""

    name: str
    ok: bool
    detail: LocalText  # said plainly, e.g. "集群 tke-prod-b 无法连接：…"


@dataclass(frozen=True)
class HistoryPoint:
    """One inspection's counts, for the trend chart."""

    generated_at: datetime
    critical: int
    warning: int
    info: int

    def __post_init__(self) -> None:
        _check_aware(self.generated_at, "a history point")

    def count(self, severity: Severity) -> int:
        counts: dict[Severity, int] = {
            "critical": self.critical,
            "warning": self.warning,
            "info": self.info,
        }
        return counts[severity]


@dataclass(frozen=True)
class Inspection:
    environment: str
    generated_at: datetime  # timezone-aware; the report shows it in its own offset
    revision: str | None  # the repository revision inspected against
    applied_revision: str | None  # the last applied revision (from evidence) …
    applied_approvers: tuple[str, ...]  # … and who approved it
    findings: tuple[Finding, ...]
    quota: tuple[QuotaUsage, ...]
    capacity: tuple[CapacityHeadroom, ...]
    sources: tuple[SourceStatus, ...]

    def __post_init__(self) -> None:
        _check_aware(self.generated_at, f"the inspection of {self.environment}")
        seen: set[str] = set()
        for finding in self.findings:
            if finding.id in seen:
                # the history tells findings apart by id; two with one id would hide one
                raise ValueError(f"two findings have the id {finding.id!r}")
            seen.add(finding.id)

    def point(self) -> HistoryPoint:
        counts = severity_counts(self.findings)
        return HistoryPoint(
            self.generated_at, counts["critical"], counts["warning"], counts["info"]
        )


@dataclass(frozen=True)
class Changes:
    """Findings compared by id with the previous inspection; each tuple sorted."""

    since: datetime  # when the previous inspection ran
    new: tuple[str, ...]  # found now, not then
    resolved: tuple[str, ...]  # found then, not now
    persistent: tuple[str, ...]  # found both times


def _check_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} has a timestamp without a time zone: {moment.isoformat()}")


def _check_amounts(what: str, used: float, limit: float) -> None:
    for amount in (used, limit):
        if not math.isfinite(amount) or amount < 0:
            raise ValueError(f"{what}: amounts must be finite and not negative, got {amount}")


def severity_rank(severity: Severity) -> int:
    return SEVERITIES.index(severity)


def by_severity(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Most severe first, then by id: the order every report lists findings in."""
    return tuple(sorted(findings, key=lambda f: (severity_rank(f.severity), f.id)))


def fullest_first(quota: Iterable[QuotaUsage]) -> tuple[QuotaUsage, ...]:
    """The order quotas are listed and drawn in: the fullest first, then by name."""
    return tuple(sorted(quota, key=lambda q: (-q.percent, q.cluster, q.namespace, q.resource)))


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    counts: dict[Severity, int] = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def owner_counts(findings: Iterable[Finding]) -> dict[Owner, int]:
    counts: dict[Owner, int] = dict.fromkeys(OWNERS, 0)
    for finding in findings:
        counts[finding.owner] += 1
    return counts


def owner_severity_counts(findings: Iterable[Finding]) -> dict[Owner, dict[Severity, int]]:
    """Per owner, per severity; every owner and severity present, zeros included."""
    counts = {owner: dict.fromkeys(SEVERITIES, 0) for owner in OWNERS}
    for finding in findings:
        counts[finding.owner][finding.severity] += 1
    return counts


def usage_percent(used: float, limit: float) -> int:
    """How full, in whole percent, rounded down so that 94.9 % never shows as 95 %.

    A limit of 0 forbids the resource: anything using it is full. The product is rounded to six
    places first, because 30.72 / 32 * 100 is 95.99999999999999 in floating point.
    """
    if limit <= 0:
        return 100 if used > 0 else 0
    return math.floor(round(used / limit * 100, 6))


def usage_severity(percent: int) -> Severity | None:
    """The colour a quota or capacity bar gets: None below the warning line."""
    if percent >= CRITICAL_PERCENT:
        return "critical"
    if percent >= WARNING_PERCENT:
        return "warning"
    return None


def exit_code(inspection: Inspection, fail_on: FailOn) -> int:
    """1 when a finding is at least as severe as ``fail_on``, else 0; ``never`` always gives 0."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"unknown fail-on level {fail_on!r}; expected one of {', '.join(FAIL_ON)}")
    if fail_on == "never":
        return 0
    bar = severity_rank(fail_on)
    return int(any(severity_rank(f.severity) <= bar for f in inspection.findings))
