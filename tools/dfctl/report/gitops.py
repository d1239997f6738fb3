"""Render the gate's results: approval verdicts, reconcile outcomes and evidence records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dfctl.gitops.approvals import Verdict
from dfctl.gitops.evidence import Evidence
from dfctl.gitops.loop import PassOutcome


def verdict_data(verdict: Verdict) -> dict[str, Any]:
    return {
        "commit": verdict.commit.sha,
        "title": verdict.commit.title,
        "merged_by": str(verdict.commit.author),
        "authors": [str(p) for p in verdict.authors],
        "approved": verdict.approved,
        "approvers": [str(p) for p in verdict.approvers],
        "break_glass": verdict.break_glass,
        "needs": [
            {"group": n.group, "count": n.count, "rules": list(n.rules), "paths": list(n.paths)}
            for n in verdict.needs
        ],
        "problems": list(verdict.problems),
    }


def verdicts_text(verdicts: Sequence[Verdict]) -> str:
    lines = []
    for verdict in verdicts:
        word = "approved" if verdict.approved else "refused"
        by = f" (by {', '.join(map(str, verdict.approvers))})" if verdict.approved else ""
        glass = f" BREAK-GLASS: {verdict.break_glass}" if verdict.break_glass else ""
        lines.append(f"{verdict.commit.short} {word:10} {verdict.commit.title}{by}{glass}")
        lines.extend(f"    {problem}" for problem in verdict.problems)
    return "".join(f"{line}\n" for line in lines)


def verdicts_json(verdicts: Sequence[Verdict]) -> str:
    return json.dumps([verdict_data(v) for v in verdicts], ensure_ascii=False, indent=2) + "\n"


def outcome_text(outcome: PassOutcome, lease: str | None = None) -> str:
    """One line per pass (and its reasons); ``lease`` says who holds the Lease when standing by."""
    env = outcome.environment
    lines = []
    if outcome.status == "applied" and outcome.applied is not None:
        plan = outcome.evidence.plan if outcome.evidence else {}
        since = f"from {outcome.previous[:12]}" if outcome.previous else "first apply"
        lines.append(
            f"{env}: applied {outcome.applied[:12]} ({since}; {plan.get('actions', 0)} changes, "
            f"plan {str(plan.get('digest', ''))[:12]})"
        )
    elif outcome.status == "up-to-date":
        drift = f"; {outcome.drift} drifted" if outcome.drift else ""
        lines.append(f"{env}: up to date at {(outcome.head or '')[:12]}{drift}")
    elif outcome.status == "standby":
        lines.append(f"{env}: standing by; {lease or 'another reconciler holds the Lease'}")
    else:
        lines.append(f"{env}: {outcome.status}")
    lines.extend(f"{env}: {reason}" for reason in outcome.reasons)
    return "".join(f"{line}\n" for line in lines)


def audit_text(records: Sequence[Evidence]) -> str:
    lines = []
    for record in records:
        plan = record.plan
        counts = plan.get("targets", {})
        sizes = ", ".join(
            f"{name} +{c['create']} ~{c['update']} -{c['delete']}" for name, c in counts.items()
        )
        lines.append(
            f"{record.finished_at} {record.environment} {record.revision[:12]} {record.result} "
            f"release {record.release} by {record.reconciler}; plan "
            f"{str(plan.get('digest', ''))[:12]} ({sizes or 'no changes'}); validation "
            f"{record.validation.get('errors', 0)} errors, "
            f"{record.validation.get('warnings', 0)} warnings"
        )
        for commit in record.commits:
            approvers = ", ".join(commit.approvers)
            lines.append(
                f"    {commit.sha[:12]} {commit.title} (by {', '.join(commit.authors) or '?'}; "
                f"approved by {approvers})"
            )
            if commit.break_glass:
                lines.append(
                    f"    BREAK-GLASS {commit.sha[:12]}: {commit.break_glass}; "
                    "review after the fact"
                )
        if record.error:
            lines.append(f"    error: {record.error}")
        lines.extend(f"    note: {note}" for note in record.notes)
    return "".join(f"{line}\n" for line in lines)


def audit_json(records: Sequence[Evidence]) -> str:
    return json.dumps([r.as_data() for r in records], ensure_ascii=False, indent=2) + "\n"
