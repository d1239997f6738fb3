"""The HTML report's charts, drawn as inline SVG strings: no script, no fonts, nothing fetched.

Each chart is ``<svg role="img" aria-label="…"><title>…</title>…</svg>`` sized by its viewBox and
at most 680 units wide, the width of an A4 page's text at 96 dpi, so it prints at its own scale.
Every text is escaped: names and details come from the clusters. Drawn shapes carry classes that
say what they stand for (``bar bar-critical``, ``line line-warning`` …), so tests and style sheets
can find them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from dfctl.inspect import wording as w
from dfctl.inspect.amounts import moment, number, percent, quota_amount
from dfctl.inspect.findings import (
    CRITICAL_PERCENT,
    SEVERITIES,
    WARNING_PERCENT,
    CapacityHeadroom,
    Finding,
    HistoryPoint,
    QuotaUsage,
    Severity,
    fullest_first,
    owner_severity_counts,
    severity_counts,
    usage_severity,
)

WIDTH = 680

# one palette for charts and the page: the same red means critical everywhere
COLOUR: dict[Severity, str] = {"critical": "#d32f2f", "warning": "#f2a900", "info": "#1f78b4"}
NORMAL = "#4c9a5b"
TRACK = "#e8ecef"
INK = "#1f2933"
MUTED = "#5f6b76"
GRID = "#d5dbe0"


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _attributes(attributes: dict[str, str | float]) -> str:
    return "".join(
        f' {name}="{escape(_number(value) if isinstance(value, float | int) else value)}"'
        for name, value in attributes.items()
    )


def _tag(name: str, attributes: dict[str, str | float], content: str = "") -> str:
    """An element; ``content`` is markup already made safe (escaped text or other elements)."""
    return f"<{name}{_attributes(attributes)}>{content}</{name}>"


def _text(x: float, y: float, value: str, **style: str | float) -> str:
    attributes: dict[str, str | float] = {"x": x, "y": y}
    attributes.update({k.replace("_", "-"): v for k, v in style.items()})
    return _tag("text", attributes, escape(value))


def _svg(height: float, kind: str, title: str, label: str, body: Sequence[str]) -> str:
    return _tag(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": f"chart chart-{kind}",
            "viewBox": f"0 0 {WIDTH} {_number(height)}",
            "width": WIDTH,
            "height": height,
            "role": "img",
            "aria-label": label,
        },
        _tag("title", {}, escape(title)) + "".join(body),
    )


def _fit(value: str, limit: int) -> str:
    """Cut to ``limit`` characters; the row's tooltip keeps the whole name."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class _Usage:
    label: str
    sublabel: str
    percent: int
    note: str  # the full statement, as the row's tooltip


_LABEL_END = 222
_BAR_X = 232
_BAR_WIDTH = 360
_ROW = 32
_TOP = 28


def _usage_chart(kind: str, title: str, label: str, rows: Sequence[_Usage]) -> str:
    """Horizontal bars from 0 to 100 %, coloured by the warning and critical lines drawn across
    them. A bar past 100 % stops at the edge; its number says how far past."""
    body: list[str] = []
    for index, row in enumerate(rows):
        top = _TOP + index * _ROW
        severity = usage_severity(row.percent)
        level = severity or "normal"
        fill = COLOUR[severity] if severity else NORMAL
        width = _BAR_WIDTH * min(row.percent, 100) / 100
        body.append(
            _tag(
                "g",
                {"class": "row"},
                _tag("title", {}, escape(row.note))
                + _text(
                    _LABEL_END,
                    top + 13,
                    _fit(row.label, 36),
                    fill=INK,
                    font_size=11,
                    text_anchor="end",
                )
                + _text(
                    _LABEL_END,
                    top + 26,
                    _fit(row.sublabel, 36),
                    fill=MUTED,
                    font_size=10,
                    text_anchor="end",
                )
                + _tag(
                    "rect",
                    {
                        "class": "track",
                        "x": _BAR_X,
                        "y": top + 8,
                        "width": _BAR_WIDTH,
                        "height": 16,
                        "fill": TRACK,
                    },
                )
                + _tag(
                    "rect",
                    {
                        "class": f"bar bar-{level}",
                        "x": _BAR_X,
                        "y": top + 8,
                        "width": width,
                        "height": 16,
                        "fill": fill,
                    },
                )
                + _text(
                    _BAR_X + _BAR_WIDTH + 8,
                    top + 21,
                    percent(row.percent),
                    fill=INK,
                    font_size=11,
                    font_weight="bold",
                ),
            )
        )
    bottom = _TOP + len(rows) * _ROW + 4
    lines: tuple[tuple[Severity, int], ...] = (
        ("warning", WARNING_PERCENT),
        ("critical", CRITICAL_PERCENT),
    )
    for edge, line in lines:
        x = _BAR_X + _BAR_WIDTH * line / 100
        body.append(
            _tag(
                "line",
                {
                    "class": f"threshold threshold-{edge}",
                    "x1": x,
                    "y1": _TOP - 4,
                    "x2": x,
                    "y2": bottom,
                    "stroke": COLOUR[edge],
                    "stroke-width": 1.5,
                    "stroke-dasharray": "4 3",
                },
            )
        )
        # the two labels sit 54 units apart; the critical one leans right to keep clear
        anchor = "end" if edge == "warning" else "start"
        body.append(
            _text(
                x + (-3 if anchor == "end" else 3),
                _TOP - 10,
                percent(line),
                fill=COLOUR[edge],
                font_size=10,
                text_anchor=anchor,
            )
        )
    # the scale's ends go below the bars, clear of the threshold labels above them
    for at, tick in ((0, "0"), (_BAR_WIDTH, "100 %")):
        body.append(
            _text(_BAR_X + at, bottom + 12, tick, fill=MUTED, font_size=10, text_anchor="middle")
        )
    return _svg(bottom + 18, kind, title, label, body)


def quota_chart(quota: Sequence[QuotaUsage], lang: str) -> str | None:
    """Quota usage per namespace, fullest first; None without quota data."""
    if not quota:
        return None
    ordered = fullest_first(quota)
    rows = [
        _Usage(
            f"{q.cluster}/{q.namespace}",
            q.resource,
            q.percent,
            f"{q.cluster}/{q.namespace} {q.resource}: {quota_amount(q.resource, q.used)} / "
            f"{quota_amount(q.resource, q.hard)} ({percent(q.percent)})",
        )
        for q in ordered
    ]
    levels = [usage_severity(q.percent) for q in quota]
    label = w.quota_summary(len(quota), levels.count("critical"), levels.count("warning"))
    return _usage_chart("quota", w.QUOTA_CHART(lang), label(lang), rows)


def capacity_chart(capacity: Sequence[CapacityHeadroom], lang: str) -> str | None:
    """Each cluster's requests against its declared capacity; None without capacity data."""
    if not capacity:
        return None
    rows = [
        _Usage(
            c.cluster,
            f"{c.resource} · {w.HEADROOM(lang)} {number(c.headroom)} {c.unit}",
            c.percent,
            f"{c.cluster} {c.resource}: {number(c.requested)} / {number(c.capacity)} {c.unit}, "
            f"{w.HEADROOM(lang)} {number(c.headroom)} {c.unit} ({percent(c.percent)})",
        )
        for c in capacity
    ]
    levels = [usage_severity(c.percent) for c in capacity]
    label = w.capacity_summary(len(capacity), levels.count("critical"), levels.count("warning"))
    return _usage_chart("capacity", w.CAPACITY_CHART(lang), label(lang), rows)


def findings_chart(findings: Sequence[Finding], lang: str) -> str | None:
    """Two panels of bars: findings per severity, and per owner stacked by severity; None
    without findings."""
    if not findings:
        return None
    counts = severity_counts(findings)
    per_owner = owner_severity_counts(findings)
    row = 24
    top = 30
    body = [
        _text(0, 14, w.BY_SEVERITY(lang), fill=INK, font_size=12, font_weight="bold"),
        _text(330, 14, w.BY_OWNER(lang), fill=INK, font_size=12, font_weight="bold"),
    ]
    # left panel: labels end at 64, bars from 72, up to 200 long
    most = max(counts.values(), default=0) or 1
    for index, (severity, count) in enumerate(counts.items()):
        y = top + index * row
        body.append(
            _text(64, y + 13, w.SEVERITY[severity](lang), fill=INK, font_size=11, text_anchor="end")
        )
        width = 200 * count / most
        if count:
            body.append(
                _tag(
                    "rect",
                    {
                        "class": f"bar sev sev-{severity}",
                        "x": 72,
                        "y": y + 2,
                        "width": width,
                        "height": 15,
                        "fill": COLOUR[severity],
                    },
                )
            )
        body.append(_text(72 + width + 6, y + 14, str(count), fill=INK, font_size=11))
    # right panel: labels end at 440, stacked bars from 448, up to 190 long
    most = max((sum(c.values()) for c in per_owner.values()), default=0) or 1
    for index, (owner, per) in enumerate(per_owner.items()):
        y = top + index * row
        body.append(
            _text(440, y + 13, w.OWNER[owner](lang), fill=INK, font_size=11, text_anchor="end")
        )
        x = 448.0
        for severity in SEVERITIES:
            if per[severity]:
                width = 190 * per[severity] / most
                body.append(
                    _tag(
                        "rect",
                        {
                            "class": f"bar seg seg-{severity}",
                            "x": x,
                            "y": y + 2,
                            "width": width,
                            "height": 15,
                            "fill": COLOUR[severity],
                        },
                    )
                )
                x += width
        body.append(_text(x + 6, y + 14, str(sum(per.values())), fill=INK, font_size=11))
    label = w.finding_total(counts)(lang)
    return _svg(top + 5 * row + 4, "findings", w.FINDINGS_CHART(lang), label, body)


def trend_chart(points: Sequence[HistoryPoint], lang: str) -> str | None:
    """One line per severity over the inspections' times, oldest first; None with fewer than two
    points, where a line would say nothing."""
    if len(points) < 2:
        return None
    left, right, top, bottom = 44.0, 664.0, 34.0, 190.0
    start, end = points[0].generated_at, points[-1].generated_at
    span = (end - start).total_seconds()

    def x_of(index: int, when: datetime) -> float:
        if span <= 0:  # every point in one second: spread them evenly instead
            return left + (right - left) * index / (len(points) - 1)
        return left + (right - left) * (when - start).total_seconds() / span

    highest = max(p.count(s) for p in points for s in SEVERITIES)
    step = max(1, math.ceil(highest / 4))
    ceiling = max(step * 4, step * math.ceil(highest / step))

    def y_of(count: int) -> float:
        return bottom - (bottom - top) * count / ceiling

    body: list[str] = []
    for tick in range(0, ceiling + 1, step):
        y = y_of(tick)
        body.append(
            _tag(
                "line",
                {
                    "class": "grid",
                    "x1": left,
                    "y1": y,
                    "x2": right,
                    "y2": y,
                    "stroke": GRID,
                    "stroke-width": 1,
                },
            )
        )
        body.append(_text(left - 6, y + 4, str(tick), fill=MUTED, font_size=10, text_anchor="end"))
    xs = [x_of(i, p.generated_at) for i, p in enumerate(points)]
    every = math.ceil(len(points) / 8)  # at most about eight dates fit under the axis
    for index, (x, point) in enumerate(zip(xs, points, strict=True)):
        if index % every == 0 or index == len(points) - 1:
            body.append(
                _text(
                    x,
                    bottom + 16,
                    f"{point.generated_at:%m-%d}",
                    fill=MUTED,
                    font_size=10,
                    text_anchor="middle",
                )
            )
    for severity in SEVERITIES:
        colour = COLOUR[severity]
        coordinates = " ".join(
            f"{_number(x)},{_number(y_of(p.count(severity)))}"
            for x, p in zip(xs, points, strict=True)
        )
        body.append(
            _tag(
                "polyline",
                {
                    "class": f"line line-{severity}",
                    "points": coordinates,
                    "fill": "none",
                    "stroke": colour,
                    "stroke-width": 2,
                },
            )
        )
        for x, point in zip(xs, points, strict=True):
            count = point.count(severity)
            body.append(
                _tag(
                    "circle",
                    {
                        "class": f"dot dot-{severity}",
                        "cx": x,
                        "cy": y_of(count),
                        "r": 3,
                        "fill": colour,
                    },
                    _tag(
                        "title",
                        {},
                        escape(
                            f"{moment(point.generated_at)} {w.SEVERITY[severity](lang)} {count}"
                        ),
                    ),
                )
            )
    for index, severity in enumerate(SEVERITIES):
        x = left + index * 96
        body.append(
            _tag(
                "rect",
                {
                    "class": f"legend legend-{severity}",
                    "x": x,
                    "y": 8,
                    "width": 12,
                    "height": 12,
                    "fill": COLOUR[severity],
                },
            )
        )
        body.append(_text(x + 17, 18, w.SEVERITY[severity](lang), fill=INK, font_size=11))
    label = w.trend_summary(len(points), moment(start), moment(end))(lang)
    return _svg(bottom + 24, "trend", w.TREND_CHART(lang), label, body)
