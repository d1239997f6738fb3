"""Plan and apply an environment across all its targets; the marker moves only when all succeed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dfctl.errors import ApplyRefused, LeadershipLost
from dfctl.reconcile.plan import Plan, seal
from dfctl.reconcile.target import DriftItem, Marker, Progress, Target
from dfctl.render.state import DesiredState

MASS_PRUNE_SHARE = 0.2


def make_plan(state: DesiredState, revision: str, targets: Sequence[Target]) -> Plan:
    return seal(state.environment, revision, [t.plan(state) for t in targets])


def check_applicable(plan: Plan, allow_mass_prune: bool = False) -> None:
    if plan.errors:
        raise ApplyRefused("the plan has errors:\n  " + "\n  ".join(plan.errors))
    if plan.managed and plan.deletes > MASS_PRUNE_SHARE * plan.managed and not allow_mass_prune:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(plan.deleted().items()))
        raise ApplyRefused(
            f"the plan deletes {plan.deletes} of {plan.managed} managed objects "
            f"({plan.deletes / plan.managed:.0%}, more than {MASS_PRUNE_SHARE:.0%}: {kinds}); "
            "re-run with --allow-mass-prune if that is intended"
        )


@dataclass(frozen=True)
class Applied:
    """What an apply did: the marker it stands for, and the targets whose marker it wrote."""

    marker: Marker
    actions: int
    moved: tuple[str, ...]

    @property
    def wrote(self) -> bool:
        """Whether anything at all was written (a change or a marker)."""
        return bool(self.actions or self.moved)


def apply_plan(
    plan: Plan,
    targets: Sequence[Target],
    *,
    force_conflicts: bool = False,
    allow_mass_prune: bool = False,
    progress: Progress | None = None,
    still_leading: Callable[[], bool] | None = None,
) -> Applied:
    """Apply every target's part of ``plan``; then, and only then, move every marker.

    Raises ApplyRefused before writing anything, or TargetError when a write fails (the markers
    are left as they were, so the next run starts from the last good revision and converges).
    With ``still_leading`` (the reconciler's Lease), asks it before each target's writes and
    before the markers, and raises LeadershipLost at the first no.
    """
    check_applicable(plan, allow_mass_prune)
    by_name = {t.name: t for t in targets}
    written: list[str] = []
    for part in plan.targets:
        if part.actions:
            _still_leading(still_leading, f"writing {part.target}", written)
            by_name[part.target].apply(part, force_conflicts=force_conflicts, progress=progress)
            written.append(part.target)
    _still_leading(still_leading, "moving the markers", written)
    marker = Marker.now(plan.environment, plan.revision, plan.digest)
    moved: list[str] = []
    for target in targets:
        current = target.read_marker() if plan.is_empty() else None
        if current is not None and current.revision == plan.revision:
            continue  # nothing happened and the revision is recorded: no write at all
        if target.write_marker(marker):
            moved.append(target.name)
    return Applied(marker, len(plan.actions), tuple(moved))


def _still_leading(ask: Callable[[], bool] | None, before: str, written: Sequence[str]) -> None:
    if ask is None or ask():
        return
    done = (
        f"{', '.join(written)} {'was' if len(written) == 1 else 'were'} written"
        if written
        else "nothing more was written"
    )
    raise LeadershipLost(f"lost the Lease before {before}; {done} and the markers did not move")


def find_drift(state: DesiredState, targets: Sequence[Target]) -> list[DriftItem]:
    found: list[DriftItem] = []
    for target in targets:
        found.extend(target.drift(state))
    return found


def applied_revision(targets: Sequence[Target]) -> str | None:
    """The revision every target's marker names, or None when they disagree or none exists."""
    revisions = set()
    for target in targets:
        marker = target.read_marker()
        revisions.add(marker.revision if marker else None)
    return revisions.pop() if len(revisions) == 1 else None
