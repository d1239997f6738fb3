"""The Kubernetes adapter: raw REST calls through the official client, with our own errors.

Only the handful of kinds dfctl manages are spoken to, by fixed paths, so no discovery requests
are needed. Every request is counted (the no-op plan and re-apply are judged by request counts).

Failures are bounded and readable: a request waits at most :data:`CONNECT_TIMEOUT` for a
connection (the TLS handshake included) and :data:`READ_TIMEOUT` for the answer, never past the
run's deadline; answers 409, 429 and 5xx are retried with backoff, a GET whose pooled connection
the server had closed is sent once more, and nothing else is repeated. Every kubeconfig, TLS,
authentication and network failure becomes one line naming the file, the context, the server
and the cause.
"""

from __future__ import annotations

import contextlib
import json
import os
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
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from dfctl.adapters.deadline import NO_DEADLINE, Deadline, Timeouts
from dfctl.errors import ConflictError, NotFound, TargetError, TargetUnreachable, VersionConflict

FIELD_MANAGER = "dfctl"
# the label of dfctl's own bookkeeping objects (evidence records, the Lease, their namespace)
PART_OF = {"app.kubernetes.io/part-of": "dfctl"}
RETRY_STATUSES = frozenset({409, 429, 500, 502, 503, 504})
MAX_ATTEMPTS = 5
CONNECT_TIMEOUT = 5.0  # seconds for a connection and its TLS handshake
READ_TIMEOUT = 10.0  # seconds for an answer once the request is sent
DEFAULT_TIMEOUTS = Timeouts(CONNECT_TIMEOUT, READ_TIMEOUT)


@dataclass(frozen=True)
class TlsMaterial:
    """The PEM certificates a client uses: the CA it trusts and its own client certificate;
    empty bytes for one it does not have (e.g. a token instead of a client certificate)."""

    ca: bytes
    client: bytes


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
    """One cluster, reached through a kubeconfig context (named like the cluster by default)."""

    def __init__(
        self,
        cluster: str,
        kubeconfig: Path | None,
        context: str | None = None,
        *,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        deadline: Deadline = NO_DEADLINE,
    ) -> None:
        self.cluster = cluster
        self.timeouts = timeouts
        self.deadline = deadline
        self.context = context or cluster
        files = kubeconfig_files(kubeconfig)
        self.kubeconfig = os.pathsep.join(str(f) for f in files)
        configuration = load_context(files, self.context, cluster)
        configuration.retries = False
        self.server = str(configuration.host)
        self.api = kubernetes.client.ApiClient(configuration)
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        """How failures name this cluster: the server, the context and the kubeconfig file."""
        return (
            f"cluster {self.cluster} at {self.server} (context {self.context} in {self.kubeconfig})"
        )

    def close(self) -> None:
        self.api.close()  # type: ignore[no-untyped-call]

    def tls_material(self) -> TlsMaterial:
        """The certificates this client was configured with, as PEM (read-only; no request)."""
        configuration = self.api.configuration
        return TlsMaterial(_read_pem(configuration.ssl_ca_cert), _read_pem(configuration.cert_file))

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
        resent = False
        while True:
            attempt += 1
            timeouts = self.deadline.clip(self.timeouts, self.where)
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
                response = self.api.call_api(
                    *call, _request_timeout=(timeouts.connect, timeouts.read)
                )
                data = response.read()  # type: ignore[no-untyped-call]
            except ApiException as exc:  # the client raises it for TLS failures, with status 0
                # the server answered: a TLS failure is a setting to fix, not an outage
                raise TargetError(f"{self.where}: {_tls_reason(exc)}") from None
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                if method == "GET" and not resent and _dropped(exc):
                    resent = True  # a pooled connection the server had closed meanwhile
                    continue
                raise TargetUnreachable(
                    f"{self.where}: {_transport_reason(exc, timeouts)}"
                ) from None
            if 200 <= response.status < 300:
                try:
                    return json.loads(data) if data else {}
                except ValueError:
                    raise TargetError(
                        f"{self.where}: {method} {path} answered with something that is not "
                        "JSON; is this a Kubernetes API server?"
                    ) from None
            failure = _Failure(response.status, _parse(data), dict(response.headers or {}))
            if (
                retry
                and response.status in RETRY_STATUSES
                and attempt < MAX_ATTEMPTS
                and not failure.apply_conflict
            ):
                _backoff(attempt, failure.headers.get("Retry-After"), self.deadline)
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
        if failure.status == 401:
            return TargetError(
                f"{self.where}: the server did not accept the kubeconfig's credentials "
                f"(401 {message})"
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


def _read_pem(path: str | None) -> bytes:
    # the client writes a kubeconfig's *-data fields to temporary files and keeps their paths
    if not path:
        return b""
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""


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


def _dropped(exc: BaseException) -> bool:
    """The server closed the connection before answering (it had dropped an idle one)."""
    return isinstance(exc, urllib3.exceptions.ProtocolError) and (
        "RemoteDisconnected" in str(exc) or "Connection reset" in str(exc)
    )


def _transport_reason(exc: BaseException, timeouts: Timeouts) -> str:
    """What went wrong on the way, in a few words (urllib3 nests the cause several levels)."""
    reason = getattr(exc, "reason", None) or exc
    # NewConnectionError is a ConnectTimeoutError too (urllib3 keeps it so): a refusal, not a wait
    if isinstance(reason, urllib3.exceptions.ConnectTimeoutError) and not isinstance(
        reason, urllib3.exceptions.NewConnectionError
    ):
        return f"unreachable: {timeouts.waited('connection')}"
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError) or isinstance(
        reason, urllib3.exceptions.ReadTimeoutError
    ):
        # the TLS handshake waits under the read timeout too
        return f"unreachable: {timeouts.waited('answer')}"
    text = str(reason)
    for marker, said in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name not known"),
        ("Temporary failure in name resolution", "host name not known"),
        ("No route to host", "no route to host"),
        ("Network is unreachable", "network unreachable"),
        ("RemoteDisconnected", "the server closed the connection without answering"),
        ("Connection reset", "the connection was reset"),
    ):
        if marker in text:
            return f"unreachable: {said}"
    return f"unreachable: {_first_line(text) or type(reason).__name__}"


def _tls_reason(exc: ApiException) -> str:
    """The client wraps TLS failures as ``SSLError\n<details>``: the details are the cause."""
    text = str(exc.reason or "")
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        detail = text.split("certificate verify failed:", 1)[-1].split("(_ssl", 1)[0].strip()
        return (
            f"TLS failed: the server's certificate is not trusted ({detail}); "
            "check the certificate-authority(-data) of the kubeconfig's cluster entry"
        )
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return "TLS failed: the server does not speak TLS there (an http:// port?)"
    lines = [line for line in text.splitlines() if line.strip()]
    return f"TLS failed: {_first_line(lines[-1] if lines else text) or 'handshake failed'}"


def _first_line(text: str) -> str:
    return text.strip().split("\n")[0][:300]


def _backoff(attempt: int, retry_after: str | None, deadline: Deadline) -> None:
    delay = (
        float(retry_after)
        if retry_after and retry_after.isdigit()
        else min(8.0, 0.25 * 2 ** (attempt - 1))
    )
    delay = min(delay, 30.0) * (1 + random.random() / 4)
    left = deadline.remaining()
    time.sleep(delay if left is None else max(0.0, min(delay, left)))


# -- kubeconfig ------------------------------------------------------------------------------------


def kubeconfig_files(given: Path | None) -> list[Path]:
    """``given``, else the files $KUBECONFIG lists, else ~/.kube/config; each must exist."""
    if given is not None:
        files, origin = [given.expanduser()], "--kubeconfig"
    elif os.environ.get("KUBECONFIG"):
        listed = [p for p in os.environ["KUBECONFIG"].split(os.pathsep) if p]
        files, origin = [Path(p).expanduser() for p in listed], "$KUBECONFIG"
        present = [f for f in files if f.is_file()]
        if present:
            return present  # like kubectl, a list may name files that do not exist yet
    else:
        files, origin = [Path.home() / ".kube" / "config"], "the default location"
    for file in files:
        if not file.is_file():
            what = "is a folder" if file.is_dir() else "does not exist"
            raise TargetError(f"kubeconfig {file} ({origin}) {what}; give --kubeconfig FILE")
    return files


def load_context(files: list[Path], context: str, cluster: str) -> Any:
    """The client configuration of ``context``; a TargetError naming the file and the cause
    for anything wrong with the files."""
    found_in: Path | None = None
    contexts: list[str] = []
    for file in files:
        document = _read_kubeconfig(file)
        for entry in document.get("contexts") or []:
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str):
                contexts.append(name)
                if name == context and found_in is None:
                    found_in = file
    shown = os.pathsep.join(str(f) for f in files)
    if found_in is None:
        known = ", ".join(sorted(set(contexts))) or "none"
        raise TargetError(
            f"cluster {cluster}: kubeconfig {shown} has no context {context!r} (it has: {known}); "
            "dfctl reaches each cluster through the context named like it"
        )
    configuration = kubernetes.client.Configuration()
    try:
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=shown,
            context=context,
            client_configuration=configuration,
            persist_config=False,
        )
    except Exception as exc:  # the library raises assorted types for a malformed entry
        raise TargetError(
            f"cluster {cluster}: context {context} in kubeconfig {found_in} cannot be used: "
            f"{_first_line(str(exc)) or type(exc).__name__}"
        ) from None
    return configuration


def _read_kubeconfig(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(f"kubeconfig {file} cannot be read: {exc}") from None
    reader = YAML(typ="safe", pure=True)
    reader.allow_duplicate_keys = True  # as the client library's own reader
    try:
        document = reader.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise TargetError(f"kubeconfig {file} is not valid YAML: {at}{exc.problem}") from None
    except YAMLError as exc:
        raise TargetError(f"kubeconfig {file} is not valid YAML: {_first_line(str(exc))}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise TargetError(
            f"kubeconfig {file} is not a kubeconfig: expected a mapping with clusters, contexts "
            f"and users, found {type(document).__name__} {str(document)[:40]!r}"
        )
    for section in ("clusters", "contexts", "users"):
        if document.get(section) is not None and not isinstance(document[section], list):
            raise TargetError(f"kubeconfig {file} is not a kubeconfig: {section} is not a list")
    return document
