"""The inspection report's presentation and history: JSON, markdown and HTML from sample
inspections of the city's production, the history store on disk, and the HTML report in a real
headless Chromium (marked ``browser``).

The samples are a morning inspection of production on 2025-11-30 (Beijing time) and the one the
day before. Regenerate the golden files with DFCTL_UPDATE_GOLDEN=1 after an intended change, then
review them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from dfctl.inspect.amounts import moment, quota_amount
from dfctl.inspect.findings import (
    CapacityHeadroom,
    Changes,
    FailOn,
    Finding,
    HistoryPoint,
    Inspection,
    LocalText,
    QuotaUsage,
    Severity,
    SourceStatus,
    by_severity,
    exit_code,
    owner_counts,
    owner_severity_counts,
    severity_counts,
    usage_percent,
    usage_severity,
)
from dfctl.inspect.history import DirectoryStore, HistoryError, HistoryStore, changes_since
from dfctl.inspect.report_html import report_html
from dfctl.inspect.report_json import ReportFormatError, inspection_from_json, report_json
from dfctl.inspect.report_md import code, report_md
from tests import browser

GOLDEN = Path(__file__).parent / "golden" / "inspect"
UPDATE = os.environ.get("DFCTL_UPDATE_GOLDEN") == "1"
BEIJING = timezone(timedelta(hours=8))
GI = 2**30
TI = 2**40

# --- samples ---------------------------------------------------------------------------------

QUOTA_BUDGET_CPU = Finding(
    id="quota/tke-prod-a/dfp-budget-prod/requests.cpu",
    check="INS-QUOTA-001",
    severity="critical",
    owner="cloud-platform",
    object="tke-prod-a/dfp-budget-prod ResourceQuota/dfp-quota",
    title=LocalText(
        "预算管理命名空间 CPU 请求配额即将用尽",
        "CPU requests quota of the budget namespace nearly used up",
    ),
    measured="96 % (30.72 of 32 cores)",
    threshold="≥ 95 %",
    action=LocalText(
        "评估预算编制高峰期负载，提交配额调整申请将 requests.cpu 由 32 核调增至 40 核，"
        "或下调非核心工作负载的 CPU 请求值",
        "Review the load of the budget-preparation peak and request raising requests.cpu from"
        " 32 to 40 cores, or lower the CPU requests of non-critical workloads",
    ),
)
QUOTA_EXECUTION_MEMORY = Finding(
    id="quota/tke-prod-a/dfp-execution-prod/requests.memory",
    check="INS-QUOTA-001",
    severity="warning",
    owner="cloud-platform",
    object="tke-prod-a/dfp-execution-prod ResourceQuota/dfp-quota",
    title=LocalText(
        "预算执行命名空间内存请求配额使用率偏高",
        "Memory requests quota of the budget-execution namespace running high",
    ),
    measured="85 % (163.2Gi of 192Gi)",
    threshold="≥ 80 %",
    action=LocalText(
        "关注月末集中支付期间的内存增长，必要时提交配额调整申请",
        "Watch memory growth during the month-end payment run and request a larger quota if needed",
    ),
)
PORTAL_SSO_REPLICAS = Finding(
    id="workload/tke-prod-b/dfp-portal-prod/Deployment/portal-sso",
    check="INS-WORKLOAD-002",
    severity="critical",
    owner="application",
    object="tke-prod-b/dfp-portal-prod Deployment/portal-sso",
    title=LocalText(
        "统一门户单点登录服务可用副本数不足", "Unified portal single sign-on short of replicas"
    ),
    measured="2 of 4 available",
    threshold="= 4 (desired)",
    action=LocalText(
        "排查 portal-sso 未就绪 Pod 的事件和日志（镜像拉取、就绪探针），尽快恢复全部副本；"
        "恢复前关注门户登录成功率",
        "Check the events and logs of the unready portal-sso pods (image pulls, readiness"
        " probe) and restore every replica; until then, watch the portal's sign-in success rate",
    ),
)
TDSQL_BACKUP = Finding(
    id="tdsql/tdsqlshard-cxivfekz/backup_retention_days",
    check="INS-TDSQL-003",
    severity="warning",
    owner="database",
    object="TDSQL tdsqlshard-cxivfekz (dfp-portal-db-prod)",
    title=LocalText(
        "门户数据库备份保留天数低于 30 天要求",
        "Portal database keeps backups for less than the required 30 days",
    ),
    measured="7 d",
    threshold="≥ 30 d",
    action=LocalText(
        "将 cloud/tdsql/production.yaml 中的 backup_retention_days 调整为 30，"
        "并在 TDSQL 控制台核实实际备份策略",
        "Set backup_retention_days to 30 in cloud/tdsql/production.yaml and confirm the actual"
        " backup policy in the TDSQL console",
    ),
    observed=False,
)
PORTAL_CERTIFICATE = Finding(
    id="certificate/tke-prod-b/dfp-portal-prod/portal-tls",
    check="INS-CERT-001",
    severity="warning",
    owner="security",
    object="tke-prod-b/dfp-portal-prod Secret/portal-tls",
    title=LocalText(
        "统一门户 TLS 证书将于 20 天后到期", "Unified portal TLS certificate expires in 20 days"
    ),
    measured="20 d (2025-12-20)",
    threshold="< 30 d",
    action=LocalText(
        "向证书颁发机构申请续签 portal.czj.xx.gov.example 证书，在变更窗口内更新 Secret，"
        "并验证门户 HTTPS 访问",
        "Renew the portal.czj.xx.gov.example certificate with the CA, replace the Secret in a"
        " change window and check the portal over HTTPS",
    ),
)
BREAK_GLASS_REVIEW = Finding(
    id="evidence/production/break-glass/a1b2c3d4e5f6",
    check="INS-EVIDENCE-004",
    severity="info",
    owner="operations",
    object="production commit a1b2c3d4e5f6",
    title=LocalText(
        "紧急变更 a1b2c3d4e5f6 尚未完成事后复核",
        "Break-glass change a1b2c3d4e5f6 not yet reviewed after the fact",
    ),
    measured="1 unreviewed (2025-11-29)",
    threshold="0 unreviewed",
    action=LocalText(
        "由运营项目负责人组织复核该紧急变更，并在合并请求中记录复核结论",
        "Have the operations lead review the emergency change and record the outcome on its"
        " merge request",
    ),
)
BANK_ADAPTER_RESTARTS = Finding(
    id="workload/tke-prod-b/dfp-datahub-prod/Deployment/datahub-bank-adapter",
    check="INS-WORKLOAD-005",
    severity="warning",
    owner="application",
    object="tke-prod-b/dfp-datahub-prod Deployment/datahub-bank-adapter",
    title=LocalText(
        "数据中枢代理银行适配器 24 小时内频繁重启",
        "Data hub agent-bank adapter restarting often in the last 24 hours",
    ),
    measured="9 restarts / 24 h",
    threshold="≥ 5 restarts / 24 h",
    action=LocalText(
        "核查与代理银行前置机的连接和证书，分析重启前日志",
        "Check the connection and certificates to the agent bank's front-end server and read"
        " the logs before each restart",
    ),
)

SOURCES = (
    SourceStatus(
        "cluster tke-prod-a",
        True,
        LocalText("集群 tke-prod-a：已读取 1,284 个对象", "Cluster tke-prod-a: read 1,284 objects"),
    ),
    SourceStatus(
        "cluster tke-prod-b",
        True,
        LocalText("集群 tke-prod-b：已读取 1,097 个对象", "Cluster tke-prod-b: read 1,097 objects"),
    ),
    SourceStatus(
        "configuration service",
        False,
        LocalText(
            "配置服务无法连接：https://10.12.6.11:2379 请求超时（5 s）",
            "Cannot connect to the configuration service: https://10.12.6.11:2379 timed out (5 s)",
        ),
    ),
    SourceStatus(
        "evidence",
        True,
        LocalText(
            "对账证据：最近一次发布于 2025-11-28 22:14 UTC+08:00",
            "Evidence: last applied at 2025-11-28 22:14 UTC+08:00",
        ),
    ),
    SourceStatus(
        "history",
        True,
        LocalText(
            "已读取历史巡检记录 5 份，上次巡检于 2025-11-29 09:30 UTC+08:00",
            "Read 5 earlier inspections; the last was at 2025-11-29 09:30 UTC+08:00",
        ),
    ),
)

QUOTA = (
    QuotaUsage("tke-prod-a", "dfp-budget-prod", "requests.cpu", 30.72, 32),
    QuotaUsage("tke-prod-a", "dfp-budget-prod", "requests.memory", 71.5 * GI, 128 * GI),
    QuotaUsage("tke-prod-a", "dfp-execution-prod", "requests.cpu", 29.5, 48),
    QuotaUsage("tke-prod-a", "dfp-execution-prod", "requests.memory", 163.2 * GI, 192 * GI),
    QuotaUsage("tke-prod-b", "dfp-portal-prod", "requests.cpu", 9.5, 24),
    QuotaUsage("tke-prod-b", "dfp-portal-prod", "pods", 22, 250),
    QuotaUsage("tke-prod-b", "dfp-datahub-prod", "requests.cpu", 19.25, 32),
    QuotaUsage("tke-prod-b", "dfp-datahub-prod", "requests.storage", 1.2 * TI, 2 * TI),
)

CAPACITY = (
    CapacityHeadroom("tke-prod-a", "cpu", 312, 384, "cores"),
    CapacityHeadroom("tke-prod-a", "memory", 1180, 1536, "GiB"),
    CapacityHeadroom("tke-prod-b", "cpu", 205, 320, "cores"),
    CapacityHeadroom("tke-prod-b", "memory", 1100, 1280, "GiB"),
)

APPROVERS = (
    "郑国栋 <zheng.guodong@xx.gov.example>",
    "周晓峰 <zhou.xiaofeng@xx.gov.example>",
)

PRODUCTION = Inspection(
    environment="production",
    generated_at=datetime(2025, 11, 30, 9, 30, tzinfo=BEIJING),
    revision="3f9a1c2e7b40d5e6f7a8b9c0d1e2f3a4b5c6d7e8",
    applied_revision="8c2d4e6f1a3b5d7e9f0a1b2c3d4e5f6a7b8c9d0e",
    applied_approvers=APPROVERS,
    # not in report order: the reports sort
    findings=(
        TDSQL_BACKUP,
        QUOTA_EXECUTION_MEMORY,
        BREAK_GLASS_REVIEW,
        PORTAL_SSO_REPLICAS,
        QUOTA_BUDGET_CPU,
        PORTAL_CERTIFICATE,
    ),
    quota=QUOTA,
    capacity=CAPACITY,
    sources=SOURCES,
)

# the day before: the budget quota was already at 91 %, the bank adapter was restarting, the
# portal's replicas and the break-glass change were not there yet
PREVIOUS = Inspection(
    environment="production",
    generated_at=datetime(2025, 11, 29, 9, 30, tzinfo=BEIJING),
    revision="7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d5c4b",
    applied_revision="8c2d4e6f1a3b5d7e9f0a1b2c3d4e5f6a7b8c9d0e",
    applied_approvers=APPROVERS,
    findings=(
        replace(QUOTA_BUDGET_CPU, severity="warning", measured="91 % (29.12 of 32 cores)"),
        TDSQL_BACKUP,
        replace(PORTAL_CERTIFICATE, measured="21 d (2025-12-20)"),
        BANK_ADAPTER_RESTARTS,
    ),
    quota=QUOTA[:2],
    capacity=CAPACITY[:1],
    sources=SOURCES[:2],
)

CHANGES = Changes(
    since=PREVIOUS.generated_at,
    new=(
        "evidence/production/break-glass/a1b2c3d4e5f6",
        "quota/tke-prod-a/dfp-execution-prod/requests.memory",
        "workload/tke-prod-b/dfp-portal-prod/Deployment/portal-sso",
    ),
    resolved=("workload/tke-prod-b/dfp-datahub-prod/Deployment/datahub-bank-adapter",),
    persistent=(
        "certificate/tke-prod-b/dfp-portal-prod/portal-tls",
        "quota/tke-prod-a/dfp-budget-prod/requests.cpu",
        "tdsql/tdsqlshard-cxivfekz/backup_retention_days",
    ),
)

HISTORY = tuple(
    HistoryPoint(datetime(2025, 11, day, 9, 30, tzinfo=BEIJING), critical, warning, info)
    for day, critical, warning, info in (
        (25, 0, 2, 1),
        (26, 1, 3, 1),
        (27, 1, 2, 0),
        (28, 0, 3, 0),
        (29, 0, 4, 0),
    )
)

# the first inspection of a new environment: nothing before it, everything read
FIRST = replace(
    PRODUCTION,
    environment="acceptance",
    generated_at=datetime(2025, 11, 30, 1, 30, tzinfo=UTC),
    applied_revision=None,
    applied_approvers=(),
    findings=(),
    quota=(),
    capacity=(),
    sources=(
        SourceStatus(
            "cluster tke-acc-a",
            True,
            LocalText("集群 tke-acc-a：已读取 412 个对象", "Cluster tke-acc-a: read 412 objects"),
        ),
        SourceStatus(
            "evidence",
            False,
            LocalText("尚无对账证据记录", "No evidence records yet"),
        ),
        SourceStatus(
            "history", True, LocalText("首次巡检，无历史记录", "First inspection: no history yet")
        ),
    ),
)

# history points of the five days before PRODUCTION, the last of them PREVIOUS itself
EARLIER_COUNTS = ((25, 0, 2, 1), (26, 1, 3, 1), (27, 1, 2, 0), (28, 0, 3, 0))


def earlier(day: int, critical: int, warning: int, info: int) -> Inspection:
    """A past inspection with the given counts (findings made up to match)."""
    counts: dict[Severity, int] = {"critical": critical, "warning": warning, "info": info}
    made = [
        replace(QUOTA_BUDGET_CPU, id=f"sample/{day}/{severity}/{n}", severity=severity)
        for severity, count in counts.items()
        for n in range(count)
    ]
    return replace(
        PREVIOUS,
        generated_at=datetime(2025, 11, day, 9, 30, tzinfo=BEIJING),
        findings=tuple(made),
    )


def hostile() -> Inspection:
    """Names and details as an attacker with write access to a cluster might set them."""
    script = "<script>alert(1)</script>"
    return replace(
        PRODUCTION,
        findings=(
            replace(
                QUOTA_BUDGET_CPU,
                object=f"tke-prod-a/dfp-{script} ResourceQuota/x|y",
                title=LocalText(
                    "配额\"'><svg onload=alert(1)>", "quota [click](http://evil.example)"
                ),
            ),
        ),
        quota=(QuotaUsage("tke-prod-a", f"dfp-{script}", "requests.cpu", 31, 32),),
        sources=(
            SourceStatus(
                "cluster tke-prod-a",
                False,
                LocalText(
                    "集群 tke-prod-a 无法连接：<img src=x onerror=alert(2)>",
                    "Cannot connect to cluster tke-prod-a: <img src=x onerror=alert(2)>",
                ),
            ),
        ),
    )


def golden(name: str, produced: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(produced, encoding="utf-8")
    assert produced == path.read_text(encoding="utf-8")


# --- the data model --------------------------------------------------------------------------


def test_local_text_gives_the_asked_language_and_refuses_others() -> None:
    text = LocalText("严重", "Critical")
    assert (text("zh"), text("en")) == ("严重", "Critical")
    with pytest.raises(ValueError, match=r"unknown report language 'fr'; expected one of zh, en"):
        text("fr")


def test_findings_are_listed_most_severe_first_then_by_id() -> None:
    assert [f.id for f in by_severity(PRODUCTION.findings)] == [
        "quota/tke-prod-a/dfp-budget-prod/requests.cpu",
        "workload/tke-prod-b/dfp-portal-prod/Deployment/portal-sso",
        "certificate/tke-prod-b/dfp-portal-prod/portal-tls",
        "quota/tke-prod-a/dfp-execution-prod/requests.memory",
        "tdsql/tdsqlshard-cxivfekz/backup_retention_days",
        "evidence/production/break-glass/a1b2c3d4e5f6",
    ]


def test_counts_by_severity_and_owner_name_every_level_and_owner() -> None:
    assert severity_counts(PRODUCTION.findings) == {"critical": 2, "warning": 3, "info": 1}
    assert owner_counts(PRODUCTION.findings) == {
        "cloud-platform": 2,
        "application": 1,
        "database": 1,
        "security": 1,
        "operations": 1,
    }
    assert owner_counts(()) == dict.fromkeys(
        ("cloud-platform", "application", "database", "security", "operations"), 0
    )
    assert owner_severity_counts(PRODUCTION.findings)["cloud-platform"] == {
        "critical": 1,
        "warning": 1,
        "info": 0,
    }
    assert PRODUCTION.point() == HistoryPoint(PRODUCTION.generated_at, 2, 3, 1)


@pytest.mark.parametrize(
    ("findings", "fail_on", "expected"),
    [
        ((QUOTA_BUDGET_CPU, TDSQL_BACKUP), "critical", 1),
        ((TDSQL_BACKUP, BREAK_GLASS_REVIEW), "critical", 0),
        ((TDSQL_BACKUP, BREAK_GLASS_REVIEW), "warning", 1),
        ((QUOTA_BUDGET_CPU,), "warning", 1),
        ((BREAK_GLASS_REVIEW,), "warning", 0),
        ((QUOTA_BUDGET_CPU, TDSQL_BACKUP), "never", 0),
        ((), "critical", 0),
    ],
)
def test_exit_code_is_1_only_for_a_finding_at_or_above_fail_on(
    findings: tuple[Finding, ...], fail_on: FailOn, expected: int
) -> None:
    assert exit_code(replace(PRODUCTION, findings=findings), fail_on) == expected


def test_exit_code_refuses_an_unknown_level() -> None:
    with pytest.raises(ValueError, match=r"unknown fail-on level 'info'"):
        exit_code(PRODUCTION, "info")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("used", "limit", "percent", "severity"),
    [
        (30.72, 32, 96, "critical"),  # 95.99999999999999 in floating point
        (163.2 * GI, 192 * GI, 85, "warning"),
        (94.99, 100, 94, "warning"),  # rounded down: never shown as 95 % and coloured warning
        (95, 100, 95, "critical"),
        (79.9, 100, 79, None),
        (80, 100, 80, "warning"),
        (0, 0, 0, None),
        (1, 0, 100, "critical"),  # a limit of 0 forbids the resource
        (40, 32, 125, "critical"),
    ],
)
def test_usage_percent_and_its_colour(
    used: float, limit: float, percent: int, severity: Severity | None
) -> None:
    assert usage_percent(used, limit) == percent
    assert usage_severity(percent) == severity


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: replace(PRODUCTION, generated_at=datetime(2025, 11, 30, 9, 30)),
            "the inspection of production has a timestamp without a time zone: 2025-11-30T09:30:00",
        ),
        (
            lambda: replace(PRODUCTION, findings=(TDSQL_BACKUP, TDSQL_BACKUP)),
            "two findings have the id 'tdsql/tdsqlshard-cxivfekz/backup_retention_days'",
        ),
        (
            lambda: QuotaUsage("tke-prod-a", "dfp-budget-prod", "pods", -1, 300),
            "quota tke-prod-a/dfp-budget-prod pods: amounts must be finite and not negative, "
            "got -1",
        ),
        (
            lambda: CapacityHeadroom("tke-prod-a", "cpu", float("nan"), 384, "cores"),
            "capacity tke-prod-a cpu: amounts must be finite and not negative, got nan",
        ),
        (
            lambda: replace(TDSQL_BACKUP, severity="high"),  # type: ignore[arg-type]
            "finding tdsql/tdsqlshard-cxivfekz/backup_retention_days: unknown severity 'high'",
        ),
        (
            lambda: replace(TDSQL_BACKUP, owner="dba"),  # type: ignore[arg-type]
            "finding tdsql/tdsqlshard-cxivfekz/backup_retention_days: unknown owner 'dba'",
        ),
        (lambda: replace(TDSQL_BACKUP, id=""), "a finding of INS-TDSQL-003 has an empty id"),
    ],
)
def test_records_refuse_what_no_collector_should_produce(
    build: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError) as raised:
        build()
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("resource", "amount", "shown"),
    [
        ("requests.cpu", 30.72, "30.72"),
        ("limits.cpu", 4.0, "4"),
        ("requests.cpu", 0.125, "0.12"),  # two decimals are enough for cores
        ("requests.memory", 163.2 * GI, "163.2Gi"),
        ("limits.memory", 512, "512"),
        ("requests.ephemeral-storage", 1536, "1.5Ki"),
        ("requests.storage", 1.2 * TI, "1.2Ti"),
        ("pods", 250, "250"),
        ("count/deployments.apps", 0, "0"),
    ],
)
def test_quota_amounts_are_shown_in_their_own_units(
    resource: str, amount: float, shown: str
) -> None:
    assert quota_amount(resource, amount) == shown


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (datetime(2025, 11, 30, 9, 30, tzinfo=BEIJING), "2025-11-30 09:30 UTC+08:00"),
        (datetime(2025, 11, 30, 1, 30, tzinfo=UTC), "2025-11-30 01:30 UTC"),
        (
            datetime(2025, 11, 29, 20, 0, tzinfo=timezone(-timedelta(hours=3, minutes=30))),
            "2025-11-29 20:00 UTC-03:30",
        ),
    ],
)
def test_times_are_shown_in_their_own_offset(when: datetime, shown: str) -> None:
    assert moment(when) == shown


# --- the JSON report -------------------------------------------------------------------------


def test_json_report_matches_golden() -> None:
    golden("production.json", report_json(PRODUCTION, CHANGES, HISTORY))


def test_json_report_of_a_first_inspection_has_no_changes_and_no_history() -> None:
    data = json.loads(report_json(FIRST, None, ()))
    assert (data["format_version"], data["changes"], data["history"], data["findings"]) == (
        1,
        None,
        [],
        [],
    )
    assert data["counts"]["severity"] == {"critical": 0, "warning": 0, "info": 0}


@pytest.mark.parametrize(
    "inspection", [PRODUCTION, FIRST, hostile()], ids=["production", "first", "hostile"]
)
def test_json_report_reads_back_into_the_inspection(inspection: Inspection) -> None:
    loaded = inspection_from_json(report_json(inspection, None, HISTORY))
    assert loaded == replace(inspection, findings=by_severity(inspection.findings))


def _damaged(change: Callable[[dict[str, Any]], object]) -> str:
    data = json.loads(report_json(PRODUCTION, CHANGES, HISTORY))
    change(data)
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"format_version": 1, "environ',
            "not JSON: Unterminated string starting at: line 1 column 23 (char 22)",
        ),
        ("[]", "report: expected an object, got []"),
        (_damaged(lambda d: d.update(format_version=2)), "format_version: expected 1, got 2"),
        (_damaged(lambda d: d.update(format_version=True)), "format_version: expected 1, got true"),
        (_damaged(lambda d: d.pop("generated_at")), "generated_at: missing"),
        (
            _damaged(lambda d: d.update(generated_at="2025-11-30T09:30:00")),
            'generated_at: expected a time with an offset, got "2025-11-30T09:30:00"',
        ),
        (
            _damaged(lambda d: d.update(generated_at="yesterday")),
            'generated_at: expected an ISO 8601 time, got "yesterday"',
        ),
        (
            _damaged(lambda d: d["findings"][1].update(severity="high")),
            'findings[1].severity: expected critical or warning or info, got "high"',
        ),
        (
            _damaged(lambda d: d["findings"][0]["title"].pop("en")),
            "findings[0].title.en: missing",
        ),
        (
            _damaged(lambda d: d["findings"][0].update(observed="yes")),
            'findings[0].observed: expected true or false, got "yes"',
        ),
        (
            _damaged(lambda d: d["quota"][2].update(used="lots")),
            'quota[2].used: expected a number, got "lots"',
        ),
        (
            _damaged(lambda d: d["quota"][2].update(hard=True)),
            "quota[2].hard: expected a number, got true",
        ),
        (
            _damaged(lambda d: d["quota"][2].update(hard=-32)),
            "quota tke-prod-a/dfp-execution-prod requests.cpu: amounts must be finite and not "
            "negative, got -32.0",
        ),
        (
            _damaged(lambda d: d["findings"].append(d["findings"][0])),
            "two findings have the id 'quota/tke-prod-a/dfp-budget-prod/requests.cpu'",
        ),
        (_damaged(lambda d: d.update(sources={})), "sources: expected a list, got {}"),
        (
            _damaged(lambda d: d.update(applied_approvers=[7])),
            "applied_approvers[0]: expected a string, got 7",
        ),
    ],
)
def test_reading_a_damaged_report_says_where(text: str, message: str) -> None:
    with pytest.raises(ReportFormatError) as raised:
        inspection_from_json(text)
    assert str(raised.value) == message


# --- the history -----------------------------------------------------------------------------


def test_without_a_history_directory_it_is_the_first_inspection(tmp_path: Path) -> None:
    store: HistoryStore = DirectoryStore(tmp_path / "history")
    assert store.previous("production") is None
    assert store.points("production") == ()
    assert store.sources("production") == (
        SourceStatus(
            "history", True, LocalText("首次巡检，无历史记录", "First inspection: no history yet")
        ),
    )
    assert changes_since(store.previous("production"), PRODUCTION) is None
    # an empty environment directory is the same
    (tmp_path / "history" / "production").mkdir(parents=True)
    assert DirectoryStore(tmp_path / "history").sources("production") == store.sources("production")


def save_days(store: HistoryStore) -> None:
    """The five inspections before PRODUCTION, saved as dfctl inspect would."""
    for day, critical, warning, info in EARLIER_COUNTS:
        store.save(report_json(earlier(day, critical, warning, info), None, ()))
    store.save(report_json(PREVIOUS, None, ()))


def test_saved_reports_give_the_previous_inspection_changes_and_trend(tmp_path: Path) -> None:
    store: HistoryStore = DirectoryStore(tmp_path)
    save_days(store)
    assert sorted(p.name for p in (tmp_path / "production").iterdir()) == [
        "20251125T013000Z.json",
        "20251126T013000Z.json",
        "20251127T013000Z.json",
        "20251128T013000Z.json",
        "20251129T013000Z.json",
    ]
    reread = DirectoryStore(tmp_path)
    assert reread.previous("production") == replace(
        PREVIOUS, findings=by_severity(PREVIOUS.findings)
    )
    assert reread.points("production") == HISTORY
    assert reread.sources("production") == (SOURCES[4],)
    assert changes_since(reread.previous("production"), PRODUCTION) == CHANGES
    # each environment has its own history
    assert reread.previous("acceptance") is None


def test_a_saved_report_is_seen_by_the_store_that_saved_it(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    assert store.previous("production") is None
    where = store.save(report_json(PREVIOUS, None, ()))
    assert where == str(tmp_path / "production" / "20251129T013000Z.json")
    assert store.points("production") == (PREVIOUS.point(),)


def test_the_trend_keeps_the_last_30_inspections(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    start = datetime(2025, 10, 1, 9, 30, tzinfo=BEIJING)
    for n in range(32):
        when = start + timedelta(days=n)
        store.save(report_json(replace(PREVIOUS, generated_at=when), None, ()))
    points = DirectoryStore(tmp_path).points("production")
    assert [p.generated_at for p in points] == [start + timedelta(days=n) for n in range(2, 32)]


def test_corrupt_history_files_are_skipped_and_named(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    save_days(store)
    directory = tmp_path / "production"
    truncated = directory / "20251129T020000Z.json"
    truncated.write_text(report_json(PRODUCTION, None, ())[:200], encoding="utf-8")
    binary = directory / "20251129T030000Z.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    misfiled = directory / "20251129T040000Z.json"
    misfiled.write_text(report_json(FIRST, None, ()), encoding="utf-8")
    (directory / "notes.txt").write_text("not a report, not read", encoding="utf-8")
    reread = DirectoryStore(tmp_path)
    assert reread.previous("production") == replace(
        PREVIOUS, findings=by_severity(PREVIOUS.findings)
    )
    assert reread.points("production") == HISTORY
    assert reread.sources("production") == (
        SOURCES[4],
        SourceStatus(
            "history",
            False,
            LocalText(
                f"历史记录文件 {misfiled} 已损坏，已跳过：it is a report of acceptance",
                f"History file {misfiled} is corrupt and was skipped: it is a report of acceptance",
            ),
        ),
        SourceStatus(
            "history",
            False,
            LocalText(
                f"历史记录文件 {binary} 已损坏，已跳过：not UTF-8 text",
                f"History file {binary} is corrupt and was skipped: not UTF-8 text",
            ),
        ),
        SourceStatus(
            "history",
            False,
            LocalText(
                f"历史记录文件 {truncated} 已损坏，已跳过：not JSON: Unterminated string starting "
                "at: line 6 column 23 (char 183)",
                f"History file {truncated} is corrupt and was skipped: not JSON: Unterminated "
                "string starting at: line 6 column 23 (char 183)",
            ),
        ),
    )


def test_only_corrupt_files_mean_no_previous_inspection_and_say_so(tmp_path: Path) -> None:
    directory = tmp_path / "production"
    directory.mkdir()
    (directory / "20251129T013000Z.json").write_text("{}", encoding="utf-8")
    store = DirectoryStore(tmp_path)
    assert store.previous("production") is None
    assert store.sources("production") == (
        SourceStatus(
            "history",
            False,
            LocalText(
                f"历史记录文件 {directory / '20251129T013000Z.json'} 已损坏，已跳过："
                "format_version: expected 1, got null",
                f"History file {directory / '20251129T013000Z.json'} is corrupt and was skipped: "
                "format_version: expected 1, got null",
            ),
        ),
    )


def test_an_unreadable_history_directory_is_a_source_not_a_traceback(tmp_path: Path) -> None:
    root = tmp_path / "history"
    root.write_text("a file where the directory should be", encoding="utf-8")
    store = DirectoryStore(root)
    assert store.previous("production") is None
    assert store.points("production") == ()
    assert store.sources("production") == (
        SourceStatus(
            "history",
            False,
            LocalText(
                f"无法读取历史记录目录 {root / 'production'}：Not a directory",
                f"Cannot read the history directory {root / 'production'}: Not a directory",
            ),
        ),
    )
    with pytest.raises(HistoryError, match=r"^cannot create .*/history/production: "):
        store.save(report_json(PRODUCTION, None, ()))


def test_a_second_report_in_the_same_second_is_refused_and_the_first_kept(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    first = report_json(PREVIOUS, None, ())
    store.save(first)
    with pytest.raises(HistoryError) as raised:
        store.save(report_json(replace(PREVIOUS, findings=()), None, ()))
    target = tmp_path / "production" / "20251129T013000Z.json"
    assert str(raised.value) == (
        f"{target} exists: an inspection of production in that second is already saved"
    )
    assert target.read_text(encoding="utf-8") == first
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # no temporary left


def test_saving_refuses_what_is_not_a_report_and_odd_environment_names(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    with pytest.raises(
        HistoryError, match=r"^not an inspection report: report: expected an object"
    ):
        store.save("[]")
    with pytest.raises(ValueError, match=r"'\.\./etc' is not an environment name"):
        store.save(report_json(replace(PREVIOUS, environment="../etc"), None, ()))
    assert list(tmp_path.iterdir()) == []


# --- markdown --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_markdown_report_matches_golden(lang: str) -> None:
    golden(f"production.{lang}.md", report_md(PRODUCTION, CHANGES, HISTORY, lang))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_markdown_report_of_a_first_inspection_matches_golden(lang: str) -> None:
    golden(f"first.{lang}.md", report_md(FIRST, None, (), lang))


def test_markdown_from_the_stored_history_is_the_golden_report(tmp_path: Path) -> None:
    store: HistoryStore = DirectoryStore(tmp_path)
    save_days(store)
    previous = store.previous("production")
    inspection = replace(PRODUCTION, sources=(*SOURCES[:4], *store.sources("production")))
    produced = report_md(
        inspection, changes_since(previous, inspection), store.points("production"), "zh"
    )
    assert produced == (GOLDEN / "production.zh.md").read_text(encoding="utf-8")


def test_markdown_escapes_what_comes_from_a_cluster() -> None:
    produced = report_md(hostile(), None, (), "en")
    assert (
        "| `quota/tke-prod-a/dfp-budget-prod/requests.cpu` | INS-QUOTA-001 | quota \\[click\\]"
        "(http://evil.example) | tke-prod-a/dfp-\\<script\\>alert(1)\\</script\\> "
        "ResourceQuota/x\\|y |"
    ) in produced
    assert (
        "- **Not read**: Cannot connect to cluster tke-prod-a: \\<img src=x onerror=alert(2)\\>"
        in produced
    )
    # every bracket is escaped (a line's first ">" is the report's own block quote)
    assert re.findall(r"(?<=[^\\\n])[<>\[\]]", produced) == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("quota/a|b", "`quota/a\\|b`"),
        ("two\nlines", "`two lines`"),
        ("tick`in", "`` tick`in ``"),
        ("``", "``` `` ```"),
    ],
)
def test_markdown_code_spans_survive_any_id(value: str, shown: str) -> None:
    assert code(value) == shown


def test_unknown_report_language_is_refused() -> None:
    for render in (report_md, report_html):
        with pytest.raises(ValueError, match=r"unknown report language 'de'"):
            render(PRODUCTION, CHANGES, HISTORY, "de")


# --- HTML, as text ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Element:
    tag: str
    attributes: dict[str, str]
    chart: str  # the class of the SVG chart it is in, "" outside charts
    after: str  # the tag of the element just before it in the document

    @property
    def classes(self) -> set[str]:
        return set(self.attributes.get("class", "").split())


class Elements(HTMLParser):
    """Every start tag of a page, with the chart it belongs to."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Element] = []
        self.text: list[str] = []
        self._chart = ""
        self._last = ""
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "svg":
            self._chart = next(c for c in attributes["class"].split() if c.startswith("chart-"))
        self.found.append(Element(tag, attributes, self._chart, self._last))
        self._last = tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = ""

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def count(self, tag: str, chart: str, *classes: str) -> int:
        return sum(
            e.tag == tag and e.chart == chart and set(classes) <= e.classes for e in self.found
        )


# what the sample's charts must hold, from its data: 8 quotas (1 critical, 1 warning), 4
# capacities (2 warning), 3 severities, 6 owner-severity pairs, 6 inspections in the trend
CHART_SHAPES = {
    ("rect", "chart-quota", "bar"): 8,
    ("rect", "chart-quota", "bar-critical"): 1,
    ("rect", "chart-quota", "bar-warning"): 1,
    ("rect", "chart-quota", "bar-normal"): 6,
    ("line", "chart-quota", "threshold"): 2,
    ("rect", "chart-capacity", "bar"): 4,
    ("rect", "chart-capacity", "bar-warning"): 2,
    ("rect", "chart-capacity", "bar-normal"): 2,
    ("line", "chart-capacity", "threshold"): 2,
    ("rect", "chart-findings", "sev"): 3,
    ("rect", "chart-findings", "seg"): 6,
    ("polyline", "chart-trend", "line"): 3,
    ("circle", "chart-trend", "dot"): 18,
    ("circle", "chart-trend", "dot-critical"): 6,
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_charts_hold_one_shape_per_datum(lang: str) -> None:
    page = Elements(report_html(PRODUCTION, CHANGES, HISTORY, lang))
    assert {key: page.count(*key) for key in CHART_SHAPES} == CHART_SHAPES
    polylines = [e for e in page.found if e.tag == "polyline"]
    assert [len(e.attributes["points"].split()) for e in polylines] == [6, 6, 6]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_is_labelled_for_screen_readers(lang: str) -> None:
    page = Elements(report_html(PRODUCTION, CHANGES, HISTORY, lang))
    charts = [e for e in page.found if e.tag == "svg"]
    assert [e.chart for e in charts] == [
        "chart-findings",
        "chart-trend",
        "chart-quota",
        "chart-capacity",
    ]
    assert all(e.attributes["role"] == "img" and e.attributes["aria-label"] for e in charts)
    # the title is each chart's first child
    titles = [e for e in page.found if e.tag == "title" and e.after == "svg"]
    assert len(titles) == len(charts)


def test_html_chart_labels_follow_the_language() -> None:
    zh = report_html(PRODUCTION, CHANGES, HISTORY, "zh")
    en = report_html(PRODUCTION, CHANGES, HISTORY, "en")
    assert zh.startswith('<!DOCTYPE html>\n<html lang="zh-CN">\n')
    assert en.startswith('<!DOCTYPE html>\n<html lang="en">\n')
    assert 'aria-label="资源配额使用率，共 8 项，其中严重 1 项，警告 1 项"' in zh
    assert 'aria-label="Quota usage: 8 quotas, 1 critical, 1 warning"' in en
    assert "<title>各命名空间资源配额使用率</title>" in zh
    assert "<title>Quota usage per namespace</title>" in en
    assert '<span class="badge badge-declared">仅申报，未实测</span>' in zh
    assert '<span class="badge badge-declared">declared, not observed</span>' in en


def test_html_without_two_inspections_shows_a_no_trend_panel() -> None:
    first = Elements(report_html(FIRST, None, (), "zh"))
    assert [e.chart for e in first.found if e.tag == "svg"] == []
    shown = "".join(first.text)
    assert "尚无趋势：至少需要两次巡检记录。" in shown
    assert "没有可用的上次巡检记录，本次不作对比。" in shown
    assert "正常：首次巡检，无历史记录" in shown
    second = Elements(report_html(PRODUCTION, CHANGES, HISTORY[-1:], "en"))
    assert second.count("polyline", "chart-trend", "line") == 3
    assert second.count("circle", "chart-trend", "dot") == 6


def test_html_is_self_contained_and_allows_only_its_own_style() -> None:
    page = report_html(PRODUCTION, CHANGES, HISTORY, "zh")
    elements = Elements(page)
    assert {e.tag for e in elements.found} <= {
        "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3",
        "dl", "dt", "dd", "section", "div", "span", "p", "ul", "li", "strong", "code", "figure",
        "figcaption", "svg", "g", "rect", "line", "polyline", "circle", "text", "table", "thead",
        "tbody", "tr", "th", "td", "footer",
    }  # fmt: skip
    assert not [e for e in elements.found if {"src", "href"} & e.attributes.keys()]
    assert "url(" not in page and "@import" not in page and "@font-face" not in page
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    (policy,) = [
        e.attributes["content"]
        for e in elements.found
        if e.attributes.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy == f"default-src 'none'; style-src 'sha256-{digest}'"


def test_html_prints_on_a4_in_colour_with_chinese_system_fonts() -> None:
    style = report_html(PRODUCTION, CHANGES, HISTORY, "zh").split("<style>", 1)[1]
    assert "@page { size: A4; margin: 14mm 12mm; }" in style
    assert "print-color-adjust: exact;" in style
    assert "figure { margin: 12px 0; break-inside: avoid;" in style
    assert "tr { break-inside: avoid;" in style
    assert (
        'font: 14px/1.55 "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", '
        '"Microsoft YaHei", sans-serif;'
    ) in style
    # nothing is fixed wider than A4's 186 mm of text (about 703 px): the charts are 680 wide
    assert "max-width: 186mm" in style
    widths = {
        int(w)
        for w in re.findall(
            r'<svg[^>]* width="(\d+)"', report_html(PRODUCTION, CHANGES, HISTORY, "zh")
        )
    }
    assert widths == {680}


def test_html_escapes_what_comes_from_a_cluster() -> None:
    page = report_html(hostile(), None, (), "zh")
    elements = Elements(page)
    assert not [
        e
        for e in elements.found
        if e.tag in ("script", "img") or (e.tag == "svg" and "onload" in e.attributes)
    ]
    assert not [e for e in elements.found for name in e.attributes if name.startswith("on")]
    assert "tke-prod-a/dfp-&lt;script&gt;alert(1)&lt;/script&gt; ResourceQuota/x|y" in page
    assert "集群 tke-prod-a 无法连接：&lt;img src=x onerror=alert(2)&gt;" in page
    assert "配额&quot;&#x27;&gt;&lt;svg onload=alert(1)&gt;" in page
    # the chart's row tooltip and label carry the name as text too
    assert (
        "<title>tke-prod-a/dfp-&lt;script&gt;alert(1)&lt;/script&gt; requests.cpu: 31 / 32 (96 %)</title>"
        in page
    )


# --- HTML in a real browser ------------------------------------------------------------------

CRITICAL_RGB = (0xD3, 0x2F, 0x2F)
WARNING_RGB = (0xF2, 0xA9, 0x00)


@pytest.fixture(scope="module")
def chromium() -> Path:
    try:
        return browser.find_chromium()
    except browser.BrowserMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, chromium: Path) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("report")
    written = {
        "zh": report_html(PRODUCTION, CHANGES, HISTORY, "zh"),
        "en": report_html(PRODUCTION, CHANGES, HISTORY, "en"),
        "hostile": report_html(hostile(), None, (), "zh"),
    }
    for name, page in written.items():
        (directory / f"{name}.html").write_text(page, encoding="utf-8")
    return {name: directory / f"{name}.html" for name in written}


def _drawn(selector: str) -> str:
    """JavaScript: how many elements match and take up room on the page after layout (a line
    only needs length: a vertical one has no width)."""
    return (
        f"[...document.querySelectorAll({json.dumps(selector)})].filter(e => {{"
        " const r = e.getBoundingClientRect(); return e.tagName === 'line'"
        " ? r.width > 0 || r.height > 0 : r.width > 0 && r.height > 0; }).length"
    )


@pytest.fixture(scope="module", params=["zh", "en"])
def loaded(request: pytest.FixtureRequest, pages: dict[str, Path]) -> tuple[str, browser.Loaded]:
    lang: str = request.param
    expressions = {
        f"{tag} {chart} {cls}": _drawn(f"svg.{chart} {tag}.{cls}")
        for tag, chart, cls in CHART_SHAPES
    }
    expressions["points"] = (
        "[...document.querySelectorAll('svg.chart-trend polyline')].map(p => p.points.numberOfItems)"
    )
    expressions["widest"] = (
        "Math.max(...[...document.querySelectorAll('body *')].map(e => e.getBoundingClientRect().right))"
    )
    return lang, browser.load(
        pages[lang],
        expressions,
        fonts_of=("h1", "svg.chart-findings text", "svg.chart-quota text"),
        images_of=("svg.chart-quota",),
    )


@pytest.mark.browser
def test_report_loads_without_console_errors_or_requests(
    loaded: tuple[str, browser.Loaded], pages: dict[str, Path]
) -> None:
    lang, page = loaded
    assert page.errors == []
    assert page.requests == [pages[lang].resolve().as_uri()]  # nothing but the file itself


@pytest.mark.browser
def test_charts_draw_one_shape_per_datum(loaded: tuple[str, browser.Loaded]) -> None:
    _, page = loaded
    drawn = {key: page.values[" ".join(key)] for key in CHART_SHAPES}
    assert drawn == CHART_SHAPES
    assert page.values["points"] == [6, 6, 6]
    # laid out in the 800 px window, nothing sticks out to the right of the page's text
    assert page.values["widest"] <= 800 - 16


@pytest.mark.browser
def test_text_and_chart_labels_are_drawn_with_the_cjk_font(
    loaded: tuple[str, browser.Loaded],
) -> None:
    _, page = loaded
    assert page.fonts == {
        selector: ["Noto Sans CJK SC"]
        for selector in ("h1", "svg.chart-findings text", "svg.chart-quota text")
    }, f"the labels were not drawn with Noto Sans CJK SC: {browser.INSTALL_HINT}"


@pytest.mark.browser
def test_quota_bars_are_painted_in_the_threshold_colours(
    loaded: tuple[str, browser.Loaded],
) -> None:
    _, page = loaded
    image = browser.decode_png(page.images["svg.chart-quota"])
    # The chart is 680 units wide, scaled to the page's text width; a bar is 360 units long at
    # 100 % and 16 high. Scaled, its edges fall between pixels and are blended (up to two of
    # its ~16 rows), the dashed threshold lines cross it, and the lines and their labels add a
    # few pixels of the same colour: hence the band rather than the exact area.
    scale = image.width / 680
    for rgb, percent in ((CRITICAL_RGB, 96), (WARNING_RGB, 85)):
        area = 360 * percent / 100 * 16 * scale * scale
        assert 0.85 * area <= image.pixels[rgb] <= 1.1 * area, (rgb, image.pixels[rgb], area)


@pytest.mark.browser
def test_screenshots_are_not_blank_and_differ_by_language(
    pages: dict[str, Path], tmp_path: Path
) -> None:
    images = {}
    for lang in ("zh", "en"):
        shot = browser.screenshot(pages[lang], tmp_path / f"{lang}.png", 800, 1200)
        image = browser.decode_png(shot)
        assert (image.width, image.height) == (800, 1200)
        white = image.pixels[(255, 255, 255)]
        assert white < 0.9 * 800 * 1200  # a blank page is all white
        assert len(image.pixels) > 50
        # the summary's cards and the findings chart, at the top of the page
        assert image.pixels[CRITICAL_RGB] > 3000
        assert image.pixels[WARNING_RGB] > 3000
        images[lang] = image
    assert images["zh"].pixels != images["en"].pixels


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_printing_gives_a4_pages(pages: dict[str, Path], tmp_path: Path, lang: str) -> None:
    pdf = browser.print_to_pdf(pages[lang], tmp_path / f"{lang}.pdf")
    assert pdf.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    pages_found = re.findall(rb"/Type\s*/Page\b", pdf)
    assert len(pages_found) >= 2 and len(boxes) == len(pages_found)
    # A4 is 210 x 297 mm: 595.3 x 841.9 points
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}


@pytest.mark.browser
def test_hostile_names_stay_text_in_the_browser(pages: dict[str, Path]) -> None:
    page = browser.load(
        pages["hostile"],
        {
            "scripts": "document.scripts.length",
            "images": "document.images.length",
            "handlers": "[...document.querySelectorAll('*')].filter(e =>"
            " [...e.attributes].some(a => a.name.startsWith('on'))).length",
            "shown": "document.body.innerText.includes('dfp-<script>alert(1)</script>')",
        },
    )
    assert page.errors == []
    assert page.values == {"scripts": 0, "images": 0, "handlers": 0, "shown": True}


@pytest.mark.browser
def test_the_console_check_catches_a_broken_page(tmp_path: Path, chromium: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html lang="en"><body><img src="missing.png">'
        '<script>console.error("boom")</script></body></html>',
        encoding="utf-8",
    )
    page = browser.load(broken)
    missing = (tmp_path / "missing.png").as_uri()
    assert sorted(page.errors) == [  # the two arrive in either order
        "console.error: boom",
        f"network error: Failed to load resource: net::ERR_FILE_NOT_FOUND {missing}",
    ]
    assert page.requests == [broken.as_uri(), missing]
