"""Shared fixtures. Each block belongs to one subsystem; keep them apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dfctl.adapters.kube import KubeClient
from dfctl.errors import SandboxError
from dfctl.sandbox import ControlPlane, find_binaries, start_all

# ---------------------------------------------------------------------------------------------
# Real Kubernetes control planes: etcd, kube-apiserver and kube-controller-manager built by
# tools/controlplane/build.sh, on loopback with their own CA each.
#
# Session scoped: every test of a run shares them, so tests create uniquely named objects and
# leave other tests' objects alone. Tests using them are marked `controlplane`. They never skip:
# without the binaries they fail, saying how to build them.
# ---------------------------------------------------------------------------------------------

PRODUCTION_CLUSTERS = ("tke-prod-a", "tke-prod-b")
ACCEPTANCE_CLUSTER = "tke-acc-a"


def _started(names: tuple[str, ...]) -> list[ControlPlane]:
    try:
        binaries = find_binaries()
        planes = [ControlPlane(name, binaries=binaries) for name in names]
        start_all(planes)
    except SandboxError as exc:
        pytest.fail(f"control plane {', '.join(names)}: {exc}", pytrace=False)
    return planes


@pytest.fixture(scope="session")
def control_planes() -> Iterator[dict[str, ControlPlane]]:
    """The production environment's two clusters, by name (tke-prod-a, tke-prod-b)."""
    planes = _started(PRODUCTION_CLUSTERS)
    try:
        yield {plane.name: plane for plane in planes}
    finally:
        for plane in planes:
            plane.stop()


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    """The acceptance environment's cluster, tke-acc-a."""
    (plane,) = _started((ACCEPTANCE_CLUSTER,))
    try:
        yield plane
    finally:
        plane.stop()


# --- end of the control-plane block ----------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# The configuration service: one real etcd on loopback (tests/etcd_server.py) for the session.
# `etcd` hands it to a test with every key removed. Tests that stop etcd or need TLS and
# authentication start an EtcdServer of their own. Without an etcd binary they fail, saying how
# to install one.
# ---------------------------------------------------------------------------------------------

from tests.etcd_server import EtcdMissing, EtcdServer  # noqa: E402  (this block's own import)


@pytest.fixture(scope="session")
def etcd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdServer]:
    try:
        server = EtcdServer(tmp_path_factory.mktemp("etcd")).start()
    except (EtcdMissing, RuntimeError) as exc:
        pytest.fail(f"etcd: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def etcd(etcd_server: EtcdServer) -> EtcdServer:
    etcd_server.wipe()
    return etcd_server


# --- end of the configuration-service block --------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Connections: every KubeClient a test opens (directly or through dfctl) has its connection pool
# closed when the test ends, so no socket is left for the garbage collector to find in a later
# test (pytest runs with warnings as errors). A closed client still works: its pool reopens.
# ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def close_kube_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    opened: list[KubeClient] = []
    original = KubeClient.__init__

    def tracked(self: KubeClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(KubeClient, "__init__", tracked)
    yield
    for client in opened:
        client.close()


# --- end of the connections block ------------------------------------------------------------
