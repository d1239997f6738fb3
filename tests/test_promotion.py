"""Promotion order from applied-revision records: acceptance, then pre-release, then production."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from dfctl.adapters.kube import KubeClient
from dfctl.errors import EvidenceUnreadable
from dfctl.gitops import evidence as ev
from dfctl.gitops.promotion import AppliedRelease, promotion_problem
from dfctl.sandbox import ControlPlane

T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def applied(env: str, version: str, hours: int) -> AppliedRelease:
    return AppliedRelease(env, version, f"{hours:040x}", T0 + dt.timedelta(hours=hours))


ORDER = "production takes a release only after acceptance and then pre-release ran it"


def test_production_takes_a_release_that_acceptance_and_then_pre_release_ran() -> None:
    records = [applied("acceptance", "3.8.0", 1), applied("pre-release", "3.8.0", 30)]
    assert promotion_problem("production", "3.8.0", records) is None


def test_a_release_acceptance_never_ran_is_refused() -> None:
    records = [applied("acceptance", "3.7.2", 1), applied("pre-release", "3.8.0", 30)]
    assert promotion_problem("production", "3.8.0", records) == (
        "release 3.8.0 has not been applied to acceptance (its last applied release is 3.7.2); "
        + ORDER
    )


def test_a_release_pre_release_never_ran_is_refused() -> None:
    records = [applied("acceptance", "3.8.0", 1)]
    assert promotion_problem("production", "3.8.0", records) == (
        "release 3.8.0 has not been applied to pre-release; " + ORDER
    )


def test_pre_release_before_acceptance_is_out_of_order() -> None:
    records = [applied("pre-release", "3.8.0", 1), applied("acceptance", "3.8.0", 5)]
    assert promotion_problem("production", "3.8.0", records) == (
        f"release 3.8.0 reached pre-release at {(T0 + dt.timedelta(hours=1)).isoformat()}, "
        f"before acceptance ran it; {ORDER}, in that order"
    )


def test_a_later_pre_release_run_after_acceptance_counts() -> None:
    records = [
        applied("pre-release", "3.8.0", 1),
        applied("acceptance", "3.8.0", 5),
        applied("pre-release", "3.8.0", 9),
    ]
    assert promotion_problem("production", "3.8.0", records) is None


def test_pre_release_needs_acceptance_only_and_acceptance_needs_nothing() -> None:
    assert promotion_problem("pre-release", "3.8.0", [applied("acceptance", "3.8.0", 1)]) is None
    assert promotion_problem("pre-release", "3.9.0", [applied("acceptance", "3.8.0", 1)]) == (
        "release 3.9.0 has not been applied to acceptance (its last applied release is 3.8.0); "
        "pre-release takes a release only after acceptance ran it"
    )
    assert promotion_problem("acceptance", "3.9.0", []) is None


def test_only_successful_applies_count() -> None:
    def record(result: str) -> ev.Evidence:
        return ev.Evidence(
            "acceptance",
            "a" * 40,
            None,
            "3.8.0",
            (),
            {"files": 1, "errors": 0, "warnings": 0},
            {"digest": "d", "actions": 0, "targets": {}},
            result,
            T0.isoformat(),
            T0.isoformat(),
            "test",
            "inside the change window",
        )

    assert ev.releases([record(ev.FAILED)]) == []
    assert ev.releases([record(ev.APPLIED)]) == [
        AppliedRelease("acceptance", "3.8.0", "a" * 40, T0)
    ]


@pytest.mark.controlplane
def test_records_kept_in_the_cluster_prove_the_order(control_plane: ControlPlane) -> None:
    """Evidence ConfigMaps written to a real cluster and read back decide the promotion."""
    client = KubeClient(control_plane.name, control_plane.kubeconfig)
    store = ev.ClusterEvidence(client)
    environment = f"promo-{uuid.uuid4().hex[:6]}"  # a name of its own in the shared cluster

    def write(stage: str, version: str, hours: int) -> None:
        moment = (T0 + dt.timedelta(hours=hours)).isoformat(timespec="microseconds")
        store.write(
            ev.Evidence(
                stage,
                uuid.uuid4().hex + "abcdefgh",
                None,
                version,
                (),
                {"files": 123, "errors": 0, "warnings": 2},
                {"digest": "d" * 64, "actions": 3, "targets": {}},
                ev.APPLIED,
                moment,
                moment,
                environment,
                "inside the change window",
            )
        )

    try:
        write("acceptance", "3.9.0", 1)
        found = [r for r in store.list() if r.reconciler == environment]
        assert promotion_problem("production", "3.9.0", ev.releases(found)) == (
            "release 3.9.0 has not been applied to pre-release; " + ORDER
        )
        write("pre-release", "3.9.0", 2)
        found = [r for r in store.list() if r.reconciler == environment]
        assert [(r.environment, r.release) for r in found] == [
            ("acceptance", "3.9.0"),
            ("pre-release", "3.9.0"),
        ]
        assert promotion_problem("production", "3.9.0", ev.releases(found)) is None
    finally:  # other tests read the acceptance records of this shared cluster
        for record in store.list():
            if record.reconciler == environment:
                client.delete("ConfigMap", ev.NAMESPACE, record.name)
        client.close()


@pytest.mark.controlplane
def test_a_corrupt_record_in_the_cluster_is_named_not_skipped(control_plane: ControlPlane) -> None:
    """A record that cannot be read makes the whole history unreadable, naming the ConfigMap:
    promotion must not be decided on a history with a hole in it."""
    client = KubeClient(control_plane.name, control_plane.kubeconfig)
    environment = f"promo-{uuid.uuid4().hex[:6]}"
    name = f"dfctl-evidence-{environment}-corrupt"
    store = ev.ClusterEvidence(client)
    moment = T0.isoformat()
    kept = ev.Evidence(
        environment,
        uuid.uuid4().hex + "abcdefgh",
        None,
        "3.9.0",
        (),
        {"files": 123, "errors": 0, "warnings": 2},
        {"digest": "d" * 64, "actions": 3, "targets": {}},
        ev.APPLIED,
        moment,
        moment,
        "reconciler-a",
        "inside the change window",
    )
    store.write(kept)
    try:
        assert store.list(environment) == [kept]
        for data, problem in (
            ({ev.DATA_KEY: '{"environment": "x"'}, "is not JSON (Expecting ',' delimiter: "),
            ({ev.DATA_KEY: '{"environment": "x"}'}, "has no 'commits'"),
            ({}, "holds no record"),
        ):
            # made afresh each time: server-side apply would keep the data an earlier one set
            client.delete("ConfigMap", ev.NAMESPACE, name)
            client.create(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": name,
                        "namespace": ev.NAMESPACE,
                        "labels": {ev.ENV_LABEL: environment},
                    },
                    "data": data,
                }
            )
            with pytest.raises(EvidenceUnreadable) as raised:
                store.list(environment)
            assert str(raised.value).startswith(
                f"evidence ConfigMap {ev.NAMESPACE}/{name} {problem}"
            )
    finally:
        client.delete("ConfigMap", ev.NAMESPACE, name)
        client.delete("ConfigMap", ev.NAMESPACE, kept.name)
        client.close()
