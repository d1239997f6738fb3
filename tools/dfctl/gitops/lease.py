"""Leader election with a coordination.k8s.io/v1 Lease: one reconciler per environment acts.

The algorithm and its timings are client-go's ``leaderelection`` (lease duration 15 s, renew
deadline 10 s, retry period 2 s): a continuous reconciler keeps a :class:`LeaseKeeper` thread
that renews the Lease every retry period while it leads and tries to take it every retry period
while it stands by. Another candidate takes the Lease over only after it has seen the same record
unchanged for a whole lease duration on its own clock (so clocks need not agree between
machines); a holder that could not renew for the renew deadline stops acting before that. Every
write carries the resourceVersion that was read, so of two candidates racing for a free or
expired Lease exactly one wins; the other's write is refused by the API server and it stands by.

A one-pass reconciler (``--once``) tries once and gives the Lease back when it exits, whatever
the outcome; a stopping continuous one (SIGTERM) gives it back too, so the other replica takes
over at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dfctl.adapters.kube import PART_OF, KubeClient
from dfctl.errors import DfctlError, NotFound, VersionConflict

NAMESPACE = "dfctl-system"
# client-go leaderelection's usual values (kube-controller-manager, kube-scheduler)
DEFAULT_DURATION = 15
DEFAULT_RENEW_DEADLINE = 10.0
DEFAULT_RETRY_PERIOD = 2.0
JITTER = 1.2  # a standby waits retry period × (1 … 1.2), as client-go's JitterUntil


def lease_name(environment: str) -> str:
    return f"dfctl-reconciler-{environment}"


def micro_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LeaseState:
    holder: str | None
    renewed: str | None
    transitions: int
    duration: int | None = None


def _state(spec: dict[str, Any]) -> LeaseState:
    duration = spec.get("leaseDurationSeconds")
    return LeaseState(
        spec.get("holderIdentity") or None,
        spec.get("renewTime"),
        int(spec.get("leaseTransitions") or 0),
        int(duration) if duration is not None else None,
    )


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
        self.renewed_at: float | None = None  # monotonic time of this candidate's last renewal

    @property
    def holder(self) -> str | None:
        """Who held the Lease when it was last read."""
        return self.observed.holder if self.observed else None

    def describe(self) -> str:
        """Who holds the Lease and until when, as last read (for a standby's report)."""
        where = f"the Lease {NAMESPACE}/{self.name}"
        state = self.observed
        if state is None or state.holder is None:
            return f"nobody holds {where}"
        if state.renewed is None or state.duration is None:
            return f"{state.holder} holds {where}"
        renewed = dt.datetime.strptime(state.renewed, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=dt.UTC
        )
        until = renewed + dt.timedelta(seconds=state.duration)
        return (
            f"{state.holder} holds {where}, renewed at {_shown(renewed)} for "
            f"{state.duration} s: until {_shown(until)} unless it renews it"
        )

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
        state = _state(spec)
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
        self.observed = _state(written.get("spec") or {})
        self._observed_at = self.monotonic()
        if self.observed.holder == self.identity:
            self.renewed_at = self._observed_at
        return True

    def holds(self, renew_deadline: float) -> bool:
        """Leading, and renewed within ``renew_deadline`` seconds: safe to act."""
        return (
            self.leading
            and self.renewed_at is not None
            and self.monotonic() - self.renewed_at < renew_deadline
        )

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


def _shown(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LeaseKeeper:
    """Keeps a continuous reconciler's Lease in a thread of its own, client-go's way.

    Every ``retry_period`` seconds it renews the Lease while leading, or tries to take it while
    standing by. A renewal that fails (the API server is away) keeps the leadership until
    ``renew_deadline`` has passed since the last good one; then this reconciler stops acting
    (``holds`` is False) and stands by until it can take the Lease again. ``on_lead`` is called
    when it starts leading, so the loop can act at once instead of at its next interval.
    """

    def __init__(
        self,
        elector: LeaderElector,
        renew_deadline: float = DEFAULT_RENEW_DEADLINE,
        retry_period: float = DEFAULT_RETRY_PERIOD,
        on_lead: Callable[[], None] = lambda: None,
        on_error: Callable[[str], None] = lambda _message: None,
    ) -> None:
        self.elector = elector
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.on_lead = on_lead
        self.on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Try once now (so the first pass knows where it stands), then keep trying."""
        self._attempt()
        self._thread = threading.Thread(target=self._run, name="dfctl-lease", daemon=True)
        self._thread.start()

    def holds(self) -> bool:
        with self._lock:
            return self.elector.holds(self.renew_deadline)

    def stop(self) -> None:
        """Stop renewing (the caller releases the Lease afterwards)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.renew_deadline + self.retry_period)

    def _run(self) -> None:
        while not self._stop.wait(self._pause()):
            self._attempt()

    def _pause(self) -> float:
        if self.elector.leading:
            return self.retry_period
        return self.retry_period * (1 + random.random() * (JITTER - 1))

    def _attempt(self) -> None:
        was = self.elector.holds(self.renew_deadline)
        try:
            with self._lock:
                self.elector.try_acquire_or_renew()
        except DfctlError as exc:  # the API server is away: keep what we had, within the deadline
            self.on_error(str(exc))
            with self._lock:
                if self.elector.leading and not self.elector.holds(self.renew_deadline):
                    self.elector.leading = False
        if not was and self.elector.holds(self.renew_deadline):
            self.on_lead()
