"""The inspection's checks on their own, for the edges the live tests do not reach: how a pod is
tied to its workload, crash loops and old restarts, hostile quantities, StatefulSets, the
expiry thresholds, over-promised capacity, the TDSQL rules, and the catalog against the docs.
The objects are shaped as the API server returns them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from dfctl.adapters.etcd import Alarm, EndpointStatus, Member
from dfctl.cli import main
from dfctl.inspect import collect_config_service, collect_declared, collect_quota, collect_workloads
from dfctl.inspect.catalog import CHECKS, expiry_severity
from dfctl.inspect.collect_expiry import CertificateSource, certificates
from dfctl.inspect.findings import Finding
from dfctl.model import Cluster, TdsqlInventory
from dfctl.sandbox.certs import CertificateAuthority
from tests.content import PROJECT

NOW = dt.datetime(2026, 11, 30, 1, 30, tzinfo=dt.UTC)


def ids(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.id, f.severity, f.measured) for f in findings]


def pod(
    name: str,
    *,
    owner: tuple[str, str] | None = None,
    template_hash: str | None = None,
    ready: bool = True,
    phase: str = "Running",
    containers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "ns"}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1]}]
    if template_hash:
        meta["labels"] = {"pod-template-hash": template_hash}
    return {
        "metadata": meta,
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": containers or [],
        },
    }


@pytest.mark.parametrize(
    ("given", "workload"),
    [
        (pod("web-7d4f9c-abcde", owner=("ReplicaSet", "web-7d4f9c"), template_hash="7d4f9c"), "Deployment/web"),
        (pod("db-0", owner=("StatefulSet", "db")), "StatefulSet/db"),
        # a ReplicaSet no Deployment made keeps its own name
        (pod("rs-x", owner=("ReplicaSet", "batch"), template_hash="zz"), "ReplicaSet/batch"),
        (pod("lonely"), "Pod/lonely"),
    ],
)  # fmt: skip
def test_a_pod_belongs_to_the_workload_that_owns_it(given: dict[str, Any], workload: str) -> None:
    assert collect_workloads.workload_of(given) == workload


def restarted(count: int, finished: dt.datetime, waiting: str | None = None) -> dict[str, Any]:
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return {
        "name": "app",
        "restartCount": count,
        "state": state,
        "lastState": {"terminated": {"finishedAt": finished.strftime("%Y-%m-%dT%H:%M:%SZ")}},
    }


def test_crash_loops_are_critical_old_restarts_are_forgotten_finished_pods_ignored() -> None:
    pods = [
        pod("a", containers=[restarted(40, NOW - dt.timedelta(minutes=5), "CrashLoopBackOff")]),
        pod("b", containers=[restarted(50, NOW - dt.timedelta(days=3))]),  # long ago
        pod("c", containers=[restarted(2, NOW - dt.timedelta(minutes=5))]),  # too few
        pod("d", phase="Succeeded", ready=False),  # a finished job's pod
        pod("e", ready=False, phase="Pending"),
    ]
    assert ids(collect_workloads.pods("k", pods, NOW)) == [
        ("INS-WORKLOAD-003:k/ns/Pod/a", "critical", "40 restarts (1 container); CrashLoopBackOff: app"),
        ("INS-WORKLOAD-001:k/ns/Pod/e", "critical", "1 of 1 pods not ready"),
    ]  # fmt: skip


def test_a_workload_with_some_pods_ready_is_a_warning() -> None:
    owned = {"owner": ("StatefulSet", "db")}
    pods = [pod("db-0", **owned), pod("db-1", ready=False, **owned)]  # type: ignore[arg-type]
    assert ids(collect_workloads.pods("k", pods, NOW)) == [
        ("INS-WORKLOAD-001:k/ns/StatefulSet/db", "warning", "1 of 2 pods not ready")
    ]


def test_statefulsets_and_deployments_short_of_replicas() -> None:
    items = [
        {"kind": "StatefulSet", "metadata": {"namespace": "ns", "name": "db"},
         "spec": {"replicas": 3}, "status": {"availableReplicas": 2}},
        {"kind": "Deployment", "metadata": {"namespace": "ns", "name": "web"},
         "spec": {}, "status": {}},  # replicas default to 1
        {"kind": "Deployment", "metadata": {"namespace": "ns", "name": "off"},
         "spec": {"replicas": 0}, "status": {}},
    ]  # fmt: skip
    assert ids(collect_workloads.replicas("k", items)) == [
        ("INS-WORKLOAD-002:k/ns/Deployment/web", "critical", "0 of 1 available"),
        ("INS-WORKLOAD-002:k/ns/StatefulSet/db", "warning", "2 of 3 available"),
    ]


def quota(hard: dict[str, Any], used: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"namespace": "ns", "name": "q"},
        "spec": {"hard": hard},
        "status": {"hard": hard, "used": used},
    }


def test_quota_thresholds_and_values_no_quantity_reader_accepts() -> None:
    item = quota(
        {"requests.cpu": "10", "requests.memory": "10Gi", "pods": "0", "limits.cpu": "1e999",
         "count/jobs": "ten", "services": "4"},
        {"requests.cpu": "7999m", "requests.memory": "8Gi", "pods": "0", "limits.cpu": "1",
         "count/jobs": "1", "services": "4"},
    )  # fmt: skip
    usages, found = collect_quota.quotas("k", [item])
    assert ids(found) == [
        ("INS-QUOTA-001:k/ns/q/requests.memory", "warning", "80 % (8Gi of 10Gi)"),
        ("INS-QUOTA-001:k/ns/q/services", "critical", "100 % (4 of 4)"),
    ]
    # unreadable amounts are left out rather than guessed; an unused zero quota is 0 %
    assert sorted((u.resource, u.percent) for u in usages) == [
        ("pods", 0),
        ("requests.cpu", 79),
        ("requests.memory", 80),
        ("services", 100),
    ]


def cluster(cpu: str, memory: str, pods: str) -> Cluster:
    return Cluster.model_validate(
        {
            "apiVersion": "dfp.config/v1",
            "kind": "Cluster",
            "name": "k",
            "provider": "tke",
            "cluster_id": "cls-abcdefgh",
            "cloud_region": "xx",
            "kubernetes_version": "1.30",
            "environment": "production",
            "capacity": {"cpu": cpu, "memory": memory, "pods": pods},
        }
    )


def test_capacity_counts_running_pods_init_containers_and_over_promised_quotas() -> None:
    def requesting(cpu: str, init: str | None = None, phase: str = "Running") -> dict[str, Any]:
        spec: dict[str, Any] = {"containers": [{"resources": {"requests": {"cpu": cpu}}}]}
        if init:
            spec["initContainers"] = [{"resources": {"requests": {"cpu": init}}}]
        return {"spec": spec, "status": {"phase": phase}}

    pods = [requesting("3"), requesting("1", init="5"), requesting("100", phase="Failed")]
    quotas = [quota({"requests.cpu": "6", "pods": "2"}, {}), quota({"requests.cpu": "5"}, {})]
    rows, found = collect_quota.capacity(cluster("10", "1Gi", "2"), pods, quotas)
    assert [(r.resource, r.requested, r.capacity, r.unit) for r in rows] == [
        ("cpu", 8.0, 10.0, "cores"),  # 3 + max(1, 5); the failed pod requests nothing
        ("memory", 0.0, 1.0, "GiB"),
        ("pods", 2.0, 2.0, "pods"),
    ]
    assert ids(found) == [
        ("INS-CAPACITY-001:k/cpu", "warning", "80 % (8 of 10 cores)"),
        ("INS-CAPACITY-002:k/cpu", "warning", "110 % (11 of 10 cores)"),
        ("INS-CAPACITY-001:k/pods", "critical", "100 % (2 of 2 pods)"),
    ]


@pytest.mark.parametrize(
    ("days", "severity"),
    [(-1, "critical"), (0, "warning"), (30, "warning"), (31, "info"), (90, "info"), (91, None)],
)
def test_expiry_thresholds(days: int, severity: str | None) -> None:
    assert expiry_severity(days) == severity


def test_every_certificate_of_a_bundle_is_judged_and_garbage_is_skipped() -> None:
    ca = CertificateAuthority.create("bundle-ca")
    leaf = ca.issue("leaf")
    bundle = ca.cert_pem + leaf.cert_pem
    found = certificates(
        [
            CertificateSource("k", "CA", bundle),
            CertificateSource("k", "client certificate", b"-----BEGIN CERTIFICATE-----\nnot\n"),
            CertificateSource("k", "client certificate", b""),
        ],
        dt.datetime.now(dt.UTC) + dt.timedelta(days=40),  # both expire after 30 days
    )
    assert [(f.id, f.severity, f.measured[:7]) for f in found] == [
        ("INS-CERT-001:k/CA/bundle-ca", "critical", "expired"),
        ("INS-CERT-001:k/CA/leaf", "critical", "expired"),
    ]


def test_configuration_service_quorum_leader_and_unreported_quota() -> None:
    members = [Member(str(n), f"etcd-{n}", (), False) for n in (1, 2, 3)]
    statuses = [
        EndpointStatus("https://e1:2379", member_id="1", leader="0", db_size=1_800_000_000),
        EndpointStatus("https://e2:2379", error="timed out"),
        EndpointStatus("https://e3:2379", error="connection refused"),
    ]
    found = collect_config_service.health(statuses, members, [Alarm("3", "CORRUPT")])
    assert [(f.id, f.severity) for f in found] == [
        ("INS-ETCD-001:https://e2:2379", "critical"),  # 1 of 3 voting members: no quorum
        ("INS-ETCD-001:https://e3:2379", "critical"),
        ("INS-ETCD-002:etcd-1", "critical"),
        ("INS-ETCD-003:etcd-1", "warning"),
        ("INS-ETCD-004:etcd-3/CORRUPT", "critical"),
    ]
    assert found[3].measured == (
        "83 % (1.68Gi of 2Gi (etcd's default; the server did not report its quota); 0 in use)"
    )


def test_tdsql_rules_apply_to_production_and_are_declared_only() -> None:
    def inventory(environment: str) -> TdsqlInventory:
        return TdsqlInventory.model_validate(
            {
                "apiVersion": "dfp.config/v1",
                "kind": "TdsqlInventory",
                "environment": environment,
                "instances": [
                    {"id": "tdsqlshard-aaaaaaaa", "name": "pay", "domain": "execution",
                     "engine": "mysql-8.0", "cpu": 8, "memory_gb": 32, "storage_gb": 6000,
                     "shards": 2, "replicas_per_shard": 2, "backup_retention_days": 7},
                ],
            }
        )  # fmt: skip

    found = collect_declared.tdsql("production", [inventory("production"), inventory("acceptance")])
    assert ids(found) == [
        ("INS-TDSQL-001:production", "info", "1 instances, 8 cores, 32 GB memory, 6000 GB storage, 2 shards"),
        ("INS-TDSQL-002:tdsqlshard-aaaaaaaa", "warning", "7 d"),
        ("INS-TDSQL-003:tdsqlshard-aaaaaaaa", "warning", "2 per shard"),
        ("INS-TDSQL-004:tdsqlshard-aaaaaaaa", "warning", "3000 GB per shard (6000 GB / 2)"),
    ]  # fmt: skip
    assert not any(f.observed for f in found)
    assert ids(collect_declared.tdsql("acceptance", [inventory("acceptance")]))[1:] == []


def test_every_check_in_the_code_is_in_the_catalog_and_the_docs() -> None:
    code = "".join(
        p.read_text(encoding="utf-8")
        for p in (PROJECT / "tools" / "dfctl" / "inspect").glob("collect*.py")
    )
    used = set(re.findall(r'"(INS-[A-Z]+-\d{3})"', code))
    docs = set(re.findall(r"INS-[A-Z]+-\d{3}", (PROJECT / "docs" / "inspect.md").read_text()))
    assert used == set(CHECKS) == docs
    assert all(re.fullmatch(r"INS-[A-Z]+-\d{3}", c) for c in CHECKS)


@pytest.mark.git
def test_an_unknown_environment_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["--repo", str(PROJECT), "inspect", "--env", "nowhere", "--out", str(tmp_path / "r")]
    )
    assert (code, capsys.readouterr().err) == (2, "dfctl: no environment 'nowhere' at HEAD\n")
    assert not (tmp_path / "r").exists()
