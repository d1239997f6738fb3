"""Render a Review as text, as a merge-request comment (markdown) or as JSON.

Every changed field and every changed row is shown in every format: long lists are folded in
markdown (``<details>``), never cut. Only the body of an added object is cut, in markdown.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from dfctl.diff.changes import ObjectChange
from dfctl.diff.fields import RowChange, RowCounts
from dfctl.diff.review import Review
from dfctl.diff.risk import FLAG_TITLES
from dfctl.model.approvals import Need
from dfctl.model.environment import CONFIG_SERVICE
from dfctl.render.write import dump_yaml
from dfctl.report.changes import (
    ROW_SYMBOL,
    by_list,
    counts_data,
    fields_data,
    masked,
    row_data,
    row_what,
    rows_text,
    shown_field,
    shown_value,
)

FORMAT_VERSION = 1
MAX_OPEN_ROWS = 40  # a longer table of fields or rows is folded under its own <details>
MAX_OPEN_SUMMARY = 30  # likewise for the summary of changed rows per set
MAX_FLAGS_PER_KIND = 10  # per flag and environment; a mass change stays readable
MAX_BODY_LINES = 60
MAX_APPROVAL_FILES = 10
_SYMBOL = {"add": "+", "change": "~", "remove": "-"}


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
    lines += [
        f"ROWS {change.environment}: {change.ref} {counts.path}: {counts.summary()}"
        for change, counts in _set_counts(review)
    ]
    current: tuple[str, str] | None = None
    for change in review.changes:
        group = (change.environment, change.target)
        if group != current:
            lines.append(f"{change.environment} / {change.target}")
            current = group
        lines.append(f"  {_SYMBOL[change.op]} {change.ref}  ({change.source})")
        for field in change.fields:
            lines.append(f"      {field.path}: {' → '.join(shown_field(field))}")
        lines += rows_text(change.rows, "      ")
    return "\n".join(lines) + "\n"


def _set_counts(review: Review) -> list[tuple[ObjectChange, RowCounts]]:
    """Row counts per list of every changed configuration-service document (the sets)."""
    return [
        (change, counts)
        for change in review.changes
        if change.target == CONFIG_SERVICE
        for counts in change.row_counts()
    ]


def _md_cell(value: Any, path: str) -> str:
    text = shown_value(value, path).replace("|", "\\|").replace("\n", " ")
    return f"`{text}`" if value is not None else text


def _folded(summary: str, lines: list[str], fold: bool) -> list[str]:
    if not fold:
        return lines
    return ["<details>", f"<summary>{summary}</summary>", "", *lines, "", "</details>", ""]


def _row_cells(row: RowChange) -> tuple[str, str]:
    if row.op == "add":
        what = "added"
    elif row.op == "remove":
        what = "removed"
    else:
        what = _md_text(row_what(row))
    where = f"`{row.source}`" + (" (base)" if row.op == "remove" else "") if row.source else ""
    return what, where


def _md_text(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def _rows_markdown(change: ObjectChange) -> list[str]:
    out: list[str] = []
    for counts, rows in by_list(change.rows):
        out += [f"**`{counts.path}`** by `{counts.key_field}`: {counts.summary()}", ""]
        table = [f"| | {counts.key_field} | change | where |", "|---|---|---|---|"]
        for row in rows:
            what, where = _row_cells(row)
            key = f"`{_md_text(row.key)}`" + (f" {_md_text(row.label)}" if row.label else "")
            table.append(f"| {ROW_SYMBOL[row.op]} | {key} | {what} | {where} |")
        table.append("")
        out += _folded(
            f"{len(rows)} rows of <code>{counts.path}</code>", table, len(rows) > MAX_OPEN_ROWS
        )
    return out


def _count(change: ObjectChange) -> str:
    if change.op != "change":
        return {"add": "added", "remove": "removed"}[change.op]
    parts = []
    if change.fields:
        parts.append(f"{len(change.fields)} field{'s' if len(change.fields) != 1 else ''}")
    if change.rows:
        parts.append(f"{len(change.rows)} row{'s' if len(change.rows) != 1 else ''}")
    return ", ".join(parts)


def _details(change: ObjectChange) -> list[str]:
    out = [
        "<details>",
        f"<summary>{_SYMBOL[change.op]} <code>{change.target}</code> · {change.ref} — "
        f"{_count(change)}</summary>",
        "",
        f"Source: `{change.source}`",
        "",
    ]
    if change.op == "change" and change.fields:
        table = ["| field | before | after |", "|---|---|---|"]
        for field in change.fields:
            table.append(
                f"| `{field.path}` | {_md_cell(field.old, field.path)} | {_md_cell(field.new, field.path)} |"
            )
        table.append("")
        out += _folded(f"{len(change.fields)} fields", table, len(change.fields) > MAX_OPEN_ROWS)
    if change.op == "change":
        out += _rows_markdown(change)
    elif change.op == "add" and change.new is not None:
        body = dump_yaml(masked("", change.new)).splitlines()
        shown = body[:MAX_BODY_LINES]
        if len(body) > MAX_BODY_LINES:
            shown.append(f"# … {len(body) - MAX_BODY_LINES} more lines")
        out += ["```yaml", *shown, "```", ""]
    out += ["</details>", ""]
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


def _set_summary(review: Review) -> list[str]:
    """Rows added, retired, changed and removed per configuration-service set."""
    found = _set_counts(review)
    if not found:
        return []
    table = [
        "| environment | document | list | added | retired | changed | removed |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for change, counts in found:
        table.append(
            f"| {change.environment} | `{change.ref}` | `{counts.path}` | {counts.add} | "
            f"{counts.retire} | {counts.change} | {counts.remove} |"
        )
    table.append("")
    return _folded(f"rows changed in {len(found)} lists", table, len(found) > MAX_OPEN_SUMMARY)


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
    out += _set_summary(review)
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
        "format_version": FORMAT_VERSION,
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
                "fields": fields_data(c.fields),
                "rows": [row_data(r) for r in c.rows],
                "row_counts": [counts_data(n) for n in c.row_counts()],
                **({"new": masked("", c.new)} if c.op == "add" else {}),
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
