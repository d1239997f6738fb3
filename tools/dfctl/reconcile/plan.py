"""The plan: an immutable value listing what apply will do to every target of an environment.

A plan is built from the desired state and one read of the live state, printed, and only then
applied. Its hash covers every action, so the applied-revision marker can say exactly what ran.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from dfctl.diff.fields import Delta, FieldChange, RowChange

Op = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class Action:
    """One write. ``fields`` and ``rows`` are the changes from live to desired (empty for
    creates): plain fields, and the rows of identified lists (a set's codes, a policy's ports)."""

    target: str  # a cluster name, or "configservice"
    op: Op
    kind: str
    ref: str  # "Kind namespace/name", or a configuration-service key
    fields: tuple[FieldChange, ...] = ()
    desired: dict[str, Any] | None = None  # what is applied (None for deletes)
    guard: str | None = (
        None  # the live version the action was planned against (optimistic concurrency)
    )
    source: str = ""  # "path:line" of the YAML it comes from
    patch_only: bool = False  # an installer's workload: only image and replicas are written
    rows: tuple[RowChange, ...] = ()

    @property
    def delta(self) -> Delta:
        return Delta(self.fields, self.rows)

    def summary(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "op": self.op,
            "kind": self.kind,
            "ref": self.ref,
            "fields": [[f.op, f.path, f.old, f.new] for f in self.delta.flat()],
            "desired": self.desired,
        }


@dataclass(frozen=True)
class TargetPlan:
    """What one target (a cluster or the configuration service) needs, read in one pass."""

    target: str
    actions: tuple[Action, ...] = ()
    errors: tuple[str, ...] = ()  # problems that make the plan impossible (a missing workload …)
    managed: int = 0  # how many objects the target holds under dfctl's ownership now
    reads: int = 0  # how many read requests building the plan took
    # (kind, ref) of managed objects deleted with their namespace, without a request of their own
    cascade: tuple[tuple[str, str], ...] = ()

    def deleted(self) -> Counter[str]:
        """Objects this target's plan removes, by kind (those going with a namespace included)."""
        found = Counter(a.kind for a in self.actions if a.op == "delete")
        found.update(kind for kind, _ref in self.cascade)
        return found


@dataclass(frozen=True)
class Plan:
    environment: str
    revision: str
    targets: tuple[TargetPlan, ...]
    digest: str = field(default="")

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(a for t in self.targets for a in t.actions)

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(f"{t.target}: {e}" for t in self.targets for e in t.errors)

    @property
    def deletes(self) -> int:
        """Managed objects the plan removes: deletes, and what goes with a deleted namespace."""
        return sum(self.deleted().values())

    def deleted(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for part in self.targets:
            found.update(part.deleted())
        return found

    @property
    def managed(self) -> int:
        return sum(t.managed for t in self.targets)

    def is_empty(self) -> bool:
        return not self.actions


def seal(environment: str, revision: str, targets: list[TargetPlan]) -> Plan:
    """Build the Plan with its digest (sha256 of every action, in order)."""
    payload = json.dumps(
        {
            "environment": environment,
            "revision": revision,
            "actions": [a.summary() for t in targets for a in t.actions],
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return Plan(environment, revision, tuple(targets), digest)
