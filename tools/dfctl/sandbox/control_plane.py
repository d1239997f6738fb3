"""A real Kubernetes control plane on loopback: etcd, kube-apiserver and kube-controller-manager.

Started the way controller-runtime's envtest starts one, plus the controller-manager so that
namespaces finish deleting, Deployments get ReplicaSets and Pods, quotas get their status and new
namespaces get their default ServiceAccount. Each cluster has its own CA; clients authenticate
with certificates signed by it (CN = user, O = groups).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from dfctl.sandbox import kubeconfig
from dfctl.sandbox.binaries import Binaries, SandboxError, find_binaries
from dfctl.sandbox.certs import CertificateAuthority, KeyPair, service_account_keys

if TYPE_CHECKING:
    import kubernetes.client

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
STOP_GRACE = 15.0
POLL = 0.25
PORT_ATTEMPTS = 3
LOG_TAIL_LINES = 40


class Phase(Enum):
    """Start-up runs phase by phase; several clusters go through each phase side by side."""

    ETCD = "etcd"
    APISERVER = "kube-apiserver"
    CONTROLLERS = "kube-controller-manager"


# --- processes -------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1
_libc: Any = None


def _load_libc() -> Any:
    global _libc  # noqa: PLW0603 - loaded once, before any fork, never in a child
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: if the test process is killed outright, its
    # control planes go with it instead of lingering on the machine. SIGKILL, because all three
    # get the signal at once, and an apiserver whose etcd is gone hangs in graceful shutdown.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def process_start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (tells a reused pid apart)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # exited, waiting to be reaped
        return None
    return int(fields[19])


def stop_process_group(pid: int, start_time: int | None, grace: float = STOP_GRACE) -> bool:
    """SIGTERM the process group led by pid, then SIGKILL after the grace period.

    Only when pid still is the process recorded (same start time); returns whether it was.
    """
    if start_time is not None and process_start_time(pid) != start_time:
        return False
    steps = [(signal.SIGTERM, grace)] if grace > 0 else []
    for sig, wait in [*steps, (signal.SIGKILL, 5.0)]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if process_start_time(pid) is None:
                return True
            time.sleep(0.1)
    return True


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


class _Process:
    """One binary of the control plane, its output in a log file."""

    def __init__(self, name: str, argv: Sequence[str], log: Path, *, detach: bool) -> None:
        self.name = name
        self.log = log
        self.argv = list(argv)
        log.parent.mkdir(parents=True, exist_ok=True)
        if not detach:
            _load_libc()
        with log.open("ab") as output:
            # A session of its own: a Ctrl-C meant for the caller does not hit it, and the
            # whole group can be signalled.
            self.popen: subprocess.Popen[bytes] | None = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if detach else _die_with_parent,  # noqa: PLW1509
            )
        self.pid = self.popen.pid
        self.start_time = process_start_time(self.pid)

    def exit_code(self) -> int | None:
        if self.popen is not None:
            return self.popen.poll()
        return None if process_start_time(self.pid) is not None else -1

    def failure(self, cluster: str) -> str:
        code = self.exit_code()
        return (
            f"cluster {cluster}: {self.name} exited with code {code} during start-up; "
            f"last lines of {self.log}:\n{tail(self.log)}"
        )

    def address_in_use(self) -> bool:
        return "address already in use" in tail(self.log, 200).lower()

    def stop(self, grace: float = STOP_GRACE) -> None:
        stop_process_group(self.pid, self.start_time, grace)
        if self.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=5)

    def release(self) -> None:
        """Let the process outlive this one (dfctl sandbox up): forget it without reaping it."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            self.popen = None

    def record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "pid": self.pid,
            "start_time": self.start_time,
            "log": str(self.log),
        }


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
        self._processes: dict[Phase, _Process] = {}
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

    def api_client(self, config_file: Path | None = None) -> kubernetes.client.ApiClient:
        """A client of the official library; the admin's unless another kubeconfig is given.

        Close it (use it as a context manager).
        """
        import kubernetes

        return kubernetes.config.new_client_from_config(  # type: ignore[no-any-return,no-untyped-call]
            config_file=str(config_file or self.kubeconfig), context=self.name
        )

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
        self._processes[phase] = _Process(
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
