"""Field-level differences between two JSON-like values, as an immutable list of changes.

Lists of mappings that carry an identity (``code``, ``id``, ``key`` or ``name``) are matched by
it, so adding one code to an element set shows one added row, not every row after it shifted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

_IDENTITY_KEYS = ("code", "id", "key", "name")
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class FieldChange:
    op: Literal["add", "change", "remove"]
    path: str
    old: Any
    new: Any


def join(path: str, part: str | int) -> str:
    if isinstance(part, int):
        return f"{path}[{part}]"
    if _PLAIN.match(part):
        return f"{path}.{part}" if path else part
    return f"{path}[{part!r}]"


def _identity(items: list[Any]) -> str | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for key in _IDENTITY_KEYS:
        values = [i.get(key) for i in items]
        if all(isinstance(v, str) for v in values) and len(set(values)) == len(values):
            return key
    return None


def diff_values(old: Any, new: Any, path: str = "") -> list[FieldChange]:
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[FieldChange] = []
        for key in sorted(old.keys() | new.keys()):
            sub = join(path, key)
            if key not in new:
                changes.append(FieldChange("remove", sub, old[key], None))
            elif key not in old:
                changes.append(FieldChange("add", sub, None, new[key]))
            else:
                changes.extend(diff_values(old[key], new[key], sub))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        key = _identity(old + new)
        if key is not None:
            before = {i[key]: i for i in old}
            after = {i[key]: i for i in new}
            changes = []
            for ident in sorted(before.keys() | after.keys()):
                sub = f"{path}[{key}={ident}]"
                if ident not in after:
                    changes.append(FieldChange("remove", sub, before[ident], None))
                elif ident not in before:
                    changes.append(FieldChange("add", sub, None, after[ident]))
                else:
                    changes.extend(diff_values(before[ident], after[ident], sub))
            return changes
        if len(old) == len(new):
            changes = []
            for index, (a, b) in enumerate(zip(old, new, strict=True)):
                changes.extend(diff_values(a, b, join(path, index)))
            return changes
    return [FieldChange("change", path or "(value)", old, new)]
