"""The inspection report as one self-contained HTML file, to open in any browser or print to A4.

Nothing is fetched and nothing runs: styles are inline, charts are inline SVG
(:mod:`dfctl.inspect.charts`), fonts are the reader's own (a stack of the usual Chinese system
fonts), and there is no script. A Content-Security-Policy allows exactly the page's one style
sheet (by its hash) and nothing else, so even a name that slipped past escaping could neither
run a script nor load anything. Every text from an inspection is escaped.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from html import escape

from dfctl.inspect import wording as w
from dfctl.inspect.amounts import day, moment, number, percent, quota_amount
from dfctl.inspect.charts import (
    COLOUR,
    INK,
    MUTED,
    NORMAL,
    capacity_chart,
    findings_chart,
    quota_chart,
    trend_chart,
)
from dfctl.inspect.findings import (
    SEVERITIES,
    Changes,
    Finding,
    HistoryPoint,
    Inspection,
    LocalText,
    by_severity,
    fullest_first,
    severity_counts,
    usage_severity,
)

FONTS = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif'
MONO_FONTS = '"Noto Sans Mono CJK SC", "DejaVu Sans Mono", Consolas, monospace'
HTML_LANG = {"zh": "zh-CN", "en": "en"}

# A4 is 210 mm wide; with 12 mm margins the text is 186 mm, and nothing is wider than that
STYLE = f"""
@page {{ size: A4; margin: 14mm 12mm; }}
* {{ box-sizing: border-box; }}
html {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
body {{ margin: 0; background: #fff; color: {INK}; font: 14px/1.55 {FONTS}; }}
main {{ max-width: 186mm; margin: 0 auto; padding: 24px 16px; }}
h1 {{ font-size: 22px; line-height: 1.3; margin: 0 0 10px; }}
h2 {{ font-size: 17px; margin: 28px 0 10px; padding-bottom: 2px; border-bottom: 2px solid #1f4e79;
  break-after: avoid; page-break-after: avoid; }}
h3 {{ font-size: 15px; margin: 16px 0 6px; padding-left: 8px; break-after: avoid;
  page-break-after: avoid; }}
p {{ margin: 6px 0; }}
.meta {{ display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0;
  font-size: 13px; }}
.meta dt {{ color: {MUTED}; }}
.meta dd {{ margin: 0; overflow-wrap: anywhere; }}
.cards {{ display: flex; gap: 8px; margin: 8px 0 12px; }}
.card {{ flex: 1 1 0; min-width: 0; padding: 6px 10px; border-radius: 4px; color: #fff; }}
.card .n {{ display: block; font-size: 24px; font-weight: 700; line-height: 1.2; }}
.card-critical {{ background: {COLOUR["critical"]}; }}
.card-warning {{ background: {COLOUR["warning"]}; color: {INK}; }}
.card-info {{ background: {COLOUR["info"]}; }}
.card-total {{ background: #eceff1; color: {INK}; }}
.notice {{ padding: 6px 10px; border-left: 4px solid {COLOUR["critical"]}; background: #fdecea; }}
figure {{ margin: 12px 0; break-inside: avoid; page-break-inside: avoid; }}
figcaption {{ margin-bottom: 4px; font-size: 13px; font-weight: 600; }}
svg.chart {{ display: block; width: 100%; max-width: 100%; height: auto; }}
svg text {{ font-family: {FONTS}; }}
.empty {{ padding: 24px; border: 1px dashed #c9d1d9; background: #f7f9fa; color: {MUTED};
  text-align: center; }}
table {{ width: 100%; margin: 6px 0 12px; border-collapse: collapse; font-size: 12px; }}
th, td {{ padding: 4px 6px; border: 1px solid #c9d1d9; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }}
th {{ background: #eef2f5; }}
thead {{ display: table-header-group; }}
tr {{ break-inside: avoid; page-break-inside: avoid; }}
.num {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }}
code {{ font-family: {MONO_FONTS}; font-size: 11px; overflow-wrap: anywhere; }}
/* fixed columns: a long object name wraps inside its column instead of squeezing the rest */
.findings {{ table-layout: fixed; }}
.findings th:nth-child(1) {{ width: 24%; }}
.findings th:nth-child(2) {{ width: 17%; }}
.findings th:nth-child(3) {{ width: 13%; }}
.findings th:nth-child(4) {{ width: 10%; }}
.findings th:nth-child(5) {{ width: 12%; }}
.findings th:nth-child(6) {{ width: 24%; }}
.findings .object {{ overflow-wrap: anywhere; }}
.findings .id {{ display: block; color: {MUTED}; }}
.badge {{ display: inline-block; margin-left: 4px; padding: 0 5px; border-radius: 3px;
  font-size: 11px; white-space: nowrap; }}
.badge-new {{ background: #1f4e79; color: #fff; }}
.badge-declared {{ margin-left: 0; border: 1px solid #c9d1d9; background: #eceff1; color: {MUTED};
  white-space: normal; }}
.sources {{ padding-left: 20px; }}
.source-failed strong {{ color: {COLOUR["critical"]}; }}
.source-read strong {{ color: {NORMAL}; }}
.heading-critical {{ border-left: 4px solid {COLOUR["critical"]}; }}
.heading-warning {{ border-left: 4px solid {COLOUR["warning"]}; }}
.heading-info {{ border-left: 4px solid {COLOUR["info"]}; }}
.level-critical {{ color: #b71c1c; font-weight: 600; }}
.level-warning {{ color: #8a6100; font-weight: 600; }}
.changes dt {{ font-weight: 600; }}
.changes dd {{ margin: 0 0 6px 16px; }}
footer {{ margin-top: 24px; color: {MUTED}; font-size: 11px; }}
@media print {{
  body {{ font-size: 10pt; }}
  main {{ max-width: none; padding: 0; }}
  h2 {{ margin-top: 18px; }}
}}
"""


def _policy(style: str) -> str:
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'sha256-{digest}'"


def _e(value: str) -> str:
    return escape(value, quote=True)


def _join(parts: Iterable[str], lang: str) -> str:
    return w.LIST_SEPARATOR(lang).join(parts)


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def _aside(value: str, lang: str) -> str:
    return f"（{value}）" if lang == "zh" else f" ({value})"


def _row(cells: Iterable[tuple[str, str]]) -> str:
    """A table row from (markup, class) pairs; the markup is already escaped."""
    return (
        "<tr>"
        + "".join(f'<td class="{c}">{m}</td>' if c else f"<td>{m}</td>" for m, c in cells)
        + "</tr>"
    )


def _table(
    css_class: str, headings: Sequence[tuple[LocalText, str]], rows: Iterable[str], lang: str
) -> str:
    head = "".join(
        f'<th class="{c}">{_e(h(lang))}</th>' if c else f"<th>{_e(h(lang))}</th>"
        for h, c in headings
    )
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _figure(caption: LocalText, chart: str | None, empty: LocalText, lang: str) -> str:
    shown = chart if chart is not None else f'<p class="empty">{_e(empty(lang))}</p>'
    return f"<figure><figcaption>{_e(caption(lang))}</figcaption>{shown}</figure>"


def report_html(
    inspection: Inspection,
    changes: Changes | None,
    history: Sequence[HistoryPoint],
    lang: str = "zh",
) -> str:
    """The report; ``history`` holds the earlier inspections' points, oldest first."""
    title = w.title(inspection.environment, day(inspection.generated_at))(lang)  # checks lang
    parts = [
        _header(inspection, title, lang),
        _summary(inspection, lang),
        _sources(inspection, lang),
        _changes(changes, lang),
        _trend(inspection, history, lang),
        _findings(inspection, changes, lang),
        _quota(inspection, lang),
        _capacity(inspection, lang),
        f"<footer>dfctl inspect · {_e(moment(inspection.generated_at))}</footer>",
    ]
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{HTML_LANG[lang]}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_policy(STYLE)}">\n'
        f"<title>{_e(title)}</title>\n"
        f"<style>{STYLE}</style>\n"
        "</head>\n"
        "<body>\n<main>\n" + "\n".join(parts) + "\n</main>\n</body>\n</html>\n"
    )


def _header(inspection: Inspection, title: str, lang: str) -> str:
    revision = (
        f"<code>{_e(inspection.revision[:12])}</code>"
        if inspection.revision
        else _e(w.UNKNOWN(lang))
    )
    if inspection.applied_revision:
        approvers = _join((_e(a) for a in inspection.applied_approvers), lang) or _e(w.NONE(lang))
        applied = f"<code>{_e(inspection.applied_revision[:12])}</code>" + _aside(
            f"{_e(w.APPROVED_BY(lang))}{_colon(lang)}{approvers}", lang
        )
    else:
        applied = _e(w.NOTHING_APPLIED(lang))
    items = [
        (w.GENERATED_AT, _e(moment(inspection.generated_at))),
        (w.REVISION, revision),
        (w.APPLIED, applied),
    ]
    meta = "".join(f"<dt>{_e(label(lang))}</dt><dd>{value}</dd>" for label, value in items)
    return f'<header><h1>{_e(title)}</h1><dl class="meta">{meta}</dl></header>'


def _summary(inspection: Inspection, lang: str) -> str:
    counts = severity_counts(inspection.findings)
    cards = "".join(
        f'<div class="card card-{s}"><span class="n">{n}</span>{_e(w.SEVERITY[s](lang))}</div>'
        for s, n in counts.items()
    )
    cards += f'<div class="card card-total"><span class="n">{sum(counts.values())}</span>{_e(w.TOTAL(lang))}</div>'
    unread = sum(not s.ok for s in inspection.sources)
    notice = f'<p class="notice">{_e(w.incomplete(unread)(lang))}</p>' if unread else ""
    chart = findings_chart(inspection.findings, lang)
    return (
        f'<section id="summary"><h2>{_e(w.SUMMARY(lang))}</h2>'
        f'<div class="cards">{cards}</div><p>{_e(w.finding_total(counts)(lang))}</p>{notice}'
        f"{_figure(w.FINDINGS_CHART, chart, w.NO_FINDINGS, lang)}</section>"
    )


def _sources(inspection: Inspection, lang: str) -> str:
    ordered = sorted(inspection.sources, key=lambda s: s.ok)  # what could not be read first
    items = "".join(
        f'<li class="source-{"read" if s.ok else "failed"}">'
        f"<strong>{_e((w.SOURCE_READ if s.ok else w.SOURCE_FAILED)(lang))}</strong>"
        f"{_colon(lang)}{_e(s.detail(lang))}</li>"
        for s in ordered
    )
    listed = f'<ul class="sources">{items}</ul>' if items else f"<p>{_e(w.NONE(lang))}</p>"
    return f'<section id="sources"><h2>{_e(w.SOURCES(lang))}</h2>{listed}</section>'


def _changes(changes: Changes | None, lang: str) -> str:
    heading = f"<h2>{_e(w.CHANGES(lang))}</h2>"
    if changes is None:
        return f'<section id="changes">{heading}<p>{_e(w.NO_PREVIOUS(lang))}</p></section>'
    counts = len(changes.new), len(changes.resolved), len(changes.persistent)
    summary = w.since(moment(changes.since), *counts)(lang)
    groups = "".join(
        f"<dt>{_e(label(lang))}</dt><dd>"
        + (_join((f"<code>{_e(i)}</code>" for i in ids), lang) or _e(w.NONE(lang)))
        + "</dd>"
        for label, ids in (
            (w.NEW, changes.new),
            (w.RESOLVED, changes.resolved),
            (w.PERSISTENT, changes.persistent),
        )
    )
    return f'<section id="changes">{heading}<p>{_e(summary)}</p><dl class="changes">{groups}</dl></section>'


def _trend(inspection: Inspection, history: Sequence[HistoryPoint], lang: str) -> str:
    chart = trend_chart((*history, inspection.point()), lang)
    figure = _figure(w.TREND_CHART, chart, w.NO_TREND, lang)
    return f'<section id="trend"><h2>{_e(w.TREND(lang))}</h2>{figure}</section>'


def _finding_row(finding: Finding, new: bool, lang: str) -> str:
    badges = f'<span class="badge badge-new">{_e(w.NEW(lang))}</span>' if new else ""
    title = f'{_e(finding.title(lang))}{badges}<code class="id">{_e(finding.id)}</code>'
    measured = _e(finding.measured)
    if not finding.observed:
        measured += f'<span class="badge badge-declared">{_e(w.DECLARED_ONLY(lang))}</span>'
    return _row(
        [
            (title, ""),
            (_e(finding.object), "object"),
            (measured, ""),
            (_e(finding.threshold), ""),
            (_e(w.OWNER[finding.owner](lang)), ""),
            (f'{_e(finding.action(lang))}<code class="id">{_e(finding.check)}</code>', ""),
        ]
    )


def _findings(inspection: Inspection, changes: Changes | None, lang: str) -> str:
    heading = f"<h2>{_e(w.FINDINGS(lang))}</h2>"
    if not inspection.findings:
        return f'<section id="findings">{heading}<p>{_e(w.NO_FINDINGS(lang))}</p></section>'
    new = set(changes.new) if changes else set()
    headings = [
        (w.TITLE, ""),
        (w.OBJECT, ""),
        (w.MEASURED, ""),
        (w.THRESHOLD, ""),
        (w.OWNER_HEADING, ""),
        (w.ACTION, ""),
    ]
    ordered = by_severity(inspection.findings)
    groups = []
    for severity in SEVERITIES:
        group = [f for f in ordered if f.severity == severity]
        if not group:
            continue
        label = w.SEVERITY[severity](lang) + _aside(str(len(group)), lang)
        rows = (_finding_row(f, f.id in new, lang) for f in group)
        groups.append(
            f'<h3 class="heading-{severity}">{_e(label)}</h3>'
            + _table(f"findings findings-{severity}", headings, rows, lang)
        )
    return f'<section id="findings">{heading}{"".join(groups)}</section>'


def _level(used: int, lang: str) -> tuple[str, str]:
    severity = usage_severity(used)
    if severity is None:
        return _e(w.NORMAL(lang)), ""
    return _e(w.SEVERITY[severity](lang)), f"level-{severity}"


def _quota(inspection: Inspection, lang: str) -> str:
    chart = quota_chart(inspection.quota, lang)
    parts = [f"<h2>{_e(w.QUOTA(lang))}</h2>", _figure(w.QUOTA_CHART, chart, w.NO_QUOTA, lang)]
    if inspection.quota:
        ordered = fullest_first(inspection.quota)
        rows = (
            _row(
                [
                    (_e(q.cluster), ""),
                    (_e(q.namespace), ""),
                    (_e(q.resource), ""),
                    (_e(quota_amount(q.resource, q.used)), "num"),
                    (_e(quota_amount(q.resource, q.hard)), "num"),
                    (percent(q.percent), "num"),
                    _level(q.percent, lang),
                ]
            )
            for q in ordered
        )
        headings = [
            (w.CLUSTER, ""),
            (w.NAMESPACE, ""),
            (w.RESOURCE, ""),
            (w.USED, "num"),
            (w.HARD, "num"),
            (w.USAGE, "num"),
            (w.STATUS, ""),
        ]
        parts.append(_table("quota", headings, rows, lang))
    return f'<section id="quota">{"".join(parts)}</section>'


def _capacity(inspection: Inspection, lang: str) -> str:
    chart = capacity_chart(inspection.capacity, lang)
    parts = [
        f"<h2>{_e(w.CAPACITY(lang))}</h2>",
        _figure(w.CAPACITY_CHART, chart, w.NO_CAPACITY, lang),
    ]
    if inspection.capacity:
        rows = (
            _row(
                [
                    (_e(c.cluster), ""),
                    (_e(c.resource), ""),
                    (_e(f"{number(c.requested)} {c.unit}"), "num"),
                    (_e(f"{number(c.capacity)} {c.unit}"), "num"),
                    (_e(f"{number(c.headroom)} {c.unit}"), "num"),
                    (percent(c.percent), "num"),
                    _level(c.percent, lang),
                ]
            )
            for c in inspection.capacity
        )
        headings = [
            (w.CLUSTER, ""),
            (w.RESOURCE, ""),
            (w.REQUESTED, "num"),
            (w.CAPACITY_HEADING, "num"),
            (w.HEADROOM, "num"),
            (w.USAGE, "num"),
            (w.STATUS, ""),
        ]
        parts.append(_table("capacity", headings, rows, lang))
    return f'<section id="capacity">{"".join(parts)}</section>'
