"""Comparing desired objects with live ones so that equal means equal.

The live object holds much more than we wrote: server metadata, defaulted fields, fields other
managers own. Only the fields the desired object speaks about are compared (the live object is
projected onto the desired one), and both sides are put in the form the API server stores:

* **Quantities** in resource lists are compared by the value the server keeps. The core/v1
  defaulter (``SetDefaults_ResourceList`` in kubernetes ``pkg/apis/core/v1/defaults.go``) rounds
  every value of a ``ResourceList`` up to milli precision on the way in, after the parser kept at
  most nano precision: ``3.001n`` is stored as ``1m``, ``1.5m`` as ``2m``. Spellings of one value
  are equal (``0.5`` = ``500m``, ``1024Mi`` = ``1Gi``, ``1e3`` = ``1k``, ``+1`` = ``01`` = ``1``).
* **Empty and null fields** are absent: the API types mark optional maps, lists and pointers
  ``omitempty``, so ``data: {}``, ``labels: {}``, ``ingress: []`` or ``x: null`` are not stored
  and read back as missing.
* **Defaulted fields** (a NetworkPolicy port's ``protocol: TCP``, a Namespace's
  ``kubernetes.io/metadata.name`` label, a LimitRange's ``default`` filled from ``max``) are
  projected away when the desired object does not set them, and equal when it does.

Fields dfctl owned before but no longer wants are found from the live object's managedFields,
so removing a label from the YAML is a change too.
"""

from __future__ import annotations

import json
from typing import Any

from dfctl.adapters.kube import FIELD_MANAGER
from dfctl.diff.fields import Delta, FieldChange, diff, join
from dfctl.errors import QuantityError
from dfctl.quantity import format_quantity, parse_quantity

# Where the objects dfctl writes hold a ResourceList (k8s.io/api core/v1), as field paths with
# "*" for any list item. Every value in such a map is a quantity the defaulter rounds up.
_LIMIT_RANGE_LISTS = ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")
_CONTAINERS = ("spec", "template", "spec", "containers", "*", "resources")
RESOURCE_LISTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "ResourceQuota": (("spec", "hard"),),
    "LimitRange": tuple(("spec", "limits", "*", name) for name in _LIMIT_RANGE_LISTS),
    "Deployment": ((*_CONTAINERS, "limits"), (*_CONTAINERS, "requests")),
}
MILLI = 3  # decimal places the server keeps of a resource-list quantity


def stored_quantity(value: Any) -> Any:
    """The canonical spelling of what the API server stores for a resource-list value."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return value
    try:
        quantity = parse_quantity(value)
    except QuantityError:
        return value  # the server would refuse it; show it as written
    return format_quantity(quantity.rounded_up(MILLI), quantity.format)


def _resource_list_at(kind: str, path: tuple[str, ...]) -> bool:
    return any(
        len(pattern) == len(path)
        and all(p in ("*", part) for p, part in zip(pattern, path, strict=True))
        for pattern in RESOURCE_LISTS.get(kind, ())
    )


def normalise(value: Any, kind: str = "", path: tuple[str, ...] = ()) -> Any:
    """``value`` as the API server stores it: resource-list quantities in canonical spelling,
    null and empty fields left out."""
    if isinstance(value, dict):
        if kind in RESOURCE_LISTS and _resource_list_at(kind, path):
            return {k: stored_quantity(v) for k, v in value.items() if v is not None}
        out = {}
        for key, item in value.items():
            kept = normalise(item, kind, (*path, str(key)))
            if not _empty(kept):
                out[key] = kept
        return out
    if isinstance(value, list):
        return [normalise(item, kind, (*path, "*")) for item in value]
    return value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (dict, list)) and not value)


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
    kind = str(desired.get("kind", ""))
    delta = diff(normalise(project(live, desired), kind), normalise(desired, kind))
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
