"""Kubeconfig files with the credentials embedded, so that one file is all a client needs."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from dfctl.sandbox.certs import KeyPair


@dataclass(frozen=True)
class Access:
    """One user's way into one cluster: a kubeconfig context named after the cluster."""

    cluster: str
    server: str
    ca_pem: bytes
    user: str
    credentials: KeyPair

    @property
    def user_entry(self) -> str:
        # Users are per cluster (each cluster has its own CA), so the entry names both.
        return f"{self.user}@{self.cluster}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def kubeconfig(accesses: Sequence[Access], current: str | None = None) -> dict[str, Any]:
    """The kubeconfig document: one cluster, user and context per access."""
    names = [a.cluster for a in accesses]
    if len(set(names)) != len(names):
        raise ValueError(f"one context per cluster: {names} repeats a cluster")
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {
                "name": a.cluster,
                "cluster": {"server": a.server, "certificate-authority-data": _b64(a.ca_pem)},
            }
            for a in accesses
        ],
        "users": [
            {
                "name": a.user_entry,
                "user": {
                    "client-certificate-data": _b64(a.credentials.cert_pem),
                    "client-key-data": _b64(a.credentials.key_pem),
                },
            }
            for a in accesses
        ],
        "contexts": [
            {"name": a.cluster, "context": {"cluster": a.cluster, "user": a.user_entry}}
            for a in accesses
        ],
        "current-context": current if current is not None else (names[0] if names else ""),
    }


def write(accesses: Sequence[Access], path: Path, current: str | None = None) -> Path:
    """Write the kubeconfig readable by its owner only (it holds private keys)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    out = io.StringIO()
    yaml.dump(kubeconfig(accesses, current), out)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(out.getvalue())
    temporary.replace(path)
    return path
