"""Comparing desired objects with live ones so that equal means equal.

The live object holds much more than we wrote: server metadata, defaulted fields, fields other
managers own. Only the fields the desired object speaks about are compared (the live object is
projected onto the desired one), and quantities are compared by value (``0.5`` = ``500m``,
``1024Mi`` = ``1Gi``). Fields dfctl owned before but no longer wants are found from the live
object's managedFields, so removing a label from the YAML is a change too.
"""

from __future__ import annotations

import json
from typing import Any

from dfctl.adapters.kube import FIELD_MANAGER
from dfctl.diff.fields import Delta, FieldChange, diff, join
from dfctl.errors import QuantityError
from dfctl.quantity import parse_quantity

# Paths (as prefixes) whose leaf values are Kubernetes quantities.
_QUANTITY_PREFIXES = ("spec.hard", "spec.limits[")


def _canonical_quantity(value: Any) -> Any:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return parse_quantity(value).canonical()
        except QuantityError:
            return value
    return value


def _is_quantity_path(path: str) -> bool:
    return path.startswith(_QUANTITY_PREFIXES)


def normalise(value: Any, path: str = "") -> Any:
    """Quantities in canonical spelling; everything else as it is."""
    if isinstance(value, dict):
        return {k: normalise(v, join(path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, join(path, i)) for i, v in enumerate(value)]
    return _canonical_quantity(value) if _is_quantity_path(path) else value


def project(live: Any, desired: Any) -> Any:
    """The part of ``live`` that ``desired`` speaks about (same keys, lists matched by name)."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return live
        return {k: project(live[k], v) for k, v in desired.items() if k in live}
    if isinstance(desired, list):
        if not isinstance(live, list):
            return live
        if desired and all(isinstance(d, dict) and "name" in d for d in desired):
            by_name = {i.get("name"): i for i in live if isinstance(i, dict)}
            return [project(by_name[d["name"]], d) for d in desired if d["name"] in by_name]
        if len(live) == len(desired):
            return [project(item, d) for item, d in zip(live, desired, strict=True)]
        return live
    return live


def owned_paths(live: dict[str, Any], manager: str = FIELD_MANAGER) -> set[tuple[str, ...]]:
    """Leaf field paths ``manager`` owns through Apply, from managedFields (fieldsV1)."""
    paths: set[tuple[str, ...]] = set()
    for entry in live.get("metadata", {}).get("managedFields", []) or []:
        if entry.get("manager") == manager and entry.get("operation") == "Apply":
            _walk_fields(entry.get("fieldsV1", {}), (), paths)
    return paths


def _walk_fields(node: dict[str, Any], prefix: tuple[str, ...], out: set[tuple[str, ...]]) -> None:
    children = {k: v for k, v in node.items() if k != "."}
    if not children:
        out.add(prefix)
        return
    for key, child in children.items():
        _walk_fields(child if isinstance(child, dict) else {}, (*prefix, key), out)


def _present(desired: Any, path: tuple[str, ...]) -> bool:
    node = desired
    for part in path:
        if part.startswith("f:"):
            if not isinstance(node, dict) or part[2:] not in node:
                return False
            node = node[part[2:]]
        elif part.startswith("k:"):
            key = json.loads(part[2:])
            if not isinstance(node, list):
                return False
            match = [
                i
                for i in node
                if isinstance(i, dict) and all(i.get(k) == v for k, v in key.items())
            ]
            if not match:
                return False
            node = match[0]
        else:  # v: (set members) and i: (indexes) are owned as whole lists here
            return True
    return True


def _show(path: tuple[str, ...]) -> str:
    """A managedFields path as the diff shows paths: ``spec.containers[name=web].image``."""
    shown = ""
    for part in path:
        if part.startswith("f:"):
            shown = join(shown, part[2:])
            continue
        key = json.loads(part[2:]) if part.startswith("k:") else None
        if isinstance(key, dict) and len(key) == 1:
            ((name, value),) = key.items()
            shown += f"[{name}={value}]"
        else:
            shown += f"[{part[2:]}]"
    return shown


def compare(desired: dict[str, Any], live: dict[str, Any]) -> Delta:
    """What would turn ``live`` into ``desired`` for the fields dfctl manages."""
    delta = diff(normalise(project(live, desired)), normalise(desired))
    dropped = [
        FieldChange("remove", _show(path), "(owned by dfctl)", None)
        for path in sorted(owned_paths(live))
        if path and not _present(desired, path)
    ]
    return Delta((*delta.fields, *dropped), delta.rows)


def managers_of(live: dict[str, Any], path: str) -> list[str]:
    """Which field managers own ``path`` (shown form) in the live object, for drift reports."""
    owners = []
    for entry in live.get("metadata", {}).get("managedFields", []) or []:
        found: set[tuple[str, ...]] = set()
        _walk_fields(entry.get("fieldsV1", {}), (), found)
        if any(
            _show(p) == path or _show(p).startswith(path + ".") or path.startswith(_show(p) + ".")
            for p in found
            if p
        ):
            owners.append(str(entry.get("manager")))
    return sorted(set(owners))
