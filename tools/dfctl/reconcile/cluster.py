"""Plan, apply and drift for one Kubernetes cluster.

Live state is read with one LIST per kind (the managed-by label selects dfctl's objects; the
installer's Deployments are listed once for the whole cluster and matched by name). Apply is
server-side apply with field manager ``dfctl``, in dependency order, a few requests at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from dfctl.adapters.kube import KubeClient
from dfctl.errors import ConflictError, NotFound, TargetError
from dfctl.reconcile.normalize import compare, managers_of
from dfctl.reconcile.plan import Action, TargetPlan
from dfctl.reconcile.target import DriftItem, Marker, Progress
from dfctl.render.state import (
    KIND_ORDER,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    SOURCE_ANNOTATION,
    DesiredState,
)

MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"
LISTED_KINDS = ("Namespace", "LimitRange", "ResourceQuota", "NetworkPolicy", "ConfigMap")
# What keeps a namespace from being deleted when dfctl does not manage it: anything that runs,
# and the claims that hold data. dfctl never creates these, so every one found is someone else's.
HOLDING_KINDS = (
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
    "PersistentVolumeClaim",
)
MARKER_NAMESPACE = "dfctl-system"
MARKER_NAME = "dfctl-applied"
CONCURRENCY = 8

Key = tuple[str, str, str]  # kind, namespace, name


def key_of(body: dict[str, Any]) -> Key:
    meta = body["metadata"]
    return (body["kind"], meta.get("namespace", "") or "", meta["name"])


def ref_of(key: Key) -> str:
    kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


@dataclass
class LiveCluster:
    managed: dict[Key, dict[str, Any]]  # carrying dfctl's label
    unmanaged: dict[Key, dict[str, Any]]  # namespaces that exist without it (the installer's)
    deployments: dict[Key, dict[str, Any]]
    reads: int


def live_cluster(lists: dict[str, list[dict[str, Any]]], reads: int) -> LiveCluster:
    """Live state from LISTs by kind: the kinds of ``LISTED_KINDS`` (dfctl's own, or all of
    them) split by dfctl's label, and the Deployments."""
    managed: dict[Key, dict[str, Any]] = {}
    unmanaged: dict[Key, dict[str, Any]] = {}
    for kind in LISTED_KINDS:
        for item in lists.get(kind, []):
            labels = item.get("metadata", {}).get("labels") or {}
            mine = labels.get(MANAGED_BY_LABEL) == MANAGED_BY
            (managed if mine else unmanaged)[key_of(item)] = item
    deployments = {key_of(d): d for d in lists.get("Deployment", [])}
    return LiveCluster(managed, unmanaged, deployments, reads)


class ClusterTarget:
    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self.name = client.cluster
        self._holding_reads = 0

    def close(self) -> None:
        self.client.close()

    # -- reading -------------------------------------------------------------------------------
    def read_live(self) -> LiveCluster:
        before = sum(self.client.requests.values())
        lists: dict[str, list[dict[str, Any]]] = {}
        for kind in LISTED_KINDS:
            # Namespaces are few and the installer makes them before dfctl adopts them, so all
            # are listed; of the other kinds only dfctl's own.
            selector = None if kind == "Namespace" else MANAGED_SELECTOR
            lists[kind] = self.client.list(kind, selector)
        lists["Deployment"] = self.client.list("Deployment")
        reads = sum(self.client.requests.values()) - before
        return live_cluster(lists, reads)

    # -- planning ------------------------------------------------------------------------------
    def plan(self, state: DesiredState) -> TargetPlan:
        desired = state.objects_in(self.name)
        live = self.read_live()
        self._holding_reads = 0
        actions: list[Action] = []
        errors: list[str] = []
        wanted: set[Key] = set()
        for obj in desired:
            key = key_of(obj.body)
            wanted.add(key)
            if obj.patch_only:
                current = live.deployments.get(key)
                if current is None:
                    errors.append(
                        f"{obj.ref} does not exist; the platform installer creates it, dfctl only sets "
                        f"its image and replicas ({obj.source})"
                    )
                    continue
                names = [
                    c.get("name")
                    for c in current.get("spec", {})
                    .get("template", {})
                    .get("spec", {})
                    .get("containers", [])
                ]
                if obj.name not in names:
                    errors.append(
                        f"{obj.ref} has no container named {obj.name!r} (it has {', '.join(map(str, names))})"
                    )
                    continue
            else:
                current = live.managed.get(key) or live.unmanaged.get(key)
            if current is None:
                actions.append(
                    Action(self.name, "create", obj.kind, obj.ref, (), obj.body, None, obj.source)
                )
                continue
            changes = compare(obj.body, current)
            if changes:
                version = current.get("metadata", {}).get("resourceVersion")
                actions.append(
                    Action(
                        self.name,
                        "update",
                        obj.kind,
                        obj.ref,
                        changes.fields,
                        obj.body,
                        version,
                        obj.source,
                        obj.patch_only,
                        changes.rows,
                    )
                )
        deleted_namespaces = {
            name
            for kind, _ns, name in live.managed
            if kind == "Namespace" and (kind, "", name) not in wanted
        }
        holding = self._holding(deleted_namespaces, live) if deleted_namespaces else {}
        cascade: list[tuple[str, str]] = []
        for key, current in sorted(live.managed.items(), key=lambda kv: _delete_order(kv[0])):
            if key in wanted:
                continue
            kind, namespace, name = key
            if namespace and namespace in deleted_namespaces:
                if namespace not in holding:
                    cascade.append((kind, ref_of(key)))  # goes with its namespace
                continue
            if kind == "Namespace" and name in holding:
                errors.append(
                    f"namespace {name} is no longer in the repository but still holds "
                    f"{_counted(holding[name])}, which dfctl does not manage; dfctl never deletes "
                    "a namespace holding workloads or volume claims of others"
                )
                continue
            source = current.get("metadata", {}).get("annotations", {}).get(SOURCE_ANNOTATION, "")
            actions.append(Action(self.name, "delete", kind, ref_of(key), (), None, None, source))
        reads = live.reads + self._holding_reads
        return TargetPlan(
            self.name,
            tuple(actions),
            tuple(errors),
            len(live.managed),
            reads,
            tuple(cascade),
        )

    def _holding(self, namespaces: set[str], live: LiveCluster) -> dict[str, dict[str, list[str]]]:
        """Per namespace about to be deleted: the workloads and claims in it, names by kind.

        Each kind is listed once for the whole cluster (Deployments were listed already), so
        deleting many namespaces costs no more requests than deleting one.
        """
        before = sum(self.client.requests.values())
        found: dict[str, dict[str, list[str]]] = {}
        for kind in HOLDING_KINDS:
            items = (
                list(live.deployments.values()) if kind == "Deployment" else self.client.list(kind)
            )
            for item in items:
                meta = item.get("metadata", {})
                namespace = meta.get("namespace", "")
                if namespace in namespaces:
                    found.setdefault(namespace, {}).setdefault(kind, []).append(meta["name"])
        self._holding_reads = sum(self.client.requests.values()) - before
        return found

    # -- applying ------------------------------------------------------------------------------
    def apply(
        self, plan: TargetPlan, force_conflicts: bool = False, progress: Progress | None = None
    ) -> None:
        writes = [a for a in plan.actions if a.op != "delete"]
        deletes = [a for a in plan.actions if a.op == "delete"]
        phases: dict[int, list[Action]] = {}
        for action in writes:
            phases.setdefault(KIND_ORDER.get(action.kind, 99), []).append(action)
        for order in sorted(phases):
            self._run(phases[order], lambda a: self._write(a, force_conflicts), progress)
        # children before their namespace
        for kind in sorted({a.kind for a in deletes}, key=lambda k: -KIND_ORDER.get(k, 99)):
            self._run([a for a in deletes if a.kind == kind], self._delete, progress)

    def _write(self, action: Action, force: bool) -> None:
        assert action.desired is not None
        self.client.apply(action.desired, force=force)

    def _delete(self, action: Action) -> None:
        kind, rest = action.ref.split(" ", 1)
        namespace, _, name = rest.rpartition("/")
        self.client.delete(kind, namespace or None, name)

    def _run(
        self, actions: list[Action], work: Callable[[Action], None], progress: Progress | None
    ) -> None:
        failures: list[str] = []
        managers: list[str] = []

        def one(action: Action) -> None:
            try:
                work(action)
            except ConflictError as exc:
                failures.append(f"{action.ref}: {exc}")
                managers.extend(exc.managers)
            except TargetError as exc:
                failures.append(f"{action.ref}: {exc}")
            if progress is not None:
                progress(f"{self.name}: {action.op} {action.ref}")

        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            list(pool.map(one, actions))
        if failures:
            shown = "\n  ".join(sorted(failures)[:20])
            more = f"\n  … and {len(failures) - 20} more" if len(failures) > 20 else ""
            if managers:
                raise ConflictError(
                    f"{len(failures)} writes failed:\n  {shown}{more}", sorted(set(managers))
                )
            raise TargetError(f"{len(failures)} writes failed:\n  {shown}{more}")

    # -- the applied-revision marker -------------------------------------------------------------
    def read_marker(self) -> Marker | None:
        found = self.client.get("ConfigMap", MARKER_NAMESPACE, MARKER_NAME)
        return Marker.from_data(found.get("data", {}) or {}) if found else None

    def write_marker(self, marker: Marker) -> bool:
        # The marker is not labelled managed-by: it is never listed, planned or pruned.
        part_of = {"app.kubernetes.io/part-of": "dfctl"}
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": MARKER_NAME, "namespace": MARKER_NAMESPACE, "labels": part_of},
            "data": marker.as_data(),
        }
        try:
            self.client.apply(body, force=True)
        except NotFound:  # the first apply to this cluster: make the namespace, then write
            namespace = {"name": MARKER_NAMESPACE, "labels": part_of}
            self.client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": namespace})
            self.client.apply(body, force=True)
        return True

    # -- drift ---------------------------------------------------------------------------------
    def drift(self, state: DesiredState) -> list[DriftItem]:
        return self.drift_of(state, self.read_live())

    def drift_of(self, state: DesiredState, live: LiveCluster) -> list[DriftItem]:
        """Drift against live state already read (``dfctl inspect`` lists each kind once)."""
        desired = state.objects_in(self.name)
        found: list[DriftItem] = []
        wanted: set[Key] = set()
        for obj in desired:
            key = key_of(obj.body)
            wanted.add(key)
            current = (live.deployments if obj.patch_only else live.managed).get(key)
            if current is None:
                found.append(DriftItem(self.name, obj.ref, "missing"))
                continue
            changes = compare(obj.body, current)
            if changes:
                owners = sorted(
                    {m for c in changes.flat() for m in managers_of(current, c.path)} - {"dfctl"}
                )
                found.append(
                    DriftItem(
                        self.name,
                        obj.ref,
                        "changed",
                        changes.fields,
                        tuple(owners),
                        changes.rows,
                    )
                )
        for key in sorted(set(live.managed) - wanted):
            found.append(DriftItem(self.name, ref_of(key), "unexpected"))
        return found


def _counted(by_kind: dict[str, list[str]]) -> str:
    """``1 StatefulSet (db), 2 PersistentVolumeClaims (data-db-0, data-db-1)``."""
    parts = []
    for kind in HOLDING_KINDS:
        names = sorted(by_kind.get(kind, []))
        if names:
            shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
            plural = kind if len(names) == 1 else f"{kind}s"
            parts.append(f"{len(names)} {plural} ({shown})")
    return ", ".join(parts)


def _delete_order(key: Key) -> tuple[int, str, str]:
    return (-KIND_ORDER.get(key[0], 99), key[1], key[2])
