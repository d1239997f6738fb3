"""What `dfctl elements import` did, for people (text) and for scripts (JSON)."""

from __future__ import annotations

import json
from typing import Any

from dfctl.intake import ImportResult
from dfctl.intake.change import Remapped, Retired

FORMAT_VERSION = 1


def _retired(item: Retired, year: str) -> str:
    if item.end_date is None:
        return f"  - {item.code} {item.name} (not carried into {year}; it stays in the old set)"
    successor = f"successor {item.successor}" if item.successor else "no successor: add one"
    return f"  - {item.code} {item.name} (retired {item.end_date}, {successor})"


def _mapping(item: Remapped) -> str:
    moved = [
        f"{unit_type} {item.old.get(unit_type) or '-'} → {item.new.get(unit_type) or '-'}"
        for unit_type in item.new
        if item.old.get(unit_type) != item.new.get(unit_type)
    ]
    return f"  ≠ {item.code} maps {', '.join(moved)}"


def import_text(result: ImportResult) -> str:
    change = result.change
    where = f'sheet "{result.sheet}", ' if result.sheet is not None else ""
    lines = [
        f"set {result.set_key} from {where}{result.rows} rows (sha256 {result.sha256[:12]}…)",
        (f"compared with {change.compared_with}" if change.compared_with else "a new set")
        + (" (the previous year: a new year's set)" if change.rollover else ""),
    ]
    year = result.set_key.split("/")[1]
    lines += [f"  + {item.code} {item.name}" for item in change.added]
    lines += [_retired(item, year) for item in change.retired]
    lines += [f"  ~ {item.code} {item.old} → {item.new}" for item in change.renamed]
    lines += [_mapping(item) for item in change.remapped]
    lines.append(
        f"added {len(change.added)}, retired {len(change.retired)}, renamed "
        f"{len(change.renamed)}, remapped {len(change.remapped)}, unchanged {change.unchanged}"
    )
    if result.written:
        lines.append(f"{'created' if result.created else 'wrote'} {result.path}")
    else:
        lines.append(f"dry run: {result.path} not written")
    return "\n".join(lines) + "\n"


def import_json(result: ImportResult) -> str:
    change = result.change
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "set": result.set_key,
        "path": result.path,
        "created": result.created,
        "written": result.written,
        "sheet": result.sheet,
        "rows": result.rows,
        "sha256": result.sha256,
        "compared_with": change.compared_with,
        "rollover": change.rollover,
        "added": [{"code": a.code, "name": a.name} for a in change.added],
        "retired": [
            {
                "code": r.code,
                "name": r.name,
                "end_date": r.end_date.isoformat() if r.end_date else None,
                "successor": r.successor,
            }
            for r in change.retired
        ],
        "renamed": [{"code": r.code, "old": r.old, "new": r.new} for r in change.renamed],
        "remapped": [{"code": r.code, "old": r.old, "new": r.new} for r in change.remapped],
        "unchanged": change.unchanged,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


FORMATS = {"text": import_text, "json": import_json}
