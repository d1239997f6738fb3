"""The Kubernetes reconciler against a real kube-apiserver, controller-manager and etcd.

The module starts its own cluster (named like the acceptance cluster, tke-acc-a) so it owns all
of its state; the tests run in order and each states what it expects to find. The platform
installer is played by a client with its own field manager that creates the namespaces and
Deployments the reconciler then adopts and patches.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import git
import pytest

from dfctl.adapters.kube import KubeClient
from dfctl.cli import main
from dfctl.diff.fields import Delta
from dfctl.errors import (
    ApplyRefused,
    ConflictError,
    NotFound,
    TargetError,
)
from dfctl.load.gitsource import GitRevision
from dfctl.reconcile.cluster import MARKER_NAME, MARKER_NAMESPACE, ClusterTarget
from dfctl.reconcile.normalize import compare
from dfctl.reconcile.plan import Plan
from dfctl.reconcile.runner import apply_plan, find_drift, make_plan
from dfctl.render import render
from dfctl.render.state import MANAGED_BY, MANAGED_BY_LABEL, DesiredState, KubeObject
from dfctl.report.plan import plan_text
from dfctl.sandbox import ControlPlane, running
from dfctl.validate import check_source
from tests.content import TODAY, commit_all, copy_content, edit, init_repo
from tests.etcd_server import EtcdServer

pytestmark = [pytest.mark.controlplane, pytest.mark.git]

CLUSTER = "tke-acc-a"
ENV = "acceptance"
TODAY_DATE = dt.date.fromisoformat(TODAY)
INSTALLER = "platform-installer"

SCRATCH_POLICY = """\
# yaml-language-server: $schema=../../schemas/AccessPolicy.json
apiVersion: dfp.config/v1
kind: AccessPolicy
id: AP-2026-0098
title: 验收环境联调测试机访问预算管理
environment: acceptance
source:
  cidr: 10.99.30.0/24
destination:
  namespace: dfp-budget-acc
ports:
  - 8080
protocol: TCP
ticket: TAPD-1020998
requested_by: 王建华
approver: 陈志刚（安全管控组）
approved_on: "2026-11-20"
expires_on: "2027-11-19"
"""


@dataclass
class World:
    plane: ControlPlane
    work: Path
    repo: git.Repo
    opened: list[KubeClient] = field(default_factory=list)

    def client(self) -> KubeClient:
        # kept until the module ends, then closed: no connection is left for the collector
        client = KubeClient(CLUSTER, self.plane.kubeconfig)
        self.opened.append(client)
        return client

    def targets(self) -> list[ClusterTarget]:
        return [ClusterTarget(self.client())]

    def desired(self, rev: str = "HEAD") -> tuple[str, DesiredState]:
        source = GitRevision(self.work, rev)
        repo, result = check_source(source, TODAY_DATE)
        assert result.errors == 0, result.diagnostics
        return source.commit, render(repo, ENV)

    def plan(self) -> tuple[Plan, list[ClusterTarget]]:
        revision, state = self.desired()
        targets = self.targets()
        return make_plan(state, revision, targets), targets

    def commit(self, message: str) -> str:
        return commit_all(self.repo, message)


def install_platform(client: KubeClient, state: DesiredState) -> None:
    """What the province's installer does before dfctl manages anything: namespaces and workloads."""
    for obj in state.objects:
        if obj.kind == "Namespace":
            client.request(
                "POST",
                "/api/v1/namespaces",
                [("fieldManager", INSTALLER)],
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": obj.name}},
                "application/json",
            )
    for obj in state.objects:
        if not obj.patch_only:
            continue
        spec = obj.body["spec"]
        (container,) = spec["template"]["spec"]["containers"]
        labels = {"app": obj.name}
        client.request(
            "POST",
            f"/apis/apps/v1/namespaces/{obj.namespace}/deployments",
            [("fieldManager", INSTALLER)],
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": obj.name, "namespace": obj.namespace, "labels": labels},
                "spec": {
                    "replicas": spec["replicas"],
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"containers": [{"name": obj.name, "image": container["image"]}]},
                    },
                },
            },
            "application/json",
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with running([CLUSTER]) as (plane,):
        work = copy_content(tmp_path_factory.mktemp("reconcile") / "repo")
        repo = init_repo(work)
        commit_all(repo, "the city's configuration")
        found = World(plane, work, repo)
        _, state = found.desired()
        install_platform(found.client(), state)
        try:
            yield found
        finally:
            for client in found.opened:
                client.close()


def live(world: World, kind: str, namespace: str | None, name: str) -> dict[str, Any]:
    found = world.client().get(kind, namespace, name)
    assert found is not None, f"{kind} {namespace}/{name} is missing"
    return found


def writes(client: KubeClient) -> int:
    return sum(count for method, count in client.requests.items() if method != "GET")


def test_apply_from_empty(world: World) -> None:
    plan, targets = world.plan()
    ops = {(a.op, a.kind) for a in plan.actions}
    assert ("create", "ResourceQuota") in ops and ("create", "NetworkPolicy") in ops
    # namespaces and workloads exist (the installer made them): dfctl adopts and patches them
    assert {a.op for a in plan.actions if a.kind in ("Namespace", "Deployment")} == {"update"}
    assert not plan.errors
    assert plan.targets[0].reads == 6  # one LIST per kind: five managed kinds and Deployments
    marker = apply_plan(plan, targets).marker
    quota = live(world, "ResourceQuota", "dfp-budget-acc", "dfp-quota")
    assert quota["spec"]["hard"]["limits.cpu"] == "12"
    assert quota["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "dfctl"
    assert quota["metadata"]["annotations"]["dfp.config/source"] == (
        "cloud/namespaces/acceptance/dfp-budget-acc.yaml:9"
    )
    deployment = live(world, "Deployment", "dfp-budget-acc", "bgt-server")
    assert deployment["metadata"]["labels"]["dfp.config/patched-by"] == "dfctl"
    stored = live(world, "ConfigMap", MARKER_NAMESPACE, MARKER_NAME)["data"]
    assert stored["revision"] == world.repo.head.commit.hexsha == marker.revision
    assert stored["plan-digest"] == plan.digest
    assert stored["environment"] == ENV


def test_reapply_makes_no_write_request(world: World) -> None:
    plan, targets = world.plan()
    assert plan.is_empty(), [(a.ref, a.fields) for a in plan.actions][:2]
    apply_plan(plan, targets)
    client = targets[0].client
    assert writes(client) == 0
    assert client.requests["GET"] == 7  # the six LISTs of the plan and the marker


def test_one_line_change_is_a_one_field_patch(world: World) -> None:
    edit(
        world.work / "cloud/namespaces/acceptance/dfp-budget-acc.yaml",
        'limits.cpu: "12"',
        'limits.cpu: "14"',
    )
    world.commit("budget: more CPU for acceptance tests")
    plan, targets = world.plan()
    (action,) = plan.actions
    assert (action.op, action.ref) == ("update", "ResourceQuota dfp-budget-acc/dfp-quota")
    assert [(f.op, f.path, f.old, f.new) for f in action.fields] == [
        ("change", "spec.hard['limits.cpu']", "12", "14")
    ]
    apply_plan(plan, targets)
    assert targets[0].client.requests["PATCH"] == 2  # the quota and the marker
    assert (
        live(world, "ResourceQuota", "dfp-budget-acc", "dfp-quota")["spec"]["hard"]["limits.cpu"]
        == "14"
    )


def test_quantities_compare_by_value(world: World) -> None:
    # written differently, the same values: nothing to apply
    edit(
        world.work / "cloud/namespaces/acceptance/dfp-budget-acc.yaml", 'cpu: "250m"', 'cpu: "0.25"'
    )
    edit(
        world.work / "cloud/namespaces/acceptance/dfp-budget-acc.yaml",
        "memory: 512Mi",
        "memory: 0.5Gi",
    )
    world.commit("budget: same requests, other spelling")
    plan, _ = world.plan()
    assert plan.is_empty(), [(a.ref, a.fields) for a in plan.actions]
    # and the server agrees: apply the other spelling, read it back, compare
    client = world.client()
    body = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "spelling", "namespace": "dfp-budget-acc"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "0.5", "memory": "1024Mi"}}]},
    }
    back = client.apply(body)
    assert back["spec"]["limits"][0]["default"] == {"cpu": "500m", "memory": "1Gi"}
    assert compare(body, back) == Delta()
    client.delete("LimitRange", "dfp-budget-acc", "spelling")


# What kube-apiserver v1.36 stores for each spelling of a resource-list quantity (read back
# from a real one): the value rounded up to milli, in canonical spelling, except a few inputs it
# echoes as written (+1, 01, 5., 1E3).
STORED_SPELLINGS: list[tuple[str | int, str]] = [
    ("0.5", "500m"),  # decimal fraction
    (".5", "500m"),  # no leading digit
    ("5.", "5."),  # no fraction digits (echoed)
    ("+1", "+1"),  # sign (echoed)
    ("01", "01"),  # leading zero (echoed)
    (4, "4"),  # a YAML integer
    ("1000", "1k"),  # to the largest suffix
    ("1000000m", "1k"),
    ("0.1", "100m"),
    ("3.001n", "1m"),  # below a milli: rounded up to 1m
    ("1u", "1m"),
    ("1.5m", "2m"),
    ("1024Mi", "1Gi"),  # binary
    ("1.5Gi", "1536Mi"),
    ("0.5Ki", "512"),  # binary below 1024: decimal
    ("0.0001Ki", "103m"),  # binary below 1: rounded up to milli
    ("2000Mi", "2000Mi"),
    ("100M", "100M"),
    ("1e3", "1e3"),  # exponent
    ("1E3", "1E3"),
    ("12e-4", "2e-3"),
]
SPELLING_NS = "dfp-spelling-acc"


def _spelling_objects(values: list[str | int]) -> tuple[KubeObject, ...]:
    def meta(name: str, namespace: str | None = SPELLING_NS) -> dict[str, Any]:
        found: dict[str, Any] = {"name": name, "labels": {MANAGED_BY_LABEL: MANAGED_BY}}
        if namespace:
            found["namespace"] = namespace
        return found

    bodies: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(SPELLING_NS, None)},
        # empty maps and lists are not stored (omitempty): data {} reads back as no data
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("empty"), "data": {}},
        {
            # protocol left to the default (TCP); policyTypes given as the server defaults it
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta("defaults"),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {"from": [{"ipBlock": {"cidr": "10.99.30.0/24"}}], "ports": [{"port": 8080}]}
                ],
            },
        },
        {
            # only max: the defaulter copies it into default and defaultRequest
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": meta("max-only"),
            "spec": {
                "limits": [{"type": "Container", "max": {"cpu": "3.001n", "memory": "0.5Gi"}}]
            },
        },
    ]
    bodies += [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": meta(f"spelling-{index}"),
            "spec": {"hard": {"requests.memory": value}},
        }
        for index, value in enumerate(values)
    ]
    return tuple(KubeObject(CLUSTER, body, "test:1") for body in bodies)


def test_every_spelling_is_compared_as_the_apiserver_stores_it(world: World) -> None:
    revision, state = world.desired()
    spellings = [written for written, _stored in STORED_SPELLINGS]
    extra = _spelling_objects(spellings)
    with_spellings = DesiredState(state.environment, state.clusters, state.objects + extra, ())
    plan = make_plan(with_spellings, revision, world.targets())
    assert sorted((a.op, a.ref) for a in plan.actions) == sorted(("create", o.ref) for o in extra)
    apply_plan(plan, world.targets())
    stored = [
        live(world, "ResourceQuota", SPELLING_NS, f"spelling-{i}")["spec"]["hard"][
            "requests.memory"
        ]
        for i in range(len(spellings))
    ]
    assert list(zip(spellings, stored, strict=True)) == STORED_SPELLINGS
    assert "data" not in live(world, "ConfigMap", SPELLING_NS, "empty")
    assert live(world, "LimitRange", SPELLING_NS, "max-only")["spec"]["limits"] == [
        {
            "type": "Container",
            "max": {"cpu": "1m", "memory": "512Mi"},
            "default": {"cpu": "1m", "memory": "512Mi"},
            "defaultRequest": {"cpu": "1m", "memory": "512Mi"},
        }
    ]
    # plan after apply: nothing to change, and drift finds nothing
    again = make_plan(with_spellings, revision, world.targets())
    assert again.is_empty(), [(a.ref, a.fields) for a in again.actions]
    assert find_drift(with_spellings, world.targets()) == []
    # a different value is still a change: 3.001n is 1m, 1.001m is 2m
    changed = [*spellings[:9], "1.001m", *spellings[10:]]
    other = DesiredState(
        state.environment, state.clusters, state.objects + _spelling_objects(changed), ()
    )
    (update,) = make_plan(other, revision, world.targets()).actions
    assert (update.ref, [(f.path, f.old, f.new) for f in update.fields]) == (
        f"ResourceQuota {SPELLING_NS}/spelling-9",
        [("spec.hard['requests.memory']", "1m", "2m")],
    )
    # leave the cluster as the module's other tests expect it
    apply_plan(make_plan(state, revision, world.targets()), world.targets(), allow_mass_prune=True)
    client = world.client()
    deadline = time.monotonic() + 90
    while client.get("Namespace", None, SPELLING_NS) is not None:
        assert time.monotonic() < deadline, "namespace deletion did not complete"
        time.sleep(0.5)


def test_quota_applied_by_dfctl_rejects_a_pod_over_it(world: World) -> None:
    client = world.client()
    deadline = time.monotonic() + 60
    while (
        not live(world, "ResourceQuota", "dfp-budget-acc", "dfp-quota")
        .get("status", {})
        .get("hard")
    ):
        assert time.monotonic() < deadline, "the quota controller never filled status.hard"
        time.sleep(0.5)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "too-big", "namespace": "dfp-budget-acc"},
        "spec": {
            "containers": [
                {
                    "name": "bgt-batch",
                    "image": "ccr.xx-gov.example/dfp/bgt-batch:3.8.0",
                    "resources": {
                        "requests": {"cpu": "4", "memory": "1Gi"},
                        "limits": {"cpu": "4", "memory": "2Gi"},
                    },
                }
            ]
        },
    }
    # each within the limit range's max of 4 CPU, but two are more than the namespace's
    # requests.cpu of 6: the second is refused by the quota dfctl applied
    first = dict(pod, metadata={"name": "batch-1", "namespace": "dfp-budget-acc"})
    client.request(
        "POST", "/api/v1/namespaces/dfp-budget-acc/pods", None, first, "application/json"
    )
    with pytest.raises(TargetError) as refused:
        second = dict(pod, metadata={"name": "batch-2", "namespace": "dfp-budget-acc"})
        client.request(
            "POST", "/api/v1/namespaces/dfp-budget-acc/pods", None, second, "application/json"
        )
    assert "403" in str(refused.value) and "exceeded quota: dfp-quota" in str(refused.value)
    client.delete("Pod", "dfp-budget-acc", "batch-1")


def test_prune_removes_only_what_left_the_repository(world: World) -> None:
    policy = world.work / "portal/access-policies/AP-2026-0098.yaml"
    policy.write_text(SCRATCH_POLICY, encoding="utf-8")
    world.commit("open a path for integration tests")
    plan, targets = world.plan()
    assert [(a.op, a.ref) for a in plan.actions] == [
        ("create", "NetworkPolicy dfp-budget-acc/dfp-ap-2026-0098")
    ]
    apply_plan(plan, targets)
    live(world, "NetworkPolicy", "dfp-budget-acc", "dfp-ap-2026-0098")
    policy.unlink()
    world.commit("integration tests done: close the path")
    plan, targets = world.plan()
    assert [(a.op, a.ref) for a in plan.actions] == [
        ("delete", "NetworkPolicy dfp-budget-acc/dfp-ap-2026-0098")
    ]
    apply_plan(plan, targets)
    assert world.client().get("NetworkPolicy", "dfp-budget-acc", "dfp-ap-2026-0098") is None
    # the installer's workloads are never pruned, and the marker is not a managed object
    live(world, "Deployment", "dfp-budget-acc", "bgt-server")
    live(world, "ConfigMap", MARKER_NAMESPACE, MARKER_NAME)


def test_mass_prune_is_refused(world: World) -> None:
    client = world.client()
    for index in range(30):
        client.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": f"leftover-{index}",
                    "namespace": "dfp-portal-acc",
                    "labels": {"app.kubernetes.io/managed-by": "dfctl"},
                },
                "data": {"from": "an older layout"},
            }
        )
    plan, targets = world.plan()
    assert plan.deletes == 30
    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, targets)
    assert str(refused.value) == (
        f"the plan deletes 30 of {plan.managed} managed objects "
        f"({30 / plan.managed:.0%}, more than 20%: 30 ConfigMap); "
        "re-run with --allow-mass-prune if that is intended"
    )
    assert client.get("ConfigMap", "dfp-portal-acc", "leftover-0") is not None
    apply_plan(plan, targets, allow_mass_prune=True)
    assert client.get("ConfigMap", "dfp-portal-acc", "leftover-29") is None


def _lanes(count: int) -> tuple[KubeObject, ...]:
    """Managed namespaces without workloads, each with a quota and a network policy."""
    found: list[KubeObject] = []
    for index in range(count):
        name = f"dfp-lane-{index}-acc"
        labels = {MANAGED_BY_LABEL: MANAGED_BY}
        found += [
            KubeObject(
                CLUSTER,
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": name, "labels": labels},
                },
                "test:1",
            ),
            KubeObject(
                CLUSTER,
                {
                    "apiVersion": "v1",
                    "kind": "ResourceQuota",
                    "metadata": {"name": "dfp-quota", "namespace": name, "labels": labels},
                    "spec": {"hard": {"pods": "10"}},
                },
                "test:2",
            ),
            KubeObject(
                CLUSTER,
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "NetworkPolicy",
                    "metadata": {"name": "dfp-default-deny", "namespace": name, "labels": labels},
                    "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
                },
                "test:3",
            ),
        ]
    return tuple(found)


def wait_gone(client: KubeClient, namespaces: list[str]) -> None:
    deadline = time.monotonic() + 120
    while any(client.get("Namespace", None, n) is not None for n in namespaces):
        assert time.monotonic() < deadline, f"namespaces {namespaces} are still being deleted"
        time.sleep(0.5)


def test_a_deleted_namespace_counts_everything_in_it_for_the_mass_prune_guard(
    world: World,
) -> None:
    revision, state = world.desired()
    lanes = _lanes(6)
    with_lanes = DesiredState(state.environment, state.clusters, state.objects + lanes, ())
    apply_plan(make_plan(with_lanes, revision, world.targets()), world.targets())
    # the lanes leave the repository: six namespace deletes, each taking two objects with it
    plan = make_plan(state, revision, world.targets())
    assert sorted((a.op, a.ref) for a in plan.actions) == [
        ("delete", f"Namespace dfp-lane-{i}-acc") for i in range(6)
    ]
    (part,) = plan.targets
    assert sorted(part.cascade) == sorted(
        (kind, f"{kind} dfp-lane-{i}-acc/{name}")
        for i in range(6)
        for kind, name in (("NetworkPolicy", "dfp-default-deny"), ("ResourceQuota", "dfp-quota"))
    )
    assert plan.deletes == 18
    assert plan_text(plan).splitlines()[2:4] == [
        "  - Namespace dfp-lane-0-acc",
        "      and with it 1 NetworkPolicy, 1 ResourceQuota",
    ]
    with pytest.raises(ApplyRefused) as refused:
        apply_plan(plan, world.targets())
    assert str(refused.value) == (
        f"the plan deletes 18 of {plan.managed} managed objects "
        f"({18 / plan.managed:.0%}, more than 20%: 6 Namespace, 6 NetworkPolicy, "
        "6 ResourceQuota); re-run with --allow-mass-prune if that is intended"
    )
    assert world.client().get("Namespace", None, "dfp-lane-0-acc") is not None
    apply_plan(plan, world.targets(), allow_mass_prune=True)
    wait_gone(world.client(), [f"dfp-lane-{i}-acc" for i in range(6)])


def test_namespace_with_foreign_workloads_or_claims_is_never_deleted(world: World) -> None:
    client = world.client()
    revision, state = world.desired()
    (namespace, quota, policy) = _lanes(1)
    scratch = DesiredState(
        state.environment, state.clusters, (*state.objects, namespace, quota, policy), ()
    )
    apply_plan(make_plan(scratch, revision, world.targets()), world.targets())
    labels = {"app": "db"}
    # someone else's database, scaled to 0, and its volume claim
    client.request(
        "POST",
        "/apis/apps/v1/namespaces/dfp-lane-0-acc/statefulsets",
        None,
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "dfp-lane-0-acc"},
            "spec": {
                "replicas": 0,
                "serviceName": "db",
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "db", "image": "busybox"}]},
                },
            },
        },
        "application/json",
    )
    client.request(
        "POST",
        "/api/v1/namespaces/dfp-lane-0-acc/persistentvolumeclaims",
        None,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data-db-0", "namespace": "dfp-lane-0-acc"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
        "application/json",
    )
    plan = make_plan(state, revision, world.targets())
    held = (
        "tke-acc-a: namespace dfp-lane-0-acc is no longer in the repository but still holds "
        "{}, which dfctl does not manage; dfctl never deletes a namespace holding workloads or "
        "volume claims of others"
    )
    assert plan.errors == (held.format("1 StatefulSet (db), 1 PersistentVolumeClaim (data-db-0)"),)
    assert (plan.actions, plan.targets[0].cascade) == ((), ())  # nothing inside goes either
    with pytest.raises(ApplyRefused):
        apply_plan(plan, world.targets())
    client.delete("StatefulSet", "dfp-lane-0-acc", "db")
    plan = make_plan(state, revision, world.targets())
    assert plan.errors == (held.format("1 PersistentVolumeClaim (data-db-0)"),)
    client.delete("PersistentVolumeClaim", "dfp-lane-0-acc", "data-db-0")
    # no pvc-protection controller runs here: take its finalizer off as it would
    with contextlib.suppress(NotFound):
        client.request(
            "PATCH",
            "/api/v1/namespaces/dfp-lane-0-acc/persistentvolumeclaims/data-db-0",
            None,
            {"metadata": {"finalizers": None}},
            "application/merge-patch+json",
        )
    plan = make_plan(state, revision, world.targets())
    assert [(a.op, a.ref) for a in plan.actions] == [("delete", "Namespace dfp-lane-0-acc")]
    assert plan.deletes == 3
    apply_plan(plan, world.targets(), allow_mass_prune=True)
    wait_gone(client, ["dfp-lane-0-acc"])


def test_apply_one_target_at_a_time_and_say_when_nothing_was_written(
    world: World, etcd: EtcdServer, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = ["--repo", str(world.work)]
    options = ["--env", ENV, "--kubeconfig", str(world.plane.kubeconfig)]
    options += ["--etcd-endpoints", etcd.endpoint, "--today", TODAY]
    assert main([*repo, "apply", *options]) == 0
    capsys.readouterr()
    head = world.repo.head.commit.hexsha[:12]
    assert main([*repo, "apply", *options]) == 0
    assert (
        capsys.readouterr().err == f"dfctl: nothing to apply: acceptance already matches {head}\n"
    )
    edit(
        world.work / "cloud/namespaces/acceptance/dfp-budget-acc.yaml",
        "limits.memory: 48Gi",
        "limits.memory: 56Gi",
    )
    head = world.commit("budget: more memory for acceptance")[:12]
    # the configuration service holds every document of the environment, and none changed
    documents = len(world.desired()[1].documents)
    # the configuration service has nothing of it: only its marker moves
    assert main([*repo, "apply", *options, "--target", "config-service"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1:] == [
        f"configservice: 0 to create, 0 to update, 0 to delete ({documents} managed now, 1 reads)",
        "no changes: live state matches the desired state",
    ]
    assert captured.err == (
        f"dfctl: no changes to acceptance; markers moved to {head} (configservice)\n"
    )
    assert live(world, "ConfigMap", MARKER_NAMESPACE, MARKER_NAME)["data"]["revision"] != (
        world.repo.head.commit.hexsha
    )
    assert main([*repo, "apply", *options, "--target", "kubernetes"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1:4] == [
        "tke-acc-a: 0 to create, 1 to update, 0 to delete (46 managed now, 6 reads)",
        "  ~ ResourceQuota dfp-budget-acc/dfp-quota  (cloud/namespaces/acceptance/dfp-budget-acc.yaml:9)",
        "      spec.hard['limits.memory']: 48Gi → 56Gi",
    ]
    assert captured.err == (
        f"dfctl: applied 1 changes to acceptance at {head}; markers moved to {head} (tke-acc-a)\n"
    )
    assert main([*repo, "drift", *options]) == 0
    capsys.readouterr()


def test_drift_names_the_other_field_manager(
    world: World, etcd: EtcdServer, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = ["--repo", str(world.work)]
    options = ["--env", ENV, "--kubeconfig", str(world.plane.kubeconfig)]
    options += ["--etcd-endpoints", etcd.endpoint, "--today", TODAY]
    # both targets at the same revision first, through the command line
    assert main([*repo, "apply", *options]) == 0
    capsys.readouterr()
    client = world.client()
    client.request(
        "PATCH",
        "/api/v1/namespaces/dfp-budget-acc/resourcequotas/dfp-quota",
        [("fieldManager", "kubectl-edit")],
        {"spec": {"hard": {"pods": "120"}}},
        "application/merge-patch+json",
    )
    _, state = world.desired()
    (item,) = find_drift(state, world.targets())
    assert (item.ref, item.problem, item.managers) == (
        "ResourceQuota dfp-budget-acc/dfp-quota",
        "changed",
        ("kubectl-edit",),
    )
    assert [(f.path, f.old, f.new) for f in item.fields] == [("spec.hard.pods", "120", "80")]
    code = main([*repo, "drift", *options])
    out, err = capsys.readouterr()
    assert code == 3, out + err
    assert out.splitlines()[1:] == [
        "tke-acc-a: ResourceQuota dfp-budget-acc/dfp-quota: changed (changed by kubectl-edit)",
        "    spec.hard.pods: live 120, desired 80",
    ]


def test_conflict_names_the_manager_and_is_not_forced(world: World) -> None:
    client = world.client()
    client.request(
        "PATCH",
        "/api/v1/namespaces/dfp-budget-acc/resourcequotas/dfp-quota",
        [("fieldManager", "ops-console"), ("force", "true")],
        '{"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "dfp-quota"},'
        ' "spec": {"hard": {"pods": "150"}}}',
        "application/apply-patch+yaml",
    )
    before = live(world, "ConfigMap", MARKER_NAMESPACE, MARKER_NAME)["data"]
    plan, targets = world.plan()
    with pytest.raises(ConflictError) as conflict:
        apply_plan(plan, targets)
    assert conflict.value.managers == ["ops-console"]
    assert (
        "ResourceQuota dfp-budget-acc/dfp-quota: fields .spec.hard.pods are owned by ops-console"
        in str(conflict.value)
    )
    assert (
        live(world, "ResourceQuota", "dfp-budget-acc", "dfp-quota")["spec"]["hard"]["pods"] == "150"
    )
    assert live(world, "ConfigMap", MARKER_NAMESPACE, MARKER_NAME)["data"] == before
    apply_plan(plan, targets, force_conflicts=True)
    assert (
        live(world, "ResourceQuota", "dfp-budget-acc", "dfp-quota")["spec"]["hard"]["pods"] == "80"
    )
    assert world.plan()[0].is_empty()


def test_missing_installer_workload_is_a_plan_error(world: World) -> None:
    world.client().delete("Deployment", "dfp-portal-acc", "portal-web")
    plan, targets = world.plan()
    assert plan.errors == (
        "tke-acc-a: Deployment dfp-portal-acc/portal-web does not exist; the platform installer "
        "creates it, dfctl only sets its image and replicas "
        "(cloud/namespaces/acceptance/dfp-portal-acc.yaml:26)",
    )
    with pytest.raises(ApplyRefused):
        apply_plan(plan, targets)
    _, state = world.desired()
    install_platform_one(world.client(), state, "dfp-portal-acc", "portal-web")


def install_platform_one(
    client: KubeClient, state: DesiredState, namespace: str, name: str
) -> None:
    only = [o for o in state.objects if o.patch_only and (o.namespace, o.name) == (namespace, name)]
    install_platform(client, DesiredState(state.environment, state.clusters, tuple(only), ()))


# Killing kube-apiserver under in-flight requests leaves TLS sockets that urllib3 drops without
# closing; they are collected (under this filter) before the test ends, not in a later test.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <ssl.SSLSocket:pytest.PytestUnraisableExceptionWarning"
)
def test_apiserver_stopped_mid_apply(world: World) -> None:
    before = live(world, "ConfigMap", MARKER_NAMESPACE, MARKER_NAME)["data"]
    for number in range(60, 100):
        text = SCRATCH_POLICY.replace("AP-2026-0098", f"AP-2026-00{number}")
        text = text.replace("10.99.30.0/24", f"10.99.{number}.0/24")
        (world.work / f"portal/access-policies/AP-2026-00{number}.yaml").write_text(
            text, encoding="utf-8"
        )
    world.commit("forty integration test rigs")
    plan, targets = world.plan()
    assert sum(1 for a in plan.actions if a.op == "create") == 40
    stopped: list[str] = []

    def stop_after_first(message: str) -> None:
        if not stopped:
            stopped.append(message)
            world.plane.stop_apiserver()

    try:
        with pytest.raises(TargetError) as failed:
            apply_plan(plan, targets, progress=stop_after_first)
    finally:
        if stopped:
            world.plane.start_apiserver()
    assert "writes failed" in str(failed.value)
    assert "unreachable" in str(failed.value)
    # the marker did not move, and the next run converges with nothing lost
    assert live(world, "ConfigMap", MARKER_NAMESPACE, MARKER_NAME)["data"] == before
    plan, targets = world.plan()
    assert 0 < sum(1 for a in plan.actions if a.op == "create") < 40
    apply_plan(plan, targets)
    for number in range(60, 100):
        live(world, "NetworkPolicy", "dfp-budget-acc", f"dfp-ap-2026-00{number}")
    assert world.plan()[0].is_empty()
    assert (
        live(world, "ConfigMap", MARKER_NAMESPACE, MARKER_NAME)["data"]["revision"]
        == world.repo.head.commit.hexsha
    )
    for client in world.opened:
        client.close()
    gc.collect()


def test_an_environment_spanning_two_clusters(
    control_planes: dict[str, ControlPlane], tmp_path: Path
) -> None:
    work = copy_content(tmp_path / "repo")
    commit_all(init_repo(work), "the city's configuration")
    source = GitRevision(work, "HEAD")
    repo, result = check_source(source, TODAY_DATE)
    assert result.errors == 0
    state = render(repo, "production")
    clients = {name: KubeClient(name, plane.kubeconfig) for name, plane in control_planes.items()}
    for name, client in clients.items():
        install_platform(
            client,
            DesiredState(state.environment, state.clusters, tuple(state.objects_in(name)), ()),
        )
    targets = [ClusterTarget(client) for client in clients.values()]
    plan = make_plan(state, source.commit, targets)
    assert [part.target for part in plan.targets] == ["tke-prod-a", "tke-prod-b"]
    assert all(part.actions for part in plan.targets)
    apply_plan(plan, targets)
    for name, client in clients.items():
        namespaces = {o.name for o in state.objects_in(name) if o.kind == "Namespace"}
        for namespace in namespaces:
            assert client.get("ResourceQuota", namespace, "dfp-quota") is not None
        other = {o.name for o in state.objects if o.kind == "Namespace"} - namespaces
        assert all(client.get("ResourceQuota", ns, "dfp-quota") is None for ns in other)
        marker = client.get("ConfigMap", MARKER_NAMESPACE, MARKER_NAME)
        assert marker is not None and marker["data"]["revision"] == source.commit
    assert make_plan(state, source.commit, [ClusterTarget(c) for c in clients.values()]).is_empty()
    for client in clients.values():
        client.close()
