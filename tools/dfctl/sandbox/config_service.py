"""A configuration service for the sandbox: one etcd on loopback, detached like the clusters.

It is a separate etcd from the clusters' own (the platform's configuration centre is its own
cluster in production too); dfctl reaches it through ``--etcd-endpoints`` or
``$DFCTL_ETCD_ENDPOINTS``, which `dfctl sandbox up --env` prints.
"""

from __future__ import annotations

import http.client
import json
import shutil
import time
from pathlib import Path
from typing import Any

from dfctl.adapters.processes import Process, tail
from dfctl.errors import SandboxError
from dfctl.sandbox.binaries import Binaries
from dfctl.sandbox.control_plane import POLL, free_ports

NAME = "config-service"


def start(binaries: Binaries, directory: Path, timeout: float) -> dict[str, Any]:
    """Start etcd in ``directory`` and wait until it is healthy; its record for the state file."""
    client_port, peer_port = free_ports(2)
    url = f"http://127.0.0.1:{client_port}"
    peer = f"http://127.0.0.1:{peer_port}"
    data = directory / "etcd-data"
    shutil.rmtree(data, ignore_errors=True)
    process = Process(
        "etcd",
        [
            str(binaries.etcd),
            f"--name={NAME}",
            f"--data-dir={data}",
            f"--listen-client-urls={url}",
            f"--advertise-client-urls={url}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster={NAME}={peer}",
            "--log-level=warn",
        ],
        directory / "logs" / "etcd.log",
        detach=True,
    )
    deadline = time.monotonic() + timeout
    while not _healthy(client_port):
        if process.exit_code() is not None:
            raise SandboxError(
                f"{NAME}: etcd exited with code {process.exit_code()}; last lines of "
                f"{process.log}:\n{tail(process.log)}"
            )
        if time.monotonic() > deadline:
            process.stop(0)
            raise SandboxError(f"{NAME}: etcd at {url} not healthy after {timeout:.0f} s")
        time.sleep(POLL)
    process.release()
    return {
        "name": NAME,
        "directory": str(directory),
        "endpoint": url,
        "processes": [process.record()],
    }


def _healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/health")
        response = connection.getresponse()
        return response.status == 200 and json.loads(response.read()).get("health") in (
            "true",
            True,
        )
    except (OSError, http.client.HTTPException, ValueError):
        return False
    finally:
        connection.close()
