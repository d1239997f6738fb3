"""How field and row changes read, shared by the review, plan and drift reports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from dfctl.diff.fields import FieldChange, RowChange, RowCounts, count_rows
from dfctl.redact import MASK, SECRET_REFERENCE, is_secret_key, redact

ROW_SYMBOL = {"add": "+", "retire": "×", "change": "~", "remove": "-"}
# what a retirement sets; shown as "retired DATE, successor CODE" rather than field by field
_RETIREMENT = ("end_date", "successor")


# the last name in a field path: ``data.db_password``, ``spec.items['datahub.pbc.token']``
_LAST_NAME = re.compile(r"(?:^|\.)([^.\[\]]+)$|\['((?:[^'\\]|\\.)*)'\]$")
_INDEXES = re.compile(r"(?:\[\d+\])+$")


def masked(path: str, value: Any) -> Any:
    """``value`` as it may be shown: ``****`` under a key that names a secret, a secret's shape
    masked where it stands in a string (:mod:`dfctl.redact`), mappings and lists item by item.

    The repository cannot hold a secret (the DFP-SEC rules), but a live value can: someone
    may store one by hand in a cluster or the configuration service, and drift shows it."""
    return _masked(_last_name(path), value)


def _masked(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _masked(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(key, v) for v in value]
    if value is None or isinstance(value, bool) or not is_secret_key(key):
        return redact(value) if isinstance(value, str) else value
    return value if str(value).startswith((SECRET_REFERENCE, MASK)) else MASK


def _last_name(path: str) -> str:
    found = _LAST_NAME.search(_INDEXES.sub("", path))
    if found is None:
        return ""
    return found.group(1) if found.group(1) is not None else found.group(2)


def shown_value(value: Any, path: str = "") -> str:
    """A field value on one line for people (masked as :func:`masked` does): strings as they
    are, anything else as JSON, long ones cut at 120 characters."""
    if value is None:
        return "—"
    value = masked(path, value)
    text = (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
    return text if len(text) <= 120 else text[:117] + "…"


def shown_field(change: FieldChange) -> tuple[str, str]:
    """The old and the new value of ``change``, for people."""
    return shown_value(change.old, change.path), shown_value(change.new, change.path)


def field_text(change: FieldChange) -> str:
    old, new = shown_field(change)
    return f"{change.path} {old} → {new}"


def row_title(row: RowChange) -> str:
    """The row as people name it: ``2010101 行政运行``."""
    return f"{row.key} {row.label}" if row.label else row.key


def retirement(row: RowChange) -> str:
    """``retired 2026-12-31, successor 2010199`` for a retired row."""
    new = row.new or {}
    successor = new.get("successor")
    return f"retired {shown_value(new.get('end_date'))}, " + (
        f"successor {shown_value(successor)}" if successor is not None else "no successor"
    )


def row_fields(row: RowChange) -> list[FieldChange]:
    """The changed fields to show one by one (a retirement's date and successor are shown as
    the retirement)."""
    if row.op == "retire":
        return [f for f in row.fields if f.path not in _RETIREMENT]
    return list(row.fields)


def row_what(row: RowChange) -> str:
    """What happened to a changed or retired row, on one line."""
    parts = [retirement(row)] if row.op == "retire" else []
    parts += [field_text(f) for f in row_fields(row)]
    return "; ".join(parts)


def row_text(row: RowChange) -> str:
    """``~ 2010101 行政运行: name 行政运行 → 一般行政事务  (standards/elements/exp_func.yaml:57)``"""
    line = f"{ROW_SYMBOL[row.op]} {row_title(row)}"
    if row.op in ("change", "retire"):
        line += f": {row_what(row)}"
    if row.source:
        line += f"  ({'was at ' if row.op == 'remove' else ''}{row.source})"
    return line


def by_list(rows: Sequence[RowChange]) -> list[tuple[RowCounts, list[RowChange]]]:
    """Rows grouped by the list they belong to, with that list's counts."""
    return [
        (counts, [r for r in rows if (r.path, r.key_field) == (counts.path, counts.key_field)])
        for counts in count_rows(rows)
    ]


def rows_text(rows: Sequence[RowChange], indent: str) -> list[str]:
    """Every changed row, under a line per list with its counts."""
    lines = []
    for counts, listed in by_list(rows):
        lines.append(f"{indent}{counts.path}: {counts.summary()}")
        lines += [f"{indent}  {row_text(r)}" for r in listed]
    return lines


def fields_data(fields: Iterable[FieldChange], old: str = "old", new: str = "new") -> list[Any]:
    return [
        {"op": f.op, "path": f.path, old: masked(f.path, f.old), new: masked(f.path, f.new)}
        for f in fields
    ]


def row_data(row: RowChange, old: str = "old", new: str = "new") -> dict[str, Any]:
    """One row for scripts: its list, identity, name, what happened, and where it is written."""
    return {
        "list": row.path,
        "key_field": row.key_field,
        "key": row.key,
        "name": row.label,
        "op": row.op,
        "source": row.source,
        "fields": fields_data(row.fields, old, new),
        old: masked(row.path, row.old),
        new: masked(row.path, row.new),
    }


def counts_data(counts: RowCounts) -> dict[str, Any]:
    return {
        "list": counts.path,
        "key_field": counts.key_field,
        "added": counts.add,
        "retired": counts.retire,
        "changed": counts.change,
        "removed": counts.remove,
    }
