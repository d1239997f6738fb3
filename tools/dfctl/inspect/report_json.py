"""The inspection report as JSON: for scripts, and the file format of the inspection history.

Format version 1. One object, UTF-8, keys in this order::

    {
      "format_version": 1,
      "environment": "production",
      "generated_at": "2025-11-30T09:30:00+08:00",    // ISO 8601, always with an offset
      "revision": "3f9a1c…" | null,                    // the repository revision inspected against
      "applied_revision": "8c2d4e…" | null,            // the last applied revision (evidence) …
      "applied_approvers": ["郑国栋 <zheng.guodong@xx.gov.example>", …],  // … and its approvers
      "sources": [                                     // what could be read, in the order read
        {"name": "cluster tke-prod-a", "ok": true, "detail": {"zh": "…", "en": "…"}}
      ],
      "counts": {
        "severity": {"critical": 2, "warning": 3, "info": 1},
        "owner": {"cloud-platform": 2, "application": 1, "database": 1, "security": 1,
                  "operations": 1}
      },
      "findings": [                                    // most severe first, then by id
        {"id": "quota/tke-prod-a/dfp-budget-prod/requests.cpu", "check": "INS-QUOTA-001",
         "severity": "critical",                       // critical | warning | info
         "owner": "cloud-platform",                    // cloud-platform | application | database
                                                       //   | security | operations
         "object": "tke-prod-a/dfp-budget-prod ResourceQuota/dfp-quota",
         "title": {"zh": "…", "en": "…"}, "measured": "96 % (30.72 of 32 cores)",
         "threshold": "≥ 95 %", "action": {"zh": "…", "en": "…"},
         "observed": true}                             // false: declared only, not observed
      ],
      "changes": null | {                              // null: no earlier inspection to compare
        "since": "2025-11-29T09:30:00+08:00",          // when the earlier inspection ran
        "new": [ids], "resolved": [ids], "persistent": [ids]   // each sorted
      },
      "quota": [                                       // amounts in cores, bytes or a count
        {"cluster": "tke-prod-a", "namespace": "dfp-budget-prod", "resource": "requests.cpu",
         "used": 30.72, "hard": 32, "percent": 96}
      ],
      "capacity": [
        {"cluster": "tke-prod-a", "resource": "cpu", "requested": 312, "capacity": 384,
         "unit": "cores", "percent": 81}
      ],
      "history": [                                     // earlier inspections, oldest first
        {"generated_at": "2025-11-29T09:30:00+08:00", "critical": 1, "warning": 3, "info": 1}
      ]
    }

``percent`` is whole percent rounded down (:func:`~dfctl.inspect.findings.usage_percent`); counts,
changes, history and percentages are derived and ignored when a report is read back.
:func:`inspection_from_json` reads a report back into the Inspection it was written from, checking
every field; anything else raises :class:`ReportFormatError`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from dfctl.inspect.findings import (
    OWNERS,
    SEVERITIES,
    CapacityHeadroom,
    Changes,
    Finding,
    HistoryPoint,
    Inspection,
    LocalText,
    QuotaUsage,
    SourceStatus,
    by_severity,
    owner_counts,
    severity_counts,
)

FORMAT_VERSION = 1

_Choice = TypeVar("_Choice", bound=str)


class ReportFormatError(ValueError):
    """The text is not a version-1 inspection report; the message says where and why."""


def report_json(
    inspection: Inspection, changes: Changes | None, history: Sequence[HistoryPoint]
) -> str:
    """The report; ``history`` holds the earlier inspections' points, oldest first."""
    data = {
        "format_version": FORMAT_VERSION,
        "environment": inspection.environment,
        "generated_at": inspection.generated_at.isoformat(),
        "revision": inspection.revision,
        "applied_revision": inspection.applied_revision,
        "applied_approvers": list(inspection.applied_approvers),
        "sources": [
            {"name": s.name, "ok": s.ok, "detail": _text_data(s.detail)} for s in inspection.sources
        ],
        "counts": {
            "severity": severity_counts(inspection.findings),
            "owner": owner_counts(inspection.findings),
        },
        "findings": [_finding_data(f) for f in by_severity(inspection.findings)],
        "changes": None
        if changes is None
        else {
            "since": changes.since.isoformat(),
            "new": list(changes.new),
            "resolved": list(changes.resolved),
            "persistent": list(changes.persistent),
        },
        "quota": [
            {
                "cluster": q.cluster,
                "namespace": q.namespace,
                "resource": q.resource,
                "used": _amount_data(q.used),
                "hard": _amount_data(q.hard),
                "percent": q.percent,
            }
            for q in inspection.quota
        ],
        "capacity": [
            {
                "cluster": c.cluster,
                "resource": c.resource,
                "requested": _amount_data(c.requested),
                "capacity": _amount_data(c.capacity),
                "unit": c.unit,
                "percent": c.percent,
            }
            for c in inspection.capacity
        ],
        "history": [
            {
                "generated_at": p.generated_at.isoformat(),
                "critical": p.critical,
                "warning": p.warning,
                "info": p.info,
            }
            for p in history
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _text_data(text: LocalText) -> dict[str, str]:
    return {"zh": text.zh, "en": text.en}


def _amount_data(amount: float) -> float | int:
    # 32 reads better than 32.0 to people and scripts alike; it reads back as the same float
    # (float() first: a collector may hand over ints, which on 3.11 have no is_integer)
    value = float(amount)
    return int(value) if value.is_integer() else value


def _finding_data(finding: Finding) -> dict[str, object]:
    return {
        "id": finding.id,
        "check": finding.check,
        "severity": finding.severity,
        "owner": finding.owner,
        "object": finding.object,
        "title": _text_data(finding.title),
        "measured": finding.measured,
        "threshold": finding.threshold,
        "action": _text_data(finding.action),
        "observed": finding.observed,
    }


def inspection_from_json(text: str) -> Inspection:
    """The Inspection a report was written from (findings in the report's order)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportFormatError(f"not JSON: {exc}") from None
    root = _object(data, "report")
    version = root.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise ReportFormatError(
            f"format_version: expected {FORMAT_VERSION}, got {json.dumps(version)}"
        )
    try:
        return Inspection(
            environment=_string(root, "environment", ""),
            generated_at=_time(root, "generated_at", ""),
            revision=_optional_string(root, "revision", ""),
            applied_revision=_optional_string(root, "applied_revision", ""),
            applied_approvers=tuple(
                _item_string(item, f"applied_approvers[{i}]")
                for i, item in enumerate(_list(root, "applied_approvers", ""))
            ),
            findings=tuple(
                _finding(_object(item, f"findings[{i}]"), f"findings[{i}]")
                for i, item in enumerate(_list(root, "findings", ""))
            ),
            quota=tuple(
                _quota(_object(item, f"quota[{i}]"), f"quota[{i}]")
                for i, item in enumerate(_list(root, "quota", ""))
            ),
            capacity=tuple(
                _capacity(_object(item, f"capacity[{i}]"), f"capacity[{i}]")
                for i, item in enumerate(_list(root, "capacity", ""))
            ),
            sources=tuple(
                _source(_object(item, f"sources[{i}]"), f"sources[{i}]")
                for i, item in enumerate(_list(root, "sources", ""))
            ),
        )
    except ReportFormatError:
        raise
    except ValueError as exc:  # a record refused itself: duplicate ids, negative amounts …
        raise ReportFormatError(str(exc)) from None


def _finding(data: dict[str, object], where: str) -> Finding:
    return Finding(
        id=_string(data, "id", where),
        check=_string(data, "check", where),
        severity=_choice(data, "severity", where, SEVERITIES),
        owner=_choice(data, "owner", where, OWNERS),
        object=_string(data, "object", where),
        title=_text(data, "title", where),
        measured=_string(data, "measured", where),
        threshold=_string(data, "threshold", where),
        action=_text(data, "action", where),
        observed=_boolean(data, "observed", where),
    )


def _quota(data: dict[str, object], where: str) -> QuotaUsage:
    return QuotaUsage(
        cluster=_string(data, "cluster", where),
        namespace=_string(data, "namespace", where),
        resource=_string(data, "resource", where),
        used=_amount(data, "used", where),
        hard=_amount(data, "hard", where),
    )


def _capacity(data: dict[str, object], where: str) -> CapacityHeadroom:
    return CapacityHeadroom(
        cluster=_string(data, "cluster", where),
        resource=_string(data, "resource", where),
        requested=_amount(data, "requested", where),
        capacity=_amount(data, "capacity", where),
        unit=_string(data, "unit", where),
    )


def _source(data: dict[str, object], where: str) -> SourceStatus:
    return SourceStatus(
        name=_string(data, "name", where),
        ok=_boolean(data, "ok", where),
        detail=_text(data, "detail", where),
    )


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _field(data: dict[str, object], key: str, where: str) -> object:
    if key not in data:
        raise ReportFormatError(f"{_path(where, key)}: missing")
    return data[key]


def _wrong(where: str, expected: str, value: object) -> ReportFormatError:
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "…"
    return ReportFormatError(f"{where}: expected {expected}, got {shown}")


def _object(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _wrong(where, "an object", value)
    return value


def _list(data: dict[str, object], key: str, where: str) -> list[object]:
    value = _field(data, key, where)
    if not isinstance(value, list):
        raise _wrong(_path(where, key), "a list", value)
    return value


def _item_string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _wrong(where, "a string", value)
    return value


def _string(data: dict[str, object], key: str, where: str) -> str:
    return _item_string(_field(data, key, where), _path(where, key))


def _optional_string(data: dict[str, object], key: str, where: str) -> str | None:
    value = _field(data, key, where)
    return None if value is None else _item_string(value, _path(where, key))


def _boolean(data: dict[str, object], key: str, where: str) -> bool:
    value = _field(data, key, where)
    if not isinstance(value, bool):
        raise _wrong(_path(where, key), "true or false", value)
    return value


def _amount(data: dict[str, object], key: str, where: str) -> float:
    value = _field(data, key, where)
    # bool is an int to Python, but true is no amount
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(_path(where, key), "a number", value)
    return float(value)


def _choice(data: dict[str, object], key: str, where: str, choices: tuple[_Choice, ...]) -> _Choice:
    value = _field(data, key, where)
    for choice in choices:
        if value == choice:
            return choice
    raise _wrong(_path(where, key), " or ".join(choices), value)


def _text(data: dict[str, object], key: str, where: str) -> LocalText:
    place = _path(where, key)
    value = _object(_field(data, key, where), place)
    return LocalText(zh=_string(value, "zh", place), en=_string(value, "en", place))


def _time(data: dict[str, object], key: str, where: str) -> datetime:
    text = _string(data, key, where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _wrong(_path(where, key), "an ISO 8601 time", text) from None
    if moment.utcoffset() is None:
        raise _wrong(_path(where, key), "a time with an offset", text)
    return moment
