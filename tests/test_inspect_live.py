"""`dfctl inspect` against the real production control planes and a real etcd.

The repository is this project's content in a real git repository, trimmed so that the clusters
stay quiet (no scheduler or kubelet runs here, so every pod stays Pending): production keeps one
workload, portal-msg-server (2 replicas). It is applied with the reconciler's own runner, then
each condition is made the real way: pods whose requests fill a quota (the quota controller
counts them), a Deployment whose pods never become available, a pod whose status reports
restarts (written through the status subresource, as a kubelet would), an image changed by
another field manager, an access policy about to expire, a break-glass evidence record, and an
etcd whose tiny --quota-backend-bytes is filled until it raises NOSPACE. Each test asserts the
exact findings.

Time is fixed at 2026-11-30 09:30 Beijing time, except for the certificates the control planes
issue when they start: their findings are computed from the certificates themselves.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import json
import math
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography import x509
from prometheus_client.parser import text_string_to_metric_families
from ruamel.yaml import YAML

from dfctl.adapters.etcd import EtcdClient, parse_endpoints
from dfctl.adapters.kube import KubeClient
from dfctl.cli import main
from dfctl.clock import SHANGHAI
from dfctl.errors import NotFound, TargetError
from dfctl.gitops import evidence as ev
from dfctl.inspect.amounts import binary_bytes
from dfctl.inspect.catalog import expiry_severity, expiry_threshold
from dfctl.inspect.findings import Inspection
from dfctl.inspect.history_cluster import LATEST, POINTS, configmap_name
from dfctl.inspect.report_json import inspection_from_json
from dfctl.inspect.report_md import report_md
from dfctl.load.gitsource import GitRevision
from dfctl.load.repo import WorkTree, load_repo
from dfctl.model import DATA_ROOTS, ROOT_FILES, Cluster
from dfctl.pipeline import check_revision
from dfctl.reconcile.cluster import MARKER_NAME, MARKER_NAMESPACE, ClusterTarget
from dfctl.reconcile.config_service import ConfigServiceTarget
from dfctl.reconcile.runner import apply_plan, make_plan
from dfctl.reconcile.target import Target
from dfctl.render.openapi import validate_objects
from dfctl.render.state import KubeObject
from dfctl.sandbox import ControlPlane
from dfctl.sandbox import kubeconfig as sandbox_kubeconfig
from dfctl.sandbox.control_plane import free_ports
from tests import browser
from tests.content import PROJECT, edit
from tests.etcd_server import EtcdServer, b64
from tests.merge_requests import MERGER, ZHENG, ZHOU, Main, git

pytestmark = [pytest.mark.controlplane, pytest.mark.git]

NOW = dt.datetime(2026, 11, 30, 9, 30, tzinfo=SHANGHAI)
GOLDEN = Path(__file__).parent / "golden" / "inspect"
UPDATE = os.environ.get("DFCTL_UPDATE_GOLDEN") == "1"
ADMIN = "inspect-admin"
INSTALLER = "installer"
PORTAL = "dfp-portal-prod"
BUDGET = "dfp-budget-prod"
DATAHUB = "dfp-datahub-prod"
KEPT_WORKLOAD = "portal-msg-server"
IMAGE_REPOSITORY = "ccr.xx-gov.example/dfp/portal-msg-server"
OTHER_IMAGE = f"{IMAGE_REPOSITORY}:3.7.1-hotfix"
BREAK_GLASS = "支付网关证书紧急更换"
INSPECTOR = "system:serviceaccount:dfctl-system:dfctl-inspector"
DEPLOY = PROJECT / "deploy" / "inspection"
MANIFEST_PATHS = {
    "Namespace": "/api/v1/namespaces",
    "ConfigMap": "/api/v1/namespaces/{namespace}/configmaps",
    "ServiceAccount": "/api/v1/namespaces/{namespace}/serviceaccounts",
    "ClusterRole": "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "ClusterRoleBinding": "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    "Role": "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/roles",
    "RoleBinding": "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/rolebindings",
}


# --- the platform ---------------------------------------------------------------------------


def trim(root: Path) -> None:
    """Production without its workloads but portal-msg-server; AP-2026-0001 expiring soon."""
    for path in sorted((root / "cloud" / "namespaces" / "production").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        head, _workloads, _rest = text.partition("workloads:\n")
        kept = (
            f"workloads:\n  - name: {KEPT_WORKLOAD}\n    component: {KEPT_WORKLOAD}\n    replicas: 2\n"
            if path.stem == PORTAL
            else ""
        )
        path.write_text(head + kept, encoding="utf-8")
    edit(root / "portal" / "access-policies" / "AP-2026-0001.yaml", '"2027-01-11"', '"2026-12-10"')


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Main:
    main_repo = Main(tmp_path_factory.mktemp("inspect") / "gitlab", [*DATA_ROOTS, *ROOT_FILES])
    trim(main_repo.path)
    git(main_repo.path, "add", "-A")
    git(main_repo.path, "commit", "-q", "--amend", "--no-edit", who=MERGER)
    main_repo.root = main_repo.head
    return main_repo


def admin_kubeconfig(folder: Path, planes: dict[str, ControlPlane], **servers: str) -> Path:
    """One context per cluster, as the administrator; ``servers`` moves a cluster elsewhere."""
    accesses = []
    for name, plane in planes.items():
        access = plane.access(ADMIN, ["system:masters"])
        accesses.append(dataclasses.replace(access, server=servers.get(name, access.server)))
    return sandbox_kubeconfig.write(accesses, folder / "admin.kubeconfig")


def clean(clients: dict[str, KubeClient]) -> None:
    """Nothing of an earlier test: dfp-* namespaces, markers, evidence, history, RBAC."""
    for client in clients.values():
        client.delete("ConfigMap", MARKER_NAMESPACE, MARKER_NAME)
        client.delete("ConfigMap", ev.NAMESPACE, configmap_name("production"))
        for record in ev.ClusterEvidence(client).list():
            client.delete("ConfigMap", ev.NAMESPACE, record.name)
        for plural in ("clusterrolebindings", "clusterroles"):
            with contextlib.suppress(NotFound):
                client.request(
                    "DELETE", f"/apis/rbac.authorization.k8s.io/v1/{plural}/dfctl-inspector"
                )
        ours = [
            n["metadata"]["name"]
            for n in client.list("Namespace")
            if n["metadata"]["name"].startswith("dfp-")
        ]
        for name in ours:
            client.delete("Namespace", None, name)
        wait_for(
            lambda c=client, o=ours: all(c.get("Namespace", None, n) is None for n in o),  # type: ignore[misc]
            f"namespaces {ours} to go",
        )


def wait_for(condition: Callable[[], object], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def admin(
    control_planes: dict[str, ControlPlane], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, dict[str, KubeClient]]]:
    path = admin_kubeconfig(tmp_path_factory.mktemp("kube"), control_planes)
    clients = {name: KubeClient(name, path) for name in control_planes}
    clean(clients)
    yield path, clients
    clean(clients)
    for client in clients.values():
        client.close()


def install(client: KubeClient, image: str) -> None:
    """What the platform installer does before dfctl: the namespace and its Deployment."""
    if client.get("Namespace", None, PORTAL) is None:
        client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": PORTAL}})
    labels = {"app": KEPT_WORKLOAD}
    apply_as(
        client,
        INSTALLER,
        f"/apis/apps/v1/namespaces/{PORTAL}/deployments/{KEPT_WORKLOAD}",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": KEPT_WORKLOAD, "namespace": PORTAL},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": KEPT_WORKLOAD, "image": image}]},
                },
            },
        },
    )


def apply_as(client: KubeClient, manager: str, path: str, body: dict[str, Any]) -> None:
    client.request(
        "PATCH",
        path,
        [("fieldManager", manager), ("force", "true")],
        body=body,
        content_type="application/apply-patch+yaml",
    )


@dataclasses.dataclass
class Platform:
    repo: Main
    kubeconfig: Path
    clients: dict[str, KubeClient]
    etcd: EtcdServer
    release_image: str


@pytest.fixture(scope="module")
def platform(
    repo: Main,
    admin: tuple[Path, dict[str, KubeClient]],
    etcd_server: EtcdServer,
) -> Platform:
    """Production applied by the reconciler's runner, with portal-msg-server's 2 pods Pending."""
    path, clients = admin
    etcd_server.wipe()
    checked = check_revision(repo.path, repo.root, NOW.date())
    assert checked.result.errors == 0, checked.result.diagnostics[:3]
    state = checked.desired_state("production")
    (patch,) = [o for o in state.objects if o.patch_only]
    image = patch.body["spec"]["template"]["spec"]["containers"][0]["image"]
    install(clients["tke-prod-b"], image)
    etcd = EtcdClient(parse_endpoints([etcd_server.endpoint]))
    targets: list[Target] = [ClusterTarget(c) for c in clients.values()]
    targets.append(ConfigServiceTarget(etcd, "production", repo.root))
    plan = make_plan(state, repo.root, targets)
    apply_plan(plan, targets, force_conflicts=True)
    etcd.close()
    portal = clients["tke-prod-b"]
    wait_for(lambda: len(pods_of(portal, PORTAL)) == 2, "portal-msg-server's 2 pods")
    return Platform(repo, path, clients, etcd_server, image)


def pods_of(client: KubeClient, namespace: str) -> list[dict[str, Any]]:
    return client.list("Pod", namespace=namespace)


def create_pod(client: KubeClient, namespace: str, body: dict[str, Any]) -> None:
    """Create a pod once the namespace's default ServiceAccount exists (admission needs it)."""

    def created() -> bool:
        try:
            client.create(body)
        except TargetError as exc:
            if "serviceaccount" in str(exc).lower():
                return False
            raise
        return True

    wait_for(created, f"the default ServiceAccount of {namespace}")


def set_status(client: KubeClient, namespace: str, name: str, status: dict[str, Any]) -> None:
    """Write a pod's status through the status subresource, as a kubelet would."""
    pod = client.get("Pod", namespace, name)
    assert pod is not None
    pod["status"] = status
    client.request(
        "PUT",
        f"/api/v1/namespaces/{namespace}/pods/{name}/status",
        body=pod,
        content_type="application/json",
    )


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def running(containers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}],
        "containerStatuses": containers,
    }


def container_status(name: str, restarts: int = 0) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": name,
        "ready": True,
        "restartCount": restarts,
        "image": "ccr.xx-gov.example/dfp/batch:1",
        "imageID": "",
        "state": {"running": {"startedAt": stamp(NOW - dt.timedelta(hours=2))}},
    }
    if restarts:
        status["lastState"] = {
            "terminated": {
                "exitCode": 137,
                "reason": "OOMKilled",
                "startedAt": stamp(NOW - dt.timedelta(hours=3)),
                "finishedAt": stamp(NOW - dt.timedelta(hours=2)),
            }
        }
    return status


@pytest.fixture(scope="module")
def conditions(platform: Platform) -> Platform:
    """Every condition of the main inspection, made once."""
    prod_a, prod_b = platform.clients["tke-prod-a"], platform.clients["tke-prod-b"]
    # a quota nearly used up: four containers request 31 of the namespace's 32 cores
    create_pod(
        prod_a,
        BUDGET,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "budget-batch", "namespace": BUDGET},
            "spec": {
                "containers": [
                    {
                        "name": f"worker-{n}",
                        "image": "ccr.xx-gov.example/dfp/batch:1",
                        "resources": {"requests": {"cpu": "7750m"}, "limits": {"cpu": "8"}},
                    }
                    for n in range(4)
                ]
            },
        },
    )
    set_status(
        prod_a, BUDGET, "budget-batch", running([container_status(f"worker-{n}") for n in range(4)])
    )
    # a pod whose status reports restarts: 9, the last two hours before the inspection
    create_pod(
        prod_b,
        DATAHUB,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "bank-adapter", "namespace": DATAHUB},
            "spec": {
                "containers": [{"name": "adapter", "image": "ccr.xx-gov.example/dfp/batch:1"}]
            },
        },
    )
    set_status(prod_b, DATAHUB, "bank-adapter", running([container_status("adapter", restarts=9)]))
    # someone changes the running image by hand (and pauses the rollout, so that the
    # Deployment's pods stay the two the test waited for)
    apply_as(
        prod_b,
        "kubectl-edit",
        f"/apis/apps/v1/namespaces/{PORTAL}/deployments/{KEPT_WORKLOAD}",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": KEPT_WORKLOAD, "namespace": PORTAL},
            "spec": {
                "paused": True,
                "template": {
                    "spec": {"containers": [{"name": KEPT_WORKLOAD, "image": OTHER_IMAGE}]}
                },
            },
        },
    )
    # the applied revision's evidence: approved by 郑国栋 and 周晓峰, one break-glass change
    record = ev.Evidence(
        environment="production",
        revision=platform.repo.root,
        previous=None,
        release="3.7.2",
        commits=(
            ev.CommitRecord(
                platform.repo.root,
                "初始化配置仓库",
                (str(MERGER),),
                str(MERGER),
                (str(ZHENG), str(ZHOU)),
                BREAK_GLASS,
            ),
        ),
        validation={"files": 135, "errors": 0, "warnings": 0},
        plan={"digest": "0" * 64, "actions": 1, "targets": {}},
        result=ev.APPLIED,
        started_at=(NOW - dt.timedelta(days=1, minutes=5)).astimezone(dt.UTC).isoformat(),
        finished_at=(NOW - dt.timedelta(days=1)).astimezone(dt.UTC).isoformat(),
        reconciler="dfctl-reconciler-production-0",
        window="change window: weekday nights 22:00–06:00",
    )
    for client in platform.clients.values():
        ev.ClusterEvidence(client).write(record)
    return platform


def inspect(platform: Platform, out: Path, *extra: str, kubeconfig: Path | None = None) -> int:
    return main(
        [
            "--repo",
            str(platform.repo.path),
            "inspect",
            "--env",
            "production",
            "--kubeconfig",
            str(kubeconfig or platform.kubeconfig),
            "--etcd-endpoints",
            platform.etcd.endpoint,
            "--out",
            str(out),
            *extra,
        ]
    )


def report(out: Path) -> tuple[Inspection, dict[str, Any]]:
    text = (out / "report.json").read_text(encoding="utf-8")
    return inspection_from_json(text), json.loads(text)


def rows(inspection: Inspection, *checks: str) -> list[tuple[str, str, str, str]]:
    """(id, severity, measured, threshold) of the findings of ``checks`` (all when none given)."""
    return sorted(
        (f.id, f.severity, f.measured, f.threshold)
        for f in inspection.findings
        if not checks or f.check in checks
    )


def certificate_rows(kubeconfig: Path, now: dt.datetime) -> list[tuple[str, str, str, str]]:
    """The INS-CERT-001 findings the kubeconfig's certificates must give at ``now``."""
    config = YAML(typ="safe").load(kubeconfig.read_text(encoding="utf-8"))
    clusters = {c["name"]: c["cluster"] for c in config["clusters"]}
    users = {u["name"]: u["user"] for u in config["users"]}
    expected = []
    for context in config["contexts"]:
        name = context["name"]
        pems = {
            "CA": clusters[context["context"]["cluster"]]["certificate-authority-data"],
            "client certificate": users[context["context"]["user"]]["client-certificate-data"],
        }
        for role, data in pems.items():
            cert = x509.load_pem_x509_certificate(base64.b64decode(data))
            days = math.floor((cert.not_valid_after_utc - now).total_seconds() / 86400)
            severity = expiry_severity(days)
            if severity is None:
                continue
            cn = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
            day = cert.not_valid_after_utc.astimezone(SHANGHAI).date()
            expected.append(
                (
                    f"INS-CERT-001:{name}/{role}/{cn!s}",
                    severity,
                    f"{days} d ({day})",
                    expiry_threshold(severity),
                )
            )
    return sorted(expected)


REPOSITORY_ROWS = [
    ("INS-ACCESS-001:AP-2026-0001", "warning", "10 d (2026-12-10)", "≤ 30 d"),
    ("INS-ACCESS-001:AP-2026-0002", "info", "50 d (2027-01-19)", "≤ 90 d"),
    ("INS-ACCESS-001:AP-2026-0003", "info", "50 d (2027-01-19)", "≤ 90 d"),
    ("INS-ACCESS-001:AP-2026-0004", "info", "87 d (2027-02-25)", "≤ 90 d"),
    ("INS-ACCESS-001:AP-2026-0005", "info", "87 d (2027-02-25)", "≤ 90 d"),
    ("INS-ACCESS-001:AP-2026-0006", "info", "87 d (2027-02-25)", "≤ 90 d"),
    ("INS-ACCESS-001:AP-2026-0007", "info", "87 d (2027-02-25)", "≤ 90 d"),
    ("INS-ACCESS-001:AP-2026-0008", "info", "87 d (2027-02-25)", "≤ 90 d"),
    ("INS-ACCESS-001:AP-2026-0016", "info", "42 d (2027-01-11)", "≤ 90 d"),
    ("INS-ACCESS-001:AP-2026-0019", "info", "42 d (2027-01-11)", "≤ 90 d"),
    (
        "INS-RELEASE-001:production",
        "warning",
        "3.7.2 (newest 3.8.0, published 2026-10-29)",
        "= 3.8.0",
    ),
    (
        "INS-TDSQL-001:production",
        "info",
        "10 instances, 168 cores, 672 GB memory, 21500 GB storage, 42 shards",
        "—",
    ),
]


# --- bad input first: nothing recorded yet, an unreachable cluster, no configuration service ----


def test_unreachable_cluster_no_evidence_and_no_history_give_a_report_that_says_so(
    platform: Platform,
    control_planes: dict[str, ControlPlane],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    closed = f"https://127.0.0.1:{free_ports(1)[0]}"
    cut = admin_kubeconfig(tmp_path, control_planes, **{"tke-prod-b": closed})
    out = tmp_path / "report"
    code = main(
        [
            "--repo",
            str(platform.repo.path),
            "inspect",
            "--env",
            "production",
            "--kubeconfig",
            str(cut),
            "--etcd-endpoints",
            f"http://127.0.0.1:{free_ports(1)[0]}",
            "--out",
            str(out),
            "--now",
            NOW.isoformat(),
            "--history",
            str(tmp_path / "history"),
            "--no-cluster-history",
            "--lang",
            "en",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1, captured.err  # the unreachable cluster is critical
    assert "Traceback" not in captured.err
    inspection, _data = report(out)
    unread = {f.id: f for f in inspection.findings if f.check == "INS-SOURCE-001"}
    assert sorted(unread) == ["INS-SOURCE-001:configservice", "INS-SOURCE-001:tke-prod-b"]
    assert unread["INS-SOURCE-001:tke-prod-b"].severity == "critical"
    # the adapter names the server, the context and the kubeconfig, then the cause
    assert unread["INS-SOURCE-001:tke-prod-b"].measured == (
        f"cluster tke-prod-b at {closed} (context tke-prod-b in {cut}): "
        "unreachable: connection refused"
    )
    assert rows(inspection, "INS-EVIDENCE-001") == [
        ("INS-EVIDENCE-001:production", "warning", "0 records", "≥ 1 record")
    ]
    sources = {(s.name, s.ok): s.detail.en for s in inspection.sources}
    assert sources[("history", True)] == "First inspection: no history yet"
    assert sources[("evidence", True)] == "No evidence records of production yet"
    assert ("cluster tke-prod-a", True) in sources
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "> Note: 2 sources could not be read, so this report may be incomplete" in markdown
    # the markers name the applied revision; no evidence record says who approved it
    head = platform.repo.root[:12]
    assert f"- Last applied revision: `{head}` (approved by: none)" in markdown
    assert "There is no earlier inspection to compare with." in markdown


# --- the main inspection ----------------------------------------------------------------------


def test_inspection_finds_exactly_the_conditions_made(
    conditions: Platform, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    code = inspect(conditions, out, "--now", NOW.isoformat(), "--no-cluster-history")
    assert code == 1, capsys.readouterr().err  # critical findings, and --fail-on critical
    inspection, _data = report(out)
    head = conditions.repo.root
    yesterday = (NOW - dt.timedelta(days=1)).astimezone(dt.UTC)
    deployment = f"tke-prod-b/{PORTAL}/Deployment/{KEPT_WORKLOAD}"
    live = [
        ("INS-DRIFT-001:tke-prod-b", "warning",
         f"1 (1 changed): Deployment {PORTAL}/{KEPT_WORKLOAD}", "0"),
        (f"INS-EVIDENCE-003:production/{head[:12]}", "info",
         f"applied {yesterday:%Y-%m-%d}", "reviewed within 30 d"),
        (f"INS-QUOTA-001:tke-prod-a/{BUDGET}/dfp-quota/requests.cpu", "critical",
         "96 % (31 of 32)", "≥ 95 %"),
        (f"INS-WORKLOAD-001:{deployment}", "critical", "2 of 2 pods not ready", "0 not ready"),
        (f"INS-WORKLOAD-002:{deployment}", "critical", "0 of 2 available", "= 2 (desired)"),
        (f"INS-WORKLOAD-003:tke-prod-b/{DATAHUB}/Pod/bank-adapter", "warning",
         "9 restarts (1 container)", "< 3 restarts / 24 h, no CrashLoopBackOff"),
        (f"INS-WORKLOAD-004:{deployment}", "warning", OTHER_IMAGE, conditions.release_image),
    ]  # fmt: skip
    expected = sorted(live + REPOSITORY_ROWS + certificate_rows(conditions.kubeconfig, NOW))
    assert rows(inspection) == expected


# --- the markdown, against golden files ------------------------------------------------------


def golden_text(inspection: Inspection, repo: Main, lang: str) -> str:
    """The report without what a fresh control plane makes different on every run: its
    certificates (their findings are asserted above), the commit of the test repository and how
    many objects the controllers had made when the clusters were read; nor what the project's
    content decides: how many data files the repository holds (the report must name exactly as
    many as the inspected revision has, or the golden does not match)."""
    steady = dataclasses.replace(
        inspection, findings=tuple(f for f in inspection.findings if f.check != "INS-CERT-001")
    )
    inspected = GitRevision(repo.path, repo.root)
    files = len(inspected.data_paths())
    inspected.git.close()
    text = report_md(steady, None, (), lang).replace(repo.root[:12], "a1b2c3d4e5f6")
    text = text.replace(f"a1b2c3d4e5f6: {files} files,", "a1b2c3d4e5f6: N files,")
    text = text.replace(f"a1b2c3d4e5f6：{files} 个文件，", "a1b2c3d4e5f6：N 个文件，")
    text = re.sub(r"read \d+ objects in \d+ requests", "read N objects in M requests", text)
    return re.sub(r"已读取 \d+ 个对象（\d+ 次请求）", "已读取 N 个对象（M 次请求）", text)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_markdown_of_the_live_inspection_matches_golden(
    conditions: Platform, tmp_path: Path, lang: str
) -> None:
    out = tmp_path / "report"
    inspect(conditions, out, "--now", NOW.isoformat(), "--no-cluster-history", "--lang", lang)
    inspection, _data = report(out)
    produced = golden_text(inspection, conditions.repo, lang)
    path = GOLDEN / f"live-production.{lang}.md"
    if UPDATE:
        path.write_text(produced, encoding="utf-8")
    assert produced == path.read_text(encoding="utf-8")
    # the command's own markdown is the same report
    written = (out / "report.md").read_text(encoding="utf-8")
    assert written == report_md(inspection, None, (), lang)


# --- history: in the cluster and in a folder -------------------------------------------------


def test_history_says_what_is_new_resolved_and_persistent(
    conditions: Platform, tmp_path: Path
) -> None:
    prod_a = conditions.clients["tke-prod-a"]
    history = tmp_path / "history"
    first, second = tmp_path / "first", tmp_path / "second"
    assert inspect(conditions, first, "--now", NOW.isoformat(), "--history", str(history)) == 1
    _inspection, data = report(first)
    assert data["changes"] is None and data["history"] == []
    # the batch ends: the quota is free again; a day later the next inspection runs
    prod_a.delete("Pod", BUDGET, "budget-batch")
    wait_for(lambda: prod_a.get("Pod", BUDGET, "budget-batch") is None, "budget-batch to go")
    later = NOW + dt.timedelta(days=1)
    try:
        assert (
            inspect(conditions, second, "--now", later.isoformat(), "--history", str(history)) == 1
        )
    finally:  # the other tests expect the full quota
        recreate_budget_batch(prod_a)
    before, _ = report(first)
    after, data = report(second)
    quota = f"INS-QUOTA-001:tke-prod-a/{BUDGET}/dfp-quota/requests.cpu"
    expired = "INS-ACCESS-001:AP-2026-0001"  # 10 days left, then 9: the same finding
    assert data["changes"]["since"] == NOW.isoformat()
    # the restarts were two hours before the first inspection: a day later they are past
    restarts = f"INS-WORKLOAD-003:tke-prod-b/{DATAHUB}/Pod/bank-adapter"
    assert data["changes"]["resolved"] == [quota, restarts]
    assert expired in data["changes"]["persistent"]
    assert data["changes"]["new"] == sorted(
        {f.id for f in after.findings} - {f.id for f in before.findings}
    )
    first_counts = json.loads((first / "report.json").read_text())["counts"]["severity"]
    assert data["history"] == [{"generated_at": NOW.isoformat(), **first_counts}]
    # both stores hold the second report: the ConfigMap its latest and both points
    kept = prod_a.get("ConfigMap", ev.NAMESPACE, configmap_name("production"))
    assert kept is not None
    assert inspection_from_json(kept["data"][LATEST]) == after
    assert [p["generated_at"] for p in json.loads(kept["data"][POINTS])] == [
        NOW.isoformat(),
        later.isoformat(),
    ]
    assert sorted(p.name for p in (history / "production").iterdir()) == [
        "20261130T013000Z.json",
        "20261201T013000Z.json",
    ]
    # the same moment again is refused, and says where: the report is written, exit 1
    assert (
        inspect(conditions, tmp_path / "again", "--now", later.isoformat(), "--fail-on", "never")
        == 1
    )


def recreate_budget_batch(client: KubeClient) -> None:
    create_pod(
        client,
        BUDGET,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "budget-batch", "namespace": BUDGET},
            "spec": {
                "containers": [
                    {
                        "name": f"worker-{n}",
                        "image": "ccr.xx-gov.example/dfp/batch:1",
                        "resources": {"requests": {"cpu": "7750m"}, "limits": {"cpu": "8"}},
                    }
                    for n in range(4)
                ]
            },
        },
    )
    set_status(
        client, BUDGET, "budget-batch", running([container_status(f"worker-{n}") for n in range(4)])
    )


# --- the CronJob's manifests, run as its ServiceAccount --------------------------------------


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
        "ConfigMap",
        "CronJob",
        "Namespace",
        "Role",
        "RoleBinding",
        "ServiceAccount",
    ]
    assert list(validate_objects(objects, {"tke-prod-a": cluster.kubernetes_version})) == []


def test_the_manifests_grant_reading_and_the_history_configmap_only() -> None:
    rules = {
        (doc["kind"], group, resource, tuple(rule.get("resourceNames", ()))): sorted(rule["verbs"])
        for _name, doc in manifests()
        if doc["kind"] in ("ClusterRole", "Role")
        for rule in doc["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert rules == {
        ("ClusterRole", "", "namespaces", ()): ["list"],
        ("ClusterRole", "", "resourcequotas", ()): ["list"],
        ("ClusterRole", "", "limitranges", ()): ["list"],
        ("ClusterRole", "", "pods", ()): ["list"],
        ("ClusterRole", "", "configmaps", ()): ["get", "list"],
        ("ClusterRole", "networking.k8s.io", "networkpolicies", ()): ["list"],
        ("ClusterRole", "apps", "deployments", ()): ["list"],
        ("ClusterRole", "apps", "statefulsets", ()): ["list"],
        ("Role", "", "configmaps", ("dfctl-inspections-production",)): ["get", "update"],
    }


def test_the_service_account_inspects_keeps_its_history_and_can_do_nothing_else(
    conditions: Platform,
    control_planes: dict[str, ControlPlane],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for client in conditions.clients.values():
        client.delete("ConfigMap", ev.NAMESPACE, configmap_name("production"))
        for _name, doc in manifests():
            if doc["kind"] == "CronJob":
                continue  # nothing runs images here; the schema test checks it
            meta = doc["metadata"]
            path = MANIFEST_PATHS[doc["kind"]].format(namespace=meta.get("namespace", ""))
            apply_as(client, "test-admin", f"{path}/{meta['name']}", doc)
    groups = ["system:serviceaccounts", "system:serviceaccounts:dfctl-system"]
    as_inspector = sandbox_kubeconfig.write(
        [plane.access(INSPECTOR, groups) for plane in control_planes.values()],
        tmp_path / "inspector.kubeconfig",
    )
    out = tmp_path / "report"
    code = inspect(conditions, out, "--now", NOW.isoformat(), kubeconfig=as_inspector)
    captured = capsys.readouterr()
    assert code == 1, captured.err  # the conditions' critical findings, nothing else
    assert captured.err == (
        "dfctl: inspect: kept in ConfigMap dfctl-system/dfctl-inspections-production in"
        " cluster tke-prod-a\n"
    )
    inspection, _data = report(out)
    assert [s.name for s in inspection.sources if not s.ok] == []
    live = [r for r in rows(inspection) if not r[0].startswith("INS-CERT-001")]
    expected = [
        r for r in rows_of_main_inspection(conditions) if not r[0].startswith("INS-CERT-001")
    ]
    assert live == expected
    kept = conditions.clients["tke-prod-a"].get(
        "ConfigMap", ev.NAMESPACE, configmap_name("production")
    )
    assert kept is not None and inspection_from_json(kept["data"][LATEST]) == inspection
    limited = KubeClient("tke-prod-a", as_inspector)
    for method, path in (
        ("GET", "/api/v1/namespaces/dfctl-system/secrets"),
        ("POST", "/api/v1/namespaces/dfctl-system/configmaps"),
        ("PUT", f"/api/v1/namespaces/dfctl-system/configmaps/{MARKER_NAME}"),
        ("DELETE", f"/api/v1/namespaces/{BUDGET}/pods/budget-batch"),
        ("PATCH", f"/apis/apps/v1/namespaces/{PORTAL}/deployments/{KEPT_WORKLOAD}"),
        ("POST", "/api/v1/namespaces"),
        ("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles"),
    ):
        with pytest.raises(TargetError, match=" 403 "):
            limited.request(
                method, path, body={} if method in ("POST", "PUT", "PATCH") else None, retry=False
            )
    limited.close()


def rows_of_main_inspection(platform: Platform) -> list[tuple[str, str, str, str]]:
    out = Path(platform.repo.path).parent / "main-inspection"
    if not (out / "report.json").exists():
        inspect(platform, out, "--now", NOW.isoformat(), "--no-cluster-history")
    return rows(report(out)[0])


# --- metrics: a real Pushgateway and a textfile-collector file --------------------------------


@pytest.fixture
def pushgateway(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("prometheus-pushgateway")
    if binary is None:
        pytest.fail("no prometheus-pushgateway: run `bash tools/metrics/install-pushgateway.sh`")
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "pushgateway.log").open("wb") as log:
        process = subprocess.Popen(
            [binary, f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(lambda: _answers(f"{url}/-/ready"), "the Pushgateway", timeout=30)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                labels = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "instance"))
                found[labels] = sample.value
    return found


def test_findings_by_severity_reach_the_pushgateway_and_the_textfile(
    conditions: Platform, pushgateway: str, tmp_path: Path
) -> None:
    textfile = tmp_path / "dfctl.prom"
    out = tmp_path / "report"
    inspect(
        conditions, out, "--now", NOW.isoformat(), "--no-cluster-history",
        "--pushgateway", pushgateway, "--metrics-file", str(textfile),
    )  # fmt: skip
    _inspection, data = report(out)
    counts = data["counts"]["severity"]
    with urllib.request.urlopen(f"{pushgateway}/metrics", timeout=10) as answer:
        pushed = answer.read().decode("utf-8")
    group = (("environment", "production"), ("job", "dfctl-inspect"))
    assert samples(pushed, "dfctl_inspection_findings") == {
        tuple(sorted((*group, ("severity", s)))): float(n) for s, n in counts.items()
    }
    assert samples(textfile.read_text(encoding="utf-8"), "dfctl_inspection_findings") == {
        (("environment", "production"), ("severity", s)): float(n) for s, n in counts.items()
    }
    quota = tuple(
        sorted(
            (
                *group,
                ("check", "INS-QUOTA-001"),
                ("owner", "cloud-platform"),
                ("severity", "critical"),
            )
        )
    )
    assert samples(pushed, "dfctl_inspection_check_findings")[quota] == 1.0
    assert samples(pushed, "dfctl_inspection_last_run_timestamp_seconds") == {
        group: NOW.timestamp()
    }
    assert samples(pushed, "dfctl_inspection_sources_unread") == {group: 0.0}


def test_an_unreachable_pushgateway_is_said_and_the_report_still_written(
    conditions: Platform, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = f"http://127.0.0.1:{free_ports(1)[0]}"
    out = tmp_path / "report"
    code = inspect(
        conditions, out, "--now", NOW.isoformat(), "--no-cluster-history", "--fail-on", "never",
        "--pushgateway", closed,
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"dfctl: inspect: cannot push the metrics to {closed}: ")
    assert "Traceback" not in err
    assert (out / "report.html").is_file()


# --- the configuration service: an etcd out of space, a member that does not answer ------------


def test_an_etcd_out_of_space_raises_its_alarm_and_size_findings(
    conditions: Platform, tmp_path: Path
) -> None:
    server = EtcdServer(tmp_path / "etcd", args=("--quota-backend-bytes=300000",)).start()
    try:
        value = "x" * 30000
        for n in range(100):
            try:
                server.call("kv/put", {"key": b64(f"/filler/{n}"), "value": b64(value)})
            except requests.HTTPError:  # the gateway answers 500 once the quota is exceeded
                break
        alarms = server.call("maintenance/alarm", {"action": "GET"}).get("alarms", [])
        assert [a["alarm"] for a in alarms] == ["NOSPACE"]
        status = server.call("maintenance/status", {})
        dead = f"http://127.0.0.1:{free_ports(1)[0]}"
        out = tmp_path / "report"
        main(
            [
                "--repo", str(conditions.repo.path), "inspect", "--env", "production",
                "--kubeconfig", str(conditions.kubeconfig), "--etcd-endpoints", f"{server.endpoint},{dead}",
                "--out", str(out), "--now", NOW.isoformat(), "--no-cluster-history",
            ]
        )  # fmt: skip
    finally:
        server.stop()
    inspection, _data = report(out)
    quota = int(status["dbSizeQuota"])
    found = rows(inspection, "INS-ETCD-001", "INS-ETCD-002", "INS-ETCD-003", "INS-ETCD-004")
    # the database keeps growing a little after the alarm (etcd's own writes, compaction), so
    # the size is read from the finding and checked against the quota it names
    size = re.fullmatch(r"(\d+) % \((\S+) of (\S+); (\S+) in use\)", found[1][2])
    assert size is not None
    assert size[3] == binary_bytes(quota) and int(size[1]) >= 95
    assert found == [
        (f"INS-ETCD-001:{dead}", "warning",
         "1 of 2 endpoints answered (1 voting members); connection refused", "1 answering"),
        ("INS-ETCD-003:test", "critical", size[0], "≥ 95 %"),
        ("INS-ETCD-004:test/NOSPACE", "critical", "NOSPACE", "no alarm"),
    ]  # fmt: skip


def test_a_corrupt_history_configmap_is_named_and_replaced_not_a_traceback(
    conditions: Platform, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prod_a = conditions.clients["tke-prod-a"]
    prod_a.delete("ConfigMap", ev.NAMESPACE, configmap_name("production"))
    prod_a.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": configmap_name("production"), "namespace": ev.NAMESPACE},
            "data": {LATEST: '{"format_version": 7}', POINTS: "[{]"},
        }
    )
    out = tmp_path / "report"
    later = NOW + dt.timedelta(days=3)
    assert inspect(conditions, out, "--now", later.isoformat(), "--fail-on", "never") == 0
    assert "Traceback" not in capsys.readouterr().err
    inspection, data = report(out)
    where = "ConfigMap dfctl-system/dfctl-inspections-production in cluster tke-prod-a"
    assert [(s.ok, s.detail.en) for s in inspection.sources if s.name == "history"] == [
        (False, f"History file {where} {LATEST} is corrupt and was skipped: format_version: expected 1, got 7"),
        (False, f"History file {where} {POINTS} is corrupt and was skipped: not JSON:"
                " Expecting property name enclosed in double quotes: line 1 column 3 (char 2)"),
    ]  # fmt: skip
    assert data["changes"] is None and data["history"] == []
    kept = prod_a.get("ConfigMap", ev.NAMESPACE, configmap_name("production"))
    assert kept is not None
    assert inspection_from_json(kept["data"][LATEST]) == inspection
    assert json.loads(kept["data"][POINTS]) == [
        {"generated_at": later.isoformat(), **data["counts"]["severity"]}
    ]


# --- the CronJob's way in: the repository fetched, the page opened -----------------------------


def test_inspecting_a_fetched_repository_reads_the_branch_head(
    conditions: Platform, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    code = main(
        [
            "inspect", "--env", "production", "--fetch", str(conditions.repo.path),
            "--cache", str(tmp_path / "cache"), "--kubeconfig", str(conditions.kubeconfig),
            "--etcd-endpoints", conditions.etcd.endpoint, "--out", str(out),
            "--now", NOW.isoformat(), "--no-cluster-history",
        ]
    )  # fmt: skip
    assert code == 1  # the conditions' critical findings
    inspection, _data = report(out)
    assert inspection.revision == conditions.repo.root
    assert rows(inspection) == rows_of_main_inspection(conditions)


@pytest.mark.browser
def test_the_live_report_opens_in_a_browser_without_errors_or_requests(
    conditions: Platform, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    inspect(conditions, out, "--now", NOW.isoformat(), "--no-cluster-history")
    page = browser.load(
        out / "report.html",
        {
            "quota bars": "document.querySelectorAll('svg.chart-quota rect.bar').length",
            "finding rows": "document.querySelectorAll('table.findings tbody tr').length",
        },
    )
    inspection, _data = report(out)
    assert page.errors == []
    assert page.requests == [(out / "report.html").resolve().as_uri()]
    assert page.values["finding rows"] == len(inspection.findings)
    assert page.values["quota bars"] == len(inspection.quota)


def test_an_etcd_user_limited_to_the_prefix_can_inspect_and_a_wrong_password_is_said(
    conditions: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = EtcdServer(tmp_path / "etcd").start()
    try:
        server.enable_auth("root-secret", {"inspector": ("right-secret", "/dfp/production/")})
        monkeypatch.setenv("DFCTL_ETCD_USER", "inspector")
        outcomes = {}
        for password in ("right-secret", "wrong-secret"):
            monkeypatch.setenv("DFCTL_ETCD_PASSWORD", password)
            out = tmp_path / password
            main(
                [
                    "--repo", str(conditions.repo.path), "inspect", "--env", "production",
                    "--kubeconfig", str(conditions.kubeconfig), "--etcd-endpoints", server.endpoint,
                    "--out", str(out), "--now", NOW.isoformat(), "--no-cluster-history",
                ]
            )  # fmt: skip
            outcomes[password] = report(out)[0]
    finally:
        server.stop()
    right = outcomes["right-secret"]
    assert [s for s in right.sources if not s.ok] == []
    assert rows(right, "INS-SOURCE-001", "INS-ETCD-001", "INS-ETCD-002", "INS-ETCD-004") == []
    wrong = outcomes["wrong-secret"]
    (unread,) = [f for f in wrong.findings if f.check == "INS-SOURCE-001"]
    assert unread.id == "INS-SOURCE-001:configservice"
    assert unread.measured.startswith(
        f"configuration service {server.endpoint}: cannot log in as 'inspector': "
    )
    assert "wrong-secret" not in (tmp_path / "wrong-secret" / "report.json").read_text()
