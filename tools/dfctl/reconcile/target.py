"""What every target (a Kubernetes cluster, the configuration service) offers the reconciler."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from dfctl import __version__
from dfctl.diff.fields import FieldChange, RowChange
from dfctl.reconcile.plan import TargetPlan
from dfctl.render.state import DesiredState

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Marker:
    """What was last applied to a target, written only after a whole plan succeeded."""

    environment: str
    revision: str
    digest: str
    applied_at: str

    @staticmethod
    def now(environment: str, revision: str, digest: str) -> Marker:
        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        return Marker(environment, revision, digest, stamp)

    def as_data(self) -> dict[str, str]:
        return {
            "environment": self.environment,
            "revision": self.revision,
            "plan-digest": self.digest,
            "applied-at": self.applied_at,
            "dfctl-version": __version__,
        }

    @staticmethod
    def from_data(data: dict[str, str]) -> Marker | None:
        try:
            return Marker(
                data["environment"], data["revision"], data["plan-digest"], data["applied-at"]
            )
        except KeyError:
            return None


@dataclass(frozen=True)
class DriftItem:
    target: str
    ref: str
    problem: str  # "changed", "missing" or "unexpected"
    fields: tuple[FieldChange, ...] = ()
    managers: tuple[str, ...] = ()
    rows: tuple[RowChange, ...] = ()  # rows of identified lists, live → desired


class Target(Protocol):
    """A system dfctl writes to. Every method raises dfctl.targets.TargetError on failure."""

    name: str

    def plan(self, state: DesiredState) -> TargetPlan:
        """Read the live state once and list the writes that would make it the desired state."""
        ...

    def apply(
        self, plan: TargetPlan, force_conflicts: bool = False, progress: Progress | None = None
    ) -> None:
        """Carry out the plan's actions, in a safe order."""
        ...

    def read_marker(self) -> Marker | None: ...

    def write_marker(self, marker: Marker) -> bool:
        """Record ``marker``; False when the target already held it and nothing was written."""
        ...

    def drift(self, state: DesiredState) -> list[DriftItem]:
        """Differences between live and desired that the reconciler did not make."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
