"""The report's fixed words, in both languages, so that the markdown and HTML reports say the
same thing the same way. Sentences with numbers are functions returning a LocalText."""

from __future__ import annotations

from dfctl.inspect.findings import LocalText, Owner, Severity

SEVERITY: dict[Severity, LocalText] = {
    "critical": LocalText("严重", "Critical"),
    "warning": LocalText("警告", "Warning"),
    "info": LocalText("提示", "Info"),
}
OWNER: dict[Owner, LocalText] = {
    "cloud-platform": LocalText("云平台", "Cloud platform"),
    "application": LocalText("应用", "Application"),
    "database": LocalText("数据库", "Database"),
    "security": LocalText("安全", "Security"),
    "operations": LocalText("运营", "Operations"),
}
_ENVIRONMENT = {
    "production": "生产环境",
    "pre-release": "预发布环境",
    "acceptance": "验收环境",
}

REPORT = LocalText("数字财政平台巡检报告", "Digital Finance platform inspection report")
GENERATED_AT = LocalText("生成时间", "Generated")
REVISION = LocalText("巡检依据的配置版本", "Inspected against revision")
APPLIED = LocalText("最近一次发布的版本", "Last applied revision")
APPROVED_BY = LocalText("审批人", "approved by")
UNKNOWN = LocalText("未知", "unknown")
NOTHING_APPLIED = LocalText("尚无发布记录", "none recorded")
NONE = LocalText("无", "none")
LIST_SEPARATOR = LocalText("、", ", ")

SUMMARY = LocalText("概况", "Summary")
SOURCES = LocalText("数据来源", "Sources")
CHANGES = LocalText("与上次巡检对比", "Since the last inspection")
FINDINGS = LocalText("问题清单", "Findings")
QUOTA = LocalText("资源配额使用", "Quota usage")
CAPACITY = LocalText("集群容量余量", "Cluster capacity headroom")
TREND = LocalText("历次巡检趋势", "Trend across inspections")

SOURCE_READ = LocalText("正常", "Read")
SOURCE_FAILED = LocalText("未能读取", "Not read")

NEW = LocalText("新增", "New")
RESOLVED = LocalText("已解决", "Resolved")
PERSISTENT = LocalText("仍存在", "Persistent")
NO_PREVIOUS = LocalText(
    "没有可用的上次巡检记录，本次不作对比。", "There is no earlier inspection to compare with."
)

ID = LocalText("编号", "ID")
CHECK = LocalText("检查项", "Check")
TITLE = LocalText("问题", "Finding")
OBJECT = LocalText("对象", "Object")
MEASURED = LocalText("实测值", "Measured")
THRESHOLD = LocalText("阈值", "Threshold")
OWNER_HEADING = LocalText("责任方", "Owner")
ACTION = LocalText("建议措施", "Suggested action")
SEVERITY_HEADING = LocalText("严重程度", "Severity")
TOTAL = LocalText("合计", "Total")
DECLARED_ONLY = LocalText("仅申报，未实测", "declared, not observed")
NO_FINDINGS = LocalText("未发现问题。", "No findings.")

CLUSTER = LocalText("集群", "Cluster")
NAMESPACE = LocalText("命名空间", "Namespace")
RESOURCE = LocalText("资源", "Resource")
USED = LocalText("已用", "Used")
HARD = LocalText("上限", "Limit")
USAGE = LocalText("使用率", "Usage")
STATUS = LocalText("状态", "Status")
NORMAL = LocalText("正常", "Normal")
REQUESTED = LocalText("已申请", "Requested")
CAPACITY_HEADING = LocalText("容量", "Capacity")
HEADROOM = LocalText("余量", "Headroom")
NO_QUOTA = LocalText("未读取到配额数据。", "No quota data was read.")
NO_CAPACITY = LocalText("未读取到容量数据。", "No capacity data was read.")

INSPECTED_AT = LocalText("巡检时间", "Inspected at")
NO_TREND = LocalText(
    "尚无趋势：至少需要两次巡检记录。", "No trend yet: it takes at least two inspections."
)
THIS_INSPECTION = LocalText("本次", "this inspection")

QUOTA_CHART = LocalText("各命名空间资源配额使用率", "Quota usage per namespace")
FINDINGS_CHART = LocalText("问题分布：按严重程度和责任方", "Findings by severity and by owner")
BY_SEVERITY = LocalText("按严重程度", "By severity")
BY_OWNER = LocalText("按责任方", "By owner")
TREND_CHART = LocalText("历次巡检发现的问题数量", "Findings across inspections")
CAPACITY_CHART = LocalText("各集群容量占用", "Capacity requested per cluster")

FIRST_INSPECTION = LocalText("首次巡检，无历史记录", "First inspection: no history yet")


def environment(name: str) -> LocalText:
    """An environment as the bureau names it: "生产环境（production）"."""
    zh = _ENVIRONMENT.get(name)
    return LocalText(f"{zh}（{name}）" if zh else name, name)


def title(env: str, date: LocalText) -> LocalText:
    where = environment(env)
    return LocalText(f"{REPORT.zh}：{where.zh}，{date.zh}", f"{REPORT.en}: {where.en}, {date.en}")


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def finding_total(counts: dict[Severity, int]) -> LocalText:
    """ "共发现问题 6 项：严重 2 项，警告 3 项，提示 1 项。" """
    total = sum(counts.values())
    if total == 0:
        return NO_FINDINGS
    zh = "，".join(f"{SEVERITY[s].zh} {n} 项" for s, n in counts.items())
    en = ", ".join(_plural(n, s) if s == "warning" else f"{n} {s}" for s, n in counts.items())
    return LocalText(f"共发现问题 {total} 项：{zh}。", f"{_plural(total, 'finding')}: {en}.")


def incomplete(unread: int) -> LocalText:
    return LocalText(
        f"注意：有 {unread} 项数据未能读取，本报告可能不完整，详见“数据来源”。",
        f"Note: {_plural(unread, 'source')} could not be read, so this report may be incomplete"
        " (see Sources).",
    )


def since(when: str, new: int, resolved: int, persistent: int) -> LocalText:
    return LocalText(
        f"上次巡检：{when}。新增 {new} 项，已解决 {resolved} 项，仍存在 {persistent} 项。",
        f"Last inspection: {when}. {new} new, {resolved} resolved, {persistent} persistent.",
    )


def history_read(count: int, last: str) -> LocalText:
    return LocalText(
        f"已读取历史巡检记录 {count} 份，上次巡检于 {last}",
        f"Read {_plural(count, 'earlier inspection')}; the last was at {last}",
    )


def history_corrupt(name: str, reason: str) -> LocalText:
    return LocalText(
        f"历史记录文件 {name} 已损坏，已跳过：{reason}",
        f"History file {name} is corrupt and was skipped: {reason}",
    )


def history_unreadable(where: str, reason: str) -> LocalText:
    return LocalText(
        f"无法读取历史记录目录 {where}：{reason}",
        f"Cannot read the history directory {where}: {reason}",
    )


def quota_summary(count: int, critical: int, warning: int) -> LocalText:
    return LocalText(
        f"资源配额使用率，共 {count} 项，其中严重 {critical} 项，警告 {warning} 项",
        f"Quota usage: {count} quotas, {critical} critical, {warning} warning",
    )


def capacity_summary(count: int, critical: int, warning: int) -> LocalText:
    return LocalText(
        f"各集群容量占用，共 {count} 项，其中严重 {critical} 项，警告 {warning} 项",
        f"Capacity requested: {count} resources, {critical} critical, {warning} warning",
    )


def trend_summary(count: int, first: str, last: str) -> LocalText:
    return LocalText(
        f"{first} 至 {last} 共 {count} 次巡检发现的严重、警告和提示问题数量",
        f"Critical, warning and info findings of {count} inspections from {first} to {last}",
    )
