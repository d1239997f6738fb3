"""The gate's answer for each commit of main: ``approved``, ``refused`` or ``waits``, with reasons.

``approved`` means the commit may be applied now; ``waits`` that it is approved but may not go
yet: the environment's change window is closed or it is frozen, its release has not been through
the earlier stages, or a commit before it is refused or waits (commits go in order). ``refused``
that its approvals (``approvals.py``) are not enough; a refused commit that a later approved
merge supersedes no longer stops the ones after it.

The decisions are a pure function of the approval verdicts (git content), the environment as the
last applied revision defines it (its windows and freezes: the gate's settings come from before
the change), the moment, and the records of what the earlier stages applied. ``dfctl approvals
check --env`` and the reconciler both call :func:`decide`, so they give the same answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from dfctl.adapters.git import GitRepository
from dfctl.gitops.approvals import Verdict
from dfctl.gitops.promotion import AppliedRelease, earlier_stages, promotion_problem
from dfctl.gitops.windows import check_window
from dfctl.load.gitsource import GitRevision
from dfctl.load.repo import Repo, load_repo
from dfctl.model import Environment

Outcome = Literal["approved", "refused", "waits"]
APPROVED: Outcome = "approved"
REFUSED: Outcome = "refused"
WAITS: Outcome = "waits"


@dataclass(frozen=True)
class Decision:
    """The gate's answer for one commit."""

    verdict: Verdict
    outcome: Outcome
    reasons: tuple[str, ...]
    superseded_by: str | None = None  # a later approved merge that replaces this refused one
    goes: bool = False  # the reconciler may apply the revision of this commit now
    stops: bool = False  # nothing after it may go (a refusal, or a closed window)
    gate: str = ""  # what holds it: approvals, window, promotion, order

    @property
    def commit_sha(self) -> str:
        return self.verdict.commit.sha

    def stop_reason(self) -> str:
        """One line for the reconciler's log: the commit, its title and why it does not go."""
        commit = self.verdict.commit
        if self.outcome == REFUSED:
            return f"{commit.short} ({commit.title}) is not approved: " + "; ".join(self.reasons)
        return f"{commit.short} ({commit.title}) waits: " + "; ".join(self.reasons)


@dataclass(frozen=True)
class Conditions:
    """What an environment asks beyond approvals, as its last applied revision defines it."""

    environment: Environment  # at the applied revision: its windows and freezes
    now: dt.datetime
    releases: Mapping[
        str, str | None
    ]  # commit → the environment's release there (None: unreadable)
    records: Callable[[], Sequence[AppliedRelease]]  # what earlier stages applied, read if needed


def _superseded(verdicts: Sequence[Verdict]) -> dict[str, str]:
    """Refused commit → the first later approved merge that supersedes it."""
    found: dict[str, str] = {}
    for verdict in verdicts:
        if verdict.approved:
            for sha in verdict.supersedes:
                found.setdefault(sha, verdict.commit.sha)
    return found


class _Promotion:
    """Promotion problems per release, with the records read at most once."""

    def __init__(self, conditions: Conditions) -> None:
        self.conditions = conditions
        self._records: Sequence[AppliedRelease] | None = None

    def problem(self, sha: str) -> str | None:
        env = self.conditions.environment
        version = self.conditions.releases.get(sha)
        if version is None:
            return f"no valid environment {env.name} at {sha[:12]}; its revision does not validate"
        if version == env.release.version or not earlier_stages(env.name):
            return None
        if self._records is None:
            self._records = self.conditions.records()
        return promotion_problem(env.name, version, self._records)


def decide(verdicts: Sequence[Verdict], conditions: Conditions | None = None) -> list[Decision]:
    """A decision per verdict (oldest first). Without ``conditions`` (no environment given)
    only approvals and order count."""
    superseded = _superseded(verdicts)
    carried: dict[str, str] = {}  # commits between a superseded one and its superseder
    order = [v.commit.sha for v in verdicts]
    for refused, superseder in superseded.items():
        if refused in order and superseder in order:
            for sha in order[order.index(refused) : order.index(superseder)]:
                carried.setdefault(sha, superseder)
    window = check_window(conditions.environment, conditions.now) if conditions else None
    promotion = _Promotion(conditions) if conditions else None
    behind: Decision | None = None
    decisions: list[Decision] = []
    for verdict in verdicts:
        sha = verdict.commit.sha
        if not verdict.approved:
            by = superseded.get(sha)
            if by is not None:
                reasons = (*verdict.problems, f"superseded by {by[:12]}")
                decisions.append(Decision(verdict, REFUSED, reasons, by, gate="approvals"))
                continue
            decision = Decision(verdict, REFUSED, verdict.problems, stops=True, gate="approvals")
        elif behind is not None:
            why = "is refused" if behind.outcome == REFUSED else "waits"
            held = behind.verdict.commit
            reason = f"behind {held.short} ({held.title}), which {why}"
            decision = Decision(verdict, WAITS, (reason,), gate="order")
        elif window is not None and not window.allowed and not verdict.break_glass:
            decision = Decision(verdict, WAITS, (window.reason,), stops=True, gate="window")
        else:
            problem = promotion.problem(sha) if promotion and sha not in carried else None
            if problem is not None:
                decision = Decision(verdict, WAITS, (problem,), gate="promotion")
            else:
                reasons = _passes(
                    verdict,
                    window.reason if window else None,
                    window_open=bool(window and window.allowed),
                )
                decision = Decision(verdict, APPROVED, reasons, goes=sha not in carried)
        if decision.stops and behind is None:
            behind = decision
        decisions.append(decision)
    return [_carry(d, carried, decisions) for d in decisions]


def _passes(verdict: Verdict, window: str | None, *, window_open: bool) -> tuple[str, ...]:
    if window is None:
        return ()
    if window_open:
        return (window,)
    return (f"break-glass passes: {window}",) if verdict.break_glass else ()


def _carry(decision: Decision, carried: Mapping[str, str], all_: Sequence[Decision]) -> Decision:
    """An approved commit between a superseded one and its superseder goes with the superseder,
    never on its own: its revision still holds the refused change."""
    by = carried.get(decision.commit_sha)
    if by is None or decision.outcome != APPROVED:
        return decision
    superseder = next(d for d in all_ if d.commit_sha == by)
    reason = f"goes with {by[:12]}, which supersedes a refused commit before it"
    if superseder.outcome == APPROVED:
        return Decision(decision.verdict, APPROVED, (reason,), gate=decision.gate)
    return Decision(decision.verdict, WAITS, (reason, *superseder.reasons), gate=superseder.gate)


def target(decisions: Sequence[Decision]) -> int | None:
    """The index of the newest commit that may be applied now, if any."""
    found = None
    for index, decision in enumerate(decisions):
        if decision.goes:
            found = index
    return found


# --- environments from git ---------------------------------------------------------------------


def environments_at(root: Path, git: GitRepository, rev: str) -> Repo:
    """The environments defined at ``rev`` (their files only, not validated further)."""
    source = GitRevision(root, rev, git)
    only = {p for p in source.data_paths() if p.startswith("environments/")}
    return load_repo(source, only=only)


def environment_at(root: Path, git: GitRepository, rev: str, name: str) -> Environment | None:
    return next(
        (e for e in environments_at(root, git, rev).of(Environment) if e.name == name), None
    )
