"""What taking in a code list changes: the codes added, retired and renamed, and the edits.

Against the current set of the same identity (daily maintenance, 要素日常更新维护) the file is the
new truth: codes it adds are added, codes it no longer lists are *retired* (end date, and the
successor the file gives), never deleted, and changed names and mappings are reported. Against
the previous year's set (the year rollover) the file makes a new set; codes it drops stay in the
old year's set and are reported as not carried over.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from dfctl.intake.table import Row, Table
from dfctl.model.elements import MAPS_LIKE, UNIT_TYPES, Element, ElementSet, UnitType

Fields = dict[str, object]
"""Element keys to write; a value of None removes the key."""


@dataclass(frozen=True)
class Added:
    code: str
    name: str


@dataclass(frozen=True)
class Retired:
    code: str
    name: str
    end_date: dt.date | None  # None: not carried into the new year (it stays in the old set)
    successor: str | None


@dataclass(frozen=True)
class Renamed:
    code: str
    old: str
    new: str


@dataclass(frozen=True)
class Remapped:
    code: str
    old: dict[str, str | None]  # unit type -> code
    new: dict[str, str | None]


@dataclass(frozen=True)
class ElementChange:
    """The change a file makes, as a value: printed, and turned into JSON."""

    compared_with: str | None  # "exp_func/2026/990000000", or None for a set with no history
    rollover: bool
    added: tuple[Added, ...]
    retired: tuple[Retired, ...]
    renamed: tuple[Renamed, ...]
    remapped: tuple[Remapped, ...]
    unchanged: int


@dataclass
class Plan:
    change: ElementChange
    updates: dict[str, Fields] = field(default_factory=dict)  # existing code -> changed keys
    additions: list[Fields] = field(default_factory=list)  # new elements, in code order


def meaning(name: str) -> str:
    """A name as compared for meaning (the evolution rules compare the same way)."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def _mapping(maps_to: str | None, by_type: dict[UnitType, str] | None) -> dict[str, str | None]:
    """The code each unit type maps to, with civil-service-managed units falling back."""
    found: dict[str, str | None] = {}
    for unit_type in UNIT_TYPES:
        if by_type is None:
            found[unit_type] = maps_to
            continue
        code = by_type.get(unit_type)
        like = MAPS_LIKE.get(unit_type)
        if code is None and like is not None:
            code = by_type.get(like)
        found[unit_type] = code
    return found


def _row_mapping(row: Row) -> tuple[str | None, dict[UnitType, str] | None]:
    """(maps_to, maps_to_by_unit_type) the row gives; both None when it gives no mapping."""
    by_type: dict[UnitType, str] = dict(row.maps_by_unit_type)
    if not by_type:
        return row.maps_to, None
    if row.maps_to is not None:
        by_type.setdefault("administrative", row.maps_to)
    values = set(by_type.values())
    if len(values) == 1 and {"administrative", "public-institution"} <= set(by_type):
        return values.pop(), None
    return None, by_type


def plan_change(
    table: Table,
    target: ElementSet,
    current: list[Element],
    previous: list[Element] | None,
    compared_with: str | None,
    retire_on: dt.date,
) -> Plan:
    """The edits that make the set ``target`` say what ``table`` says.

    ``current`` are the codes the set has now (empty for a new year's set); ``previous`` the
    codes of the year before when the set is new (the rollover), else None.
    """
    rollover = previous is not None
    before = {e.code: e for e in (previous if rollover and previous is not None else current)}
    existing = {e.code: e for e in current}
    mapped = target.maps_to is not None and bool({"maps_to", "maps_by_unit_type"} & table.columns)
    year_start = dt.date(target.fiscal_year, 1, 1)
    plan = Plan(ElementChange(compared_with, rollover, (), (), (), (), 0))
    added: list[Added] = []
    retired: list[Retired] = []
    renamed: list[Renamed] = []
    remapped: list[Remapped] = []
    unchanged = 0
    in_file = {row.code for row in table.rows}
    for row in sorted(table.rows, key=lambda r: r.code):
        old = before.get(row.code)
        fields = _row_fields(row, table, old, year_start, mapped)
        current_element = existing.get(row.code)
        if current_element is None:
            plan.additions.append(fields)
        else:
            edits = {k: v for k, v in fields.items() if _differs(current_element, k, v)}
            if edits:
                plan.updates[row.code] = edits
        if old is None:
            added.append(Added(row.code, row.name))
            continue
        changes = len(renamed) + len(remapped) + len(retired)
        if meaning(old.name) != meaning(row.name):
            renamed.append(Renamed(row.code, old.name, row.name))
        if mapped:
            was = _mapping(old.maps_to, old.maps_to_by_unit_type)
            now = _mapping(
                fields.get("maps_to"),  # type: ignore[arg-type]
                fields.get("maps_to_by_unit_type"),  # type: ignore[arg-type]
            )
            if was != now:
                remapped.append(Remapped(row.code, was, now))
        if row.end_date is not None and old.end_date is None:
            retired.append(Retired(row.code, row.name, row.end_date, row.successor))
        if changes == len(renamed) + len(remapped) + len(retired):
            unchanged += 1
    for code, old in sorted(before.items()):
        if code in in_file or old.end_date is not None or not old.enabled:
            continue
        if rollover:
            retired.append(Retired(code, old.name, None, None))
            continue
        end = max(retire_on, old.start_date)
        plan.updates[code] = {"end_date": end}
        retired.append(Retired(code, old.name, end, None))
    plan.change = ElementChange(
        compared_with,
        rollover,
        tuple(added),
        tuple(sorted(retired, key=lambda r: r.code)),
        tuple(renamed),
        tuple(remapped),
        unchanged,
    )
    return plan


def _row_fields(
    row: Row, table: Table, old: Element | None, year_start: dt.date, mapped: bool
) -> Fields:
    """The keys of the element as the file gives them, in the order files write them."""
    start = row.start_date or (old.start_date if old is not None else year_start)
    fields: Fields = {"code": row.code, "name": row.name, "start_date": start}
    if "end_date" in table.columns:
        fields["end_date"] = row.end_date
    elif old is not None and old.end_date is not None:
        fields["end_date"] = old.end_date
    if "enabled" in table.columns:
        fields["enabled"] = None if row.enabled is None or row.enabled else False
    if "successor" in table.columns:
        fields["successor"] = row.successor
    elif old is not None and old.successor is not None:
        fields["successor"] = old.successor
    if mapped:
        maps_to, by_type = _row_mapping(row)
        fields["maps_to"] = maps_to
        fields["maps_to_by_unit_type"] = by_type
    elif old is not None:
        fields["maps_to"] = old.maps_to
        fields["maps_to_by_unit_type"] = old.maps_to_by_unit_type
    if "remark" in table.columns:
        fields["remark"] = row.remark
    elif old is not None and old.remark is not None:
        fields["remark"] = old.remark
    if old is not None:
        # what the division keeps about a code (agencies' tree and unit type) is not in the
        # province's file: carry it over
        for key in _KEPT:
            value = getattr(old, key)
            if value is not None:
                fields[key] = value
    return fields


_KEPT = ("unit_level", "superior", "unit_type", "unit_types")


def _differs(element: Element, key: str, value: object) -> bool:
    current = getattr(element, key)
    if key == "enabled":
        return (value is None) != bool(current)
    return bool(current != value)
