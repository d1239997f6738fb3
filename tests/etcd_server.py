"""A real etcd on loopback for the configuration-service tests and benchmark.

The binary is $DFCTL_ETCD_BIN, else the etcd tools/controlplane/build.sh built (3.6), else
`etcd` on PATH (Debian's etcd-server, which tools/configservice/install-etcd.sh installs).
Administration (users, roles, wiping) goes straight to etcd's JSON gateway with ``requests``,
not through dfctl's adapter, so the tests do not check dfctl with itself.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from dfctl.sandbox.binaries import cache_root
from dfctl.sandbox.certs import CertificateAuthority
from dfctl.sandbox.control_plane import free_ports

INSTALL_HINT = "run `bash tools/configservice/install-etcd.sh` (Debian's etcd-server)"
START_TIMEOUT = 30.0


class EtcdMissing(Exception):
    pass


def find_etcd() -> Path:
    given = os.environ.get("DFCTL_ETCD_BIN")
    if given:
        return Path(given)
    built = sorted(cache_root().glob("v*/etcd"), reverse=True)
    for path in built:
        if os.access(path, os.X_OK):
            return path
    found = shutil.which("etcd")
    if found is None:
        raise EtcdMissing(f"no etcd binary: {INSTALL_HINT}, or set DFCTL_ETCD_BIN")
    return Path(found)


def find_etcdctl() -> Path:
    found = os.environ.get("DFCTL_ETCDCTL_BIN") or shutil.which("etcdctl")
    if found is None:
        raise EtcdMissing(f"no etcdctl binary: {INSTALL_HINT}, or set DFCTL_ETCDCTL_BIN")
    return Path(found)


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.b64encode(raw).decode("ascii")


class EtcdServer:
    """One single-member etcd in ``folder``; ``tls`` serves clients over HTTPS with a fresh CA."""

    def __init__(self, folder: Path, *, tls: bool = False, args: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.binary = find_etcd()
        self.client_port, self.peer_port = free_ports(2)
        self.args = args
        self.tls = tls
        self.ca_file: Path | None = None
        if tls:
            ca = CertificateAuthority.create("dfp-config-service-test-ca")
            self.ca_file = folder / "ca.crt"
            self.ca_file.write_bytes(ca.cert_pem)
            ca.issue("etcd", dns_names=["localhost"], ip_addresses=["127.0.0.1"]).write(
                folder / "server.crt", folder / "server.key"
            )
        self.process: subprocess.Popen[bytes] | None = None
        self.token: str | None = None  # root's, once authentication is enabled
        self.root_password = ""

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.client_port}"

    def command(self) -> list[str]:
        peer = f"http://127.0.0.1:{self.peer_port}"
        argv = [
            str(self.binary),
            "--name=test",
            f"--data-dir={self.folder / 'data'}",
            f"--listen-client-urls={self.endpoint}",
            f"--advertise-client-urls={self.endpoint}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=test={peer}",
            # etcd's defaults, spelled out: the limits dfctl's transactions must respect
            "--max-txn-ops=128",
            "--max-request-bytes=1572864",
            "--log-level=warn",
        ]
        if self.tls:
            argv += [f"--cert-file={self.folder / 'server.crt'}"]
            argv += [f"--key-file={self.folder / 'server.key'}"]
        return argv + list(self.args)

    def start(self) -> EtcdServer:
        with (self.folder / "etcd.log").open("ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"etcd exited with {self.process.returncode}:\n{self.log()}")
            try:
                requests.get(f"{self.endpoint}/version", verify=self._verify(), timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"etcd did not answer within {START_TIMEOUT:.0f}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        """Stop at once, as a crash or a network cut would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def log(self) -> str:
        try:
            return (self.folder / "etcd.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def _verify(self) -> str | bool:
        return str(self.ca_file) if self.ca_file else True

    # -- administration, straight to the gateway -------------------------------------------------
    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in (1, 2):
            headers = {"Authorization": self.token} if self.token else {}
            answer = requests.post(
                f"{self.endpoint}/v3/{path}",
                json=body,
                headers=headers,
                verify=self._verify(),
                timeout=10,
            )
            if answer.status_code == 401 and self.root_password and attempt == 1:
                self._login()  # root's token expired (tests run with short token lifetimes)
                continue
            answer.raise_for_status()
            break
        data: dict[str, Any] = answer.json()
        return data

    def _login(self) -> None:
        self.token = None
        login = self.call("auth/authenticate", {"name": "root", "password": self.root_password})
        self.token = str(login["token"])

    def put(self, key: str, value: str | bytes) -> int:
        """Write as another writer would; the new mod revision."""
        header = self.call("kv/put", {"key": b64(key), "value": b64(value)})["header"]
        return int(header["revision"])

    def delete(self, key: str) -> None:
        self.call("kv/deleterange", {"key": b64(key)})

    def get(self, key: str) -> bytes | None:
        kvs = self.call("kv/range", {"key": b64(key)}).get("kvs", [])
        return base64.b64decode(kvs[0].get("value", "")) if kvs else None

    def keys(self, prefix: str = "") -> list[str]:
        """Every key (under ``prefix``), sorted."""
        body = {"key": b64(prefix or "\0"), "range_end": b64(_end(prefix)), "keys_only": True}
        kvs = self.call("kv/range", body).get("kvs", [])
        return [base64.b64decode(kv["key"]).decode() for kv in kvs]

    def wipe(self) -> None:
        self.call("kv/deleterange", {"key": b64("\0"), "range_end": b64("\0")})

    def enable_auth(self, root_password: str, users: dict[str, tuple[str, str]]) -> None:
        """Users ``name → (password, prefix)``, each with a role granting readwrite on its prefix
        only; then authentication on, with root as the administrator."""
        self.call("auth/user/add", {"name": "root", "password": root_password})
        self.call("auth/role/add", {"name": "root"})
        self.call("auth/user/grant", {"user": "root", "role": "root"})
        for name, (password, prefix) in users.items():
            self.call("auth/user/add", {"name": name, "password": password})
            self.call("auth/role/add", {"name": name})
            permission = {
                "permType": "READWRITE",
                "key": b64(prefix),
                "range_end": b64(_end(prefix)),
            }
            self.call("auth/role/grant", {"name": name, "perm": permission})
            self.call("auth/user/grant", {"user": name, "role": name})
        self.call("auth/enable", {})
        self.root_password = root_password
        self._login()


_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # between fork and exec: a test run killed outright takes its etcd with it
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _end(prefix: str) -> str:
    if not prefix:
        return "\0"
    raw = bytearray(prefix.encode())
    raw[-1] += 1
    return raw.decode()
