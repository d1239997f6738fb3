"""The etcd v3 adapter: ranges and transactions through etcd's JSON gateway, with our own errors.

etcd3gw speaks the gateway (``/v3/kv/range``, ``/v3/kv/txn``, ``/v3/auth/authenticate``) over
plain HTTPS, so TLS and client certificates are ordinary ``requests`` settings and no gRPC stack
is needed. It has no password login; the token is fetched here and sent as the gateway expects.

Every request is counted by kind (``range``, ``txn``, ``auth``): the no-op plan and re-apply are
judged by those counts.

Endpoints fail over: requests go to the member that answered last, then to the others. With
several endpoints, a member is first asked for its ``/version`` with a short timeout
(:data:`PROBE_TIMEOUT`), so a silent one costs seconds, not a whole read timeout; a member that
failed is skipped for the rest of the run (:class:`EndpointHealth`).
"""

from __future__ import annotations

import base64
import ipaddress
import json
import stat
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import etcd3gw
import requests
from etcd3gw import exceptions as gw

from dfctl.adapters.deadline import NO_DEADLINE, Deadline, Timeouts
from dfctl.errors import CredentialsError, TargetError, TargetUnreachable

API_PATH = "/v3/"  # etcd >= 3.4; fixed, so no discovery request is spent on /version
MAX_TXN_OPS = 128  # etcd's default --max-txn-ops; compares and operations count separately
CONNECT_TIMEOUT = 3.0  # seconds for a connection and its TLS handshake
READ_TIMEOUT = 10.0  # seconds for an answer
DEFAULT_TIMEOUTS = Timeouts(CONNECT_TIMEOUT, READ_TIMEOUT)
PROBE_TIMEOUT = 2.0  # seconds a member has to answer /version before it is skipped
FORGET_AFTER = 60.0  # seconds a failed member is skipped by a long-running reconciler

CREDENTIAL_VARIABLES = {
    "DFCTL_ETCD_USER": "user",
    "DFCTL_ETCD_PASSWORD": "password",
    "DFCTL_ETCD_CA": "ca",
    "DFCTL_ETCD_CERT": "cert",
    "DFCTL_ETCD_KEY": "key",
}


# -- endpoints and credentials -------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    scheme: Literal["http", "https"]
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @staticmethod
    def parse(text: str) -> Endpoint:
        try:
            parts = urlsplit(text.strip())
            port = parts.port
        except ValueError as exc:
            raise CredentialsError(f"etcd endpoint {text!r} is not a URL: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise CredentialsError(
                f"etcd endpoint {text!r} must be http(s)://HOST:PORT, e.g. https://etcd-0:2379"
            )
        if parts.username or parts.password:
            raise CredentialsError(
                f"etcd endpoint {parts.scheme}://…@{parts.hostname} carries credentials; pass them "
                "with --etcd-credentials or DFCTL_ETCD_USER/DFCTL_ETCD_PASSWORD instead"
            )
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise CredentialsError(f"etcd endpoint {text!r} must not have a path or query")
        scheme: Literal["http", "https"] = "https" if parts.scheme == "https" else "http"
        return Endpoint(scheme, parts.hostname, port or 2379)


def parse_endpoints(texts: Sequence[str]) -> list[Endpoint]:
    endpoints = [Endpoint.parse(t) for text in texts for t in text.split(",") if t.strip()]
    if not endpoints:
        raise CredentialsError("no etcd endpoint given")
    return endpoints


@dataclass(frozen=True)
class Credentials:
    """How dfctl proves itself to etcd. Never read from the repository; the password never printed."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca: Path | None = None  # CA bundle the server certificate must chain to
    cert: Path | None = None  # client certificate, with ``key``
    key: Path | None = None
    origin: str = field(default="environment", compare=False)  # where they were read from

    @staticmethod
    def from_mapping(
        values: Mapping[str, str], origin: str, base: Path | None = None
    ) -> Credentials:
        """From ``DFCTL_ETCD_*`` names; relative paths are taken from ``base``."""
        found: dict[str, str] = {}
        for name, attribute in CREDENTIAL_VARIABLES.items():
            value = values.get(name, "")
            if value:
                found[attribute] = value
        paths: dict[str, Path | None] = {}
        for attribute in ("ca", "cert", "key"):
            text = found.get(attribute)
            if text is None:
                paths[attribute] = None
                continue
            path = Path(text).expanduser()
            if base is not None and not path.is_absolute():
                path = base / path
            if not path.is_file():
                raise CredentialsError(f"{origin}: {attribute} file {path} does not exist")
            paths[attribute] = path
        if (paths["cert"] is None) != (paths["key"] is None):
            raise CredentialsError(
                f"{origin}: a client certificate needs both DFCTL_ETCD_CERT and DFCTL_ETCD_KEY"
            )
        if ("user" in found) != ("password" in found):
            raise CredentialsError(
                f"{origin}: etcd authentication needs both DFCTL_ETCD_USER and DFCTL_ETCD_PASSWORD"
            )
        return Credentials(
            found.get("user"),
            found.get("password"),
            paths["ca"],
            paths["cert"],
            paths["key"],
            origin,
        )

    @staticmethod
    def from_environment(environ: Mapping[str, str]) -> Credentials:
        return Credentials.from_mapping(environ, "environment")

    @staticmethod
    def from_file(path: Path) -> Credentials:
        """A file of ``NAME=value`` lines with the environment variables' names (``#`` comments).

        Refused when other users may read it: it usually holds the password.
        """
        try:
            mode = path.stat().st_mode
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CredentialsError(f"cannot read etcd credentials {path}: {exc}") from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CredentialsError(
                f"etcd credentials {path} may be read by other users "
                f"(mode {stat.S_IMODE(mode):04o}); chmod 600 it"
            )
        values: dict[str, str] = {}
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, value = line.partition("=")
            name = name.strip().removeprefix("export ").strip()
            if not sep or name not in CREDENTIAL_VARIABLES:
                known = ", ".join(CREDENTIAL_VARIABLES)
                raise CredentialsError(
                    f"{path}:{number}: expected NAME=value with NAME one of {known}"
                )
            values[name] = value.strip().strip("\"'")
        return Credentials.from_mapping(values, str(path), base=path.parent)

    def check_safe_for(self, endpoints: Sequence[Endpoint]) -> None:
        """A password never travels unencrypted, except to this machine (tests, port-forwards)."""
        if self.password is None:
            return
        for endpoint in endpoints:
            if endpoint.scheme == "http" and not endpoint.loopback:
                raise CredentialsError(
                    f"refusing to send the etcd password unencrypted to {endpoint.url}; use https"
                )


# -- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyValue:
    key: str
    value: bytes
    mod_revision: int
    create_revision: int


@dataclass(frozen=True)
class Snapshot:
    """Keys as they were at one revision (one range request is one consistent read)."""

    revision: int
    items: tuple[KeyValue, ...]


@dataclass(frozen=True)
class Compare:
    """One guard of a transaction: ``target`` of ``key`` (or every key from it to ``range_end``)."""

    key: str
    target: Literal["MOD", "CREATE"]
    result: Literal["EQUAL", "LESS", "GREATER"]
    number: int
    range_end: str | None = None

    @staticmethod
    def unchanged(key: str, mod_revision: int) -> Compare:
        return Compare(key, "MOD", "EQUAL", mod_revision)

    @staticmethod
    def absent(key: str) -> Compare:
        return Compare(key, "CREATE", "EQUAL", 0)

    @staticmethod
    def present(key: str) -> Compare:
        return Compare(key, "CREATE", "GREATER", 0)

    @staticmethod
    def untouched_since(prefix: str, revision: int) -> Compare:
        """No key under ``prefix`` was written after ``revision`` (an empty range passes)."""
        return Compare(prefix, "MOD", "LESS", revision + 1, prefix_end(prefix))

    def as_json(self) -> dict[str, Any]:
        field_name = "mod_revision" if self.target == "MOD" else "create_revision"
        data: dict[str, Any] = {
            "key": _b64(self.key.encode()),
            "target": self.target,
            "result": self.result,
            field_name: str(self.number),
        }
        if self.range_end is not None:
            data["range_end"] = _b64(self.range_end.encode())
        return data

    def holds_for(self, found: list[KeyValue]) -> bool:
        """Evaluate the guard on what the failure branch read, to say which guard failed."""
        if self.range_end is None and not found:
            found = [KeyValue(self.key, b"", 0, 0)]
        for kv in found:
            value = kv.mod_revision if self.target == "MOD" else kv.create_revision
            if self.result == "EQUAL" and value != self.number:
                return False
            if self.result == "LESS" and value >= self.number:
                return False
            if self.result == "GREATER" and value <= self.number:
                return False
        return True


@dataclass(frozen=True)
class Put:
    key: str
    value: bytes

    def as_json(self) -> dict[str, Any]:
        return {"request_put": {"key": _b64(self.key.encode()), "value": _b64(self.value)}}

    @property
    def size(self) -> int:
        return len(self.key) + len(self.value)


@dataclass(frozen=True)
class Delete:
    """Delete ``key``, or every key from ``key`` up to (not including) ``range_end``."""

    key: str
    range_end: str | None = None

    @staticmethod
    def prefix(prefix: str) -> Delete:
        return Delete(prefix, prefix_end(prefix))

    def as_json(self) -> dict[str, Any]:
        data = {"key": _b64(self.key.encode())}
        if self.range_end is not None:
            data["range_end"] = _b64(self.range_end.encode())
        return {"request_delete_range": data}

    @property
    def size(self) -> int:
        return 2 * len(self.key)


Op = Put | Delete


@dataclass(frozen=True)
class TxnOutcome:
    succeeded: bool
    revision: int
    failed: tuple[Compare, ...] = ()  # the guards that did not hold (when not succeeded)
    current: dict[str, int] = field(default_factory=dict)  # key → mod revision now (0: absent)


def prefix_end(prefix: str) -> str:
    """The range end that makes a range cover exactly the keys starting with ``prefix``."""
    raw = bytearray(prefix.encode())
    raw[-1] += 1
    return raw.decode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kv(item: Mapping[str, Any]) -> KeyValue:
    return KeyValue(
        base64.b64decode(item["key"]).decode("utf-8", "replace"),
        base64.b64decode(item.get("value", "")),
        int(item.get("mod_revision", 0)),
        int(item.get("create_revision", 0)),
    )


class EndpointHealth:
    """Which members answered and which failed, shared by the clients of one run.

    A member that failed is skipped until ``forget_after`` seconds have passed (for the whole of
    a command's run; a long-running reconciler gives members another chance each minute).
    """

    def __init__(self, forget_after: float = FORGET_AFTER) -> None:
        self.forget_after = forget_after
        self.last_good: str | None = None
        self._failed: dict[str, float] = {}  # url -> when it failed
        self._probed: set[str] = set()

    def alive(self, url: str) -> bool:
        failed = self._failed.get(url)
        if failed is not None and time.monotonic() - failed > self.forget_after:
            del self._failed[url]
            self._probed.discard(url)
            return True
        return failed is None

    def probed(self, url: str) -> bool:
        return url in self._probed

    def answered(self, url: str) -> None:
        self.last_good = url
        self._probed.add(url)
        self._failed.pop(url, None)

    def failed(self, url: str) -> None:
        self._failed[url] = time.monotonic()
        if self.last_good == url:
            self.last_good = None


class EtcdClient:
    """One etcd cluster, reached through any of its endpoints."""

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        credentials: Credentials | None = None,
        *,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        deadline: Deadline = NO_DEADLINE,
        health: EndpointHealth | None = None,
    ) -> None:
        if not endpoints:
            raise CredentialsError("no etcd endpoint given")
        self.credentials = credentials or Credentials()
        self.credentials.check_safe_for(endpoints)
        self.endpoints = list(endpoints)
        self.timeouts = timeouts
        self.deadline = deadline
        self.health = health or EndpointHealth(forget_after=float("inf"))
        self.session = requests.Session()
        if self.credentials.ca is not None:
            self.session.verify = str(self.credentials.ca)
            # requests lets $REQUESTS_CA_BUNDLE override a session's CA; the given CA must win
            self.session.trust_env = False
        if self.credentials.cert is not None and self.credentials.key is not None:
            self.session.cert = (str(self.credentials.cert), str(self.credentials.key))
        self._clients = [
            etcd3gw.client(
                host=e.host,
                port=e.port,
                protocol=e.scheme,
                # requests takes a (connect, read) pair; etcd3gw hands it on unchanged
                timeout=(timeouts.connect, timeouts.read),  # type: ignore[arg-type]
                api_path=API_PATH,
                session=self.session,
            )
            for e in self.endpoints
        ]
        self._token: str | None = None
        self.requests: Counter[str] = Counter()

    @property
    def name(self) -> str:
        return ", ".join(e.url for e in self.endpoints)

    def close(self) -> None:
        self.session.close()

    # -- transport -------------------------------------------------------------------------------
    def _post(self, kind: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.credentials.user is not None and self._token is None and kind != "auth":
            self._authenticate()
        reauthenticated = False
        while True:
            try:
                return self._post_any(kind, path, body)
            except _Refused as exc:
                stale = exc.code == 16 and "invalid auth token" in exc.message
                if stale and self.credentials.user is not None and not reauthenticated:
                    # simple tokens expire after --auth-token-ttl of inactivity
                    reauthenticated = True
                    self._authenticate()
                    continue
                raise self._error(kind, body, exc) from None

    def _order(self) -> tuple[list[int], list[int]]:
        """The members to try: the one that answered last first, then the others in turn; and,
        apart, those that failed earlier in the run, tried only when none of the first answers
        (a member that failed may be back, and with one endpoint there is no other)."""
        indices = list(range(len(self.endpoints)))
        good = self.health.last_good
        indices.sort(key=lambda i: self.endpoints[i].url != good)
        alive = [i for i in indices if self.health.alive(self.endpoints[i].url)]
        return alive, [i for i in indices if i not in alive]

    def _post_any(self, kind: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Post to the last endpoint that answered, then to the others in turn."""
        failures: list[str] = []
        alive, failed_before = self._order()
        for index in alive + failed_before:  # the first that answers ends the loop
            endpoint = self.endpoints[index]
            if len(self.endpoints) > 1 and not self.health.probed(endpoint.url):
                problem = self._probe(endpoint)
                if problem is not None:
                    self.health.failed(endpoint.url)
                    failures.append(f"{endpoint.url}: {problem}")
                    continue
            timeouts = self.deadline.clip(self.timeouts, f"configuration service {endpoint.url}")
            client = self._clients[index]
            client.timeout = (timeouts.connect, timeouts.read)  # type: ignore[assignment]
            self.requests[kind] += 1
            try:
                answer = client.post(client.get_url(path), json=body)
            except gw.ConnectionFailedError as exc:
                if _tls_problem(exc.detail_text or ""):  # it answered, but TLS failed: not down
                    raise TargetError(self._tls_failure(endpoint, exc.detail_text or "")) from None
                self.health.failed(endpoint.url)
                failures.append(f"{endpoint.url}: {_reason(exc)}")
                continue
            except gw.ConnectionTimeoutError as exc:
                # a transaction that timed out may still commit; sending it to another member is
                # safe because dfctl's writes are guarded or idempotent (a repeat of a guarded
                # one is reported as a conflict, never applied twice)
                self.health.failed(endpoint.url)
                failures.append(f"{endpoint.url}: {_timeout_reason(exc, timeouts)}")
                continue
            except gw.Etcd3Exception as exc:
                raise _Refused.of(exc) from None
            except (requests.RequestException, OSError, ValueError) as exc:
                # bad CA or certificate path, or an answer that is not the gateway's JSON
                raise TargetError(f"configuration service {endpoint.url}: {_reason(exc)}") from None
            self.health.answered(endpoint.url)
            if not isinstance(answer, dict):
                raise TargetError(
                    f"configuration service {endpoint.url} answered {path} with "
                    "something that is not etcd's JSON gateway"
                )
            return answer
        raise TargetUnreachable("configuration service unreachable: " + "; ".join(failures))

    def _probe(self, endpoint: Endpoint) -> str | None:
        """Why ``endpoint`` is not worth a request now (None: it answered ``/version``)."""
        limit = self.deadline.clip(
            Timeouts(PROBE_TIMEOUT, PROBE_TIMEOUT), f"configuration service {endpoint.url}"
        )
        self.requests["probe"] += 1
        try:
            answer = self.session.get(
                f"{endpoint.url}/version", timeout=(limit.connect, limit.read)
            )
        except requests.exceptions.SSLError as exc:
            raise TargetError(self._tls_failure(endpoint, str(exc))) from None
        except requests.exceptions.Timeout:
            if limit.run_limit is not None:
                return limit.waited("answer")
            return f"no answer within {limit.read:g} s (probe)"
        except (requests.RequestException, OSError) as exc:
            return _reason(exc)
        if answer.status_code != 200:
            return f"/version answered {answer.status_code}"
        self.health.answered(endpoint.url)
        return None

    def _tls_failure(self, endpoint: Endpoint, text: str) -> str:
        ca = (
            f"the CA in DFCTL_ETCD_CA ({self.credentials.ca}, from {self.credentials.origin})"
            if self.credentials.ca is not None
            else "the system's CA bundle (DFCTL_ETCD_CA is not set)"
        )
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            detail = text.split("certificate verify failed:", 1)[-1].split("(_ssl", 1)[0]
            return (
                f"configuration service {endpoint.url}: TLS failed: the server certificate is "
                f"not trusted by {ca} ({detail.strip()})"
            )
        return f"configuration service {endpoint.url}: TLS failed: {_reason_text(text)}"

    def _authenticate(self) -> None:
        self.session.headers.pop("Authorization", None)
        self._token = None
        try:
            answer = self._post_any(
                "auth",
                "auth/authenticate",
                {"name": self.credentials.user, "password": self.credentials.password},
            )
        except _Refused as exc:
            raise TargetError(
                f"configuration service {self.name}: cannot log in as {self.credentials.user!r}: "
                f"{exc.message}"
            ) from None
        token = answer.get("token")
        if not isinstance(token, str) or not token:
            raise TargetError(
                f"configuration service {self.name}: authentication is not enabled there, "
                "but a user was given"
            )
        self._token = token
        self.session.headers["Authorization"] = token

    def _error(self, kind: str, body: dict[str, Any], refused: _Refused) -> TargetError:
        where = f"configuration service {self.name}"
        if "user name is empty" in refused.message:
            return TargetError(
                f"{where} requires authentication; give DFCTL_ETCD_USER and DFCTL_ETCD_PASSWORD "
                "(environment) or --etcd-credentials FILE"
            )
        if refused.code == 7:
            keys = _keys_of(body)
            return TargetError(
                f"{where}: permission denied for user {self.credentials.user!r} on "
                f"{', '.join(keys[:3]) or 'the request'}"
                f"{' …' if len(keys) > 3 else ''}: its role must grant readwrite on dfctl's prefix"
            )
        if "too many operations" in refused.message or "request is too large" in refused.message:
            return TargetError(
                f"{where} refused a {kind} request: {refused.message} (the server's "
                "--max-txn-ops or --max-request-bytes is below etcd's defaults)"
            )
        return TargetError(f"{where}: {kind} failed: {refused.message}")

    # -- operations ------------------------------------------------------------------------------
    def range(self, key: str, range_end: str | None = None, revision: int = 0) -> Snapshot:
        """Keys from ``key`` to ``range_end`` (just ``key`` without it), at ``revision`` or now."""
        body: dict[str, Any] = {"key": _b64(key.encode())}
        if range_end is not None:
            body["range_end"] = _b64(range_end.encode())
        if revision:
            body["revision"] = str(revision)
        answer = self._post("range", "kv/range", body)
        return Snapshot(
            int(answer.get("header", {}).get("revision", 0)),
            tuple(_kv(item) for item in answer.get("kvs", [])),
        )

    def range_prefix(self, prefix: str, revision: int = 0) -> Snapshot:
        return self.range(prefix, prefix_end(prefix), revision)

    def get(self, key: str) -> KeyValue | None:
        found = self.range(key).items
        return found[0] if found else None

    def txn(self, compares: Sequence[Compare], ops: Sequence[Op]) -> TxnOutcome:
        """Apply ``ops`` if every guard holds, all or nothing.

        When a guard does not hold, the failure branch reads the guarded keys in the same
        request, so the outcome names which guards failed and what the keys hold now.
        """
        if len(compares) > MAX_TXN_OPS or len(ops) > MAX_TXN_OPS:
            raise ValueError(f"a transaction has at most {MAX_TXN_OPS} compares and operations")
        failure = []
        for compare in compares:
            read: dict[str, Any] = {"key": _b64(compare.key.encode()), "keys_only": True}
            if compare.range_end is not None:
                read["range_end"] = _b64(compare.range_end.encode())
                read["min_mod_revision"] = str(compare.number)
            failure.append({"request_range": read})
        answer = self._post(
            "txn",
            "kv/txn",
            {
                "compare": [c.as_json() for c in compares],
                "success": [op.as_json() for op in ops],
                "failure": failure,
            },
        )
        revision = int(answer.get("header", {}).get("revision", 0))
        if answer.get("succeeded", False):  # the gateway leaves out false
            return TxnOutcome(True, revision)
        failed: list[Compare] = []
        current: dict[str, int] = {}
        for compare, response in zip(compares, answer.get("responses", []), strict=False):
            found = [_kv(i) for i in response.get("response_range", {}).get("kvs", [])]
            if compare.range_end is None:
                current[compare.key] = found[0].mod_revision if found else 0
            if not compare.holds_for(found):
                failed.append(compare)
        return TxnOutcome(False, revision, tuple(failed), current)

    # -- health (read-only) ---------------------------------------------------------------------
    def members(self) -> tuple[Member, ...]:
        answer = self._post("cluster", "cluster/member/list", {})
        return tuple(
            Member(
                str(m.get("ID", "")),
                str(m.get("name", "")),
                tuple(str(u) for u in m.get("clientURLs", []) or []),
                bool(m.get("isLearner", False)),
            )
            for m in answer.get("members", []) or []
        )

    def alarms(self) -> tuple[Alarm, ...]:
        """The cluster's active alarms (an alarm GET; raising or clearing is not offered)."""
        answer = self._post("maintenance", "maintenance/alarm", {"action": "GET"})
        return tuple(
            Alarm(str(a.get("memberID", "")), str(a.get("alarm", "")))
            for a in answer.get("alarms", []) or []
        )

    def statuses(self) -> tuple[EndpointStatus, ...]:
        """``/v3/maintenance/status`` of every endpoint in turn, each asked directly (no
        failover: a member that does not answer is what this is asked to find)."""
        if self.credentials.user is not None and self._token is None:
            self._authenticate()
        found = []
        for endpoint, client in zip(self.endpoints, self._clients, strict=True):
            self.requests["maintenance"] += 1
            try:
                answer = client.post(client.get_url("maintenance/status"), json={})
            except gw.Etcd3Exception as exc:
                found.append(EndpointStatus(endpoint.url, error=_reason(exc)))
                continue
            except (requests.RequestException, OSError, ValueError) as exc:
                found.append(EndpointStatus(endpoint.url, error=_reason(exc)))
                continue
            if not isinstance(answer, dict):
                found.append(EndpointStatus(endpoint.url, error="not etcd's JSON gateway"))
                continue
            quota = answer.get("dbSizeQuota")
            found.append(
                EndpointStatus(
                    endpoint.url,
                    member_id=str(answer.get("header", {}).get("member_id", "")),
                    leader=str(answer.get("leader", "")),
                    version=str(answer.get("version", "")),
                    db_size=int(answer.get("dbSize", 0)),
                    db_size_in_use=int(answer.get("dbSizeInUse", 0)),
                    db_size_quota=int(quota) if quota is not None else None,
                    errors=tuple(str(e) for e in answer.get("errors", []) or []),
                )
            )
        return tuple(found)


@dataclass(frozen=True)
class Member:
    """A member of the etcd cluster as ``/v3/cluster/member/list`` names it."""

    id: str  # etcd's uint64 member id, as the gateway writes it: a decimal string
    name: str
    client_urls: tuple[str, ...]
    learner: bool


@dataclass(frozen=True)
class EndpointStatus:
    """What one endpoint said to ``/v3/maintenance/status``; ``error`` when it did not answer."""

    endpoint: str
    member_id: str = ""
    leader: str = ""  # "" or "0": this member knows no leader
    version: str = ""
    db_size: int = 0
    db_size_in_use: int = 0
    db_size_quota: int | None = None  # etcd >= 3.6 reports its --quota-backend-bytes
    errors: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class Alarm:
    member_id: str
    alarm: str  # "NOSPACE", "CORRUPT"


@dataclass
class _Refused(Exception):
    """The server answered with an error (not a transport failure)."""

    code: int
    message: str

    @staticmethod
    def of(exc: gw.Etcd3Exception) -> _Refused:
        text = exc.detail_text or ""
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return _Refused(int(data.get("code", 0)), str(data.get("message") or data))
        reason = " ".join(str(a) for a in exc.args)
        return _Refused(0, f"{reason}: {text[:200]}" if text else reason or "request failed")


def _keys_of(body: dict[str, Any]) -> list[str]:
    encoded = [body.get("key")] if "key" in body else []
    for op in body.get("success", []):
        for request in op.values():
            encoded.append(request.get("key"))
    return [base64.b64decode(k).decode("utf-8", "replace") for k in encoded if isinstance(k, str)]


def _tls_problem(text: str) -> bool:
    return "SSL" in text or "CERTIFICATE_VERIFY_FAILED" in text


def _timeout_reason(exc: BaseException, timeouts: Timeouts) -> str:
    text = getattr(exc, "detail_text", None) or str(exc)
    if "connect timeout" in text.lower() or "ConnectTimeout" in text:
        return timeouts.waited("connection")
    return timeouts.waited("answer")


def _reason(exc: BaseException) -> str:
    """The useful part of a transport error: urllib3 nests the cause several levels deep."""
    return _reason_text(getattr(exc, "detail_text", None) or str(exc)) or type(exc).__name__


def _reason_text(text: str) -> str:
    for marker, said in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name not known"),
        ("Temporary failure in name resolution", "host name not known"),
        ("No route to host", "no route to host"),
        ("RemoteDisconnected", "the member closed the connection without answering"),
        ("Connection reset", "the connection was reset"),
        (
            "CERTIFICATE_VERIFY_FAILED",
            "the server certificate is not trusted (DFCTL_ETCD_CA names the CA bundle)",
        ),
        ("WRONG_VERSION_NUMBER", "the member does not speak TLS there (an http:// port?)"),
    ):
        if marker in text:
            return said
    return text.splitlines()[0][:300] if text else ""
