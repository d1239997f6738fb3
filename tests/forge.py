"""The forge's side of the webhook: what GitLab sends after a merge to main."""

from __future__ import annotations

import http.client
import json


def push_event(port: int, after: str, token: str, timeout: float = 10.0) -> int:
    """POST a push event for ``after`` on main to the reconciler's webhook; the status it answers
    (the fields of a push event that matter to it, with the secret token GitLab sends)."""
    body = json.dumps({"object_kind": "push", "ref": "refs/heads/main", "after": after})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            "/hooks/gitlab",
            body=body,
            headers={"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": token},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()
