"""Render plans and drift for people (text) and for scripts (JSON).

Changes read as in the review (:mod:`dfctl.report.changes`): rows of identified lists by
their key, every one shown.
"""

from __future__ import annotations

import json
from collections import Counter

from dfctl.reconcile.plan import Plan
from dfctl.reconcile.target import DriftItem
from dfctl.report.changes import fields_data, masked, row_data, rows_text, shown_field

FORMAT_VERSION = 1

_SYMBOL = {"create": "+", "update": "~", "delete": "-"}


def plan_text(plan: Plan) -> str:
    lines = [f"plan {plan.environment} at {plan.revision[:12]} (digest {plan.digest[:12]})"]
    for part in plan.targets:
        counts = Counter(a.op for a in part.actions)
        lines.append(
            f"{part.target}: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete ({part.managed} managed now, {part.reads} reads)"
        )
        for action in part.actions:
            lines.append(
                f"  {_SYMBOL[action.op]} {action.ref}"
                + (f"  ({action.source})" if action.source else "")
            )
            for field in action.fields:
                lines.append(f"      {field.path}: {' → '.join(shown_field(field))}")
            lines += rows_text(action.rows, "      ")
            if action.op == "delete" and action.kind == "Namespace":
                inside = _inside(part.cascade, action.ref.removeprefix("Namespace "))
                if inside:
                    lines.append(f"      and with it {inside}")
        for error in part.errors:
            lines.append(f"  ! {error}")
    if plan.is_empty() and not plan.errors:
        lines.append("no changes: live state matches the desired state")
    return "\n".join(lines) + "\n"


def _inside(cascade: tuple[tuple[str, str], ...], namespace: str) -> str:
    counts = Counter(
        kind for kind, ref in cascade if ref.split(" ", 1)[1].startswith(namespace + "/")
    )
    return ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))


def plan_json(plan: Plan) -> str:
    data = {
        "format_version": FORMAT_VERSION,
        "environment": plan.environment,
        "revision": plan.revision,
        "digest": plan.digest,
        "targets": [
            {
                "target": part.target,
                "managed": part.managed,
                "reads": part.reads,
                "errors": list(part.errors),
                "deleted_with_namespace": [
                    {"kind": kind, "ref": ref} for kind, ref in part.cascade
                ],
                "actions": [
                    {
                        "op": a.op,
                        "kind": a.kind,
                        "ref": a.ref,
                        "source": a.source,
                        "fields": fields_data(a.fields, "live", "desired"),
                        "rows": [row_data(r, "live", "desired") for r in a.rows],
                    }
                    for a in part.actions
                ],
            }
            for part in plan.targets
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def drift_text(environment: str, revision: str, items: list[DriftItem]) -> str:
    if not items:
        return f"no drift in {environment}: live state matches {revision[:12]}\n"
    lines = [f"drift in {environment} against {revision[:12]}: {len(items)} objects"]
    for item in items:
        owners = f" (changed by {', '.join(item.managers)})" if item.managers else ""
        lines.append(f"{item.target}: {item.ref}: {item.problem}{owners}")
        for field in item.fields:
            lines.append("    {}: live {}, desired {}".format(field.path, *shown_field(field)))
        lines += rows_text(item.rows, "    ")
    return "\n".join(lines) + "\n"


def drift_json(environment: str, revision: str, items: list[DriftItem]) -> str:
    data = {
        "format_version": FORMAT_VERSION,
        "environment": environment,
        "revision": revision,
        "drift": [
            {
                "target": i.target,
                "ref": i.ref,
                "problem": i.problem,
                "managers": list(i.managers),
                "fields": [
                    {
                        "path": f.path,
                        "live": masked(f.path, f.old),
                        "desired": masked(f.path, f.new),
                    }
                    for f in i.fields
                ],
                "rows": [row_data(r, "live", "desired") for r in i.rows],
            }
            for i in items
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
