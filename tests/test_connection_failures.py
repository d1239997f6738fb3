"""Bad kubeconfigs, untrusted servers, refused credentials, unreachable and silent servers.

Each failure is one line naming the kubeconfig file, the context, the server and the cause;
`dfctl plan` exits 1 with it and no traceback. The clusters and etcd are the real ones of the
fixtures. A *silent* server — a listening socket that accepts connections and never answers — is
a fault a real kube-apiserver or etcd cannot be made to produce on demand, so it is made with a
few lines of socket code (`tests/silent_server.py`); nothing else here is simulated.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from dfctl.adapters.deadline import Deadline
from dfctl.adapters.etcd import EndpointHealth, EtcdClient, parse_endpoints
from dfctl.adapters.kube import KubeClient
from dfctl.cli import main
from dfctl.errors import TargetError, TargetUnreachable
from dfctl.sandbox import ControlPlane
from dfctl.sandbox.certs import CertificateAuthority
from tests.content import commit_all, copy_content, init_repo
from tests.etcd_server import EtcdServer
from tests.silent_server import silent_server

pytestmark = [pytest.mark.controlplane, pytest.mark.git]

CLUSTER = "tke-acc-a"


# -- kubeconfigs -----------------------------------------------------------------------------------


def kubeconfig_of(plane: ControlPlane) -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(plane.kubeconfig.read_text(encoding="utf-8"))
    return loaded


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def with_server(plane: ControlPlane, folder: Path, server: str) -> Path:
    config = kubeconfig_of(plane)
    config["clusters"][0]["cluster"]["server"] = server
    return write_config(folder / "kubeconfig", config)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = copy_content(tmp_path_factory.mktemp("failures") / "repo")
    commit_all(init_repo(work), "the city's configuration")
    return work


def plan_with(repository: Path, kubeconfig: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run `dfctl plan` against the clusters only; its one line on stderr (exit 1)."""
    code = main(
        [
            "--repo",
            str(repository),
            "plan",
            "--env",
            "acceptance",
            "--target",
            "kubernetes",
            "--kubeconfig",
            str(kubeconfig),
        ]
    )
    captured = capsys.readouterr()
    assert (code, captured.out) == (1, ""), captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    return captured.err.removeprefix("dfctl: plan failed: ").removesuffix("\n")


def test_a_missing_kubeconfig_is_named(
    repository: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "config"
    assert plan_with(repository, missing, capsys) == (
        f"kubeconfig {missing} (--kubeconfig) does not exist; give --kubeconfig FILE"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "apiVersion: v1\nclusters: [\n  - name: a\n",
            "is not valid YAML: line 3, column 3: expected the node content, but found '-'",
        ),
        (
            "tke-acc-a\n",
            "is not a kubeconfig: expected a mapping with clusters, contexts and users, "
            "found str 'tke-acc-a'",
        ),
        ("clusters: {}\n", "is not a kubeconfig: clusters is not a list"),
    ],
    ids=["yaml-error", "bare-word", "clusters-not-a-list"],
)
def test_a_malformed_kubeconfig_is_one_line(
    repository: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    expected: str,
) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(text, encoding="utf-8")
    assert plan_with(repository, config, capsys) == f"kubeconfig {config} {expected}"


def test_a_kubeconfig_without_the_clusters_context(
    repository: Path,
    tmp_path: Path,
    control_plane: ControlPlane,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = kubeconfig_of(control_plane)
    config["contexts"][0]["name"] = "admin@elsewhere"
    path = write_config(tmp_path / "kubeconfig", config)
    assert plan_with(repository, path, capsys) == (
        f"cluster tke-acc-a: kubeconfig {path} has no context 'tke-acc-a' (it has: "
        "admin@elsewhere); dfctl reaches each cluster through the context named like it"
    )


def test_an_unusable_context_names_the_file(
    repository: Path,
    tmp_path: Path,
    control_plane: ControlPlane,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = kubeconfig_of(control_plane)
    config["contexts"][0]["context"]["cluster"] = "gone"
    path = write_config(tmp_path / "kubeconfig", config)
    said = plan_with(repository, path, capsys)
    assert said.startswith(
        f"cluster tke-acc-a: context tke-acc-a in kubeconfig {path} cannot be used: "
    )
    assert "gone" in said


def test_a_server_certificate_from_another_ca_is_a_tls_failure(
    repository: Path,
    tmp_path: Path,
    control_plane: ControlPlane,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = kubeconfig_of(control_plane)
    other = CertificateAuthority.create("not-the-clusters-ca")
    config["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(
        other.cert_pem
    ).decode()
    path = write_config(tmp_path / "kubeconfig", config)
    assert plan_with(repository, path, capsys) == (
        f"cluster tke-acc-a at {control_plane.server} (context tke-acc-a in {path}): TLS failed: "
        "the server's certificate is not trusted (unable to get local issuer certificate); "
        "check the certificate-authority(-data) of the kubeconfig's cluster entry"
    )


def test_a_client_certificate_the_cluster_does_not_know_is_refused(
    repository: Path,
    tmp_path: Path,
    control_plane: ControlPlane,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = kubeconfig_of(control_plane)
    stranger = CertificateAuthority.create("another-cluster").issue(
        "dfctl-admin", ["system:masters"]
    )
    user = config["users"][0]["user"]
    user["client-certificate-data"] = base64.b64encode(stranger.cert_pem).decode()
    user["client-key-data"] = base64.b64encode(stranger.key_pem).decode()
    path = write_config(tmp_path / "kubeconfig", config)
    assert plan_with(repository, path, capsys) == (
        f"cluster tke-acc-a at {control_plane.server} (context tke-acc-a in {path}): the server "
        "did not accept the kubeconfig's credentials (401 Unauthorized)"
    )


def test_a_refused_connection(
    repository: Path,
    tmp_path: Path,
    control_plane: ControlPlane,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = with_server(control_plane, tmp_path, "https://127.0.0.1:1")
    assert plan_with(repository, path, capsys) == (
        f"cluster tke-acc-a at https://127.0.0.1:1 (context tke-acc-a in {path}): "
        "unreachable: connection refused"
    )


def test_a_silent_server_is_reported_after_the_read_timeout_without_retries(
    tmp_path: Path, control_plane: ControlPlane
) -> None:
    with silent_server() as address:
        path = with_server(control_plane, tmp_path, f"https://{address}")
        client = KubeClient(CLUSTER, path)
        with pytest.raises(TargetUnreachable) as caught:
            client.list("Namespace")
    # the TCP connection is made at once; the TLS handshake then waits under the read timeout
    # (10 s), and a GET that timed out is not repeated
    assert str(caught.value) == (
        f"cluster tke-acc-a at https://{address} (context tke-acc-a in {path}): "
        "unreachable: no answer within 10 s (read timeout)"
    )
    assert dict(client.requests) == {"GET": 1}


def test_a_server_silent_after_tls_is_reported_after_the_read_timeout(
    tmp_path: Path, control_plane: ControlPlane
) -> None:
    authority = CertificateAuthority.create("silent-front")
    with silent_server(tls=authority) as address:
        config = kubeconfig_of(control_plane)
        cluster = config["clusters"][0]["cluster"]
        cluster["server"] = f"https://{address}"
        cluster["certificate-authority-data"] = base64.b64encode(authority.cert_pem).decode()
        path = write_config(tmp_path / "kubeconfig", config)
        client = KubeClient(CLUSTER, path)
        with pytest.raises(TargetUnreachable) as caught:
            client.list("Namespace")
    assert str(caught.value) == (
        f"cluster tke-acc-a at https://{address} (context tke-acc-a in {path}): "
        "unreachable: no answer within 10 s (read timeout)"
    )
    assert dict(client.requests) == {"GET": 1}


def test_the_runs_timeout_bounds_every_wait(
    repository: Path,
    tmp_path: Path,
    control_plane: ControlPlane,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with silent_server() as address:
        path = with_server(control_plane, tmp_path, f"https://{address}")
        code = main(
            [
                "--repo",
                str(repository),
                "plan",
                "--env",
                "acceptance",
                "--target",
                "kubernetes",
                "--kubeconfig",
                str(path),
                "--timeout",
                "1.5",
            ]
        )
    err = capsys.readouterr().err
    assert (code, err) == (
        1,
        f"dfctl: plan failed: cluster tke-acc-a at https://{address} (context tke-acc-a in "
        f"{path}): unreachable: no answer before the run's --timeout of 1.5 s ran out\n",
    )
    client = KubeClient(CLUSTER, path, deadline=Deadline(0.0))
    with pytest.raises(TargetUnreachable) as spent:
        client.list("Namespace")
    assert str(spent.value).endswith(": gave up, the run's --timeout of 0 s is spent")
    assert dict(client.requests) == {}


# -- the configuration service --------------------------------------------------------------------


def test_a_silent_etcd_member_is_probed_once_and_skipped_for_the_run(etcd: EtcdServer) -> None:
    with silent_server() as address:
        silent = f"http://{address}"
        client = EtcdClient(parse_endpoints([silent, etcd.endpoint]))
        first = client.range_prefix("/dfp/acceptance/")
        second = client.range_prefix("/dfp/acceptance/")
    assert first.revision > 0 and second.revision >= first.revision
    # the silent member cost one /version probe of at most 2 s; the healthy one answered its
    # probe and both ranges; the silent one was not asked again
    assert dict(client.requests) == {"probe": 2, "range": 2}
    assert client.health.last_good == etcd.endpoint
    assert not client.health.alive(silent)
    client.close()


def test_a_member_that_failed_is_remembered_by_the_next_client_of_the_run(
    etcd: EtcdServer,
) -> None:
    health = EndpointHealth()
    with silent_server() as address:
        silent = f"http://{address}"
        for _ in range(3):
            client = EtcdClient(parse_endpoints([silent, etcd.endpoint]), health=health)
            client.range_prefix("/dfp/acceptance/")
            client.close()
    # the silent member was probed once in all; later clients went to the healthy one directly
    assert dict(client.requests) == {"range": 1}


def test_three_silent_members_are_reported_together(etcd: EtcdServer) -> None:
    with silent_server() as a, silent_server() as b, silent_server() as c:
        client = EtcdClient(parse_endpoints([f"http://{a}", f"http://{b}", f"http://{c}"]))
        with pytest.raises(TargetUnreachable) as caught:
            client.range_prefix("/dfp/acceptance/")
    assert str(caught.value) == (
        "configuration service unreachable: "
        + "; ".join(f"http://{x}: no answer within 2 s (probe)" for x in (a, b, c))
    )
    assert dict(client.requests) == {"probe": 3}
    client.close()


def test_a_single_silent_etcd_is_reported_after_the_read_timeout() -> None:
    with silent_server() as address:
        client = EtcdClient(parse_endpoints([f"http://{address}"]))
        with pytest.raises(TargetUnreachable) as caught:
            client.range_prefix("/dfp/acceptance/")
    assert str(caught.value) == (
        f"configuration service unreachable: http://{address}: no answer within 10 s (read timeout)"
    )
    assert dict(client.requests) == {"range": 1}
    client.close()


def test_an_etcd_tls_failure_is_not_taken_for_a_dead_member(tmp_path: Path) -> None:
    authority = CertificateAuthority.create("etcd-front")
    with silent_server(tls=authority) as address:
        client = EtcdClient(parse_endpoints([f"https://{address}"]))
        with pytest.raises(TargetError) as caught:
            client.range_prefix("/dfp/acceptance/")
    assert not isinstance(caught.value, TargetUnreachable)
    assert str(caught.value).startswith(
        f"configuration service https://{address}: TLS failed: the server certificate is not "
        "trusted by the system's CA bundle (DFCTL_ETCD_CA is not set) ("
    )
    client.close()
