"""Leader election with a coordination.k8s.io/v1 Lease: one reconciler per environment acts.

The algorithm is client-go's: the holder renews the Lease every pass; another candidate takes it
over only after it has seen the same record unchanged for a whole lease duration on its own
clock (so clocks need not agree between machines). Every write carries the resourceVersion that
was read, so of two candidates racing for a free or expired Lease exactly one wins; the other's
write is refused by the API server and it stands by.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dfctl.adapters.kube import PART_OF, KubeClient
from dfctl.errors import NotFound, VersionConflict

NAMESPACE = "dfctl-system"
DEFAULT_DURATION = 120


def lease_name(environment: str) -> str:
    return f"dfctl-reconciler-{environment}"


def micro_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LeaseState:
    holder: str | None
    renewed: str | None
    transitions: int


class LeaderElector:
    def __init__(
        self,
        client: KubeClient,
        environment: str,
        identity: str,
        duration: int = DEFAULT_DURATION,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.client = client
        self.name = lease_name(environment)
        self.identity = identity
        self.duration = duration
        self.monotonic = monotonic
        self.now = now
        self.observed: LeaseState | None = None
        self._observed_at = 0.0
        self.leading = False

    @property
    def holder(self) -> str | None:
        """Who held the Lease when it was last read."""
        return self.observed.holder if self.observed else None

    def try_acquire_or_renew(self) -> bool:
        """Take or keep the Lease; False when another reconciler holds it (or won the race)."""
        self.leading = self._attempt()
        return self.leading

    def _attempt(self) -> bool:
        current = self.client.get("Lease", NAMESPACE, self.name)
        stamp = micro_time(self.now())
        if current is None:
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": NAMESPACE, "labels": PART_OF},
                "spec": {
                    "holderIdentity": self.identity,
                    "leaseDurationSeconds": self.duration,
                    "acquireTime": stamp,
                    "renewTime": stamp,
                    "leaseTransitions": 0,
                },
            }
            return self._write(self._create, body)
        spec: dict[str, Any] = current.get("spec") or {}
        state = LeaseState(
            spec.get("holderIdentity") or None,
            spec.get("renewTime"),
            int(spec.get("leaseTransitions") or 0),
        )
        if state != self.observed:
            self.observed = state
            self._observed_at = self.monotonic()
        duration = int(spec.get("leaseDurationSeconds") or self.duration)
        mine = state.holder == self.identity
        if (
            state.holder is not None
            and not mine
            and self._observed_at + duration > self.monotonic()
        ):
            return False
        spec = {
            **spec,
            "holderIdentity": self.identity,
            "leaseDurationSeconds": self.duration,
            "renewTime": stamp,
        }
        if not mine:
            spec["acquireTime"] = stamp
            spec["leaseTransitions"] = state.transitions + (1 if state.holder else 0)
        return self._write(self.client.replace, {**current, "spec": spec})

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.client.create(body)
        except NotFound:  # no dfctl-system yet: the first reconciler of this cluster makes it
            namespace = {"name": NAMESPACE, "labels": PART_OF}
            with contextlib.suppress(VersionConflict):  # another candidate made it first
                self.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": namespace})
            return self.client.create(body)

    def _write(
        self, write: Callable[[dict[str, Any]], dict[str, Any]], body: dict[str, Any]
    ) -> bool:
        try:
            written = write(body)
        except VersionConflict:
            return False  # someone else wrote the Lease since it was read
        spec = written.get("spec") or {}
        self.observed = LeaseState(
            spec.get("holderIdentity"),
            spec.get("renewTime"),
            int(spec.get("leaseTransitions") or 0),
        )
        self._observed_at = self.monotonic()
        return True

    def release(self) -> None:
        """Give the Lease up at shutdown, so the next reconciler need not wait for it to expire."""
        if not self.leading:
            return
        current = self.client.get("Lease", NAMESPACE, self.name)
        if current is None or (current.get("spec") or {}).get("holderIdentity") != self.identity:
            self.leading = False
            return
        spec = {
            **current["spec"],
            "holderIdentity": None,
            "leaseDurationSeconds": 1,
            "renewTime": micro_time(self.now()),
        }
        self._write(self.client.replace, {**current, "spec": spec})
        self.leading = False
