"""The forge's webhook: which events start a pass, and what is refused before anything starts.

The server is the real one on a loopback port, spoken to over HTTP as GitLab would; the loop it
wakes is a counter here (the reconciler's own tests run it against real servers).
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from http import HTTPStatus

import pytest

from dfctl.errors import UsageError
from dfctl.gitops.metrics import ReconcileMetrics
from dfctl.gitops.webhook import MAX_BODY, Decision, Hooks, Wakeup, WebhookServer, decide

TOKEN = "5b0d7c1e9a3f4e62b8d1a07c3e9f2d44"
PUSH = {"object_kind": "push", "ref": "refs/heads/main", "after": "3f2a9c1d0b7e" + "0" * 28}


class Calls:
    def __init__(self) -> None:
        self.woken = 0
        self.leading = True

    def wake(self) -> None:
        self.woken += 1


@pytest.fixture
def served() -> Iterator[tuple[WebhookServer, Calls, ReconcileMetrics]]:
    calls = Calls()
    metrics = ReconcileMetrics("acceptance")
    server = WebhookServer(
        TOKEN,
        "main",
        Hooks(calls.wake, lambda: calls.leading, metrics.webhook),
        port=0,
        address="127.0.0.1",
    ).start()
    yield server, calls, metrics
    server.stop()


def post(
    server: WebhookServer,
    body: bytes,
    headers: dict[str, str],
    path: str = "/hooks/gitlab",
) -> tuple[int, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def event(name: str, payload: object, token: str | None = TOKEN) -> tuple[bytes, dict[str, str]]:
    headers = {"X-Gitlab-Event": name, "Content-Type": "application/json"}
    if token is not None:
        headers["X-Gitlab-Token"] = token
    return json.dumps(payload).encode(), headers


def count(metrics: ReconcileMetrics, result: str) -> float | None:
    return metrics.registry.get_sample_value(
        "dfctl_reconcile_webhooks_total", {"environment": "acceptance", "result": result}
    )


MERGED = {
    "object_kind": "merge_request",
    "object_attributes": {"action": "merge", "target_branch": "main", "iid": 812},
}


@pytest.mark.parametrize(
    ("name", "payload", "expected"),
    [
        ("Push Hook", PUSH, Decision(HTTPStatus.ACCEPTED, "push", start=True)),
        (
            "Push Hook",
            {**PUSH, "ref": "refs/heads/feature"},
            Decision(HTTPStatus.OK, "other-branch"),
        ),
        ("Push Hook", {**PUSH, "ref": "refs/tags/main"}, Decision(HTTPStatus.OK, "other-branch")),
        ("Merge Request Hook", MERGED, Decision(HTTPStatus.ACCEPTED, "merge", start=True)),
        (
            "Merge Request Hook",
            {"object_attributes": {"action": "open", "target_branch": "main"}},
            Decision(HTTPStatus.OK, "not-merged"),
        ),
        (
            "Merge Request Hook",
            {"object_attributes": {"action": "merge", "target_branch": "release"}},
            Decision(HTTPStatus.OK, "other-branch"),
        ),
        (
            "Merge Request Hook",
            {"object_attributes": "x"},
            Decision(HTTPStatus.BAD_REQUEST, "not-a-merge-request"),
        ),
        ("Note Hook", {"object_kind": "note"}, Decision(HTTPStatus.OK, "other-event")),
        ("Push Hook", ["not", "an", "object"], Decision(HTTPStatus.BAD_REQUEST, "not-json")),
    ],
)
def test_which_events_start_a_pass(name: str, payload: object, expected: Decision) -> None:
    assert decide(name, json.dumps(payload).encode(), "main") == expected


def test_a_push_to_main_wakes_the_loop(
    served: tuple[WebhookServer, Calls, ReconcileMetrics],
) -> None:
    server, calls, metrics = served
    assert post(server, *event("Push Hook", PUSH)) == (202, {"result": "push"})
    assert post(server, *event("Merge Request Hook", MERGED)) == (202, {"result": "merge"})
    assert post(server, *event("Push Hook", {**PUSH, "ref": "refs/heads/x"})) == (
        200,
        {"result": "other-branch"},
    )
    assert calls.woken == 2
    assert (count(metrics, "push"), count(metrics, "merge")) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("token", "why"), [(None, "missing"), ("", "empty"), (TOKEN[:-1] + "0", "wrong")]
)
def test_a_missing_or_wrong_token_is_401_and_starts_nothing(
    served: tuple[WebhookServer, Calls, ReconcileMetrics], token: str | None, why: str
) -> None:
    server, calls, metrics = served
    assert post(server, *event("Push Hook", PUSH, token)) == (401, {"result": "unauthorized"})
    assert calls.woken == 0
    assert count(metrics, "unauthorized") == 1.0


def test_a_body_over_the_limit_is_refused_unread(
    served: tuple[WebhookServer, Calls, ReconcileMetrics],
) -> None:
    server, calls, metrics = served
    # announce more than the limit and send only the start: the server answers without reading
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        connection.sendall(
            (
                "POST /hooks/gitlab HTTP/1.1\r\nHost: x\r\nX-Gitlab-Event: Push Hook\r\n"
                f"X-Gitlab-Token: {TOKEN}\r\nContent-Length: {MAX_BODY + 1}\r\n\r\n"
            ).encode()
            + b"{"
        )
        answer = connection.recv(4096).decode()
    finally:
        connection.close()
    assert answer.startswith("HTTP/1.0 413 ")
    assert calls.woken == 0
    assert count(metrics, "too-large") == 1.0


def test_a_body_without_a_length_is_refused(
    served: tuple[WebhookServer, Calls, ReconcileMetrics],
) -> None:
    server, calls, _ = served
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.putrequest("POST", "/hooks/gitlab")
        connection.putheader("X-Gitlab-Token", TOKEN)
        connection.putheader("X-Gitlab-Event", "Push Hook")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        assert (response.status, json.loads(response.read())) == (411, {"result": "no-length"})
    finally:
        connection.close()
    assert calls.woken == 0


def test_ready_only_while_leading(served: tuple[WebhookServer, Calls, ReconcileMetrics]) -> None:
    server, calls, _ = served

    def ready() -> int:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            connection.request("GET", "/ready")
            return connection.getresponse().status
        finally:
            connection.close()

    assert ready() == 200
    calls.leading = False
    assert ready() == 503


def test_other_paths_are_404(served: tuple[WebhookServer, Calls, ReconcileMetrics]) -> None:
    server, calls, _ = served
    assert post(server, *event("Push Hook", PUSH), path="/hooks/github") == (
        404,
        {"result": "not-found"},
    )
    assert calls.woken == 0


def test_a_short_token_is_refused() -> None:
    with pytest.raises(UsageError) as refused:
        WebhookServer("secret", "main", Hooks(lambda: None), port=0, address="127.0.0.1")
    assert str(refused.value) == (
        "the webhook token has 6 characters; use at least 16 random ones (GitLab sends it as "
        "X-Gitlab-Token)"
    )


def test_wakeups_during_a_pass_are_kept_and_merged() -> None:
    wakeup = Wakeup()
    assert wakeup.wait(0.01) is False  # the interval ran out
    wakeup.wake()
    wakeup.wake()  # two merges while a pass ran: one more pass
    assert wakeup.wait(3600) is False
    wakeup.stop()
    assert wakeup.wait(3600) is True
