"""How field and row changes read, shared by the review, plan and drift reports."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from dfctl.diff.fields import FieldChange, RowChange, RowCounts, count_rows

ROW_SYMBOL = {"add": "+", "retire": "×", "change": "~", "remove": "-"}
# what a retirement sets; shown as "retired DATE, successor CODE" rather than field by field
_RETIREMENT = ("end_date", "successor")


def shown_value(value: Any) -> str:
    """A field value on one line for people: strings as they are, anything else as JSON, long
    ones cut at 120 characters."""
    if value is None:
        return "—"
    text = (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
    return text if len(text) <= 120 else text[:117] + "…"


def field_text(change: FieldChange) -> str:
    return f"{change.path} {shown_value(change.old)} → {shown_value(change.new)}"


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
    return [{"op": f.op, "path": f.path, old: f.old, new: f.new} for f in fields]


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
        old: row.old,
        new: row.new,
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
