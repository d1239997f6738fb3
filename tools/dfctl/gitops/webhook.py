"""The forge's webhook: a merge to main starts a reconcile pass at once; polling stays the fallback.

GitLab calls ``POST /hooks/gitlab`` with a push or merge-request event and the secret token it
was configured with in ``X-Gitlab-Token``. The token is compared in constant time; a missing or
wrong one is answered 401 before the body is read, and starts nothing. A body over
:data:`MAX_BODY` bytes (or without a length) is refused unread. A push to the watched branch, or
a merge request merged into it, wakes the loop (202); every other event is answered 200 and
ignored. Nothing in the body is trusted beyond that choice: the pass fetches the branch and
verifies every commit itself, as it does when it polls.

``GET /ready`` answers 200 while this reconciler leads and 503 while it stands by: the Service in
front of the replicas sends the forge's calls to the leader only. ``GET /healthz`` answers 200.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dfctl.errors import UsageError

PATH = "/hooks/gitlab"
MAX_BODY = 1024 * 1024  # GitLab sends at most 20 commits of a push; events are a few KiB
MIN_TOKEN = 16  # characters: a guessable token would let anyone start passes
READ_TIMEOUT = 10.0  # seconds a client may take to send its request


@dataclass(frozen=True)
class Decision:
    status: HTTPStatus
    result: str  # what the metrics and the log call it
    start: bool = False  # whether a pass is started


def decide(event: str, body: bytes, branch: str) -> Decision:
    """What an authenticated GitLab event means for ``branch``."""
    try:
        payload = json.loads(body)
    except ValueError:
        return Decision(HTTPStatus.BAD_REQUEST, "not-json")
    if not isinstance(payload, dict):
        return Decision(HTTPStatus.BAD_REQUEST, "not-json")
    if event == "Push Hook":
        if payload.get("ref") == f"refs/heads/{branch}":
            return Decision(HTTPStatus.ACCEPTED, "push", start=True)
        return Decision(HTTPStatus.OK, "other-branch")
    if event == "Merge Request Hook":
        attributes = payload.get("object_attributes")
        if not isinstance(attributes, dict):
            return Decision(HTTPStatus.BAD_REQUEST, "not-a-merge-request")
        if attributes.get("target_branch") != branch:
            return Decision(HTTPStatus.OK, "other-branch")
        if attributes.get("action") == "merge":
            return Decision(HTTPStatus.ACCEPTED, "merge", start=True)
        return Decision(HTTPStatus.OK, "not-merged")
    return Decision(HTTPStatus.OK, "other-event")


@dataclass(frozen=True)
class Hooks:
    """What the webhook server calls: ``wake`` starts a pass, ``leading`` answers /ready,
    ``observe`` counts what came of each call."""

    wake: Callable[[], None]
    leading: Callable[[], bool] = lambda: True
    observe: Callable[[str], None] = lambda _result: None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], token: bytes, branch: str, hooks: Hooks, max_body: int
    ) -> None:
        super().__init__(address, _Handler)
        self.token = token
        self.branch = branch
        self.hooks = hooks
        self.max_body = max_body


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = READ_TIMEOUT  # a client that sends slowly is cut off
    server_version = "dfctl"
    sys_version = ""

    def do_POST(self) -> None:
        if self.path != PATH:
            self._answer(HTTPStatus.NOT_FOUND, "not-found")
            return
        given = self.headers.get("X-Gitlab-Token", "").encode("utf-8")
        if not hmac.compare_digest(given, self.server.token):
            self._answer(HTTPStatus.UNAUTHORIZED, "unauthorized", close=True)
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._answer(HTTPStatus.LENGTH_REQUIRED, "no-length", close=True)
            return
        if int(length) > self.server.max_body:
            self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too-large", close=True)
            return
        body = self.rfile.read(int(length))
        decision = decide(self.headers.get("X-Gitlab-Event", ""), body, self.server.branch)
        if decision.start:
            self.server.hooks.wake()
        self._answer(decision.status, decision.result)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._answer(HTTPStatus.OK, "alive")
        elif self.path == "/ready":
            if self.server.hooks.leading():
                self._answer(HTTPStatus.OK, "leading")
            else:
                self._answer(HTTPStatus.SERVICE_UNAVAILABLE, "standing-by")
        else:
            self._answer(HTTPStatus.NOT_FOUND, "not-found")

    def _answer(self, status: HTTPStatus, result: str, close: bool = False) -> None:
        if self.command == "POST":
            self.server.hooks.observe(result)
        payload = json.dumps({"result": result}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if close:  # the body was not read: the connection cannot carry another request
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the reconciler logs JSON events, not access lines


class WebhookServer:
    """Serves the webhook and the readiness check in a daemon thread."""

    def __init__(
        self,
        token: str,
        branch: str,
        hooks: Hooks,
        *,
        port: int,
        address: str = "0.0.0.0",
        max_body: int = MAX_BODY,
    ) -> None:
        if len(token) < MIN_TOKEN:
            raise UsageError(
                f"the webhook token has {len(token)} characters; use at least {MIN_TOKEN} "
                "random ones (GitLab sends it as X-Gitlab-Token)"
            )
        self.server = _Server((address, port), token.encode("utf-8"), branch, hooks, max_body)
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="dfctl-webhook", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> WebhookServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class Wakeup:
    """The loop's sleep between passes, which a merge (or taking the Lease) cuts short.

    ``wait`` returns True once ``stop`` was called (SIGTERM), False when woken or when the
    interval ran out. Wake-ups during a pass are not lost: the next ``wait`` returns at once,
    and several of them make one pass (it fetches whatever the branch holds by then).
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._stopped = False

    def wake(self) -> None:
        self._event.set()

    def stop(self) -> None:
        self._stopped = True
        self._event.set()

    def wait(self, seconds: float) -> bool:
        if self._event.wait(seconds):
            self._event.clear()
        return self._stopped
