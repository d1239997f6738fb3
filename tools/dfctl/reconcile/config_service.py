"""Plan, apply and drift for the configuration service (etcd), one environment's prefix.

Live state is one range request over ``/dfp/<env>/``. Apply writes in transactions of at most
etcd's 128 operations (and well under its request-size limit): first the slices of large
documents, where no reader looks, then the heads, each guarded by the mod revision the plan saw,
so a key someone else wrote in between is reported and left alone. One document's head, the
switch to its slices and the removal of its old slices are always in the same transaction.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dfctl.adapters.etcd import MAX_TXN_OPS, Compare, Delete, EtcdClient, Op, Put, prefix_end
from dfctl.diff.fields import Delta, FieldChange, diff
from dfctl.errors import ConflictError, TargetError, TargetUnreachable
from dfctl.model.environment import CONFIG_SERVICE
from dfctl.reconcile.config_service_layout import (
    MARKER_PATH,
    PART_BYTES,
    RESERVED,
    Live,
    LiveDocument,
    canonical,
    encode,
    envelope,
    is_large,
    owner_of,
    parts_base,
    parts_prefix,
    read_live,
    rendered,
)
from dfctl.reconcile.plan import Action, TargetPlan
from dfctl.reconcile.target import DriftItem, Marker, Progress
from dfctl.render.config_service import env_prefix
from dfctl.render.state import ConfigDocument, DesiredState

TXN_BYTES = 1024 * 1024  # etcd refuses requests over 1.5 MiB by default; keep a margin
PARTS_KIND = "DocumentParts"  # actions that remove slices no head refers to
STALE_PARTS = " +parts"  # guard suffix: slices of other versions of the key exist


def parse_guard(guard: str | None) -> tuple[int, bool]:
    """(mod revision planned against, 0 = absent; whether stale slices must go too)."""
    text = guard or "0"
    stale = text.endswith(STALE_PARTS)
    return int(text.removesuffix(STALE_PARTS)), stale


@dataclass(frozen=True)
class _Write:
    """One action as the compares and operations that must commit together, and the slices
    that must be stored before them."""

    action: Action
    compares: tuple[Compare, ...]
    ops: tuple[Op, ...]
    parts: tuple[Put, ...] = ()

    @property
    def cost(self) -> tuple[int, int]:
        return max(len(self.compares), len(self.ops)), sum(op.size for op in self.ops)


class ConfigServiceTarget:
    def __init__(
        self,
        client: EtcdClient,
        environment: str,
        commit: str,
        part_bytes: int = PART_BYTES,
    ) -> None:
        self.client = client
        self.name = CONFIG_SERVICE
        self.environment = environment
        self.prefix = env_prefix(environment)
        self.commit = commit  # stamped on the documents this target writes
        self.part_bytes = part_bytes
        self._seen_marker: Marker | None = None  # the marker as the last plan read it
        self._wrote = False

    def close(self) -> None:
        self.client.close()

    # -- reading -------------------------------------------------------------------------------
    def read_live(self) -> Live:
        live = read_live(self.prefix, self.client.range_prefix(self.prefix))
        self._seen_marker = _marker_of(live.marker.value) if live.marker else None
        return live

    def _desired(self, state: DesiredState) -> tuple[dict[str, ConfigDocument], list[str]]:
        if state.environment != self.environment:
            raise TargetError(
                f"configuration service target is for {self.environment}, "
                f"the desired state for {state.environment}"
            )
        errors: list[str] = []
        wanted: dict[str, ConfigDocument] = {}
        for doc in state.documents:
            path = doc.key.removeprefix(self.prefix)
            if not doc.key.startswith(self.prefix) or not path or path.startswith(RESERVED):
                errors.append(f"{doc.key} is outside dfctl's keys {self.prefix}* ({doc.source})")
            elif doc.key in wanted:
                errors.append(
                    f"{doc.key} is rendered twice ({wanted[doc.key].source}, {doc.source})"
                )
            else:
                wanted[doc.key] = doc
        keys = sorted(wanted)
        nested = [k for k in keys if _has_below(keys, k)]
        errors.extend(
            f"{k} has documents below it; a key is a document or a folder" for k in nested
        )
        return wanted, errors

    # -- planning ------------------------------------------------------------------------------
    def plan(self, state: DesiredState) -> TargetPlan:
        wanted, errors = self._desired(state)
        before = self.client.requests["range"]
        live = self.read_live()
        actions: list[Action] = []
        for key, doc in wanted.items():
            desired = envelope(doc.value, self.commit)
            current = live.documents.get(key)
            large = is_large(desired, self.part_bytes)
            keep = parts_prefix(self.prefix, key, desired["hash"]) if large else None
            stale = any(p != keep for p in live.parts_of(key))
            suffix = STALE_PARTS if stale else ""
            if current is None:
                actions.append(
                    Action(
                        self.name,
                        "create",
                        doc.value["kind"],
                        key,
                        (),
                        desired,
                        "0" + suffix,
                        doc.source,
                    )
                )
            elif not current.intact or current.stored_hash != desired["hash"]:
                changes = _located(_changes(current, desired), doc)
                actions.append(
                    Action(
                        self.name,
                        "update",
                        doc.value["kind"],
                        key,
                        changes.fields,
                        desired,
                        f"{current.mod_revision}{suffix}",
                        doc.source,
                        rows=changes.rows,
                    )
                )
            elif stale:  # slices left by an apply that stopped before switching
                actions.extend(
                    self._orphan(where, live.revision)
                    for where in live.parts_of(key)
                    if where != keep
                )
        for key, current in sorted(live.documents.items()):
            if key not in wanted:
                source = str((current.head or {}).get("source", ""))
                actions.append(
                    Action(
                        self.name,
                        "delete",
                        current.kind,
                        key,
                        (),
                        None,
                        str(current.mod_revision),
                        source,
                    )
                )
        heads = set(wanted) | set(live.documents)
        for where in sorted(live.parts):
            if owner_of(self.prefix, where) not in heads:  # slices of a document that is gone
                actions.append(self._orphan(where, live.revision))
        # slices no head refers to count as managed objects, so that removing the few left by a
        # stopped apply never looks like a mass prune
        orphans = sum(1 for a in actions if a.kind == PARTS_KIND)
        for kv in live.foreign:
            errors.append(
                f"{kv.key} is under dfctl's keys but not written by dfctl "
                f"(keys starting with {self.prefix}{RESERVED} are reserved)"
            )
        return TargetPlan(
            self.name,
            tuple(actions),
            tuple(errors),
            len(live.documents) + orphans,
            self.client.requests["range"] - before,
        )

    def _orphan(self, where: str, revision: int) -> Action:
        return Action(self.name, "delete", PARTS_KIND, where, (), None, str(revision))

    # -- applying ------------------------------------------------------------------------------
    def apply(
        self, plan: TargetPlan, force_conflicts: bool = False, progress: Progress | None = None
    ) -> None:
        """Write the plan. ``force_conflicts`` is not honoured: a key another writer changed
        since the plan is never overwritten; a new plan shows the change and takes it over."""
        writes = [self._write(a) for a in plan.actions]
        slices = [p for w in writes for p in w.parts]
        done = 0
        conflicts: list[str] = []
        try:
            for batch in _batches([(1, p.size) for p in slices]):
                self._commit([slices[i] for i in batch])
            for batch in _batches([w.cost for w in writes]):
                applied, refused = self._commit_guarded([writes[i] for i in batch])
                conflicts.extend(refused)
                done += len(applied)
                for write in applied:
                    if progress is not None:
                        progress(f"{self.name}: {write.action.op} {write.action.ref}")
        except TargetError as exc:
            text = (
                f"{exc}\n{done} of {len(writes)} configuration-service changes were applied, each "
                "document whole or not at all; run plan and apply again to converge"
            )
            if isinstance(exc, TargetUnreachable):
                raise TargetUnreachable(text) from exc
            raise TargetError(text) from exc
        if conflicts:
            shown = "\n  ".join(conflicts[:20])
            more = f"\n  … and {len(conflicts) - 20} more" if len(conflicts) > 20 else ""
            raise ConflictError(
                f"{len(conflicts)} configuration-service keys were changed by another writer since "
                f"the plan and were left as they are:\n  {shown}{more}\n"
                f"{done} other changes were applied; run plan again to see the changes",
                [],
            )

    def _write(self, action: Action) -> _Write:
        planned, stale = parse_guard(action.guard)
        if action.kind == PARTS_KIND:
            return _Write(
                action,
                (Compare.untouched_since(action.ref, planned),),
                (Delete.prefix(action.ref),),
            )
        key = action.ref
        guard = Compare.unchanged(key, planned) if planned else Compare.absent(key)
        if action.op == "delete":
            return _Write(
                action, (guard,), (Delete(key), Delete.prefix(parts_base(self.prefix, key)))
            )
        assert action.desired is not None
        encoded = encode(self.prefix, key, action.desired, self.part_bytes)
        compares = [guard]
        ops: list[Op] = [Put(key, encoded.head)]
        if encoded.parts:
            # the slices go in earlier transactions: check they are still there (another apply
            # may have removed them as orphans meanwhile), first and last being enough because
            # slices are only ever removed all at once
            compares += [
                Compare.present(encoded.parts[0].key),
                Compare.present(encoded.parts[-1].key),
            ]
        if stale:
            ops.extend(_delete_other_parts(parts_base(self.prefix, key), encoded.parts_prefix))
        return _Write(action, tuple(compares), tuple(ops), encoded.parts)

    def _commit(self, ops: list[Op]) -> None:
        outcome = self.client.txn([], ops)
        self._wrote = True
        if not outcome.succeeded:
            raise TargetError("configuration service refused an unguarded write")

    def _commit_guarded(self, writes: list[_Write]) -> tuple[list[_Write], list[str]]:
        """Commit ``writes`` in one transaction; those whose guards fail are taken out and the
        rest tried again, so one conflicting key does not hold back the others."""
        refused: list[str] = []
        while writes:
            compares = [c for w in writes for c in w.compares]
            outcome = self.client.txn(compares, [op for w in writes for op in w.ops])
            if outcome.succeeded:
                self._wrote = True
                return writes, refused
            failed = set(outcome.failed)
            kept = []
            for write in writes:
                broken = [c for c in write.compares if c in failed]
                if broken:
                    refused.append(_conflict(write.action, broken[0], outcome.current))
                else:
                    kept.append(write)
            if len(kept) == len(writes):
                raise TargetError("configuration service refused a transaction without saying why")
            writes = kept
        return [], refused

    # -- the applied-revision marker -------------------------------------------------------------
    def read_marker(self) -> Marker | None:
        found = self.client.get(self.prefix + MARKER_PATH)
        return _marker_of(found.value) if found else None

    def write_marker(self, marker: Marker) -> bool:
        seen = self._seen_marker
        if (
            not self._wrote
            and seen is not None
            and (seen.environment, seen.revision) == (marker.environment, marker.revision)
        ):
            return False  # nothing was written and the marker already names this revision
        self._commit([Put(self.prefix + MARKER_PATH, canonical(marker.as_data()))])
        self._seen_marker = marker
        return True

    # -- drift ---------------------------------------------------------------------------------
    def drift(self, state: DesiredState) -> list[DriftItem]:
        wanted, _errors = self._desired(state)
        live = self.read_live()
        found: list[DriftItem] = []
        for key, doc in sorted(wanted.items()):
            current = live.documents.get(key)
            desired = envelope(doc.value, self.commit)
            if current is None:
                found.append(DriftItem(self.name, key, "missing"))
            elif not current.intact or current.stored_hash != desired["hash"]:
                changes = _located(_changes(current, desired), doc)
                found.append(
                    DriftItem(self.name, key, "changed", changes.fields, rows=changes.rows)
                )
        for key in sorted(set(live.documents) - set(wanted)):
            found.append(DriftItem(self.name, key, "unexpected"))
        for where in sorted(live.parts):
            owner = live.documents.get(owner_of(self.prefix, where))
            if owner is None or owner.parts_prefix != where:
                found.append(DriftItem(self.name, where, "unexpected"))
        found.extend(DriftItem(self.name, kv.key, "unexpected") for kv in live.foreign)
        return found


# -- helpers of this module ------------------------------------------------------------------------


def _changes(current: LiveDocument, desired: dict[str, Any]) -> Delta:
    """Live → desired, field by field (rows of identified lists by their key) when the live
    value can be read."""
    if current.content is None:
        live = current.shown() if current.head is None else f"unreadable ({current.problem})"
        return Delta((FieldChange("change", "(value)", live, rendered(desired)),))
    changes = diff(current.content, rendered(desired))
    if not changes:  # same content under a hash someone edited, or rows in another order
        return Delta((FieldChange("change", "hash", current.stored_hash, desired["hash"]),))
    return changes


def _located(changes: Delta, doc: ConfigDocument) -> Delta:
    """Rows the desired document has, pointed at the line they are written on."""
    rows = tuple(
        r if r.op == "remove" else r.with_source(doc.row_source(r.path, r.key))
        for r in changes.rows
    )
    return Delta(changes.fields, rows)


def _has_below(keys: list[str], key: str) -> bool:
    """Whether a key of the sorted ``keys`` lies below ``key`` as below a folder."""
    folder = key + "/"
    index = bisect.bisect_left(keys, folder)
    return index < len(keys) and keys[index].startswith(folder)


def _batches(costs: list[tuple[int, int]]) -> Iterator[list[int]]:
    """Indices grouped so that each group fits one transaction (operations and bytes)."""
    batch: list[int] = []
    ops = size = 0
    for index, (count, nbytes) in enumerate(costs):
        if batch and (ops + count > MAX_TXN_OPS or size + nbytes > TXN_BYTES):
            yield batch
            batch, ops, size = [], 0, 0
        batch.append(index)
        ops += count
        size += nbytes
    if batch:
        yield batch


def _delete_other_parts(base: str, keep: str | None) -> list[Op]:
    """Remove every stored version of a document's slices but ``keep`` (two ranges around it)."""
    if keep is None:
        return [Delete.prefix(base)]
    return [Delete(base, keep), Delete(prefix_end(keep), prefix_end(base))]


def _conflict(action: Action, compare: Compare, current: dict[str, int]) -> str:
    now = current.get(compare.key, 0)
    if compare.range_end is not None:
        return f"{compare.key}: slices were written there since the plan"
    if compare.target == "CREATE" and compare.result == "GREATER":
        return f"{action.ref}: its new slices were removed by another apply meanwhile"
    if compare.target == "CREATE":
        return f"{action.ref}: created by another writer since the plan (mod revision {now})"
    if now == 0:
        return f"{action.ref}: deleted by another writer since the plan"
    return (
        f"{action.ref}: changed since the plan (mod revision {compare.number} planned, {now} now)"
    )


def _marker_of(raw: bytes) -> Marker | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return Marker.from_data(data) if isinstance(data, dict) else None
