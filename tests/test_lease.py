"""Leader election with a real coordination.k8s.io/v1 Lease on a real kube-apiserver."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dfctl.adapters.kube import KubeClient
from dfctl.errors import VersionConflict
from dfctl.gitops.lease import NAMESPACE, LeaderElector, LeaseKeeper, lease_name
from dfctl.sandbox import ControlPlane

pytestmark = pytest.mark.controlplane


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def clients(control_plane: ControlPlane) -> Iterator[tuple[KubeClient, KubeClient]]:
    """Two separate connections, as two reconciler processes would have."""
    first = KubeClient(control_plane.name, control_plane.kubeconfig)
    second = KubeClient(control_plane.name, control_plane.kubeconfig)
    yield first, second
    first.close()
    second.close()


def race(electors: list[LeaderElector]) -> list[bool]:
    start = threading.Barrier(len(electors))
    results: list[bool] = [False] * len(electors)

    def run(index: int) -> None:
        start.wait()
        results[index] = electors[index].try_acquire_or_renew()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(electors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_of_two_candidates_racing_for_a_new_lease_exactly_one_wins(
    clients: tuple[KubeClient, KubeClient],
) -> None:
    for _ in range(5):
        env = f"race-{uuid.uuid4().hex[:8]}"
        a = LeaderElector(clients[0], env, "reconciler-a", duration=30)
        b = LeaderElector(clients[1], env, "reconciler-b", duration=30)
        results = race([a, b])
        assert sorted(results) == [False, True]
        winner = "reconciler-a" if results[0] else "reconciler-b"
        lease = clients[0].get("Lease", NAMESPACE, lease_name(env))
        assert lease is not None
        assert lease["spec"]["holderIdentity"] == winner
        assert lease["spec"]["leaseDurationSeconds"] == 30
        # the loser knows who leads, and stays out on its next try
        loser = b if results[0] else a
        assert loser.try_acquire_or_renew() is False
        assert loser.holder == winner


def test_the_holder_renews_and_a_silent_holder_is_replaced_after_the_duration(
    clients: tuple[KubeClient, KubeClient],
) -> None:
    env = f"takeover-{uuid.uuid4().hex[:8]}"
    clock_a, clock_b = Clock(), Clock()
    a = LeaderElector(clients[0], env, "reconciler-a", duration=30, monotonic=clock_a)
    b = LeaderElector(clients[1], env, "reconciler-b", duration=30, monotonic=clock_b)
    assert a.try_acquire_or_renew()
    first = clients[0].get("Lease", NAMESPACE, lease_name(env))
    assert first is not None
    assert b.try_acquire_or_renew() is False
    # a keeps renewing: b never sees the same record for a whole duration
    for _ in range(3):
        clock_a.value += 20
        clock_b.value += 20
        assert a.try_acquire_or_renew()
        assert b.try_acquire_or_renew() is False
    renewed = clients[0].get("Lease", NAMESPACE, lease_name(env))
    assert renewed is not None
    assert renewed["spec"]["renewTime"] >= first["spec"]["renewTime"]
    # a goes silent; b waits one full duration on its own clock, then takes over
    clock_b.value += 29
    assert b.try_acquire_or_renew() is False
    clock_b.value += 2
    assert b.try_acquire_or_renew() is True
    lease = clients[1].get("Lease", NAMESPACE, lease_name(env))
    assert lease is not None
    assert lease["spec"]["holderIdentity"] == "reconciler-b"
    assert lease["spec"]["leaseTransitions"] == 1
    # a comes back: it sees b's fresh record and stands by
    clock_a.value += 100
    assert a.try_acquire_or_renew() is False
    assert a.holder == "reconciler-b"


def test_a_released_lease_is_taken_at_once(clients: tuple[KubeClient, KubeClient]) -> None:
    env = f"release-{uuid.uuid4().hex[:8]}"
    a = LeaderElector(clients[0], env, "reconciler-a", duration=30)
    b = LeaderElector(clients[1], env, "reconciler-b", duration=30)
    assert a.try_acquire_or_renew()
    assert b.try_acquire_or_renew() is False
    a.release()
    lease = clients[0].get("Lease", NAMESPACE, lease_name(env))
    assert lease is not None
    assert "holderIdentity" not in lease["spec"]
    assert b.try_acquire_or_renew() is True


def test_a_stale_read_loses_to_the_write_that_came_first(
    clients: tuple[KubeClient, KubeClient],
) -> None:
    """The resourceVersion guards the write: b read the lease before a renewed it."""
    env = f"stale-{uuid.uuid4().hex[:8]}"
    now = dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC)
    a = LeaderElector(clients[0], env, "reconciler-a", duration=1, now=lambda: now)
    assert a.try_acquire_or_renew()
    a.release()
    stale = clients[1].get("Lease", NAMESPACE, lease_name(env))
    assert stale is not None
    assert a.try_acquire_or_renew()  # a takes it back; the lease changes
    with pytest.raises(VersionConflict):
        clients[1].replace({**stale, "spec": {**stale["spec"], "holderIdentity": "b"}})


def wait_for(probe: Callable[[], bool], timeout: float = 30.0) -> float:
    """Seconds until ``probe`` holds (the keepers work in threads of their own)."""
    started = time.monotonic()
    while not probe():
        assert time.monotonic() - started < timeout, "still waiting"
        time.sleep(0.02)
    return time.monotonic() - started


def test_a_keeper_renews_and_its_standby_takes_over_when_it_falls_silent(
    clients: tuple[KubeClient, KubeClient],
) -> None:
    env = f"keeper-{uuid.uuid4().hex[:8]}"
    led: list[str] = []
    a = LeaseKeeper(
        LeaderElector(clients[0], env, "reconciler-a", duration=3),
        renew_deadline=2.0,
        retry_period=0.2,
        on_lead=lambda: led.append("a"),
    )
    b = LeaseKeeper(
        LeaderElector(clients[1], env, "reconciler-b", duration=3),
        renew_deadline=2.0,
        retry_period=0.2,
        on_lead=lambda: led.append("b"),
    )
    a.start()
    b.start()
    try:
        assert (a.holds(), b.holds(), led) == (True, False, ["a"])
        first = clients[0].get("Lease", NAMESPACE, lease_name(env))
        assert first is not None
        # a renews every retry period: b, looking as often, never sees the record stand still
        wait_for(lambda: _renewed(clients[0], env) != first["spec"]["renewTime"])
        time.sleep(4)  # longer than the lease duration
        assert (a.holds(), b.holds()) == (True, False)
        # a stops renewing without giving the Lease back (as if it died): b takes it after one
        # lease duration of seeing the same record, and is told so
        a.stop()
        wait_for(b.holds, timeout=10)
        assert led == ["a", "b"]
        lease = clients[1].get("Lease", NAMESPACE, lease_name(env))
        assert lease is not None
        assert (lease["spec"]["holderIdentity"], lease["spec"]["leaseTransitions"]) == (
            "reconciler-b",
            1,
        )
    finally:
        a.stop()
        b.stop()
        b.elector.release()


def test_a_leader_that_cannot_renew_stops_acting_after_the_renew_deadline(
    clients: tuple[KubeClient, KubeClient], control_plane: ControlPlane, tmp_path: Path
) -> None:
    env = f"deadline-{uuid.uuid4().hex[:8]}"
    errors: list[str] = []
    elector = LeaderElector(clients[0], env, "reconciler-a", duration=3)
    keeper = LeaseKeeper(elector, renew_deadline=1.0, retry_period=0.2, on_error=errors.append)
    keeper.start()
    try:
        assert keeper.holds()
        # the API server goes out of reach of this reconciler (its address now refuses)
        config = tmp_path / "kubeconfig"
        text = control_plane.kubeconfig.read_text(encoding="utf-8")
        config.write_text(text.replace(control_plane.server, "https://127.0.0.1:1"), "utf-8")
        away = KubeClient(control_plane.name, config)
        elector.client = away
        waited = wait_for(lambda: not keeper.holds(), timeout=10)
        assert waited < 3  # well before another candidate could take over (3 s)
        assert errors and errors[0].endswith("unreachable: connection refused")
        # it comes back: the Lease still names it, so it leads again at once
        elector.client = clients[0]
        wait_for(keeper.holds, timeout=10)
        away.close()
    finally:
        keeper.stop()
        elector.release()


def _renewed(client: KubeClient, env: str) -> str:
    lease = client.get("Lease", NAMESPACE, lease_name(env))
    assert lease is not None
    return str(lease["spec"]["renewTime"])
