"""A real Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager.

Started the way controller-runtime's envtest starts one, plus the controller-manager so that
namespaces finish deleting, Deployments get ReplicaSets and Pods, quotas get their status and new
namespaces get their default ServiceAccount. Each cluster has its own CA; clients authenticate
with certificates signed by it (CN = user, O = groups).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import shutil
import socket
import ssl
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from dfctl.adapters.processes import (
    STOP_GRACE,
    Process,
    process_start_time,
    stop_process_group,
    tail,
)
from dfctl.errors import SandboxError
from dfctl.sandbox import kubeconfig
from dfctl.sandbox.binaries import Binaries, find_binaries
from dfctl.sandbox.certs import CertificateAuthority, KeyPair, service_account_keys

ADMIN_USER = "dfctl-admin"
ADMIN_GROUPS = ("system:masters",)
SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"
# The first address of the service range: the `kubernetes` Service, which the serving
# certificate must name for in-cluster clients.
KUBERNETES_SERVICE_IP = "10.0.0.1"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
# kube-controller-manager's names (`--help` lists them); the rest need nodes or are not needed.
CONTROLLERS = (
    "namespace-controller",
    "garbage-collector-controller",
    "resourcequota-controller",
    "deployment-controller",
    "replicaset-controller",
    "serviceaccount-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
    # Fills the aggregated ClusterRoles admin, edit and view, which least-privilege users get.
    "clusterrole-aggregation-controller",
)
DEFAULT_TIMEOUT = 120.0
POLL = 0.25
PORT_ATTEMPTS = 3


class Phase(Enum):
    """Start-up runs phase by phase; several clusters go through each phase side by side."""

    ETCD = "etcd"
    APISERVER = "kube-apiserver"
    CONTROLLERS = "kube-controller-manager"


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 right now (all held open together, so they differ)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


# --- the control plane -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes


class ControlPlane:
    """One cluster: etcd, kube-apiserver and kube-controller-manager on free loopback ports.

    `directory` holds certificates, etcd's data, logs and kubeconfigs; without one a temporary
    folder is made and removed on stop. `detach=True` lets the processes outlive this Python
    process (`dfctl sandbox up`); `stop_recorded()` stops them later from `record()`.
    """

    def __init__(
        self,
        name: str,
        directory: Path | None = None,
        *,
        binaries: Binaries | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        detach: bool = False,
    ) -> None:
        self.name = name
        self.binaries = binaries if binaries is not None else find_binaries()
        self.timeout = timeout
        self.detach = detach
        self._owns_directory = directory is None
        self.directory = (
            Path(tempfile.mkdtemp(prefix=f"dfctl-{name}-")) if directory is None else directory
        )
        self.directory.mkdir(parents=True, exist_ok=True)
        self.pki = self.directory / "pki"
        self.logs = self.directory / "logs"
        self.kubeconfig = self.directory / "kubeconfig"
        self.ca_file = self.pki / "ca.crt"
        self.etcd_client_port = 0
        self.etcd_peer_port = 0
        self.port = 0
        self.version = ""
        self._processes: dict[Phase, Process] = {}
        self._attempts: dict[Phase, int] = {}
        self._ca: CertificateAuthority | None = None
        self._admin: KeyPair | None = None
        self._ssl: ssl.SSLContext | None = None

    # -- public ------------------------------------------------------------------------------

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{self.etcd_client_port}"

    @property
    def pids(self) -> dict[str, int]:
        return {p.name: p.pid for p in self._processes.values()}

    def start(self) -> Self:
        start_all([self])
        return self

    def stop(self) -> None:
        """Stop the processes (controllers first, etcd last) and remove a temporary folder."""
        for phase in reversed(Phase):
            process = self._processes.pop(phase, None)
            if process is not None:
                process.stop()
        if self._owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def access(self, user: str, groups: Sequence[str] = ()) -> kubeconfig.Access:
        """A new client certificate for `user` in `groups`, signed by this cluster's CA."""
        ca = self._authority()
        return kubeconfig.Access(
            cluster=self.name,
            server=self.server,
            ca_pem=ca.cert_pem,
            user=user,
            credentials=ca.issue(user, groups),
        )

    def user_kubeconfig(self, name: str, groups: Sequence[str] = ()) -> Path:
        """A kubeconfig (context = cluster name) for a user with no rights beyond RBAC's."""
        path = self.directory / "users" / f"{re.sub(r'[^A-Za-z0-9._-]', '_', name)}.kubeconfig"
        return kubeconfig.write([self.access(name, groups)], path)

    def stop_apiserver(self, *, graceful: bool = False) -> None:
        """An outage: kube-apiserver stops; etcd (and so the data) and the controllers stay.

        By default it is killed, like a crash. Graceful takes up to 15 s: the apiserver stops
        listening at once but waits for the controllers' watches to go.
        """
        process = self._processes.pop(Phase.APISERVER, None)
        if process is not None:
            process.stop(STOP_GRACE if graceful else 0)

    def start_apiserver(self, timeout: float | None = None) -> None:
        """Start kube-apiserver again on the same port, so kubeconfigs stay valid; wait for it."""
        if Phase.APISERVER in self._processes:
            raise SandboxError(f"cluster {self.name}: kube-apiserver is running")
        # Another port would strand the kubeconfigs written so far: no retry on a clash.
        self._attempts[Phase.APISERVER] = PORT_ATTEMPTS
        self._launch(Phase.APISERVER, same_port=True)
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while not self._ready(Phase.APISERVER):
            if time.monotonic() > deadline:
                raise SandboxError(f"waited {limit:.0f} s:\n{self._describe_wait(Phase.APISERVER)}")
            time.sleep(POLL)

    def record(self) -> dict[str, Any]:
        """What `stop_recorded` needs to stop the processes from another process."""
        return {
            "name": self.name,
            "directory": str(self.directory),
            "server": self.server,
            "kubeconfig": str(self.kubeconfig),
            "version": self.version,
            "processes": [self._processes[p].record() for p in Phase if p in self._processes],
        }

    def release(self) -> None:
        """Leave the processes running after this Python process ends."""
        for process in self._processes.values():
            process.release()
        self._processes.clear()

    # -- start-up -----------------------------------------------------------------------------

    def _authority(self) -> CertificateAuthority:
        if self._ca is None:
            raise SandboxError(f"cluster {self.name}: not started")
        return self._ca

    def _prepare(self) -> None:
        """Certificates, service-account keys and the admin kubeconfig."""
        self.pki.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        ca = CertificateAuthority.create(f"dfctl-sandbox-ca-{self.name}")
        self._ca = ca
        ca.key_pair().write(self.ca_file, self.pki / "ca.key")
        ca.issue(
            "kube-apiserver",
            dns_names=[
                "localhost",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
            ],
            ip_addresses=["127.0.0.1", KUBERNETES_SERVICE_IP],
        ).write(self.pki / "apiserver.crt", self.pki / "apiserver.key")
        public, private = service_account_keys()
        (self.pki / "sa.pub").write_bytes(public)
        (self.pki / "sa.key").touch(mode=0o600)
        (self.pki / "sa.key").write_bytes(private)
        self._admin = ca.issue(ADMIN_USER, ADMIN_GROUPS)
        self._admin.write(self.pki / "admin.crt", self.pki / "admin.key")
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.load_cert_chain(self.pki / "admin.crt", self.pki / "admin.key")
        self._ssl = context

    def _launch(self, phase: Phase, *, same_port: bool = False) -> None:
        if phase is Phase.ETCD:
            self.etcd_client_port, self.etcd_peer_port = free_ports(2)
            data = self.directory / "etcd-data"
            shutil.rmtree(data, ignore_errors=True)
            peer = f"http://127.0.0.1:{self.etcd_peer_port}"
            argv = [
                str(self.binaries.etcd),
                f"--name={self.name}",
                f"--data-dir={data}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster={self.name}={peer}",
                "--initial-cluster-state=new",
                # Throwaway data: durability is not worth an fsync per write on a busy disk.
                "--unsafe-no-fsync",
                "--log-level=warn",
            ]
        elif phase is Phase.APISERVER:
            if not same_port:
                (self.port,) = free_ports(1)
            argv = [
                str(self.binaries.kube_apiserver),
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.port}",
                f"--cert-dir={self.pki}",
                f"--tls-cert-file={self.pki / 'apiserver.crt'}",
                f"--tls-private-key-file={self.pki / 'apiserver.key'}",
                f"--client-ca-file={self.ca_file}",
                "--authorization-mode=RBAC",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-account-key-file={self.pki / 'sa.pub'}",
                f"--service-account-signing-key-file={self.pki / 'sa.key'}",
                "--allow-privileged=true",
            ]
        else:
            config = self.directory / "kube-controller-manager.kubeconfig"
            kubeconfig.write(
                [
                    kubeconfig.Access(
                        cluster=self.name,
                        server=self.server,
                        ca_pem=self._authority().cert_pem,
                        user="system:kube-controller-manager",
                        credentials=self._authority().issue("system:kube-controller-manager"),
                    )
                ],
                config,
            )
            argv = [
                str(self.binaries.kube_controller_manager),
                f"--kubeconfig={config}",
                f"--controllers={','.join(CONTROLLERS)}",
                "--leader-elect=false",
                # No metrics or health endpoint: nothing here scrapes it, and no port to clash.
                "--secure-port=0",
                f"--service-account-private-key-file={self.pki / 'sa.key'}",
                f"--root-ca-file={self.ca_file}",
                # Each controller acts as its own ServiceAccount with the bootstrap RBAC role
                # made for it, as in a real cluster; the controller-manager's own identity may
                # do little more than create those accounts.
                "--use-service-account-credentials=true",
                f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
            ]
        self._attempts[phase] = self._attempts.get(phase, 0) + 1
        self._processes[phase] = Process(
            phase.value, argv, self.logs / f"{phase.value}.log", detach=self.detach
        )

    def _check_processes(self, phase: Phase) -> None:
        """Fail fast when a process has exited; start it again when it lost a port race."""
        for started, process in list(self._processes.items()):
            if process.exit_code() is None:
                continue
            if (
                started is phase
                and started is not Phase.CONTROLLERS
                and process.address_in_use()
                and self._attempts.get(phase, 0) < PORT_ATTEMPTS
            ):
                self._launch(phase)
                continue
            raise SandboxError(process.failure(self.name))

    def _ready(self, phase: Phase) -> bool:
        self._check_processes(phase)
        try:
            if phase is Phase.ETCD:
                response = self._http("GET", "/health", etcd=True)
                return response.status == 200 and json.loads(response.body).get("health") in (
                    "true",
                    True,
                )
            if phase is Phase.APISERVER:
                if self._get("/readyz").status != 200:
                    return False
                self.version = json.loads(self._get("/version").body)["gitVersion"]
                kubeconfig.write(
                    [
                        kubeconfig.Access(
                            self.name,
                            self.server,
                            self._authority().cert_pem,
                            ADMIN_USER,
                            self._admin_pair(),
                        )
                    ],
                    self.kubeconfig,
                )
                return True
            # The serviceaccount controller made `default` the ServiceAccount pods need.
            return self._get("/api/v1/namespaces/default/serviceaccounts/default").status == 200
        except (OSError, http.client.HTTPException, ValueError):
            return False

    def _admin_pair(self) -> KeyPair:
        if self._admin is None:
            raise SandboxError(f"cluster {self.name}: not started")
        return self._admin

    def _get(self, path: str) -> _Response:
        return self._http("GET", path)

    def _http(self, method: str, path: str, *, etcd: bool = False) -> _Response:
        connection: http.client.HTTPConnection
        if etcd:
            connection = http.client.HTTPConnection("127.0.0.1", self.etcd_client_port, timeout=5)
        else:
            connection = http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=10, context=self._ssl
            )
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return _Response(response.status, response.read())
        finally:
            connection.close()

    def _describe_wait(self, phase: Phase) -> str:
        what = {
            Phase.ETCD: f"etcd at {self.etcd_url} not healthy",
            Phase.APISERVER: f"kube-apiserver at {self.server} not ready (/readyz)",
            Phase.CONTROLLERS: "kube-controller-manager made no `default` ServiceAccount",
        }[phase]
        process = self._processes[phase]
        return f"cluster {self.name}: {what}; last lines of {process.log}:\n{tail(process.log)}"


def start_all(planes: Sequence[ControlPlane], timeout: float | None = None) -> None:
    """Start several control planes side by side, phase by phase; all or none end up running.

    Each phase waits up to `timeout` seconds (default: each plane's own timeout).
    """
    try:
        for plane in planes:
            plane._prepare()
        for phase in Phase:
            for plane in planes:
                plane._launch(phase)
            pending = list(planes)
            limit = timeout if timeout is not None else max(p.timeout for p in planes)
            deadline = time.monotonic() + limit
            while pending:
                pending = [p for p in pending if not p._ready(phase)]
                if not pending:
                    break
                if time.monotonic() > deadline:
                    raise SandboxError(
                        f"waited {limit:.0f} s:\n"
                        + "\n".join(p._describe_wait(phase) for p in pending)
                    )
                time.sleep(POLL)
    except BaseException:
        for plane in planes:
            plane.stop()
        raise


def stop_recorded(record: dict[str, Any], *, remove: bool = False) -> list[str]:
    """Stop the processes of a `ControlPlane.record()`; returns the names of those stopped."""
    stopped = []
    for process in reversed(record.get("processes", [])):
        if stop_process_group(int(process["pid"]), process.get("start_time")):
            stopped.append(str(process["name"]))
    if remove:
        shutil.rmtree(record["directory"], ignore_errors=True)
    return stopped


def recorded_alive(record: dict[str, Any]) -> dict[str, bool]:
    """Which recorded processes still run (same pid and start time)."""
    return {
        str(p["name"]): process_start_time(int(p["pid"])) == p.get("start_time")
        and p.get("start_time") is not None
        for p in record.get("processes", [])
    }


def write_kubeconfig(
    planes: Sequence[ControlPlane],
    path: Path,
    *,
    user: str = ADMIN_USER,
    groups: Sequence[str] | None = None,
) -> Path:
    """One kubeconfig with a context per cluster (named after it), the first one current.

    By default the administrator; another user gets a fresh certificate in every cluster.
    """
    chosen = ADMIN_GROUPS if groups is None and user == ADMIN_USER else (groups or ())
    return kubeconfig.write([p.access(user, chosen) for p in planes], path)


@contextlib.contextmanager
def running(
    names: Sequence[str], directory: Path | None = None, **options: Any
) -> Iterator[list[ControlPlane]]:
    """Control planes for a `with` block, stopped (and their folders removed) afterwards."""
    planes = [
        ControlPlane(name, None if directory is None else directory / name, **options)
        for name in names
    ]
    start_all(planes)
    try:
        yield planes
    finally:
        for plane in planes:
            plane.stop()


__all__ = [
    "ADMIN_GROUPS",
    "ADMIN_USER",
    "CONTROLLERS",
    "ControlPlane",
    "Phase",
    "recorded_alive",
    "running",
    "start_all",
    "stop_recorded",
    "write_kubeconfig",
]
