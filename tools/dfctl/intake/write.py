"""Write an element set's file after an import, keeping its comments and canonical form.

An existing file is edited in place through ruamel's round trip: changed keys of existing codes
are replaced where they are (comments beside them stay), new codes are inserted in code order,
and the provenance block is replaced. A new year's file starts from the previous year's header.
Both end in `dfctl fmt`'s canonical form.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from dfctl.errors import FormatError, UsageError
from dfctl.fmt import format_text, round_trip_yaml
from dfctl.intake.change import Fields, Plan
from dfctl.model.elements import UNIT_TYPES, ElementSet

# the order element keys are written in (the model's field order)
ELEMENT_KEYS = (
    "code",
    "name",
    "start_date",
    "end_date",
    "enabled",
    "successor",
    "maps_to",
    "unit_level",
    "superior",
    "remark",
    "unit_type",
    "maps_to_by_unit_type",
    "unit_types",
)
_QUOTED = {"code", "successor", "maps_to", "superior"}
HEADER_KEYS = (
    "apiVersion",
    "kind",
    "set_code",
    "name",
    "fiscal_year",
    "mof_div_code",
    "management",
    "structure",
    "extensible",
    "maps_to",
)


def _value(key: str, value: object) -> Any:
    """A value as the repository writes it: codes in double quotes, small maps in flow style."""
    if key in _QUOTED and isinstance(value, str):
        return DoubleQuotedScalarString(value)
    if key == "maps_to_by_unit_type" and isinstance(value, Mapping):
        ordered = [t for t in UNIT_TYPES if t in value]
        flow = CommentedMap((t, DoubleQuotedScalarString(value[t])) for t in ordered)
        flow.fa.set_flow_style()
        return flow
    if key == "unit_types" and isinstance(value, list):
        seq = CommentedSeq(value)
        seq.fa.set_flow_style()
        return seq
    return value


def _element(fields: Fields) -> CommentedMap:
    element = CommentedMap()
    for key in ELEMENT_KEYS:
        value = fields.get(key)
        if value is not None:
            element[key] = _value(key, value)
    return element


def _apply(element: CommentedMap, edits: Fields) -> None:
    for key, value in edits.items():
        if value is None:
            element.pop(key, None)
        elif key in element:
            element[key] = _value(key, value)
        else:
            # a new key goes where the model's order puts it
            order = ELEMENT_KEYS.index(key) if key in ELEMENT_KEYS else len(ELEMENT_KEYS)
            position = sum(
                1 for k in element if k in ELEMENT_KEYS and ELEMENT_KEYS.index(k) < order
            )
            element.insert(position, key, _value(key, value))


def _provenance(values: Fields, corrections: object = None) -> CommentedMap:
    block = CommentedMap((k, v) for k, v in values.items() if v is not None)
    if corrections:
        # the set's corrections stay as they were written, comments and all
        block["corrections"] = corrections
    return block


def _dump(data: CommentedMap) -> str:
    yaml = round_trip_yaml()
    # the same date may be written twice (imported_on, an end date): never as an anchor and alias
    yaml.representer.ignore_aliases = lambda _data: True
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _correction(fields: Fields) -> CommentedMap:
    entry = CommentedMap()
    for key in ("date", "codes", "fields", "notice", "reason"):
        value = fields[key]
        if isinstance(value, list):
            items = CommentedSeq(
                DoubleQuotedScalarString(v) if key == "codes" else v for v in value
            )
            items.fa.set_flow_style()
            value = items
        entry[key] = value
    return entry


def _put_provenance(
    data: CommentedMap, provenance: Fields, correction: Fields | None = None
) -> None:
    old = data.get("provenance")
    corrections = old.get("corrections") if isinstance(old, Mapping) else None
    if correction is not None:
        if not isinstance(corrections, CommentedSeq):
            corrections = CommentedSeq()
        corrections.append(_correction(correction))
    block = _provenance(provenance, corrections)
    if "provenance" in data:
        data["provenance"] = block
    else:
        data.insert(list(data).index("elements"), "provenance", block)


def updated_text(
    path: str, text: str, plan: Plan, provenance: Fields, correction: Fields | None = None
) -> str:
    """``text`` (the set's file at ``path``) with the plan's edits and the new provenance, and
    ``correction`` added to the set's corrections."""
    yaml = round_trip_yaml()
    data = yaml.load(text)
    if not isinstance(data, CommentedMap) or not isinstance(data.get("elements"), CommentedSeq):
        raise UsageError(f"{path}: not an element set with an elements list")
    elements: CommentedSeq = data["elements"]
    by_code = {str(e.get("code")): e for e in elements if isinstance(e, CommentedMap)}
    for code, edits in plan.updates.items():
        _apply(by_code[code], edits)
    for fields in plan.additions:
        code = str(fields["code"])
        position = next(
            (i for i, e in enumerate(elements) if str(e.get("code")) > code), len(elements)
        )
        elements.insert(position, _element(fields))
    _put_provenance(data, provenance, correction)
    return _canonical(path, _dump(data))


def new_text(path: str, previous: ElementSet, year: int, plan: Plan, provenance: Fields) -> str:
    """A new file for ``year``'s set, with the header of ``previous`` (the year before)."""
    header = previous.model_dump(by_alias=True, exclude_none=True, exclude={"elements"})
    data = CommentedMap()
    for key in HEADER_KEYS:
        if key == "extensible" and not header.get(key):
            continue
        if key in header:
            data[key] = header[key]
    data["fiscal_year"] = year
    data["mof_div_code"] = DoubleQuotedScalarString(previous.mof_div_code)
    structure = CommentedSeq(previous.structure)
    structure.fa.set_flow_style()
    data["structure"] = structure
    data["provenance"] = _provenance(provenance)
    data["elements"] = CommentedSeq(_element(fields) for fields in plan.additions)
    return _canonical(path, _dump(data))


def _canonical(path: str, text: str) -> str:
    try:
        return format_text(path, text, "ElementSet")
    except FormatError as exc:  # a fault in the writer, not in the user's file
        raise UsageError(f"{path}: the imported set cannot be written: {exc}") from exc
