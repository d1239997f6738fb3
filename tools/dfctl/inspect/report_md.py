"""The inspection report as markdown, in Chinese or English, for a merge request, a wiki or mail.

Everything that comes from a cluster (names, details, measurements) is escaped, so that a hostile
namespace name can neither break a table nor become a link or HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dfctl.inspect import wording as w
from dfctl.inspect.amounts import day, moment, number, percent, quota_amount
from dfctl.inspect.findings import (
    SEVERITIES,
    Changes,
    Finding,
    HistoryPoint,
    Inspection,
    LocalText,
    by_severity,
    fullest_first,
    owner_severity_counts,
    severity_counts,
    usage_severity,
)

# ASCII punctuation that starts markdown syntax inside a line: emphasis, code, links, HTML,
# entities and table cells. CommonMark reads any backslash-escaped ASCII punctuation literally.
_SPECIAL = frozenset("\\`*[]<>&|")


def text(value: str) -> str:
    """Plain text on one line, with markdown syntax escaped."""
    flat = " ".join(value.splitlines())
    return "".join(f"\\{c}" if c in _SPECIAL else c for c in flat)


def code(value: str) -> str:
    """A code span on one line. Inside it only ``|`` needs escaping (tables split cells first);
    a value with backticks gets a longer fence, as CommonMark allows."""
    flat = " ".join(value.splitlines()).replace("|", "\\|")
    longest = 0
    run = 0
    for c in flat:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(
    headings: Sequence[LocalText], align: str, rows: Iterable[Iterable[str]], lang: str
) -> list[str]:
    """``align`` has one letter per column: l (left) or r (right, for numbers)."""
    rule = ["---:" if a == "r" else "---" for a in align]
    return [_row(h(lang) for h in headings), _row(rule), *(_row(r) for r in rows)]


def report_md(
    inspection: Inspection,
    changes: Changes | None,
    history: Sequence[HistoryPoint],
    lang: str = "zh",
) -> str:
    """The report; ``history`` holds the earlier inspections' points, oldest first."""
    sections = [
        _heading(inspection, lang),
        _summary(inspection, lang),
        _sources(inspection, lang),
        _changes(changes, lang),
        _findings(inspection, lang),
        _quota(inspection, lang),
        _capacity(inspection, lang),
        _trend(inspection, history, lang),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def _heading(inspection: Inspection, lang: str) -> list[str]:
    colon = _colon(lang)
    revision = code(inspection.revision[:12]) if inspection.revision else w.UNKNOWN(lang)
    if inspection.applied_revision:
        applied = code(inspection.applied_revision[:12])
        approvers = w.LIST_SEPARATOR(lang).join(text(a) for a in inspection.applied_approvers)
        by = f"{w.APPROVED_BY(lang)}{colon}{approvers or w.NONE(lang)}"
        applied += f"（{by}）" if lang == "zh" else f" ({by})"
    else:
        applied = w.NOTHING_APPLIED(lang)
    title = w.title(inspection.environment, day(inspection.generated_at))(lang)
    return [
        f"# {text(title)}",
        "",
        f"- {w.GENERATED_AT(lang)}{colon}{moment(inspection.generated_at)}",
        f"- {w.REVISION(lang)}{colon}{revision}",
        f"- {w.APPLIED(lang)}{colon}{applied}",
    ]


def _summary(inspection: Inspection, lang: str) -> list[str]:
    counts = severity_counts(inspection.findings)
    lines = [f"## {w.SUMMARY(lang)}", "", w.finding_total(counts)(lang)]
    unread = sum(not s.ok for s in inspection.sources)
    if unread:
        lines += ["", f"> {w.incomplete(unread)(lang)}"]
    if not inspection.findings:
        return lines
    by_owner = owner_severity_counts(inspection.findings)
    rows = [
        [w.OWNER[owner](lang), *(str(n) for n in per.values()), str(sum(per.values()))]
        for owner, per in by_owner.items()
    ]
    rows.append(
        [f"**{w.TOTAL(lang)}**", *(str(n) for n in counts.values()), str(sum(counts.values()))]
    )
    headings = [w.OWNER_HEADING, *(w.SEVERITY[s] for s in SEVERITIES), w.TOTAL]
    return [*lines, "", *_table(headings, "lrrrr", rows, lang)]


def _sources(inspection: Inspection, lang: str) -> list[str]:
    # what could not be read comes first: it limits everything else the report says
    ordered = sorted(inspection.sources, key=lambda s: s.ok)
    # the colon stays outside the emphasis: CommonMark does not close "**" between a full-width
    # colon and a Chinese character
    lines = [
        f"- **{(w.SOURCE_READ if s.ok else w.SOURCE_FAILED)(lang)}**{_colon(lang)}"
        f"{text(s.detail(lang))}"
        for s in ordered
    ]
    return [f"## {w.SOURCES(lang)}", "", *(lines or [w.NONE(lang)])]


def _changes(changes: Changes | None, lang: str) -> list[str]:
    lines = [f"## {w.CHANGES(lang)}", ""]
    if changes is None:
        return [*lines, w.NO_PREVIOUS(lang)]
    counts = len(changes.new), len(changes.resolved), len(changes.persistent)
    lines.append(w.since(moment(changes.since), *counts)(lang))
    lines.append("")
    for label, ids in (
        (w.NEW, changes.new),
        (w.RESOLVED, changes.resolved),
        (w.PERSISTENT, changes.persistent),
    ):
        listed = w.LIST_SEPARATOR(lang).join(code(i) for i in ids) or w.NONE(lang)
        lines.append(f"- {label(lang)}{_colon(lang)}{listed}")
    return lines


def _measured(finding: Finding, lang: str) -> str:
    shown = text(finding.measured)
    if finding.observed:
        return shown
    note = w.DECLARED_ONLY(lang)
    return f"{shown}（{note}）" if lang == "zh" else f"{shown} ({note})"


def _findings(inspection: Inspection, lang: str) -> list[str]:
    lines = [f"## {w.FINDINGS(lang)}"]
    if not inspection.findings:
        return [*lines, "", w.NO_FINDINGS(lang)]
    headings = [
        w.ID,
        w.CHECK,
        w.TITLE,
        w.OBJECT,
        w.MEASURED,
        w.THRESHOLD,
        w.OWNER_HEADING,
        w.ACTION,
    ]
    ordered = by_severity(inspection.findings)
    for severity in SEVERITIES:
        group = [f for f in ordered if f.severity == severity]
        if not group:
            continue
        label = w.SEVERITY[severity](lang)
        count = f"{label}（{len(group)}）" if lang == "zh" else f"{label} ({len(group)})"
        rows = [
            [
                code(f.id),
                text(f.check),
                text(f.title(lang)),
                text(f.object),
                _measured(f, lang),
                text(f.threshold),
                w.OWNER[f.owner](lang),
                text(f.action(lang)),
            ]
            for f in group
        ]
        lines += ["", f"### {count}", "", *_table(headings, "llllllll", rows, lang)]
    return lines


def _level(percent_used: int, lang: str) -> str:
    severity = usage_severity(percent_used)
    return w.SEVERITY[severity](lang) if severity else w.NORMAL(lang)


def _quota(inspection: Inspection, lang: str) -> list[str]:
    lines = [f"## {w.QUOTA(lang)}", ""]
    if not inspection.quota:
        return [*lines, w.NO_QUOTA(lang)]
    ordered = fullest_first(inspection.quota)
    rows = [
        [
            text(q.cluster),
            text(q.namespace),
            text(q.resource),
            text(quota_amount(q.resource, q.used)),
            text(quota_amount(q.resource, q.hard)),
            percent(q.percent),
            _level(q.percent, lang),
        ]
        for q in ordered
    ]
    headings = [w.CLUSTER, w.NAMESPACE, w.RESOURCE, w.USED, w.HARD, w.USAGE, w.STATUS]
    return [*lines, *_table(headings, "lllrrrl", rows, lang)]


def _capacity(inspection: Inspection, lang: str) -> list[str]:
    lines = [f"## {w.CAPACITY(lang)}", ""]
    if not inspection.capacity:
        return [*lines, w.NO_CAPACITY(lang)]
    rows = [
        [
            text(c.cluster),
            text(c.resource),
            text(f"{number(c.requested)} {c.unit}"),
            text(f"{number(c.capacity)} {c.unit}"),
            text(f"{number(c.headroom)} {c.unit}"),
            percent(c.percent),
            _level(c.percent, lang),
        ]
        for c in inspection.capacity
    ]
    headings = [
        w.CLUSTER,
        w.RESOURCE,
        w.REQUESTED,
        w.CAPACITY_HEADING,
        w.HEADROOM,
        w.USAGE,
        w.STATUS,
    ]
    return [*lines, *_table(headings, "llrrrrl", rows, lang)]


def _trend(inspection: Inspection, history: Sequence[HistoryPoint], lang: str) -> list[str]:
    lines = [f"## {w.TREND(lang)}", ""]
    if not history:
        return [*lines, w.NO_TREND(lang)]
    now = w.THIS_INSPECTION(lang)
    labelled = [(moment(p.generated_at), p) for p in history]
    current = inspection.point()
    labelled.append(
        (moment(current.generated_at) + (f"（{now}）" if lang == "zh" else f" ({now})"), current)
    )
    rows = [
        [
            label,
            *(str(p.count(s)) for s in SEVERITIES),
            str(sum(p.count(s) for s in SEVERITIES)),
        ]
        for label, p in labelled
    ]
    headings = [w.INSPECTED_AT, *(w.SEVERITY[s] for s in SEVERITIES), w.TOTAL]
    return [*lines, *_table(headings, "lrrrr", rows, lang)]
