"""Where a fresh install starts: the first trusted revision, given once by the operators.

Without any applied-revision marker the reconciler needs a revision to trust as it is (every
later commit is then verified). ``--initial REV`` gives it on the command line; an installation
from ``deploy/`` gives it once, without editing the Deployment's arguments, as the ConfigMap
``dfctl-system/dfctl-initial`` in the environment's first cluster, keyed by the environment::

    kubectl -n dfctl-system create configmap dfctl-initial --from-literal=production=<commit>

It is read only while no target holds a marker, and only a full commit id is taken (a branch
or tag name would move under it); the commit must be in main's history like any other.
"""

from __future__ import annotations

import re

from dfctl.adapters.kube import KubeClient
from dfctl.errors import DfctlError

NAMESPACE = "dfctl-system"
CONFIGMAP = "dfctl-initial"
_COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


class InitialUnusable(DfctlError):
    """The ConfigMap names something that is not a full commit id."""


def initial_revision(client: KubeClient, environment: str) -> str | None:
    """The revision the ConfigMap names for ``environment``, or None when there is none."""
    found = client.get("ConfigMap", NAMESPACE, CONFIGMAP)
    value = ((found or {}).get("data") or {}).get(environment)
    if value is None:
        return None
    text = str(value).strip()
    if not _COMMIT.match(text):
        raise InitialUnusable(
            f"ConfigMap {NAMESPACE}/{CONFIGMAP} names {text[:60]!r} for {environment}; it must "
            "be a full commit id (git rev-parse origin/main), not a branch or a short id"
        )
    return text
