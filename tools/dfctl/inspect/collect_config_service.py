"""The configuration service's health: members answering, a leader, database size against the
quota, and active alarms."""

from __future__ import annotations

from collections.abc import Sequence

from dfctl.adapters.etcd import Alarm, EndpointStatus, Member
from dfctl.inspect.amounts import binary_bytes, percent
from dfctl.inspect.catalog import finding
from dfctl.inspect.collect_quota import threshold_text
from dfctl.inspect.findings import Finding, LocalText, Severity, usage_percent, usage_severity

DEFAULT_QUOTA = 2 * 2**30  # etcd's --quota-backend-bytes when not set
SERVICE = "configuration service"


def health(
    statuses: Sequence[EndpointStatus], members: Sequence[Member], alarms: Sequence[Alarm]
) -> list[Finding]:
    names = {m.id: m.name or m.id for m in members}
    found = _answering(statuses, members)
    for status in statuses:
        if status.error is not None:
            continue
        member = names.get(status.member_id, status.member_id)
        if status.leader in ("", "0"):
            found.append(
                finding(
                    "INS-ETCD-002",
                    member,
                    "critical",
                    f"{SERVICE} member {member}",
                    LocalText(
                        f"配置中心成员 {member} 没有 leader", f"Member {member} knows no leader"
                    ),
                    "no leader",
                    "a leader",
                    LocalText(
                        "检查成员间网络和多数派是否在线；无 leader 时配置无法写入",
                        "Check the network between members and that a majority is up; without"
                        " a leader no configuration can be written",
                    ),
                )
            )
        found.extend(_size(member, status))
    for alarm in sorted(alarms, key=lambda a: (a.alarm, a.member_id)):
        member = names.get(alarm.member_id, alarm.member_id)
        found.append(
            finding(
                "INS-ETCD-004",
                f"{member}/{alarm.alarm}",
                "critical",
                f"{SERVICE} member {member}",
                LocalText(
                    f"配置中心告警 {alarm.alarm}", f"Configuration service alarm {alarm.alarm}"
                ),
                alarm.alarm,
                "no alarm",
                _alarm_action(alarm.alarm),
            )
        )
    return found


def _answering(statuses: Sequence[EndpointStatus], members: Sequence[Member]) -> list[Finding]:
    """INS-ETCD-001 for every endpoint that did not answer; critical when too few answered."""
    down = [s for s in statuses if s.error is not None]
    if not down:
        return []
    # the quorum is of the voting members; the endpoints given may name fewer (or other) hosts
    voting = len([m for m in members if not m.learner]) or len(statuses)
    up = len(statuses) - len(down)
    quorum = voting // 2 + 1
    severity: Severity = "critical" if up < quorum else "warning"
    return [
        finding(
            "INS-ETCD-001",
            status.endpoint,
            severity,
            f"{SERVICE} endpoint {status.endpoint}",
            LocalText(
                f"配置中心节点 {status.endpoint} 无响应",
                f"Endpoint {status.endpoint} does not answer",
            ),
            f"{up} of {len(statuses)} endpoints answered ({voting} voting members); {status.error}",
            f"≥ {quorum} answering (quorum)" if severity == "critical" else f"{voting} answering",
            LocalText(
                "检查该节点进程、磁盘和网络；多数派失联时配置中心不可写，需立即处理",
                "Check the member's process, disk and network; without a majority the"
                " configuration service cannot be written, which needs action at once",
            ),
        )
        for status in down
    ]


def _size(member: str, status: EndpointStatus) -> list[Finding]:
    quota = status.db_size_quota or DEFAULT_QUOTA
    used = usage_percent(status.db_size, quota)
    severity = usage_severity(used)
    if severity is None:
        return []
    origin = (
        "" if status.db_size_quota else " (etcd's default; the server did not report its quota)"
    )
    return [
        finding(
            "INS-ETCD-003",
            member,
            severity,
            f"{SERVICE} member {member}",
            LocalText(
                f"配置中心成员 {member} 数据库已达配额的 {used}%",
                f"Member {member}'s database is at {used} % of its quota",
            ),
            f"{percent(used)} ({binary_bytes(status.db_size)} of {binary_bytes(quota)}{origin};"
            f" {binary_bytes(status.db_size_in_use)} in use)",
            threshold_text(used),
            LocalText(
                "压缩历史版本并整理碎片（compact、defrag），必要时调大 --quota-backend-bytes",
                "Compact old revisions and defragment (compact, defrag); raise"
                " --quota-backend-bytes if needed",
            ),
        )
    ]


def _alarm_action(alarm: str) -> LocalText:
    if alarm == "NOSPACE":
        return LocalText(
            "配置中心已拒绝写入：压缩并整理碎片释放空间后执行 alarm disarm 解除告警",
            "The configuration service refuses writes: compact and defragment to free space,"
            " then disarm the alarm",
        )
    return LocalText(
        "立即排查该成员的数据完整性（CORRUPT 表示数据不一致），必要时从快照恢复",
        "Check the member's data at once (CORRUPT means the members' data differ) and restore"
        " from a snapshot if needed",
    )
