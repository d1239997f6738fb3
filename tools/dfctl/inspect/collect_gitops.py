"""Drift, the applied revision and its evidence, the repository's own state and release lag."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from dfctl.gitops.evidence import APPLIED, FAILED, Evidence
from dfctl.inspect.catalog import BREAK_GLASS_WINDOW, finding
from dfctl.inspect.findings import Finding, LocalText
from dfctl.model import Environment, Release
from dfctl.model.environment import CONFIG_SERVICE
from dfctl.reconcile.target import DriftItem, Marker

SHOWN = 3  # drift items named in a finding; the rest are counted


def drift(target: str, items: Sequence[DriftItem], revision: str) -> list[Finding]:
    """INS-DRIFT-001 (a cluster) or INS-DRIFT-002 (the configuration service)."""
    if not items:
        return []
    counts: dict[str, int] = {}
    for item in items:
        counts[item.problem] = counts.get(item.problem, 0) + 1
    kinds = ", ".join(f"{n} {problem}" for problem, n in sorted(counts.items()))
    refs = "; ".join(i.ref for i in items[:SHOWN]) + (" …" if len(items) > SHOWN else "")
    service = target == CONFIG_SERVICE
    place = (
        LocalText("配置中心", "the configuration service")
        if service
        else LocalText(f"集群 {target}", f"cluster {target}")
    )
    return [
        finding(
            "INS-DRIFT-002" if service else "INS-DRIFT-001",
            target,
            "warning",
            "configuration service" if service else f"cluster {target}",
            LocalText(
                f"{place.zh} 与已发布版本 {revision[:12]} 不一致",
                f"{place.en[0].upper()}{place.en[1:]} differs from the applied revision {revision[:12]}",
            ),
            f"{len(items)} ({kinds}): {refs}",
            "0",
            LocalText(
                "用 dfctl drift --env 查看差异并找出绕过仓库的变更；应保留的改动提交合并请求，"
                "其余由 dfctl 恢复",
                "Run dfctl drift --env to see the differences and find the change made outside"
                " the repository; commit what should stay through a merge request and let dfctl"
                " restore the rest",
            ),
        )
    ]


def last_applied(records: Sequence[Evidence]) -> Evidence | None:
    applied = [r for r in records if r.result == APPLIED]
    return applied[-1] if applied else None


def approvers(record: Evidence | None) -> tuple[str, ...]:
    """Everyone who approved a commit of the record, in order, each once."""
    if record is None:
        return ()
    seen: dict[str, None] = {}
    for commit in record.commits:
        for person in commit.approvers:
            seen.setdefault(person, None)
    return tuple(seen)


def evidence(
    environment: str, records: Sequence[Evidence], now: dt.datetime, readable: bool
) -> list[Finding]:
    """INS-EVIDENCE-001 (nothing recorded), -002 (the last apply failed), -003 (break-glass)."""
    found: list[Finding] = []
    if not records:
        if readable:
            found.append(
                finding(
                    "INS-EVIDENCE-001",
                    environment,
                    "warning",
                    f"environment {environment}",
                    LocalText(
                        "尚无发布记录：无法确认线上运行的是哪个已审批版本",
                        "No apply is recorded: which approved revision runs cannot be shown",
                    ),
                    "0 records",
                    "≥ 1 record",
                    LocalText(
                        "确认该环境是否已由 dfctl reconcile 接管；首次发布后会在 dfctl-system 中留下记录",
                        "Check that dfctl reconcile manages the environment; its first apply"
                        " leaves a record in dfctl-system",
                    ),
                )
            )
        return found
    last = records[-1]
    if last.result == FAILED:
        error = (last.error or "").splitlines()[0][:200] if last.error else "no error recorded"
        found.append(
            finding(
                "INS-EVIDENCE-002",
                f"{environment}/{last.revision[:12]}",
                "critical",
                f"{environment} revision {last.revision[:12]}",
                LocalText(
                    f"最近一次发布（{last.revision[:12]}）失败",
                    f"The last apply ({last.revision[:12]}) failed",
                ),
                f"failed at {last.finished_at}: {error}",
                "applied",
                LocalText(
                    "查看 reconcile 日志和该记录中的错误，修复后由 reconciler 重新发布",
                    "Read the reconciler's log and the record's error, fix the cause and let"
                    " the reconciler apply again",
                ),
            )
        )
    for record in records:
        finished = _moment(record.finished_at)
        if finished is None or now - finished > BREAK_GLASS_WINDOW:
            continue
        for commit in record.break_glass:
            found.append(
                finding(
                    "INS-EVIDENCE-003",
                    f"{environment}/{commit.sha[:12]}",
                    "info",
                    f"{environment} commit {commit.sha[:12]}",
                    LocalText(
                        f"紧急变更 {commit.sha[:12]} 需事后复核",
                        f"Break-glass change {commit.sha[:12]} to review",
                    ),
                    f"applied {record.finished_at[:10]}",
                    "reviewed within 30 d",
                    LocalText(
                        "由运营负责人组织复核该紧急变更，并在合并请求中记录复核结论",
                        "Have the operations lead review the emergency change and record the"
                        " outcome on its merge request",
                    ),
                )
            )
    return found


def _moment(text: str) -> dt.datetime | None:
    """A record's time; records are written in UTC, and one that is not a time is skipped."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def markers(environment: str, found: Mapping[str, Marker | None]) -> list[Finding]:
    """INS-EVIDENCE-004: the targets that could be read name different applied revisions."""
    revisions = {m.revision if m and m.environment == environment else None for m in found.values()}
    if len(revisions) <= 1:
        return []
    shown = ", ".join(
        f"{target} {m.revision[:12] if m else 'none'}" for target, m in sorted(found.items())
    )
    return [
        finding(
            "INS-EVIDENCE-004",
            environment,
            "warning",
            f"environment {environment}",
            LocalText(
                "各目标记录的已发布版本不一致（上次发布可能中途失败）",
                "The targets record different applied revisions (an apply may have stopped half-way)",
            ),
            shown,
            "one revision",
            LocalText(
                "查看最近的发布记录和 reconcile 日志；reconciler 下一次运行会从最早的版本收敛",
                "Read the last records and the reconciler's log; its next pass converges from"
                " the oldest revision",
            ),
        )
    ]


def repository(revision: str, errors: int, first: Sequence[str]) -> list[Finding]:
    """INS-REPO-001: the inspected revision fails validation (the reconciler will not apply it)."""
    if not errors:
        return []
    return [
        finding(
            "INS-REPO-001",
            revision[:12] or "work-tree",
            "warning",
            f"revision {revision[:12]}",
            LocalText(
                f"配置仓库版本 {revision[:12]} 校验未通过，无法发布",
                f"Revision {revision[:12]} fails validation and cannot be applied",
            ),
            f"{errors} errors" + (f"; first: {first[0]}" if first else ""),
            "0 errors",
            LocalText(
                "运行 dfctl validate 查看全部错误，提交修复的合并请求",
                "Run dfctl validate to see every error and fix them in a merge request",
            ),
        )
    ]


def release_lag(env: Environment, releases: Sequence[Release]) -> list[Finding]:
    """INS-RELEASE-001: the environment pins an older release than the newest in the catalog."""
    if not releases:
        return []
    newest = max(releases, key=Release.sort_key)
    current = next((r for r in releases if r.version == env.release.version), None)
    if current is None or current.sort_key() >= newest.sort_key():
        return []
    return [
        finding(
            "INS-RELEASE-001",
            env.name,
            "warning",
            f"environment {env.name}",
            LocalText(
                f"{env.name} 运行版本 {current.version} 落后于省级最新版本 {newest.version}",
                f"{env.name} runs release {current.version}, behind the province's {newest.version}",
            ),
            f"{current.version} (newest {newest.version}, published {newest.published})",
            f"= {newest.version}",
            LocalText(
                f"按全省版本管控要求，在验收、预发布环境验证 {newest.version} 后，于变更窗口内升级",
                f"As the province's release control requires, accept {newest.version} in"
                " acceptance and pre-release, then upgrade in a change window",
            ),
        )
    ]
