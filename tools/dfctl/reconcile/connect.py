"""Build the targets of an environment: one per cluster, plus the configuration service; and
the connections a long-running caller (the reconcile loop, the inspection) keeps to them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from dfctl.adapters.deadline import NO_DEADLINE, Deadline
from dfctl.adapters.etcd import Credentials, EndpointHealth, EtcdClient, parse_endpoints
from dfctl.adapters.kube import KubeClient
from dfctl.errors import CredentialsError
from dfctl.model import Environment
from dfctl.reconcile.cluster import ClusterTarget
from dfctl.reconcile.config_service import ConfigServiceTarget
from dfctl.reconcile.target import Target


def cluster_targets(
    env: Environment, kubeconfig: Path | None, deadline: Deadline = NO_DEADLINE
) -> list[Target]:
    """A target per cluster of ``env``; the kubeconfig context of each is named like the cluster."""
    return [ClusterTarget(KubeClient(name, kubeconfig, deadline=deadline)) for name in env.clusters]


def etcd_credentials(file: Path | None, repository: Path) -> Credentials:
    """From ``--etcd-credentials FILE`` when given, else from the DFCTL_ETCD_* variables.

    Never from the repository: a credentials file inside the work tree is refused, because it
    would be one ``git add`` away from being committed.
    """
    if file is None:
        return Credentials.from_environment(os.environ)
    resolved = file.expanduser().resolve()
    if resolved.is_relative_to(repository.resolve()):
        raise CredentialsError(
            f"--etcd-credentials {file} is inside the repository {repository}; keep credentials "
            "outside it (or pass them as DFCTL_ETCD_* environment variables)"
        )
    return Credentials.from_file(resolved)


def config_service_targets(
    env: Environment,
    commit: str,
    endpoints: Sequence[str] | None,
    credentials: Credentials,
    deadline: Deadline = NO_DEADLINE,
    health: EndpointHealth | None = None,
) -> list[Target]:
    """The configuration-service target of ``env``: its repository endpoints unless ``endpoints``
    overrides them; none when neither names any. Nothing is contacted yet."""
    urls = config_service_urls(env, endpoints)
    if not urls:
        return []
    client = EtcdClient(parse_endpoints(urls), credentials, deadline=deadline, health=health)
    return [ConfigServiceTarget(client, env.name, commit)]


def config_service_urls(env: Environment, endpoints: Sequence[str] | None) -> list[str]:
    """``endpoints`` when given, else the environment's own (none when it has no service)."""
    return list(endpoints or (env.config_service.endpoints if env.config_service else []))


class ClusterConnections:
    """Clusters through kubeconfig contexts named like them, one client each, made when first
    asked for and kept; the configuration service through the environment's endpoints, or
    ``etcd_endpoints``, with ``credentials``."""

    def __init__(
        self,
        kubeconfig: Path | None,
        etcd_endpoints: Sequence[str] | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.etcd_endpoints = etcd_endpoints
        self.credentials = credentials or Credentials()
        self._clients: dict[str, KubeClient] = {}

    def client(self, cluster: str) -> KubeClient:
        if cluster not in self._clients:
            self._clients[cluster] = KubeClient(cluster, self.kubeconfig)
        return self._clients[cluster]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
