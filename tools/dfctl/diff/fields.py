"""Differences between two JSON-like values, as immutable values.

Two kinds of change come out of a comparison:

* a :class:`FieldChange`: the value at one path changed, appeared or went away;
* a :class:`RowChange`: one row of an *identified list* was added, retired, changed or removed.

A list is identified when every row on both sides is a mapping carrying a scalar identity that is
unique on its side: the first of :data:`IDENTITY_KEYS` that qualifies (``code`` for element sets,
``key`` for configuration items, ``id`` for control rules, ``name`` for containers, ``port`` for
a policy's ports …). Such lists are matched by that identity, so inserting one code into an
element set is one added row, and reordering rows is no change at all. Inside a row, nested
identified lists are matched the same way but reported as plain field changes.

Any other list is compared as a sequence: inserted and deleted items are reported one by one
(by their index), items replaced in place are compared field by field. Lists of equal length are
compared item by item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import chain
from typing import Any, Literal

IDENTITY_KEYS = ("code", "id", "key", "name", "component", "type", "port")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")

FieldOp = Literal["add", "change", "remove"]
RowOp = Literal["add", "retire", "change", "remove"]
ROW_OPS: tuple[RowOp, ...] = ("add", "retire", "change", "remove")


@dataclass(frozen=True)
class FieldChange:
    op: FieldOp
    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class RowChange:
    """One row of an identified list.

    ``fields`` are the row's own changed fields, their paths relative to the row (for ``change``
    and ``retire``). A row is *retired* when it gains an ``end_date`` it did not have: it stays
    in the set, so that what was recorded under it still resolves. ``source`` is where the row
    is written (``path:line``; the base revision's for a removed row), when the renderer knows.
    """

    op: RowOp
    path: str  # the list, e.g. "spec.elements"
    key_field: str  # the identity, e.g. "code"
    key: str
    label: str  # the row's name, "" when it has none
    fields: tuple[FieldChange, ...]
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    source: str = ""

    @property
    def row_path(self) -> str:
        return f"{self.path}[{self.key_field}={self.key}]"

    def flat(self) -> list[FieldChange]:
        """The same change as field changes with keyed paths (``spec.elements[code=1].name``)."""
        if self.op == "add":
            return [FieldChange("add", self.row_path, None, self.new)]
        if self.op == "remove":
            return [FieldChange("remove", self.row_path, self.old, None)]
        return [FieldChange(f.op, _below(self.row_path, f.path), f.old, f.new) for f in self.fields]

    def with_source(self, source: str) -> RowChange:
        return RowChange(
            self.op,
            self.path,
            self.key_field,
            self.key,
            self.label,
            self.fields,
            self.old,
            self.new,
            source,
        )


@dataclass(frozen=True)
class RowCounts:
    """How many rows of one list were added, retired, changed and removed."""

    path: str
    key_field: str
    add: int = 0
    retire: int = 0
    change: int = 0
    remove: int = 0

    def of(self, op: RowOp) -> int:
        return int(getattr(self, op))

    def summary(self) -> str:
        """``3 added, 1 retired`` — the non-zero counts, in a fixed order."""
        words = {"add": "added", "retire": "retired", "change": "changed", "remove": "removed"}
        return ", ".join(f"{self.of(op)} {words[op]}" for op in ROW_OPS if self.of(op))


@dataclass(frozen=True)
class Delta:
    """Everything that differs between two values: plain field changes and identified rows."""

    fields: tuple[FieldChange, ...] = ()
    rows: tuple[RowChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fields or self.rows)

    def flat(self) -> list[FieldChange]:
        return [*self.fields, *chain.from_iterable(r.flat() for r in self.rows)]

    def without_paths(self, paths: set[str]) -> Delta:
        return Delta(tuple(f for f in self.fields if f.path not in paths), self.rows)


def count_rows(rows: Iterable[RowChange]) -> list[RowCounts]:
    """Row counts per list, in the order the lists first appear."""
    found: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        tally = found.setdefault((row.path, row.key_field), {})
        tally[row.op] = tally.get(row.op, 0) + 1
    return [RowCounts(path, key, **tally) for (path, key), tally in found.items()]


def join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    if _PLAIN.match(part):
        return f"{path}.{part}" if path else part
    return f"{path}[{part!r}]"


def _below(parent: str, relative: str) -> str:
    if not relative or relative == "(value)":
        return parent
    return parent + relative if relative.startswith("[") else f"{parent}.{relative}"


def _scalar_kind(value: Any) -> type | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return type(value)


def identity(old: list[Any], new: list[Any]) -> str | None:
    """The key that identifies the rows of both lists, or None when they are not identified."""
    rows = [*old, *new]
    if not rows or not all(isinstance(r, dict) for r in rows):
        return None
    for key in IDENTITY_KEYS:
        kinds = {_scalar_kind(r.get(key)) for r in rows}
        if len(kinds) != 1 or None in kinds:
            continue
        if all(len({r[key] for r in side}) == len(side) for side in (old, new)):
            return key
    return None


def _label(row: dict[str, Any] | None, key_field: str) -> str:
    name = (row or {}).get("name")
    return name if isinstance(name, str) and key_field != "name" else ""


def _row(
    path: str, key_field: str, ident: Any, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> RowChange | None:
    label = _label(old if old is not None else new, key_field)  # the name people knew it by
    if old is None:
        return RowChange("add", path, key_field, str(ident), label, (), None, new)
    if new is None:
        return RowChange("remove", path, key_field, str(ident), label, (), old, None)
    if old == new:
        return None
    changed: list[FieldChange] = []
    _walk(old, new, "", changed, None)
    retired = old.get("end_date") is None and new.get("end_date") is not None
    op: RowOp = "retire" if retired else "change"
    return RowChange(op, path, key_field, str(ident), label, tuple(changed), old, new)


def _keyed(
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    key_field: str,
    path: str,
    fields: list[FieldChange],
    rows: list[RowChange] | None,
) -> None:
    before = {r[key_field]: r for r in old}
    after = {r[key_field]: r for r in new}
    for ident in sorted(before.keys() | after.keys()):
        a, b = before.get(ident), after.get(ident)
        if rows is not None:
            row = _row(path, key_field, ident, a, b)
            if row is not None:
                rows.append(row)
            continue
        sub = f"{path}[{key_field}={ident}]"
        if b is None:
            fields.append(FieldChange("remove", sub, a, None))
        elif a is None:
            fields.append(FieldChange("add", sub, None, b))
        else:
            _walk(a, b, sub, fields, None)


def _fingerprint(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _sequence(
    old: list[Any],
    new: list[Any],
    path: str,
    fields: list[FieldChange],
    rows: list[RowChange] | None,
) -> None:
    """Unidentified lists: insertions and deletions item by item, replacements in place."""
    if len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, join(path, index), fields, rows)
        return
    matcher = SequenceMatcher(
        a=[_fingerprint(i) for i in old], b=[_fingerprint(i) for i in new], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1)  # replaced items are compared in place, pair by pair
        for offset in range(paired):
            _walk(old[i1 + offset], new[j1 + offset], join(path, j1 + offset), fields, rows)
        fields.extend(
            FieldChange("remove", join(path, i), old[i], None) for i in range(i1 + paired, i2)
        )
        fields.extend(
            FieldChange("add", join(path, j), None, new[j]) for j in range(j1 + paired, j2)
        )


def _walk(
    old: Any, new: Any, path: str, fields: list[FieldChange], rows: list[RowChange] | None
) -> None:
    """Compare ``old`` and ``new``; identified lists go to ``rows`` (inline when it is None)."""
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            sub = join(path, key)
            if key not in new:
                fields.append(FieldChange("remove", sub, old[key], None))
            elif key not in old:
                fields.append(FieldChange("add", sub, None, new[key]))
            else:
                _walk(old[key], new[key], sub, fields, rows)
        return
    if isinstance(old, list) and isinstance(new, list):
        key_field = identity(old, new)
        if key_field is not None:
            _keyed(old, new, key_field, path, fields, rows)
        else:
            _sequence(old, new, path, fields, rows)
        return
    fields.append(FieldChange("change", path or "(value)", old, new))


def diff(old: Any, new: Any) -> Delta:
    """What differs between ``old`` and ``new``: field changes and identified rows."""
    fields: list[FieldChange] = []
    rows: list[RowChange] = []
    _walk(old, new, "", fields, rows)
    return Delta(tuple(fields), tuple(rows))


def diff_values(old: Any, new: Any) -> list[FieldChange]:
    """The same comparison as :func:`diff`, every row flattened into keyed field paths."""
    fields: list[FieldChange] = []
    _walk(old, new, "", fields, None)
    return fields
