"""Promotion: a release reaches a stage only after every earlier stage ran it, in order.

The proof is what was applied, not what the YAML pins: the evidence records that reconcilers
leave in each environment's clusters (``evidence.py``). Production takes release 3.8.0 only when
an acceptance record of 3.8.0 exists and a pre-release record of 3.8.0 applied after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from dfctl.model.base import STAGES


@dataclass(frozen=True)
class AppliedRelease:
    """One successful apply of a release to an environment."""

    environment: str
    version: str
    revision: str
    applied_at: dt.datetime


def earlier_stages(environment: str) -> tuple[str, ...]:
    if environment not in STAGES:
        return ()
    return STAGES[: STAGES.index(environment)]


def promotion_problem(
    environment: str, version: str, records: Iterable[AppliedRelease]
) -> str | None:
    """Why ``version`` may not reach ``environment`` yet, or None when it may."""
    stages = earlier_stages(environment)
    if not stages:
        return None
    applied: dict[str, list[AppliedRelease]] = {stage: [] for stage in stages}
    for record in records:
        if record.environment in applied:
            applied[record.environment].append(record)
    not_before: dt.datetime | None = None
    previous = ""
    for stage in stages:
        runs = sorted(
            (r for r in applied[stage] if r.version == version), key=lambda r: r.applied_at
        )
        if not runs:
            seen = sorted(applied[stage], key=lambda r: r.applied_at)
            last = f" (its last applied release is {seen[-1].version})" if seen else ""
            return (
                f"release {version} has not been applied to {stage}{last}; {environment} takes "
                f"a release only after {' and then '.join(stages)} ran it"
            )
        after = [r for r in runs if not_before is None or r.applied_at >= not_before]
        if not after:
            return (
                f"release {version} reached {stage} at {runs[-1].applied_at.isoformat()}, before "
                f"{previous} ran it; {environment} takes a release only after "
                f"{' and then '.join(stages)} ran it, in that order"
            )
        not_before = after[0].applied_at
        previous = stage
    return None
