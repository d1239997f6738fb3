"""The Kubernetes adapter: raw REST calls through the official client, with our own errors.

Only the handful of kinds dfctl manages are spoken to, by fixed paths, so no discovery requests
are needed. Every request is counted (the no-op plan and re-apply are judged by request counts).
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes
import urllib3
from kubernetes.client.exceptions import ApiException

from dfctl.errors import ConflictError, NotFound, TargetError, TargetUnreachable, VersionConflict

FIELD_MANAGER = "dfctl"
# the label of dfctl's own bookkeeping objects (evidence records, the Lease, their namespace)
PART_OF = {"app.kubernetes.io/part-of": "dfctl"}
RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class KindApi:
    prefix: str  # "/api/v1" or "/apis/<group>/<version>"
    plural: str
    namespaced: bool = True

    def collection(self, namespace: str | None = None) -> str:
        if self.namespaced and namespace:
            return f"{self.prefix}/namespaces/{namespace}/{self.plural}"
        return f"{self.prefix}/{self.plural}"

    def item(self, namespace: str | None, name: str) -> str:
        return f"{self.collection(namespace)}/{name}"


KIND_APIS: dict[str, KindApi] = {
    "Namespace": KindApi("/api/v1", "namespaces", namespaced=False),
    "ResourceQuota": KindApi("/api/v1", "resourcequotas"),
    "LimitRange": KindApi("/api/v1", "limitranges"),
    "ConfigMap": KindApi("/api/v1", "configmaps"),
    "Pod": KindApi("/api/v1", "pods"),
    "NetworkPolicy": KindApi("/apis/networking.k8s.io/v1", "networkpolicies"),
    "Deployment": KindApi("/apis/apps/v1", "deployments"),
    "StatefulSet": KindApi("/apis/apps/v1", "statefulsets"),
    "DaemonSet": KindApi("/apis/apps/v1", "daemonsets"),
    "ReplicaSet": KindApi("/apis/apps/v1", "replicasets"),
    "Job": KindApi("/apis/batch/v1", "jobs"),
    "CronJob": KindApi("/apis/batch/v1", "cronjobs"),
    "PersistentVolumeClaim": KindApi("/api/v1", "persistentvolumeclaims"),
    "Lease": KindApi("/apis/coordination.k8s.io/v1", "leases"),
}


class KubeClient:
    """One cluster, reached through a kubeconfig context."""

    def __init__(
        self,
        cluster: str,
        kubeconfig: Path | None,
        context: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.cluster = cluster
        self.timeout = timeout
        configuration = kubernetes.client.Configuration()
        try:
            kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=str(kubeconfig) if kubeconfig else None,
                context=context or cluster,
                client_configuration=configuration,
            )
        except (kubernetes.config.ConfigException, OSError, ValueError) as exc:
            raise TargetError(
                f"cluster {cluster}: cannot use kubeconfig context {context or cluster!r}: {exc}"
            ) from exc
        configuration.retries = False
        self.api = kubernetes.client.ApiClient(configuration)
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()

    def close(self) -> None:
        self.api.close()  # type: ignore[no-untyped-call]

    def request(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str | None = None,
        retry: bool = True,
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        # the client serialises mappings itself (JSON, which apply-patch+yaml accepts)
        payload = body
        attempt = 0
        while True:
            attempt += 1
            with self._lock:
                self.requests[method] += 1
            try:
                call = self.api.param_serialize(
                    method,
                    path,
                    query_params=query or [],
                    header_params=headers,
                    body=payload,
                    auth_settings=["BearerToken"],
                )
                response = self.api.call_api(*call, _request_timeout=self.timeout)
                data = response.read()  # type: ignore[no-untyped-call]
            except ApiException as exc:  # raised for TLS failures, with status 0
                raise TargetUnreachable(
                    f"cluster {self.cluster} is unreachable: {_reason(exc)}"
                ) from exc
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if retry and attempt < MAX_ATTEMPTS and method == "GET":
                    _backoff(attempt, None)
                    continue
                raise TargetUnreachable(
                    f"cluster {self.cluster} is unreachable: {_reason(exc)}"
                ) from exc
            if 200 <= response.status < 300:
                return json.loads(data) if data else {}
            failure = _Failure(response.status, _parse(data), dict(response.headers or {}))
            if (
                retry
                and response.status in RETRY_STATUSES
                and attempt < MAX_ATTEMPTS
                and not failure.apply_conflict
            ):
                _backoff(attempt, failure.headers.get("Retry-After"))
                continue
            raise self._error(method, path, failure)

    def _error(self, method: str, path: str, failure: _Failure) -> TargetError:
        message = failure.body.get("message") or "request failed"
        if failure.apply_conflict:
            causes = failure.body.get("details", {}).get("causes", []) or []
            managers = sorted({_manager_of(c.get("message", "")) for c in causes} - {""})
            fields = sorted({c.get("field", "") for c in causes} - {""})
            return ConflictError(
                f"fields {', '.join(fields) or '?'} are owned by "
                f"{', '.join(managers) or 'another manager'}; "
                "re-run with --force-conflicts to take them over",
                managers,
            )
        text = f"cluster {self.cluster}: {method} {path}: {failure.status} {message}"
        if failure.status == 409:
            return VersionConflict(text)
        return NotFound(text) if failure.status == 404 else TargetError(text)

    # -- operations ------------------------------------------------------------------------
    def list(
        self, kind: str, label_selector: str | None = None, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        query = [("labelSelector", label_selector)] if label_selector else []
        result = self.request("GET", KIND_APIS[kind].collection(namespace), query)
        items: list[dict[str, Any]] = result.get("items", [])
        api_version = result.get("apiVersion", "v1")
        for item in items:
            # list items come without their kind and apiVersion
            item.setdefault("kind", kind)
            item.setdefault("apiVersion", api_version)
        return items

    def get(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", KIND_APIS[kind].item(namespace, name))
        except NotFound:
            return None

    def apply(self, body: dict[str, Any], force: bool = False) -> dict[str, Any]:
        """Server-side apply with field manager ``dfctl``."""
        meta = body["metadata"]
        api = KIND_APIS[body["kind"]]
        query = [("fieldManager", FIELD_MANAGER)]
        if force:
            query.append(("force", "true"))
        return self.request(
            "PATCH",
            api.item(meta.get("namespace"), meta["name"]),
            query,
            body=body,
            content_type="application/apply-patch+yaml",
        )

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST a new object; VersionConflict when it exists already (never retried)."""
        meta = body["metadata"]
        return self.request(
            "POST",
            KIND_APIS[body["kind"]].collection(meta.get("namespace")),
            body=body,
            content_type="application/json",
            retry=False,
        )

    def replace(self, body: dict[str, Any]) -> dict[str, Any]:
        """PUT an object as read; VersionConflict when its resourceVersion is no longer current."""
        meta = body["metadata"]
        return self.request(
            "PUT",
            KIND_APIS[body["kind"]].item(meta.get("namespace"), meta["name"]),
            body=body,
            content_type="application/json",
            retry=False,
        )

    def delete(self, kind: str, namespace: str | None, name: str) -> None:
        with contextlib.suppress(NotFound):  # already gone
            self.request(
                "DELETE",
                KIND_APIS[kind].item(namespace, name),
                body={
                    "kind": "DeleteOptions",
                    "apiVersion": "v1",
                    "propagationPolicy": "Background",
                },
                content_type="application/json",
            )


@dataclass(frozen=True)
class _Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def apply_conflict(self) -> bool:
        """A server-side apply conflict: another manager owns the fields (retrying cannot help)."""
        return self.status == 409 and "Apply failed" in str(self.body.get("message", ""))


def _parse(data: bytes | None) -> dict[str, Any]:
    try:
        parsed = json.loads(data) if data else {}
    except ValueError:
        return {"message": (data or b"").decode("utf-8", "replace")[:200]}
    return parsed if isinstance(parsed, dict) else {}


def _manager_of(message: str) -> str:
    # cause messages read: conflict with "kubectl-edit" using v1
    if '"' in message:
        return message.split('"')[1]
    return ""


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc).split("\n")[0]


def _backoff(attempt: int, retry_after: str | None) -> None:
    delay = (
        float(retry_after)
        if retry_after and retry_after.isdigit()
        else min(8.0, 0.25 * 2 ** (attempt - 1))
    )
    time.sleep(min(delay, 30.0) * (1 + random.random() / 4))
