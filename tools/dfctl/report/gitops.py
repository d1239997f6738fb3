"""Render the gate's results: approval verdicts, reconcile outcomes and evidence records."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from typing import Any

from dfctl.gitops.evidence import Evidence
from dfctl.gitops.gate import Decision
from dfctl.gitops.loop import PassOutcome
from dfctl.model.approvals import Need

FORMAT_VERSION = 1


def shown(text: str) -> str:
    """Committer-written text for a terminal: control and format characters (escape sequences,
    bidirectional overrides, separators) are shown as escapes, never passed through."""
    return "".join(
        c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in ("Cc", "Cf") else c
        for c in text
    )


def need_data(need: Need) -> dict[str, Any]:
    return {
        "group": need.group,
        "count": need.count,
        "rules": list(need.rules),
        "paths": list(need.paths),
        "changes": list(need.changes),
    }


def decision_data(decision: Decision) -> dict[str, Any]:
    verdict = decision.verdict
    return {
        "commit": verdict.commit.sha,
        "verdict": decision.outcome,
        "reasons": list(decision.reasons),
        "approvers": [str(p) for p in verdict.approvers],
        "title": verdict.commit.title,
        "merged_by": str(verdict.commit.author),
        "authors": [str(p) for p in verdict.authors],
        "break_glass": verdict.break_glass,
        "needs": [need_data(n) for n in verdict.needs],
        "merge_changes": list(verdict.merge_changes),
        "supersedes": list(verdict.supersedes),
        "superseded_by": decision.superseded_by,
        "notes": list(verdict.notes),
    }


def decisions_text(decisions: Sequence[Decision]) -> str:
    """One line per commit (its verdict, title and approvers), then its reasons and notes."""
    lines = []
    for decision in decisions:
        verdict = decision.verdict
        by = ", ".join(map(str, verdict.approvers))
        shown_by = f" (by {by})" if by and decision.outcome != "refused" else ""
        glass = f" BREAK-GLASS: {verdict.break_glass}" if verdict.break_glass else ""
        lines.append(
            f"{verdict.commit.short} {decision.outcome:10} {verdict.commit.title}{shown_by}{glass}"
        )
        lines.extend(f"    {reason}" for reason in decision.reasons)
        lines.extend(f"    note: {note}" for note in verdict.notes)
    return "".join(f"{shown(line)}\n" for line in lines)


def decisions_json(decisions: Sequence[Decision]) -> str:
    data = {
        "format_version": FORMAT_VERSION,
        "verdicts": [decision_data(d) for d in decisions],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


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
    return "".join(f"{shown(line)}\n" for line in lines)


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
            if commit.merge_changes:
                lines.append(
                    f"    MERGE {commit.sha[:12]} changed itself: {', '.join(commit.merge_changes)}"
                )
            if commit.superseded_by:
                lines.append(
                    f"    SUPERSEDED {commit.sha[:12]} was refused ({'; '.join(commit.reasons)}); "
                    f"superseded by {commit.superseded_by[:12]}"
                )
        if record.error:
            lines.append(f"    error: {record.error}")
        lines.extend(f"    note: {note}" for note in record.notes)
    return "".join(f"{shown(line)}\n" for line in lines)


def audit_json(records: Sequence[Evidence]) -> str:
    data = {"format_version": 1, "records": [r.as_data() for r in records]}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
