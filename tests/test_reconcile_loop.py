"""Continuous reconcile of the repository's own content into real clusters and a real etcd.

The repository is a real git repository with real merge commits; the reconciler fetches it with
git, proves every commit, and applies to the real kube-apiservers of the `control_plane(s)`
fixtures and the `etcd` fixture. Time is injected; nothing sleeps.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ruamel.yaml import YAML

from dfctl.adapters.kube import KubeClient
from dfctl.cli import main
from dfctl.errors import NotFound, TargetError
from dfctl.gitops import evidence as ev
from dfctl.gitops.lease import NAMESPACE, LeaderElector, lease_name
from dfctl.gitops.loop import KubeconfigConnections, PassOutcome, Reconciler, Settings
from dfctl.gitops.metrics import ReconcileMetrics, serve
from dfctl.gitops.webhook import Hooks, Wakeup, WebhookServer
from dfctl.load.gitsource import GitRevision
from dfctl.load.repo import WorkTree, load_repo
from dfctl.model import DATA_ROOTS, ROOT_FILES, Cluster
from dfctl.reconcile.cluster import MARKER_NAME, MARKER_NAMESPACE
from dfctl.render import render
from dfctl.render.openapi import validate_objects
from dfctl.render.state import KubeObject
from dfctl.report.gitops import audit_json
from dfctl.sandbox import ControlPlane, write_kubeconfig
from dfctl.sandbox.control_plane import free_ports
from dfctl.validate import check_source
from tests.content import PROJECT, edit
from tests.etcd_server import EtcdServer
from tests.forge import push_event
from tests.merge_requests import DENG, JIANG, MERGER, WU, XIE, XU, ZHENG, ZHOU, Main, git

pytestmark = [pytest.mark.controlplane, pytest.mark.git]

SHANGHAI = ZoneInfo("Asia/Shanghai")
INSTALLER = "installer"
FRIDAY_MORNING = dt.datetime(2026, 11, 27, 10, 0, tzinfo=SHANGHAI)  # acceptance's window is open
SATURDAY = dt.datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)  # acceptance's is closed
WEDNESDAY_NIGHT = dt.datetime(2026, 11, 25, 23, 0, tzinfo=SHANGHAI)  # production's is open
BUDGET_ACC = "cloud/namespaces/acceptance/dfp-budget-acc.yaml"
PRODUCTION = "environments/production/environment.yaml"


class Clock:
    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


def combined_kubeconfig(folder: Path, planes: dict[str, ControlPlane]) -> Path:
    """Contexts named ``name`` for each plane (a plane may serve under several names)."""
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [],
        "users": [],
        "contexts": [],
    }
    for name, plane in planes.items():
        loaded = json.loads(json.dumps(_yaml(plane.kubeconfig)))
        cluster = loaded["clusters"][0]["cluster"]
        user = loaded["users"][0]["user"]
        config["clusters"].append({"name": name, "cluster": cluster})
        config["users"].append({"name": name, "user": user})
        config["contexts"].append({"name": name, "context": {"cluster": name, "user": name}})
    config["current-context"] = next(iter(planes))
    path = folder / "kubeconfig"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def _yaml(path: Path) -> Any:

    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def content_repo(tmp_path: Path, prepare: Callable[[Path], None] | None = None) -> Main:
    """GitLab's copy of the repository: this project's data files, on main."""
    files = [*DATA_ROOTS, *ROOT_FILES]
    repo = Main(tmp_path / "gitlab", files)
    if prepare is None:
        return repo
    prepare(repo.path)
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "--amend", "--no-edit", who=MERGER)
    repo.root = repo.head
    return repo


def install_workloads(repo: Main, rev: str, env: str, clients: dict[str, KubeClient]) -> int:
    """Do what the platform installer does before dfctl: namespaces and Deployments.

    The installer (re)applies its Deployments with 0 replicas as field manager ``installer``, so
    each test starts with the installer owning them, whatever an earlier test applied.
    """
    state_repo, result = check_source(GitRevision(repo.path, rev), FRIDAY_MORNING.date())
    assert result.errors == 0, result.diagnostics[:3]
    state = render(state_repo, env)
    made = 0
    for obj in state.objects:
        if not obj.patch_only:
            continue
        client = clients[obj.cluster]
        if client.get("Namespace", None, obj.namespace) is None:
            client.create(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": obj.namespace}}
            )
        name = obj.body["metadata"]["name"]
        container = obj.body["spec"]["template"]["spec"]["containers"][0]
        labels = {"app": name}
        client.request(
            "PATCH",
            f"/apis/apps/v1/namespaces/{obj.namespace}/deployments/{name}",
            [("fieldManager", INSTALLER), ("force", "true")],
            body={
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": obj.namespace},
                "spec": {
                    "replicas": 0,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [{"name": container["name"], "image": container["image"]}]
                        },
                    },
                },
            },
            content_type="application/apply-patch+yaml",
        )
        made += 1
    return made


def forget_applied(clients: dict[str, KubeClient], environments: tuple[str, ...]) -> None:
    """Start from a cluster no reconciler of this test ran on (the fixtures are shared)."""
    for client in clients.values():
        client.delete("ConfigMap", MARKER_NAMESPACE, MARKER_NAME)
        for env in environments:
            client.delete("Lease", NAMESPACE, lease_name(env))
            for record in ev.ClusterEvidence(client).list(env):
                client.delete("ConfigMap", ev.NAMESPACE, record.name)


def leave_clean(client: KubeClient, environments: tuple[str, ...]) -> None:
    """Remove what this module's tests made in a shared cluster, and wait until it is gone."""
    forget_applied({client.cluster: client}, environments)
    for plural in ("clusterrolebindings", "clusterroles"):
        with contextlib.suppress(NotFound):
            client.request(
                "DELETE", f"/apis/rbac.authorization.k8s.io/v1/{plural}/dfctl-reconciler"
            )
    ours = [
        n["metadata"]["name"]
        for n in client.list("Namespace")
        if n["metadata"]["name"].startswith("dfp-")
    ]
    for name in ours:
        client.delete("Namespace", None, name)
    deadline = time.monotonic() + 120
    while any(client.get("Namespace", None, name) is not None for name in ours):
        assert time.monotonic() < deadline, f"namespaces {ours} are still being deleted"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def acc_cluster(control_plane: ControlPlane) -> Iterator[ControlPlane]:
    yield control_plane
    client = KubeClient(control_plane.name, control_plane.kubeconfig)
    leave_clean(client, ("acceptance", "pre-release", "production"))
    client.close()


@pytest.fixture(scope="module")
def prod_clusters(
    control_planes: dict[str, ControlPlane],
) -> Iterator[dict[str, ControlPlane]]:
    yield control_planes
    for plane in control_planes.values():
        client = KubeClient(plane.name, plane.kubeconfig)
        leave_clean(client, ("production",))
        client.close()


@pytest.fixture
def acc(acc_cluster: ControlPlane, control_plane: ControlPlane) -> Iterator[KubeClient]:
    client = KubeClient(control_plane.name, control_plane.kubeconfig)
    forget_applied({"tke-acc-a": client}, ("acceptance", "pre-release"))
    yield client
    client.close()


def reconciler(
    repo: Main,
    tmp_path: Path,
    env: str,
    kubeconfig: Path,
    clock: Clock,
    etcd: EtcdServer | None = None,
    identity: str = "reconciler-a",
    events: list[dict[str, Any]] | None = None,
    force_conflicts: bool = True,
) -> Reconciler:
    settings = Settings(
        url=str(repo.path),
        environment=env,
        cache=tmp_path / f"cache-{identity}",
        identity=identity,
        initial=repo.root,
        evidence_log=tmp_path / f"evidence-{identity}.jsonl",
        force_conflicts=force_conflicts,
    )
    connections = KubeconfigConnections(kubeconfig, [etcd.endpoint] if etcd is not None else None)
    sink = events if events is not None else []
    return Reconciler(settings, connections, now=clock, emit=sink.append)


def marker(client: KubeClient) -> str | None:
    found = client.get("ConfigMap", MARKER_NAMESPACE, MARKER_NAME)
    return found["data"]["revision"] if found else None


def sample(metrics: ReconcileMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


# --- acceptance: the whole flow ------------------------------------------------------------------


def test_reconcile_applies_approved_merges_and_stops_at_the_first_unapproved(
    tmp_path: Path,
    control_plane: ControlPlane,
    acc: KubeClient,
    etcd: EtcdServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    clock = Clock(FRIDAY_MORNING)
    events: list[dict[str, Any]] = []
    loop = reconciler(
        repo, tmp_path, "acceptance", control_plane.kubeconfig, clock, etcd, events=events
    )

    first = loop.run_once()
    assert first.status == "applied", first.reasons
    assert (first.status, first.applied, first.reasons) == ("applied", repo.root, ())
    assert marker(acc) == repo.root
    assert etcd.get("/dfp/acceptance/_dfctl/applied") is not None
    namespace = acc.get("Namespace", None, "dfp-budget-acc")
    assert namespace is not None
    assert namespace["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "dfctl"
    assert first.evidence is not None
    assert first.evidence.notes == (f"first apply: {repo.root[:12]} trusted as given by --initial",)

    # one approved merge request, then one its author approved, then another approved one
    approved = repo.merge_request(
        "验收预算域扩容",
        lambda w: edit(w / BUDGET_ACC, "replicas: 1", "replicas: 2"),
        WU,
        [JIANG],
    )
    selfish = repo.merge_request(
        "验收预算域再扩容",
        lambda w: edit(w / BUDGET_ACC, "replicas: 2", "replicas: 3"),
        WU,
        [WU],
    )
    repo.merge_request(
        "验收预算域恢复",
        lambda w: edit(w / BUDGET_ACC, "replicas: 3", "replicas: 2"),
        JIANG,
        [WU],
    )
    clock.moment += dt.timedelta(minutes=5)
    second = loop.run_once()
    authored = git(repo.path, "rev-parse", f"{selfish}^2")[:12]
    reason = (
        f"{selfish[:12]} (验收预算域再扩容) is not approved: {WU} approved a change they authored "
        f"({authored}); needs 1 approval from platform-ops (其他配置、工具和文档: {BUDGET_ACC}); "
        "has 0"
    )
    assert (second.status, second.previous, second.applied) == ("applied", repo.root, approved)
    assert second.reasons == (reason,)
    assert not second.ok
    assert marker(acc) == approved
    assert second.evidence is not None
    assert [(c.sha, c.approvers) for c in second.evidence.commits] == [(approved, (str(JIANG),))]
    assert second.evidence.plan["actions"] >= 1
    deployment = acc.get("Deployment", "dfp-budget-acc", "bgt-server")
    assert deployment is not None and deployment["spec"]["replicas"] == 2

    # nothing more may go until the refused commit is dealt with
    third = loop.run_once()
    assert (third.status, third.applied, third.reasons) == ("refused", None, (reason,))
    assert marker(acc) == approved
    assert (
        sample(
            loop.metrics,
            "dfctl_reconcile_refusals_total",
            environment="acceptance",
            gate="approvals",
        )
        == 1.0
    )
    assert (
        sample(
            loop.metrics, "dfctl_reconcile_last_apply_timestamp_seconds", environment="acceptance"
        )
        == clock.moment.timestamp()
    )
    assert [e["event"] for e in events if e["event"] in ("applied", "refused", "stopped")] == [
        "applied",
        "applied",
        "stopped",
        "refused",
    ]

    # the evidence: in the cluster, in the local log, and printed by `dfctl audit`
    kept = ev.ClusterEvidence(acc).list("acceptance")
    assert [(r.revision, r.result) for r in kept] == [(repo.root, "applied"), (approved, "applied")]
    assert main(["audit", "--log", str(tmp_path / "evidence-reconciler-a.jsonl")]) == 0
    out = capsys.readouterr().out
    assert f"acceptance {approved[:12]} applied release 3.8.0 by reconciler-a" in out
    assert f"    {approved[:12]} 验收预算域扩容 (by {WU}; approved by {JIANG})" in out
    loop.close()


def test_a_first_apply_from_an_older_trusted_revision_verifies_every_commit_after_it(
    tmp_path: Path, control_plane: ControlPlane, acc: KubeClient, etcd: EtcdServer
) -> None:
    """--initial names a revision main has moved past: that one is trusted as it is, the
    commits after it go through the gate like any others, and the record says which was which."""
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    approved = repo.merge_request(
        "验收预算域扩容",
        lambda w: edit(w / BUDGET_ACC, "replicas: 1", "replicas: 2"),
        WU,
        [JIANG],
    )
    pushed = repo.push(
        "直接修改验收环境", lambda w: edit(w / BUDGET_ACC, "replicas: 2", "replicas: 5"), WU
    )
    loop = reconciler(
        repo, tmp_path, "acceptance", control_plane.kubeconfig, Clock(FRIDAY_MORNING), etcd
    )
    first = loop.run_once()
    refusal = (
        f"{pushed[:12]} (直接修改验收环境) is not approved: direct commit on main: changes reach "
        "main only through merge requests (a merge commit with Approved-by trailers)"
    )
    assert (first.status, first.previous, first.applied, first.reasons) == (
        "applied",
        None,
        approved,
        (refusal,),
    )
    assert [(d.commit_sha, d.outcome) for d in first.decisions] == [
        (approved, "approved"),
        (pushed, "refused"),
    ]
    assert marker(acc) == approved
    deployment = acc.get("Deployment", "dfp-budget-acc", "bgt-server")
    assert deployment is not None and deployment["spec"]["replicas"] == 2
    assert first.evidence is not None
    assert (first.evidence.revision, first.evidence.previous) == (approved, None)
    assert first.evidence.notes == (f"first apply: {repo.root[:12]} trusted as given by --initial",)
    assert [(c.sha, c.verdict, c.approvers) for c in first.evidence.commits] == [
        (approved, "approved", (str(JIANG),))
    ]
    loop.close()


def test_up_to_date_passes_measure_drift(
    tmp_path: Path, control_plane: ControlPlane, acc: KubeClient, etcd: EtcdServer
) -> None:
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    loop = reconciler(
        repo, tmp_path, "acceptance", control_plane.kubeconfig, Clock(FRIDAY_MORNING), etcd
    )
    assert loop.run_once().status == "applied"
    again = loop.run_once()
    assert (again.status, again.drift, again.reasons) == ("up-to-date", 0, ())
    # someone edits a quota by hand
    acc.request(
        "PATCH",
        "/api/v1/namespaces/dfp-budget-acc/resourcequotas/dfp-quota",
        [("fieldManager", "kubectl-edit")],
        body={"spec": {"hard": {"pods": "999"}}},
        content_type="application/merge-patch+json",
    )
    drifted = loop.run_once()
    assert (drifted.status, drifted.drift) == ("up-to-date", 1)
    assert sample(loop.metrics, "dfctl_reconcile_drift_objects", environment="acceptance") == 1.0
    # what Prometheus scrapes
    server = serve(loop.metrics, 0, "127.0.0.1")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=10) as got:
            text = got.read().decode()
    finally:
        server.stop()
    lines = set(text.splitlines())
    # 2026-11-27 10:00 in Shanghai
    success = (
        'dfctl_reconcile_last_success_timestamp_seconds{environment="acceptance"} 1.7957448e+09'
    )
    assert success in lines
    assert 'dfctl_reconcile_drift_objects{environment="acceptance"} 1.0' in lines
    assert 'dfctl_reconcile_leader{environment="acceptance"} 1.0' in lines
    assert 'dfctl_reconcile_duration_seconds_count{environment="acceptance"} 3.0' in lines

    # main is rewritten under the reconciler: it stops rather than follow
    git(repo.path, "commit", "-q", "--amend", "-m", "重写历史", who=WU)
    rewritten = loop.run_once()
    assert (rewritten.status, rewritten.reasons) == (
        "refused",
        (
            f"the applied revision {repo.root[:12]} is not in the history of main at "
            f"{repo.head[:12]}; was main rewritten?",
        ),
    )
    loop.close()


# --- windows, freezes and break-glass --------------------------------------------------------------


def test_outside_the_window_only_break_glass_goes_and_a_freeze_refuses(
    tmp_path: Path,
    control_plane: ControlPlane,
    acc: KubeClient,
    etcd: EtcdServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def with_freeze(work: Path) -> None:
        edit(
            work / "environments/acceptance/environment.yaml",
            "config_overrides:\n",
            'freezes:\n  - name: 2026年度年终决算验收冻结\n    start: "2026-12-15"\n'
            '    end: "2026-12-19"\n    reason: 年终决算预演期间验收环境保持不变。\n'
            "config_overrides:\n",
        )

    repo = content_repo(tmp_path, with_freeze)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    clock = Clock(FRIDAY_MORNING)
    loop = reconciler(repo, tmp_path, "acceptance", control_plane.kubeconfig, clock, etcd)
    assert loop.run_once().status == "applied"

    emergency = repo.merge_request(
        "紧急修复：验收预算域副本",
        lambda w: edit(w / BUDGET_ACC, "replicas: 1", "replicas: 2"),
        WU,
        [ZHOU, DENG],
        break_glass="TAPD-1021003 验收测试阻塞，周末紧急恢复",
    )
    normal = repo.merge_request(
        "验收预算域配额调整",
        lambda w: edit(w / BUDGET_ACC, "replicas: 2", "replicas: 3"),
        WU,
        [JIANG],
    )
    clock.moment = SATURDAY
    weekend = loop.run_once()
    assert (weekend.status, weekend.applied) == ("applied", emergency)
    assert weekend.reasons == (
        f"{normal[:12]} (验收预算域配额调整) waits: acceptance is outside its change windows at "
        "sat 2026-11-28 10:00 Asia/Shanghai (mon,tue,wed,thu,fri 08:30-21:00); "
        "next opening mon 2026-11-30 08:30",
    )
    assert weekend.evidence is not None
    assert [c.break_glass for c in weekend.evidence.break_glass] == [
        "TAPD-1021003 验收测试阻塞，周末紧急恢复"
    ]

    # in the freeze, the waiting change is refused again with the freeze's reason
    clock.moment = dt.datetime(2026, 12, 16, 10, 0, tzinfo=SHANGHAI)
    frozen = loop.run_once()
    assert frozen.status == "refused"
    assert frozen.reasons == (
        f"{normal[:12]} (验收预算域配额调整) waits: acceptance is frozen at wed 2026-12-16 10:00 "
        "Asia/Shanghai: 2026年度年终决算验收冻结 (2026-12-15 to 2026-12-19): "
        "年终决算预演期间验收环境保持不变。; next opening mon 2026-12-21 08:30",
    )
    assert marker(acc) == emergency
    # Monday morning after the freeze, it goes
    clock.moment = dt.datetime(2026, 12, 21, 9, 0, tzinfo=SHANGHAI)
    monday = loop.run_once()
    assert (monday.status, monday.applied, monday.reasons) == ("applied", normal, ())

    # break-glass changes are listed for review afterwards
    assert (
        main(["audit", "--log", str(tmp_path / "evidence-reconciler-a.jsonl"), "--break-glass"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.count("\n2026") + out.startswith("2026") == 1
    assert (
        f"    BREAK-GLASS {emergency[:12]}: TAPD-1021003 验收测试阻塞，周末紧急恢复; "
        "review after the fact\n"
    ) in out
    loop.close()


# --- leader election -----------------------------------------------------------------------------


def test_two_reconcilers_race_and_only_one_acts(
    tmp_path: Path, control_plane: ControlPlane, acc: KubeClient, etcd: EtcdServer
) -> None:
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    clock = Clock(FRIDAY_MORNING)
    loops = [
        reconciler(
            repo, tmp_path, "acceptance", control_plane.kubeconfig, clock, etcd, identity=name
        )
        for name in ("reconciler-a", "reconciler-b")
    ]
    start = threading.Barrier(2)
    outcomes: dict[str, PassOutcome] = {}

    def run(loop: Reconciler) -> None:
        start.wait()
        outcomes[loop.settings.identity] = loop.run_once()

    threads = [threading.Thread(target=run, args=(loop,)) for loop in loops]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = sorted(o.status for o in outcomes.values())
    assert statuses == ["applied", "standby"]
    leader = next(name for name, o in outcomes.items() if o.status == "applied")
    lease = acc.get("Lease", NAMESPACE, lease_name("acceptance"))
    assert lease is not None and lease["spec"]["holderIdentity"] == leader
    kept = ev.ClusterEvidence(acc).list("acceptance")
    assert [(r.revision, r.reconciler) for r in kept] == [(repo.root, leader)]
    # the standby one keeps standing by while the leader renews
    follower = next(loop for loop in loops if loop.settings.identity != leader)
    assert follower.run_once().status == "standby"
    # the leader runs two more passes and stops (as on SIGTERM): it hands the Lease over
    first = next(loop for loop in loops if loop.settings.identity == leader)
    waits: list[float] = []
    kept_by_thread: list[bool] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        # run() keeps the Lease in a thread of its own, single passes before it or not
        kept_by_thread.append(first.keeper is not None and first.keeper.holds())
        return len(waits) == 2

    assert first.run(30.0, wait).status == "up-to-date"
    assert waits == [30.0, 30.0]
    assert kept_by_thread == [True, True]
    assert first.keeper is None  # stopped, and the Lease given back
    lease = acc.get("Lease", NAMESPACE, lease_name("acceptance"))
    assert lease is not None and "holderIdentity" not in lease["spec"]
    taken = follower.run_once()
    assert (taken.status, taken.head) == ("up-to-date", repo.root)
    follower.release()
    for loop in loops:
        loop.close()


WEBHOOK_TOKEN = "9c41e07a2d554b1f8e3d6a0b7c2f9e15"


def wait_until(what: str, probe: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, f"after {timeout:.0f} s still waiting: {what}"
        time.sleep(0.1)


def test_a_webhook_call_starts_a_pass_at_once(
    tmp_path: Path, control_plane: ControlPlane, acc: KubeClient, etcd: EtcdServer
) -> None:
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    events: list[dict[str, Any]] = []
    loop = reconciler(
        repo,
        tmp_path,
        "acceptance",
        control_plane.kubeconfig,
        Clock(FRIDAY_MORNING),
        etcd,
        events=events,
    )
    wakeup = Wakeup()
    hooks = Hooks(wakeup.wake, lambda: loop.keeper is not None and loop.keeper.holds())
    server = WebhookServer(WEBHOOK_TOKEN, "main", hooks, port=0, address="127.0.0.1").start()
    outcomes: list[PassOutcome] = []
    # an hour between polls: only the webhook can start the second pass within the test
    thread = threading.Thread(
        target=lambda: outcomes.append(loop.run(3600, wakeup.wait, wakeup.wake))
    )
    thread.start()
    try:
        wait_until("the first apply", lambda: marker(acc) == repo.root)
        merged = repo.merge_request(
            "验收预算域扩容",
            lambda w: edit(w / BUDGET_ACC, "replicas: 1", "replicas: 2"),
            WU,
            [JIANG],
        )
        assert push_event(server.port, merged, "x" * 32) == 401  # starts nothing
        assert push_event(server.port, merged, WEBHOOK_TOKEN) == 202
        wait_until("the merge applied", lambda: marker(acc) == merged, timeout=60)
        assert loop.keeper is not None and loop.keeper.holds()
    finally:
        wakeup.stop()
        thread.join(timeout=120)
        server.stop()
    assert [o.status for o in outcomes] == ["applied"]
    assert [e["event"] for e in events if e["event"] in ("leading", "applied")] == [
        "leading",
        "applied",
        "applied",
    ]
    lease = acc.get("Lease", NAMESPACE, lease_name("acceptance"))
    assert lease is not None and "holderIdentity" not in lease["spec"]  # given back on stop
    loop.close()


def test_a_once_run_gives_the_lease_back_and_a_standby_says_who_holds_it(
    tmp_path: Path,
    control_plane: ControlPlane,
    acc: KubeClient,
    etcd: EtcdServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    command = [
        "reconcile", "--repo", str(repo.path), "--env", "acceptance", "--once",
        "--kubeconfig", str(control_plane.kubeconfig), "--etcd-endpoints", etcd.endpoint,
        "--now", "2026-11-27T10:00:00+08:00", "--cache", str(tmp_path / "cache"),
        "--identity", "reconciler-cli", "--force-conflicts",
    ]  # fmt: skip
    other = LeaderElector(acc, "acceptance", "reconciler-x")
    assert other.try_acquire_or_renew()
    held = acc.get("Lease", NAMESPACE, lease_name("acceptance"))
    assert held is not None and held["spec"]["leaseDurationSeconds"] == 15
    renewed = dt.datetime.strptime(held["spec"]["renewTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
    until = renewed + dt.timedelta(seconds=15)
    assert main(command) == 0
    assert capsys.readouterr().out == (
        "acceptance: standing by; reconciler-x holds the Lease "
        f"dfctl-system/dfctl-reconciler-acceptance, renewed at {renewed:%Y-%m-%dT%H:%M:%SZ} "
        f"for 15 s: until {until:%Y-%m-%dT%H:%M:%SZ} unless it renews it\n"
    )
    other.release()

    def holder() -> str | None:
        lease = acc.get("Lease", NAMESPACE, lease_name("acceptance"))
        return None if lease is None else lease["spec"].get("holderIdentity")

    # no marker and no --initial: refused, and the Lease is given back all the same
    assert main(command) == 1
    assert capsys.readouterr().out == (
        "acceptance: refused\nacceptance: no applied-revision marker of acceptance in its "
        "targets; give --initial REV, or the ConfigMap dfctl-system/dfctl-initial with the key "
        "acceptance, the revision to start from (it is applied as it is and every commit after "
        "it is verified)\n"
    )
    assert holder() is None
    # the first trusted revision given once beside the Lease, as deploy/ documents it
    initial: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "dfctl-initial", "namespace": "dfctl-system"},
    }
    acc.create({**initial, "data": {"acceptance": "main"}})
    try:
        assert main(command) == 1
        assert capsys.readouterr().out == (
            "acceptance: refused\nacceptance: ConfigMap dfctl-system/dfctl-initial names 'main' "
            "for acceptance; it must be a full commit id (git rev-parse origin/main), not a "
            "branch or a short id\n"
        )
        acc.replace({**initial, **(acc.get("ConfigMap", "dfctl-system", "dfctl-initial") or {}),
                     "data": {"acceptance": repo.root}})  # fmt: skip
        assert main(command) == 0
        assert capsys.readouterr().out.startswith(
            f"acceptance: applied {repo.root[:12]} (first apply; "
        )
        assert (marker(acc), holder()) == (repo.root, None)
    finally:
        acc.delete("ConfigMap", "dfctl-system", "dfctl-initial")


def test_an_unreachable_repository_fails_the_pass(tmp_path: Path) -> None:
    settings = Settings(
        url=str(tmp_path / "nowhere"),
        environment="acceptance",
        cache=tmp_path / "cache",
        identity="reconciler-a",
    )
    loop = Reconciler(settings, KubeconfigConnections(None), now=Clock(FRIDAY_MORNING))
    outcome = loop.run_once()
    assert outcome.status == "failed"
    (reason,) = outcome.reasons
    assert reason.startswith(f"cannot fetch main from {tmp_path / 'nowhere'}: fatal: ")
    assert (
        sample(
            loop.metrics, "dfctl_reconcile_errors_total", environment="acceptance", stage="fetch"
        )
        == 1.0
    )
    loop.close()


# --- production: promotion from the other stages' records, freezes ---------------------------------


@pytest.fixture
def prod(
    prod_clusters: dict[str, ControlPlane],
    acc_cluster: ControlPlane,
    control_planes: dict[str, ControlPlane],
    control_plane: ControlPlane,
    tmp_path: Path,
) -> Iterator[tuple[Path, dict[str, KubeClient]]]:
    """A kubeconfig naming both production clusters and the earlier stages' clusters.

    The acceptance cluster also serves as the pre-release cluster's context: the records of
    each environment are told apart by their labels, not by the cluster they are in.
    """
    planes = {**control_planes, "tke-acc-a": control_plane, "tke-pre-a": control_plane}
    kubeconfig = combined_kubeconfig(tmp_path, planes)
    clients = {name: KubeClient(name, kubeconfig) for name in planes}
    forget_applied(clients, ("acceptance", "pre-release", "production"))
    yield kubeconfig, clients
    for client in clients.values():
        client.close()


def record(store: KubeClient, env: str, version: str, at: dt.datetime) -> None:
    moment = at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    ev.ClusterEvidence(store).write(
        ev.Evidence(
            env,
            uuid.uuid4().hex + "00000000",
            None,
            version,
            (),
            {"files": 123, "errors": 0, "warnings": 0},
            {"digest": "0" * 64, "actions": 0, "targets": {}},
            ev.APPLIED,
            moment,
            moment,
            f"{env}-reconciler",
            "inside the change window",
        )
    )


def offline_gate(
    repo: Main,
    env: str,
    applied: str,
    moment: dt.datetime,
    capsys: pytest.CaptureFixture[str],
    evidence: Path | None = None,
) -> list[tuple[str, str, list[str]]]:
    """What `dfctl approvals check --env` says of every commit since ``applied``."""
    command = [
        "--repo",
        str(repo.path),
        "approvals",
        "check",
        "--range",
        f"{applied}..main",
        "--env",
        env,
        "--now",
        moment.isoformat(),
        "--applied",
        applied,
        "--format",
        "json",
        *(["--evidence", str(evidence)] if evidence else []),
    ]
    main(command)
    records = json.loads(capsys.readouterr().out)["verdicts"]
    return [(r["commit"], r["verdict"], r["reasons"]) for r in records]


def decided(outcome: PassOutcome) -> list[tuple[str, str, list[str]]]:
    return [(d.commit_sha, d.outcome, list(d.reasons)) for d in outcome.decisions]


def test_production_takes_a_release_only_after_acceptance_and_then_pre_release(
    tmp_path: Path,
    prod: tuple[Path, dict[str, KubeClient]],
    etcd: EtcdServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kubeconfig, clients = prod
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "production", clients)
    clock = Clock(WEDNESDAY_NIGHT)
    loop = reconciler(repo, tmp_path, "production", kubeconfig, clock, etcd)
    first = loop.run_once()
    assert first.status == "applied", first.reasons
    assert {marker(clients[c]) for c in ("tke-prod-a", "tke-prod-b")} == {repo.root}

    upgrade = repo.merge_request(
        "生产环境升级到3.8.0",
        lambda w: edit(w / PRODUCTION, 'version: "3.7.2"', 'version: "3.8.0"'),
        WU,
        [ZHENG, ZHOU],
    )
    order = "production takes a release only after acceptance and then pre-release ran it"
    waits = f"{upgrade[:12]} (生产环境升级到3.8.0) waits: release 3.8.0 has not been applied to"
    refused = loop.run_once()
    assert (refused.status, refused.reasons) == (
        "refused",
        (f"{waits} acceptance; {order}",),
    )
    assert offline_gate(repo, "production", repo.root, clock.moment, capsys) == decided(refused)
    record(clients["tke-acc-a"], "acceptance", "3.8.0", clock.moment - dt.timedelta(days=3))
    waiting = loop.run_once()
    assert waiting.reasons == (f"{waits} pre-release; {order}",)
    # the offline gate, given the same records (as `dfctl audit --format json` prints them)
    records = tmp_path / "records.json"
    records.write_text(
        audit_json(ev.ClusterEvidence(clients["tke-acc-a"]).list()),
        encoding="utf-8",
    )
    said = offline_gate(repo, "production", repo.root, clock.moment, capsys, records)
    assert said == decided(waiting)
    record(clients["tke-pre-a"], "pre-release", "3.8.0", clock.moment - dt.timedelta(days=1))
    clock.moment += dt.timedelta(minutes=5)
    applied = loop.run_once()
    assert (applied.status, applied.applied, applied.reasons) == ("applied", upgrade, ())
    for cluster in ("tke-prod-a", "tke-prod-b"):
        assert marker(clients[cluster]) == upgrade
        kept = ev.ClusterEvidence(clients[cluster]).list("production")
        assert [(r.revision, r.release) for r in kept] == [
            (repo.root, "3.7.2"),
            (upgrade, "3.8.0"),
        ]
    assert (
        sample(
            loop.metrics,
            "dfctl_reconcile_refusals_total",
            environment="production",
            gate="promotion",
        )
        == 2.0
    )

    # the year-end freeze: an approved change waits, a break-glass one goes
    clock.moment = dt.datetime(2026, 12, 22, 23, 0, tzinfo=SHANGHAI)
    pay_day = repo.merge_request(
        "生产环境：白水县工资发放日调整",
        lambda w: edit(w / PRODUCTION, "    value: 15\n", "    value: 16\n"),
        WU,
        [ZHENG, XIE],
    )
    frozen = loop.run_once()
    assert frozen.status == "refused"
    assert frozen.reasons == (
        f"{pay_day[:12]} (生产环境：白水县工资发放日调整) waits: production is frozen at "
        "tue 2026-12-22 23:00 Asia/Shanghai: 2026年度年终决算 (2026-12-20 to 2027-01-15): "
        "年终结转、跨年退款和年终结账期间，除紧急修复外不做任何变更。; "
        "next opening sat 2027-01-16 00:00",
    )
    assert marker(clients["tke-prod-a"]) == upgrade
    loop.close()


def test_without_force_a_conflict_fails_the_apply_and_leaves_the_markers(
    tmp_path: Path, control_plane: ControlPlane, acc: KubeClient, etcd: EtcdServer
) -> None:
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    loop = reconciler(
        repo,
        tmp_path,
        "acceptance",
        control_plane.kubeconfig,
        Clock(FRIDAY_MORNING),
        etcd,
        force_conflicts=False,
    )
    failed = loop.run_once()
    assert failed.status == "failed"
    # the installer runs every workload with 0 replicas and owns the field
    assert failed.reasons[0].startswith(
        "28 writes failed:\n  Deployment dfp-accounting-acc/acc-web: fields .spec.replicas are "
        "owned by installer; re-run with --force-conflicts to take them over\n"
    )
    assert marker(acc) is None
    assert failed.evidence is not None and failed.evidence.result == "failed"
    assert (
        sample(
            loop.metrics, "dfctl_reconcile_errors_total", environment="acceptance", stage="apply"
        )
        == 1.0
    )
    loop.close()


def test_the_reconcile_command_logs_json_and_exits_1_on_a_refusal(
    tmp_path: Path,
    control_plane: ControlPlane,
    acc: KubeClient,
    etcd: EtcdServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    command = [
        "reconcile",
        "--repo",
        str(repo.path),
        "--env",
        "acceptance",
        "--once",
        "--initial",
        repo.root,
        "--kubeconfig",
        str(control_plane.kubeconfig),
        "--etcd-endpoints",
        etcd.endpoint,
        "--now",
        "2026-11-27T10:00:00+08:00",
        "--cache",
        str(tmp_path / "cache"),
        "--identity",
        "reconciler-cli",
        "--evidence-log",
        str(tmp_path / "evidence.jsonl"),
        "--force-conflicts",
    ]
    assert main(command) == 0
    captured = capsys.readouterr()
    (line,) = captured.out.splitlines()
    assert line.startswith(f"acceptance: applied {repo.root[:12]} (first apply; ")
    events = [json.loads(e) for e in captured.err.splitlines()]
    assert [e["event"] for e in events] == ["fetched", "applying", "applied", "pass"]
    assert events[0] == {
        "time": "2026-11-27T02:00:00+00:00",
        "level": "info",
        "event": "fetched",
        "environment": "acceptance",
        "branch": "main",
        "head": repo.root,
    }
    pushed = repo.push(
        "直接修改验收环境", lambda w: edit(w / BUDGET_ACC, "replicas: 1", "replicas: 2"), WU
    )
    assert main(command) == 1
    captured = capsys.readouterr()
    reason = (
        f"{pushed[:12]} (直接修改验收环境) is not approved: direct commit on main: changes reach "
        "main only through merge requests (a merge commit with Approved-by trailers)"
    )
    assert captured.out == f"acceptance: refused\nacceptance: {reason}\n"
    logged = [json.loads(e) for e in captured.err.splitlines()]
    refusal = [e for e in logged if e["event"] == "refused"]
    assert [(e["level"], e["gate"], e["reason"]) for e in refusal] == [
        ("warning", "approvals", reason)
    ]
    # the environment's clusters come from the repository's work tree
    audit = ["audit", "--env", "acceptance", "--kubeconfig", str(control_plane.kubeconfig)]
    assert main(["--repo", str(repo.path), *audit, "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["format_version"] == 1
    (kept,) = printed["records"]
    assert (kept["revision"], kept["result"], kept["reconciler"]) == (
        repo.root,
        "applied",
        "reconciler-cli",
    )


# --- the reconciler's own manifests ----------------------------------------------------------------

DEPLOY = PROJECT / "deploy" / "reconciler"
MANIFEST_PATHS = {
    "Namespace": "/api/v1/namespaces",
    "ServiceAccount": "/api/v1/namespaces/{namespace}/serviceaccounts",
    "ClusterRole": "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "ClusterRoleBinding": "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    "Role": "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles",
    "RoleBinding": "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings",
    "Deployment": "/apis/apps/v1/namespaces/{namespace}/deployments",
    "Service": "/api/v1/namespaces/{namespace}/services",
    "NetworkPolicy": "/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies",
}
SERVICE_ACCOUNT = "system:serviceaccount:dfctl-system:dfctl-reconciler"


def manifests() -> list[tuple[str, dict[str, Any]]]:

    found = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        for doc in YAML(typ="safe").load_all(path.read_text(encoding="utf-8")):
            found.append((path.name, doc))
    return found


def test_the_manifests_pass_the_kubernetes_schema_of_the_production_clusters() -> None:

    loaded = load_repo(WorkTree(PROJECT), only={"cloud/clusters/tke-prod-a.yaml"})
    (cluster,) = loaded.of(Cluster)
    objects = [KubeObject("tke-prod-a", doc, name) for name, doc in manifests()]
    assert sorted(o.kind for o in objects) == [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Namespace",
        "NetworkPolicy",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
    ]
    assert list(validate_objects(objects, {"tke-prod-a": cluster.kubernetes_version})) == []


def test_the_manifests_grant_only_the_kinds_dfctl_manages() -> None:
    rules = {
        (doc["kind"], group, resource): sorted(rule["verbs"])
        for _name, doc in manifests()
        if doc["kind"] in ("ClusterRole", "Role")
        for rule in doc["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    writable = ["create", "delete", "get", "list", "patch"]
    assert rules == {
        ("ClusterRole", "", "namespaces"): writable,
        ("ClusterRole", "", "resourcequotas"): writable,
        ("ClusterRole", "", "limitranges"): writable,
        ("ClusterRole", "", "configmaps"): writable,
        ("ClusterRole", "networking.k8s.io", "networkpolicies"): writable,
        ("ClusterRole", "apps", "deployments"): ["get", "list", "patch"],
        ("ClusterRole", "", "pods"): ["list"],
        ("ClusterRole", "", "persistentvolumeclaims"): ["list"],
        ("ClusterRole", "apps", "statefulsets"): ["list"],
        ("ClusterRole", "apps", "daemonsets"): ["list"],
        ("ClusterRole", "apps", "replicasets"): ["list"],
        ("ClusterRole", "batch", "jobs"): ["list"],
        ("ClusterRole", "batch", "cronjobs"): ["list"],
        ("Role", "coordination.k8s.io", "leases"): ["create", "get", "update"],
    }


def install_manifests(client: KubeClient) -> None:
    """`kubectl apply -f deploy/reconciler/` as the administrator, but for the Deployment: no
    image runs here, so its containers are run as processes by the tests that need them."""
    for _name, doc in manifests():
        if doc["kind"] == "Deployment":
            continue
        meta = doc["metadata"]
        path = MANIFEST_PATHS[doc["kind"]].format(namespace=meta.get("namespace", ""))
        client.request(
            "PATCH",
            f"{path}/{meta['name']}",
            [("fieldManager", "test-admin"), ("force", "true")],
            body=doc,
            content_type="application/apply-patch+yaml",
        )


def test_the_service_account_can_reconcile_and_nothing_more(
    tmp_path: Path, control_plane: ControlPlane, acc: KubeClient, etcd: EtcdServer
) -> None:
    """Bind the manifests' RBAC in a real cluster and reconcile as the ServiceAccount."""
    install_manifests(acc)
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    as_reconciler = control_plane.user_kubeconfig(SERVICE_ACCOUNT, ["system:serviceaccounts"])
    loop = reconciler(repo, tmp_path, "acceptance", as_reconciler, Clock(FRIDAY_MORNING), etcd)
    outcome = loop.run_once()
    assert (outcome.status, outcome.applied, outcome.reasons) == ("applied", repo.root, ())
    assert loop.run_once().status == "up-to-date"
    loop.close()
    limited = KubeClient("tke-acc-a", as_reconciler)
    for method, path in (
        ("GET", "/api/v1/namespaces/dfctl-system/secrets"),
        ("DELETE", "/apis/apps/v1/namespaces/dfp-budget-acc/deployments/bgt-server"),
        ("POST", "/apis/apps/v1/namespaces/dfp-budget-acc/deployments"),
        ("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles"),
        ("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases"),
    ):
        with pytest.raises(TargetError, match=" 403 "):
            limited.request(method, path, body={} if method == "POST" else None, retry=False)
    limited.close()


# --- the gate: a way past a refused commit, evolution against the applied revision, agreement -----


def test_a_refused_commit_is_superseded_and_the_reconciler_goes_on(
    tmp_path: Path,
    control_plane: ControlPlane,
    acc: KubeClient,
    etcd: EtcdServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    clock = Clock(FRIDAY_MORNING)
    loop = reconciler(repo, tmp_path, "acceptance", control_plane.kubeconfig, clock, etcd)
    assert loop.run_once().status == "applied"

    pushed = repo.push(
        "直接修改验收环境", lambda w: edit(w / BUDGET_ACC, "replicas: 1", "replicas: 5"), WU
    )
    approved = repo.merge_request(
        "验收预算域配额说明",
        lambda w: edit(
            w / BUDGET_ACC, "  - name: bgt-server\n", "  # 预算服务\n  - name: bgt-server\n"
        ),
        WU,
        [JIANG],
    )
    blocked = loop.run_once()
    refusal = (
        f"{pushed[:12]} (直接修改验收环境) is not approved: direct commit on main: changes reach "
        "main only through merge requests (a merge commit with Approved-by trailers)"
    )
    assert (blocked.status, blocked.reasons) == ("refused", (refusal,))

    # the documented way past it: a merge request that reverts the push and names it
    fix = repo.merge_request(
        "撤销直接修改",
        lambda w: edit(w / BUDGET_ACC, "replicas: 5", "replicas: 1"),
        ZHOU,
        [JIANG],  # who wrote nothing since the applied revision
        extra_trailers=[f"Supersedes: {pushed}"],
    )
    clock.moment += dt.timedelta(minutes=5)
    went = loop.run_once()
    assert (went.status, went.applied, went.reasons) == ("applied", fix, ())
    assert [(d.commit_sha, d.outcome) for d in blocked.decisions] == [
        (pushed, "refused"),
        (approved, "waits"),
    ]
    assert marker(acc) == fix
    deployment = acc.get("Deployment", "dfp-budget-acc", "bgt-server")
    assert deployment is not None and deployment["spec"]["replicas"] == 1
    assert went.evidence is not None
    assert [(c.sha, c.verdict, c.superseded_by, c.supersedes) for c in went.evidence.commits] == [
        (pushed, "refused", fix, ()),
        (approved, "approved", None, ()),
        (fix, "approved", None, (pushed,)),
    ]
    assert went.evidence.commits[0].reasons == (
        "direct commit on main: changes reach main only through merge requests (a merge commit "
        "with Approved-by trailers)",
    )
    assert main(["audit", "--log", str(tmp_path / "evidence-reconciler-a.jsonl")]) == 0
    out = capsys.readouterr().out
    assert (
        f"    SUPERSEDED {pushed[:12]} was refused (direct commit on main: changes reach main "
        "only through merge requests (a merge commit with Approved-by trailers)); superseded by "
        f"{fix[:12]}\n"
    ) in out
    loop.close()


def test_a_deleted_code_never_reaches_an_environment(
    tmp_path: Path, control_plane: ControlPlane, acc: KubeClient, etcd: EtcdServer
) -> None:
    """Approved by the province team, the deletion of an element code still breaks the
    evolution rules against the applied revision: the reconciler refuses it."""
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    loop = reconciler(
        repo, tmp_path, "acceptance", control_plane.kubeconfig, Clock(FRIDAY_MORNING), etcd
    )
    assert loop.run_once().status == "applied"
    deletion = repo.merge_request(
        "删除事业运行科目",
        lambda w: edit(
            w / "standards/elements/exp_func.yaml",
            '  - code: "2010150"\n    name: 事业运行\n    start_date: 2026-01-01\n',
            "",
        ),
        WU,
        [XU, ZHENG, ZHOU],  # province standards, and what they change in production
    )
    refused = loop.run_once()
    assert refused.status == "refused"
    assert refused.reasons == (
        f"{deletion[:12]} fails validation with 1 errors",
        'standards/elements/exp_func.yaml:41:1: error DFP-EVO-001 code "2010150" '
        "(standards/elements/exp_func.yaml:75 at base) is gone from set exp_func/2026/990000000; "
        "retire it (end_date, successor) instead of deleting it",
    )
    assert marker(acc) == repo.root
    loop.close()


def test_the_offline_gate_and_the_reconciler_agree(
    tmp_path: Path,
    control_plane: ControlPlane,
    acc: KubeClient,
    etcd: EtcdServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = content_repo(tmp_path)
    install_workloads(repo, repo.root, "acceptance", {"tke-acc-a": acc})
    clock = Clock(FRIDAY_MORNING)
    loop = reconciler(repo, tmp_path, "acceptance", control_plane.kubeconfig, clock, etcd)
    assert loop.run_once().status == "applied"
    applied = repo.root
    repo.merge_request(
        "紧急修复：验收预算域副本",
        lambda w: edit(w / BUDGET_ACC, "replicas: 1", "replicas: 2"),
        WU,
        [ZHOU, DENG],
        break_glass="TAPD-1021003 验收测试阻塞",
    )
    repo.merge_request(
        "验收预算域再扩容",
        lambda w: edit(w / BUDGET_ACC, "replicas: 2", "replicas: 3"),
        WU,
        [WU],
    )
    repo.merge_request(
        "验收预算域恢复",
        lambda w: edit(w / BUDGET_ACC, "replicas: 3", "replicas: 2"),
        JIANG,
        [WU],
    )
    for moment in (SATURDAY, FRIDAY_MORNING):
        clock.moment = moment
        said = offline_gate(repo, "acceptance", applied, moment, capsys)
        outcome = loop.run_once()
        assert said == decided(outcome)
        if outcome.applied is not None:
            going = [c for c, verdict, _ in said if verdict == "approved"]
            assert outcome.applied == going[-1]
            applied = outcome.applied
    assert [verdict for _c, verdict, _r in said] == ["refused", "waits"]
    loop.close()


def deployment_args() -> list[str]:
    (container,) = next(doc for _name, doc in manifests() if doc["kind"] == "Deployment")["spec"][
        "template"
    ]["spec"]["containers"]
    return [str(a) for a in container["args"]]


class Replica:
    """One replica of deploy/reconciler/deployment.yaml, run as a process with the container's
    arguments; what only exists inside the pod (paths, the repository's URL, ports) is replaced,
    and the moment is given with --now (production's change window is open at it; each
    replica's clock runs on from it)."""

    def __init__(self, name: str, folder: Path, repo: Path, kubeconfig: Path, etcd: str) -> None:
        self.name = name
        self.metrics_port, self.webhook_port = free_ports(2)
        swap = {
            "https://gitlab.xx-gov.example/dfp/config.git": str(repo),
            "$(POD_NAME)": name,
            "/etc/dfctl/kubeconfig/config": str(kubeconfig),
            "/var/cache/dfctl/repo": str(folder / f"cache-{name}"),
            "/var/cache/dfctl/evidence.jsonl": str(folder / f"evidence-{name}.jsonl"),
            "9464": str(self.metrics_port),
            "9465": str(self.webhook_port),
        }
        args = [swap.get(a, a) for a in deployment_args()]
        self.log = folder / f"{name}.log"
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("KUBECONFIG", "DFCTL_"))},
            "DFCTL_ETCD_ENDPOINTS": etcd,  # the Secret dfctl-etcd's part, for a plain test etcd
            "DFCTL_WEBHOOK_TOKEN": WEBHOOK_TOKEN,  # the Secret dfctl-webhook
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dfctl", *args, "--now", WEDNESDAY_NIGHT.isoformat()],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                cwd=folder,
            )

    def ready(self) -> int | None:
        connection = http.client.HTTPConnection("127.0.0.1", self.webhook_port, timeout=5)
        try:
            connection.request("GET", "/ready")
            return connection.getresponse().status
        except OSError:
            return None
        finally:
            connection.close()

    def events(self) -> list[dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=60)


@pytest.mark.slow
def test_a_fresh_install_from_deploy_and_a_failover_after_an_unclean_death(
    tmp_path: Path,
    prod: tuple[Path, dict[str, KubeClient]],
    control_planes: dict[str, ControlPlane],
    etcd: EtcdServer,
) -> None:
    _, clients = prod
    repo = content_repo(tmp_path)
    production = {name: clients[name] for name in ("tke-prod-a", "tke-prod-b")}
    install_workloads(repo, repo.root, "production", production)
    for client in production.values():
        install_manifests(client)
    # as docs/gitops.md says: the first trusted revision, once, beside the Lease
    first = production["tke-prod-a"]
    first.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "dfctl-initial", "namespace": "dfctl-system"},
            "data": {"production": repo.root},
        }
    )
    as_reconciler = write_kubeconfig(
        list(control_planes.values()),
        tmp_path / "reconciler.kubeconfig",
        user=SERVICE_ACCOUNT,
        groups=["system:serviceaccounts"],
    )
    replicas = [
        Replica(name, tmp_path, repo.path, as_reconciler, etcd.endpoint)
        for name in (
            "dfctl-reconciler-production-7c9f-a1b2c",
            "dfctl-reconciler-production-7c9f-d3e4f",
        )
    ]

    def holder() -> str | None:
        lease = first.get("Lease", NAMESPACE, lease_name("production"))
        return None if lease is None else lease["spec"].get("holderIdentity")

    try:
        wait_until(
            "the first apply in both clusters",
            lambda: all(marker(c) == repo.root for c in production.values()),
            timeout=180,
        )
        leader = next(r for r in replicas if r.name == holder())
        standby = next(r for r in replicas if r is not leader)
        wait_until("only the leader ready", lambda: (leader.ready(), standby.ready()) == (200, 503))
        # the leader dies without a word (no SIGTERM, no release)
        leader.process.kill()
        killed = time.monotonic()
        wait_until("the standby takes over", lambda: holder() == standby.name, timeout=60)
        took = time.monotonic() - killed
        # client-go's timings: the standby waits one lease duration (15 s) after it last saw
        # the record change, and looks every retry period (2 s)
        assert took <= 20, f"the standby took the Lease {took:.1f} s after the leader died"
        wait_until("the new leader ready", lambda: standby.ready() == 200, timeout=30)
        # a merge reaches production through the new leader's webhook
        merged = repo.merge_request(
            "生产环境：白水县工资发放日调整",
            lambda w: edit(w / PRODUCTION, "    value: 15\n", "    value: 16\n"),
            WU,
            [ZHENG, XIE],
        )
        assert push_event(standby.webhook_port, merged, WEBHOOK_TOKEN) == 202
        wait_until(
            "the merge applied",
            lambda: all(marker(c) == merged for c in production.values()),
            timeout=60,
        )
        assert standby.stop() == 0
        assert holder() is None  # given back on SIGTERM
    finally:
        for replica in replicas:
            replica.stop(signal.SIGKILL)
        first.delete("ConfigMap", "dfctl-system", "dfctl-initial")
    kept = ev.ClusterEvidence(first).list("production")
    assert [(r.revision, r.reconciler) for r in kept] == [
        (repo.root, leader.name),
        (merged, standby.name),
    ]
    assert kept[0].notes == (
        f"first apply: {repo.root[:12]} trusted as given by the ConfigMap "
        "dfctl-system/dfctl-initial",
    )
    # each replica's clock starts at --now and runs on: the records keep the order of the applies
    finished = [dt.datetime.fromisoformat(r.finished_at) for r in kept]
    assert WEDNESDAY_NIGHT < finished[0] < finished[1]
    assert [e["event"] for e in standby.events() if e["event"] in ("standby", "leading")][-1] == (
        "leading"
    )
