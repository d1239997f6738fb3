"""`dfctl sandbox`: control planes that keep running after the command returns.

The processes run detached in sessions of their own; a state file in the sandbox folder records
their pids (with start times, so a reused pid is never signalled) for `down` and `status`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dfctl.adapters.kube import KubeClient
from dfctl.errors import SandboxError
from dfctl.sandbox import config_service, installer
from dfctl.sandbox.control_plane import (
    ControlPlane,
    recorded_alive,
    start_all,
    stop_recorded,
    write_kubeconfig,
)

STATE_FILE = "sandbox.json"
KUBECONFIG = "kubeconfig"
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def default_directory() -> Path:
    return Path.home() / ".cache" / "dfctl" / "sandbox"


def read_state(directory: Path) -> dict[str, Any] | None:
    try:
        text = (directory / STATE_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        state = json.loads(text)
    except ValueError as exc:
        raise SandboxError(f"{directory / STATE_FILE}: not a sandbox state file: {exc}") from exc
    if not isinstance(state, dict) or not isinstance(state.get("clusters"), list):
        raise SandboxError(f"{directory / STATE_FILE}: not a sandbox state file")
    return state


def _running(state: dict[str, Any]) -> list[str]:
    return [c["name"] for c in _records(state) if any(recorded_alive(c).values())]


def _records(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Everything the state file records processes of: the clusters, the configuration service."""
    service = state.get("config_service")
    return [*state["clusters"], *([service] if isinstance(service, dict) else [])]


def up(
    names: Sequence[str],
    directory: Path,
    timeout: float = 120.0,
    *,
    workloads: Sequence[installer.Workload] = (),
    with_config_service: bool = False,
) -> dict[str, Any]:
    """Start one control plane per name and leave them running; returns the state written.

    ``workloads`` are created as the platform installer would (namespaces and Deployments), and
    ``with_config_service`` starts an etcd for the configuration service beside the clusters.
    """
    for name in names:
        if not NAME.match(name):
            raise SandboxError(f"cluster name {name!r} is not a DNS-1123 label")
    if len(set(names)) != len(names):
        raise SandboxError(f"cluster names repeat: {', '.join(names)}")
    directory = directory.resolve()
    state = read_state(directory)
    if state is not None:
        running = _running(state)
        if running:
            raise SandboxError(
                f"a sandbox already runs in {directory} ({', '.join(running)}); "
                f"stop it with `dfctl sandbox down --dir {directory}`"
            )
        down(directory)
    directory.mkdir(parents=True, exist_ok=True)
    planes = [ControlPlane(n, directory / n, timeout=timeout, detach=True) for n in names]
    start_all(planes)
    service: dict[str, Any] | None = None
    try:
        kubeconfig = write_kubeconfig(planes, directory / KUBECONFIG)
        for plane in planes:
            client = KubeClient(plane.name, kubeconfig)
            try:
                installer.install(client, [w for w in workloads if w.cluster == plane.name])
            finally:
                client.close()
        if with_config_service:
            service = config_service.start(
                planes[0].binaries, directory / config_service.NAME, timeout
            )
        state = {
            "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "kubeconfig": str(kubeconfig),
            "binaries": str(planes[0].binaries.folder),
            "clusters": [p.record() for p in planes],
        }
        if service is not None:
            state["config_service"] = service
        (directory / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    except BaseException:
        for plane in planes:
            plane.stop()
        if service is not None:
            stop_recorded(service, remove=True)
        raise
    for plane in planes:
        plane.release()
    return state


def down(directory: Path) -> dict[str, list[str]]:
    """Stop what the state file records and remove the clusters' folders and the kubeconfig.

    Returns, per cluster, the processes that were still running.
    """
    directory = directory.resolve()
    state = read_state(directory)
    if state is None:
        return {}
    stopped = {c["name"]: stop_recorded(c, remove=True) for c in _records(state)}
    (directory / KUBECONFIG).unlink(missing_ok=True)
    (directory / STATE_FILE).unlink(missing_ok=True)
    return stopped


@dataclass(frozen=True)
class ClusterStatus:
    name: str
    server: str  # a cluster's apiserver, or the configuration service's endpoint
    version: str
    processes: dict[str, bool]  # process name -> running
    ready: bool

    @property
    def healthy(self) -> bool:
        return self.ready and all(self.processes.values())


def _readyz(cluster: dict[str, Any]) -> bool:
    pki = Path(cluster["directory"]) / "pki"
    try:
        context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
        context.load_cert_chain(pki / "admin.crt", pki / "admin.key")
        with urllib.request.urlopen(
            f"{cluster['server']}/readyz", context=context, timeout=5
        ) as response:
            return bool(response.status == 200)
    except (OSError, ssl.SSLError, urllib.error.URLError):
        return False


def status(directory: Path) -> list[ClusterStatus] | None:
    """The recorded clusters and whether they run; None when no sandbox was started there."""
    state = read_state(directory.resolve())
    if state is None:
        return None
    found = [
        ClusterStatus(
            name=c["name"],
            server=c["server"],
            version=c.get("version", ""),
            processes=recorded_alive(c),
            ready=_readyz(c),
        )
        for c in state["clusters"]
    ]
    service = state.get("config_service")
    if isinstance(service, dict):
        alive = recorded_alive(service)
        found.append(
            ClusterStatus(service["name"], service["endpoint"], "etcd", alive, all(alive.values()))
        )
    return found
