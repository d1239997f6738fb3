"""Render a Review as text, as a merge-request comment (markdown) or as JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from dfctl.diff.changes import ObjectChange
from dfctl.diff.review import Review
from dfctl.diff.risk import FLAG_TITLES
from dfctl.model.approvals import Need
from dfctl.render.write import dump_yaml

MAX_FIELD_ROWS = 40
MAX_FLAGS_PER_KIND = 10  # per flag and environment; a mass change stays readable
MAX_BODY_LINES = 60
MAX_APPROVAL_FILES = 10
_SYMBOL = {"add": "+", "change": "~", "remove": "-"}


def shown_value(value: Any) -> str:
    """A field value on one line for people: strings as they are, anything else as JSON, long
    ones cut at 120 characters."""
    if value is None:
        return "—"
    text = (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
    return text if len(text) <= 120 else text[:117] + "…"


def _files(paths: tuple[str, ...], limit: int = 3) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _covered(need: Need) -> str:
    """The files a need covers (the first few), then the changed objects it covers."""
    parts = [_files(need.paths)] if need.paths else []
    if need.changes:
        parts.append(_files(need.changes))
    return "; ".join(parts)


def _approval_lines(review: Review) -> list[str]:
    lines = [
        f"APPROVAL {need.count} from {need.group} ({'; '.join(need.rules)}: {_covered(need)})"
        for need in review.approvals
    ]
    lines += [f"APPROVAL no rule of approvals.yaml covers {path}" for path in review.uncovered]
    return lines


def as_text(review: Review) -> str:
    lines = [f"review {review.base}..{review.head}: {len(review.changes)} changes"]
    lines += _approval_lines(review)
    for flag in review.flags:
        lines.append(f"RISK {flag.code}: {flag.environment}: {flag.ref}: {flag.detail}")
    current: tuple[str, str] | None = None
    for change in review.changes:
        group = (change.environment, change.target)
        if group != current:
            lines.append(f"{change.environment} / {change.target}")
            current = group
        lines.append(f"  {_SYMBOL[change.op]} {change.ref}  ({change.source})")
        for field in change.fields:
            lines.append(f"      {field.path}: {shown_value(field.old)} → {shown_value(field.new)}")
    return "\n".join(lines) + "\n"


def _md_cell(value: Any) -> str:
    text = shown_value(value).replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if value is not None else text


def _details(change: ObjectChange) -> list[str]:
    count = (
        f"{len(change.fields)} field{'s' if len(change.fields) != 1 else ''}"
        if change.op == "change"
        else {"add": "added", "remove": "removed"}[change.op]
    )
    out = [
        "<details>",
        f"<summary>{_SYMBOL[change.op]} <code>{change.target}</code> · {change.ref} — "
        f"{count}</summary>",
        "",
        f"Source: `{change.source}`",
        "",
    ]
    if change.op == "change":
        out += ["| field | before | after |", "|---|---|---|"]
        for field in change.fields[:MAX_FIELD_ROWS]:
            out.append(f"| `{field.path}` | {_md_cell(field.old)} | {_md_cell(field.new)} |")
        if len(change.fields) > MAX_FIELD_ROWS:
            out.append(f"| … {len(change.fields) - MAX_FIELD_ROWS} more | | |")
    elif change.op == "add" and change.new is not None:
        body = dump_yaml(change.new).splitlines()
        shown = body[:MAX_BODY_LINES]
        if len(body) > MAX_BODY_LINES:
            shown.append(f"# … {len(body) - MAX_BODY_LINES} more lines")
        out += ["```yaml", *shown, "```"]
    out += ["", "</details>", ""]
    return out


def _approvals_markdown(review: Review) -> list[str]:
    if not review.approvals and not review.uncovered:
        return []
    out = [
        f"**Approvals needed** (approvals.yaml at `{review.base}`)",
        "",
        "| group | approvals | rule | files and changed objects |",
        "|---|---:|---|---|",
    ]
    for need in review.approvals:
        items = [*need.paths, *need.changes]
        files = "<br>".join(f"`{p}`" for p in items[:MAX_APPROVAL_FILES])
        if len(items) > MAX_APPROVAL_FILES:
            files += f"<br>… {len(items) - MAX_APPROVAL_FILES} more"
        out.append(f"| {need.group} | {need.count} | {'; '.join(need.rules)} | {files} |")
    for path in review.uncovered:
        out.append(f"| ⚠️ none | — | no rule of approvals.yaml covers it | `{path}` |")
    out.append("")
    return out


def as_markdown(review: Review) -> str:
    out = [f"### dfctl review `{review.base}` → `{review.head}`", ""]
    out += _approvals_markdown(review)
    if not review.changes:
        out.append("No change to any environment's desired state.")
        return "\n".join(out) + "\n"
    if review.flags:
        out += [
            "**Risk flags**",
            "",
            "| flag | environment | where | detail |",
            "|---|---|---|---|",
        ]
        shown: Counter[tuple[str, str]] = Counter()
        hidden: Counter[tuple[str, str]] = Counter()
        for flag in review.flags:
            group = (flag.code, flag.environment)
            if shown[group] == MAX_FLAGS_PER_KIND:
                hidden[group] += 1
                continue
            shown[group] += 1
            out.append(
                f"| ⚠️ {FLAG_TITLES[flag.code]} | {flag.environment} | `{flag.ref}` | "
                f"{flag.detail} |"
            )
        for (code, environment), count in hidden.items():
            out.append(
                f"| ⚠️ {FLAG_TITLES[code]} | {environment} | … | and {count} more like it "
                "(all are in the details below) |"
            )
        out.append("")
    counts: Counter[tuple[str, str, str]] = Counter(
        (c.environment, c.target, c.op) for c in review.changes
    )
    groups = sorted({(c.environment, c.target) for c in review.changes})
    out += ["| environment | target | added | changed | removed |", "|---|---|---:|---:|---:|"]
    for env, target in groups:
        out.append(
            f"| {env} | `{target}` | {counts[(env, target, 'add')]} | "
            f"{counts[(env, target, 'change')]} | {counts[(env, target, 'remove')]} |"
        )
    out.append("")
    for env in review.environments:
        changes = [c for c in review.changes if c.environment == env]
        if not changes:
            continue
        out += [f"#### {env}", ""]
        for change in changes:
            out += _details(change)
    return "\n".join(out).rstrip("\n") + "\n"


def as_json(review: Review) -> str:
    data = {
        "base": review.base,
        "head": review.head,
        "environments": list(review.environments),
        "flags": [
            {"code": f.code, "environment": f.environment, "ref": f.ref, "detail": f.detail}
            for f in review.flags
        ],
        "approvals": [
            {
                "group": n.group,
                "count": n.count,
                "rules": list(n.rules),
                "paths": list(n.paths),
                "changes": list(n.changes),
            }
            for n in review.approvals
        ],
        "uncovered": list(review.uncovered),
        "changes": [
            {
                "environment": c.environment,
                "target": c.target,
                "kind": c.kind,
                "ref": c.ref,
                "op": c.op,
                "source": c.source,
                "fields": [
                    {"op": f.op, "path": f.path, "old": f.old, "new": f.new} for f in c.fields
                ],
                **({"new": c.new} if c.op == "add" else {}),
            }
            for c in review.changes
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


FORMATS: dict[str, Callable[[Review], str]] = {
    "text": as_text,
    "markdown": as_markdown,
    "json": as_json,
}
