"""The local control planes: a real etcd, kube-apiserver and kube-controller-manager per cluster.

Each test checks one thing the reconciler will rely on: the version reported, the controllers
that finish what the apiserver starts (namespace deletion, Deployments, quotas, service
accounts), authentication and RBAC, clusters kept apart, and `dfctl sandbox` for people.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from dfctl.adapters.processes import process_start_time
from dfctl.cli import main
from dfctl.errors import BinariesMissing, SandboxError
from dfctl.sandbox import (
    Access,
    Binaries,
    ControlPlane,
    find_binaries,
    running,
    session,
    write_kubeconfig,
)
from dfctl.sandbox import kubeconfig as kubeconfig_file
from tests.kube_api import api_client

pytestmark = pytest.mark.controlplane

T = TypeVar("T")

IMAGE = "ccr.xx-gov.example/dfp/payment-gateway:2026.3.1@sha256:" + "7d0c" * 16
# The clusters are shared with the reconciler's tests: these objects carry no dfctl label (so
# no plan counts or prunes them) and live in namespaces no rendered environment uses.
LABELS = {"app.kubernetes.io/part-of": "sandbox-tests"}


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 90.0) -> T:
    """Poll until probe returns something other than None (controllers work asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"after {timeout:.0f} s still waiting: {what}")
        time.sleep(0.25)


def missing(read: Callable[[], object]) -> bool | None:
    """True when the read answers 404; None while the object is still there."""
    try:
        read()
    except ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return None


def message(exc: ApiException) -> str:
    return str(json.loads(exc.body or "{}")["message"])


def create_namespace(core: client.CoreV1Api, name: str) -> None:
    core.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=LABELS))
    )


def default_service_account(core: client.CoreV1Api, namespace: str) -> client.V1ServiceAccount:
    def read() -> client.V1ServiceAccount | None:
        try:
            return core.read_namespaced_service_account("default", namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    return wait_for(f"ServiceAccount default in {namespace}", read)


def pod(name: str, cpu_request: str, cpu_limit: str) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"app": name}),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name=name,
                    image=IMAGE,
                    resources=client.V1ResourceRequirements(
                        requests={"cpu": cpu_request, "memory": "256Mi"},
                        limits={"cpu": cpu_limit, "memory": "256Mi"},
                    ),
                )
            ]
        ),
    )


# --- one cluster -----------------------------------------------------------------------------


def test_apiserver_reports_the_built_version(control_plane: ControlPlane) -> None:
    built = control_plane.binaries.kubernetes_version
    assert built is not None
    assert re.fullmatch(r"v1\.\d+\.\d+", built), built
    with api_client(control_plane) as api:
        info = client.VersionApi(api).get_code()
    assert (info.git_version, info.major, info.minor) == (built, "1", built.split(".")[1])
    assert control_plane.version == built
    printed = subprocess.run(
        [control_plane.binaries.kube_apiserver, "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == f"Kubernetes {built}\n"


def test_admin_kubeconfig_names_the_context_after_the_cluster(control_plane: ControlPlane) -> None:
    contexts, current = config.list_kube_config_contexts(str(control_plane.kubeconfig))  # type: ignore[no-untyped-call]
    assert [c["name"] for c in contexts] == ["tke-acc-a"]
    assert current["context"] == {"cluster": "tke-acc-a", "user": "dfctl-admin@tke-acc-a"}
    assert stat.S_IMODE(control_plane.kubeconfig.stat().st_mode) == 0o600
    assert control_plane.server == f"https://127.0.0.1:{control_plane.port}"


def test_namespace_deletion_completes(control_plane: ControlPlane) -> None:
    name = "sandbox-namespace-deletion"
    with api_client(control_plane) as api:
        core = client.CoreV1Api(api)
        create_namespace(core, name)
        core.create_namespaced_config_map(
            name,
            client.V1ConfigMap(
                metadata=client.V1ObjectMeta(name="budget-settings", labels=LABELS),
                data={"fiscal-year": "2026"},
            ),
        )
        core.delete_namespace(name)
        # Only the namespace controller empties the namespace and removes its finalizer.
        wait_for(f"namespace {name} deleted", lambda: missing(lambda: core.read_namespace(name)))
        assert missing(lambda: core.read_namespaced_config_map("budget-settings", name))


def test_deployment_gets_replicaset_and_pods_and_is_collected(control_plane: ControlPlane) -> None:
    namespace = "sandbox-deployment"
    labels = {"app": "payment-gateway"}
    with api_client(control_plane) as api:
        core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
        create_namespace(core, namespace)
        default_service_account(core, namespace)
        deployment = apps.create_namespaced_deployment(
            namespace,
            client.V1Deployment(
                metadata=client.V1ObjectMeta(name="payment-gateway", labels=LABELS),
                spec=client.V1DeploymentSpec(
                    replicas=2,
                    selector=client.V1LabelSelector(match_labels=labels),
                    template=client.V1PodTemplateSpec(
                        metadata=client.V1ObjectMeta(labels=labels),
                        spec=client.V1PodSpec(
                            containers=[client.V1Container(name="payment-gateway", image=IMAGE)]
                        ),
                    ),
                ),
            ),
        )

        def replica_sets() -> list[client.V1ReplicaSet] | None:
            return apps.list_namespaced_replica_set(namespace).items or None

        def pods() -> list[client.V1Pod] | None:
            found = core.list_namespaced_pod(namespace).items
            return found if len(found) == 2 else None

        (replica_set,) = wait_for("a ReplicaSet of the Deployment", replica_sets)
        assert replica_set.metadata is not None and deployment.metadata is not None
        owners = [(o.kind, o.name, o.uid) for o in replica_set.metadata.owner_references or []]
        assert owners == [("Deployment", "payment-gateway", deployment.metadata.uid)]
        made = wait_for("two pods of the ReplicaSet", pods)
        for each in made:
            assert each.metadata is not None
            pod_owners = [(o.kind, o.uid) for o in each.metadata.owner_references or []]
            assert pod_owners == [("ReplicaSet", replica_set.metadata.uid)]

        # The garbage collector removes what the Deployment owned.
        apps.delete_namespaced_deployment("payment-gateway", namespace)
        wait_for(
            "ReplicaSets and pods collected",
            lambda: (
                True
                if not apps.list_namespaced_replica_set(namespace).items
                and not core.list_namespaced_pod(namespace).items
                else None
            ),
        )


def test_quota_gets_status_and_rejects_a_pod_over_it(control_plane: ControlPlane) -> None:
    namespace = "sandbox-quota"
    hard = {"requests.cpu": "1", "limits.cpu": "2", "pods": "10"}
    with api_client(control_plane) as api:
        core = client.CoreV1Api(api)
        create_namespace(core, namespace)
        core.create_namespaced_resource_quota(
            namespace,
            client.V1ResourceQuota(
                metadata=client.V1ObjectMeta(name="compute", labels=LABELS),
                spec=client.V1ResourceQuotaSpec(hard=hard),
            ),
        )

        def status() -> client.V1ResourceQuotaStatus | None:
            found = core.read_namespaced_resource_quota("compute", namespace).status
            return found if found is not None and found.hard else None

        filled = wait_for("the quota controller filling status.hard", status)
        assert filled.hard == hard
        assert filled.used == {"requests.cpu": "0", "limits.cpu": "0", "pods": "0"}
        default_service_account(core, namespace)

        with pytest.raises(ApiException) as rejected:
            core.create_namespaced_pod(namespace, pod("ledger-import", "1500m", "2"))
        assert rejected.value.status == 403
        assert json.loads(rejected.value.body or "{}")["reason"] == "Forbidden"
        assert message(rejected.value) == (
            'pods "ledger-import" is forbidden: exceeded quota: compute, '
            "requested: requests.cpu=1500m, used: requests.cpu=0, limited: requests.cpu=1"
        )

        core.create_namespaced_pod(namespace, pod("ledger-export", "500m", "1"))
        used = core.read_namespaced_resource_quota("compute", namespace).status
        assert used is not None
        assert used.used == {"requests.cpu": "500m", "limits.cpu": "1", "pods": "1"}


def test_new_namespace_gets_service_account_and_root_ca(control_plane: ControlPlane) -> None:
    namespace = "sandbox-service-account"
    with api_client(control_plane) as api:
        core = client.CoreV1Api(api)
        create_namespace(core, namespace)
        account = default_service_account(core, namespace)
        assert account.metadata is not None and account.metadata.name == "default"

        def root_ca() -> client.V1ConfigMap | None:
            try:
                return core.read_namespaced_config_map("kube-root-ca.crt", namespace)
            except ApiException as exc:
                if exc.status == 404:
                    return None
                raise

        published = wait_for("ConfigMap kube-root-ca.crt", root_ca)
        assert published.data == {"ca.crt": control_plane.ca_file.read_text(encoding="ascii")}


def test_a_user_without_binding_is_forbidden(control_plane: ControlPlane) -> None:
    viewer = control_plane.user_kubeconfig("viewer", [])
    with api_client(control_plane, viewer) as api, pytest.raises(ApiException) as refused:
        client.CoreV1Api(api).list_namespace()
    assert refused.value.status == 403
    assert message(refused.value) == (
        'namespaces is forbidden: User "viewer" cannot list resource "namespaces" '
        'in API group "" at the cluster scope'
    )


def test_a_minted_group_gets_what_rbac_grants(control_plane: ControlPlane) -> None:
    auditor = control_plane.user_kubeconfig("auditor", ["dfp:auditors"])
    with api_client(control_plane) as admin:
        client.RbacAuthorizationV1Api(admin).create_cluster_role_binding(
            client.V1ClusterRoleBinding(
                metadata=client.V1ObjectMeta(name="sandbox-auditors-view", labels=LABELS),
                role_ref=client.V1RoleRef(
                    api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="view"
                ),
                subjects=[
                    client.RbacV1Subject(
                        api_group="rbac.authorization.k8s.io", kind="Group", name="dfp:auditors"
                    )
                ],
            )
        )
    with api_client(control_plane, auditor) as api:
        core = client.CoreV1Api(api)

        def allowed() -> list[client.V1ConfigMap] | None:
            try:
                return core.list_namespaced_config_map("kube-system").items
            except ApiException as exc:
                if exc.status == 403:  # the authorizer's cache has not seen the binding yet
                    return None
                raise

        wait_for("the binding taking effect", allowed, timeout=30)
        with pytest.raises(ApiException) as refused:
            core.list_namespaced_secret("kube-system")
    assert refused.value.status == 403
    assert message(refused.value) == (
        'secrets is forbidden: User "auditor" cannot list resource "secrets" '
        'in API group "" in the namespace "kube-system"'
    )


# --- two clusters ----------------------------------------------------------------------------


def test_two_clusters_are_independent(
    control_planes: dict[str, ControlPlane], tmp_path: Path
) -> None:
    a, b = control_planes["tke-prod-a"], control_planes["tke-prod-b"]
    assert list(control_planes) == ["tke-prod-a", "tke-prod-b"]
    assert len({a.server, b.server}) == 2
    merged = write_kubeconfig([a, b], tmp_path / "kubeconfig")
    contexts, current = config.list_kube_config_contexts(str(merged))  # type: ignore[no-untyped-call]
    assert [c["name"] for c in contexts] == ["tke-prod-a", "tke-prod-b"]
    assert current["name"] == "tke-prod-a"

    namespace = "sandbox-independent"
    with (
        config.new_client_from_config(str(merged), context="tke-prod-a") as api_a,  # type: ignore[no-untyped-call]
        config.new_client_from_config(str(merged), context="tke-prod-b") as api_b,  # type: ignore[no-untyped-call]
    ):
        core_a, core_b = client.CoreV1Api(api_a), client.CoreV1Api(api_b)
        create_namespace(core_a, namespace)
        names_a = {n.metadata.name for n in core_a.list_namespace().items if n.metadata}
        assert namespace in names_a
        assert missing(lambda: core_b.read_namespace(namespace))
        create_namespace(core_b, namespace)  # the same name again: another etcd
        assert core_b.read_namespace(namespace).metadata is not None


def test_a_certificate_of_one_cluster_is_refused_by_the_other(
    control_planes: dict[str, ControlPlane], tmp_path: Path
) -> None:
    a, b = control_planes["tke-prod-a"], control_planes["tke-prod-b"]
    admin_of_a = a.access("dfctl-admin", ["system:masters"]).credentials
    crossed = kubeconfig_file.write(
        [Access("tke-prod-b", b.server, b.ca_file.read_bytes(), "dfctl-admin", admin_of_a)],
        tmp_path / "crossed",
    )
    with api_client(b, crossed) as api, pytest.raises(ApiException) as refused:
        client.CoreV1Api(api).list_namespace()
    assert refused.value.status == 401
    assert json.loads(refused.value.body or "{}")["reason"] == "Unauthorized"


# --- failures --------------------------------------------------------------------------------


def test_missing_binaries_say_how_to_build_them(tmp_path: Path) -> None:
    with pytest.raises(BinariesMissing) as missing_error:
        find_binaries({"DFCTL_CONTROLPLANE_CACHE": str(tmp_path)})
    assert str(missing_error.value) == (
        f"no control-plane binaries (etcd, kube-apiserver, kube-controller-manager) in "
        f"{tmp_path}; run `bash tools/controlplane/build.sh` (the first build takes 10-25 "
        f"minutes), or set DFCTL_CONTROLPLANE_BIN to a folder holding them"
    )


def test_a_process_that_exits_fails_the_start_at_once(tmp_path: Path) -> None:
    real = find_binaries()
    broken = tmp_path / "kube-apiserver"
    broken.write_text('#!/bin/sh\necho "Error: unknown flag: $1" >&2\nexit 3\n', encoding="ascii")
    broken.chmod(0o755)
    binaries = Binaries(real.folder, real.etcd, broken, real.kube_controller_manager)
    plane = ControlPlane("tke-acc-b", binaries=binaries)
    started = time.monotonic()
    with pytest.raises(SandboxError) as failed:
        plane.start()
    assert time.monotonic() - started < 60
    log = plane.logs / "kube-apiserver.log"
    assert str(failed.value) == (
        f"cluster tke-acc-b: kube-apiserver exited with code 3 during start-up; "
        f"last lines of {log}:\nError: unknown flag: --etcd-servers={plane.etcd_url}"
    )
    # Everything started before is stopped, and the temporary folder is gone.
    assert not plane.directory.exists()
    assert plane.pids == {}


def test_an_apiserver_outage_keeps_the_data_and_the_address(tmp_path: Path) -> None:
    # A cluster of its own: the shared ones must stay reachable for the other tests.
    with running(["tke-acc-b"], tmp_path) as (plane,):
        server = plane.server
        settings = client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="execution-settings", labels=LABELS),
            data={"payment.single_limit": "500000"},
        )
        with api_client(plane) as api:
            client.CoreV1Api(api).create_namespaced_config_map("default", settings)

        plane.stop_apiserver()
        assert "kube-apiserver" not in plane.pids
        with api_client(plane) as api, pytest.raises(urllib3.exceptions.MaxRetryError):
            client.CoreV1Api(api).read_namespaced_config_map(
                "execution-settings", "default", _request_timeout=5
            )

        plane.start_apiserver()
        assert plane.server == server
        with api_client(plane) as api:
            found = client.CoreV1Api(api).read_namespaced_config_map(
                "execution-settings", "default"
            )
        assert found.data == {"payment.single_limit": "500000"}
    assert not (tmp_path / "tke-acc-b" / "etcd-data").exists() or plane.pids == {}


# --- dfctl sandbox ---------------------------------------------------------------------------


def dfctl_sandbox(*args: str, directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dfctl", "sandbox", *args, "--dir", str(directory)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_sandbox_up_status_down(tmp_path: Path) -> None:
    directory = tmp_path / "sandbox"
    try:
        up = dfctl_sandbox("up", "--name", "tke-pre-a", directory=directory)
        assert up.returncode == 0, up.stderr
        state = json.loads((directory / "sandbox.json").read_text(encoding="utf-8"))
        (cluster,) = state["clusters"]
        version = find_binaries().kubernetes_version
        assert re.fullmatch(r"https://127\.0\.0\.1:\d+", cluster["server"])
        assert up.stdout.splitlines() == [
            f"# tke-pre-a: {cluster['server']} (kube-apiserver {version})",
            f"export KUBECONFIG={directory}/kubeconfig",
            f"# contexts are named after the clusters; stop with: dfctl sandbox down "
            f"--dir {directory}",
        ]

        # `up` has returned; the control plane runs on without it.
        status = dfctl_sandbox("status", directory=directory)
        assert (status.returncode, status.stdout) == (
            0,
            f"tke-pre-a: {cluster['server']} {version} ready (etcd running, "
            f"kube-apiserver running, kube-controller-manager running)\n",
        )
        with config.new_client_from_config(  # type: ignore[no-untyped-call]
            str(directory / "kubeconfig"), context="tke-pre-a"
        ) as api:
            names = {
                n.metadata.name for n in client.CoreV1Api(api).list_namespace().items if n.metadata
            }
        assert {"default", "kube-system"} <= names

        again = dfctl_sandbox("up", directory=directory)
        assert (again.returncode, again.stderr) == (
            1,
            f"dfctl: a sandbox already runs in {directory} (tke-pre-a); "
            f"stop it with `dfctl sandbox down --dir {directory}`\n",
        )

        down = dfctl_sandbox("down", directory=directory)
        assert (down.returncode, down.stdout) == (
            0,
            "tke-pre-a: stopped kube-controller-manager, kube-apiserver, etcd\n",
        )
        for process in cluster["processes"]:
            assert process_start_time(process["pid"]) is None, process
        assert sorted(p.name for p in directory.iterdir()) == []

        after = dfctl_sandbox("status", directory=directory)
        assert (after.returncode, after.stdout) == (1, f"no sandbox in {directory}\n")
    finally:
        session.down(directory)


def test_sandbox_up_without_binaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DFCTL_CONTROLPLANE_BIN", raising=False)
    monkeypatch.setenv("DFCTL_CONTROLPLANE_CACHE", str(tmp_path / "empty"))
    assert main(["sandbox", "up", "--dir", str(tmp_path / "sandbox")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        f"dfctl: no control-plane binaries (etcd, kube-apiserver, kube-controller-manager) in "
        f"{tmp_path / 'empty'}; run `bash tools/controlplane/build.sh`"
    )
