"""The review diff: what a merge request changes in every environment's desired state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from dfctl.diff.changes import ObjectChange, RiskFlag
from dfctl.diff.fields import Delta, RowChange, diff
from dfctl.diff.risk import PRODUCTION, risk_flags, where_changed
from dfctl.load.repo import Repo
from dfctl.model import ApprovalPolicy
from dfctl.model.approvals import ChangeItem, Need
from dfctl.model.environment import CONFIG_SERVICE
from dfctl.render import DesiredState, environment_names, render
from dfctl.render.state import SOURCE_ANNOTATION, ConfigDocument, KubeObject

_NOISE = {f"metadata.annotations[{SOURCE_ANNOTATION!r}]", "source"}


@dataclass(frozen=True)
class Review:
    base: str
    head: str
    environments: tuple[str, ...]
    changes: tuple[ObjectChange, ...]
    flags: tuple[RiskFlag, ...]
    approvals: tuple[Need, ...] = ()
    uncovered: tuple[str, ...] = ()  # changed paths no rule of approvals.yaml covers


def _object_key(obj: KubeObject) -> tuple[str, ...]:
    return (obj.cluster, obj.api_version, obj.kind, obj.namespace, obj.name)


_NO_DELTA = Delta()


@dataclass(frozen=True)
class _Subject:
    """The object or document being compared, as a change names it."""

    environment: str
    target: str
    kind: str
    ref: str
    source: str

    def change(
        self,
        op: Literal["add", "change", "remove"],
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
        delta: Delta = _NO_DELTA,
    ) -> ObjectChange:
        return ObjectChange(
            self.environment,
            self.target,
            self.kind,
            self.ref,
            op,
            delta.fields,
            self.source,
            old,
            new,
            delta.rows,
        )


def _compare(
    subject: _Subject,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    locate: Callable[[RowChange], str] | None = None,
) -> ObjectChange | None:
    if old is None and new is not None:
        return subject.change("add", None, new)
    if new is None and old is not None:
        return subject.change("remove", old, None)
    if old == new:
        return None
    delta = diff(old, new).without_paths(_NOISE)
    if not delta:
        return None
    if locate is not None:
        delta = Delta(delta.fields, tuple(r.with_source(locate(r)) for r in delta.rows))
    return subject.change("change", old, new, delta)


def _row_locator(
    old: ConfigDocument | None, new: ConfigDocument | None
) -> Callable[[RowChange], str]:
    """Where a changed row is written: the head's line, the base's for a removed row."""

    def locate(row: RowChange) -> str:
        doc = old if row.op == "remove" else new
        return doc.row_source(row.path, row.key) if doc is not None else ""

    return locate


def diff_states(
    env: str, base: DesiredState | None, head: DesiredState | None
) -> list[ObjectChange]:
    changes: list[ObjectChange] = []
    before = {_object_key(o): o for o in (base.objects if base else ())}
    after = {_object_key(o): o for o in (head.objects if head else ())}
    for key in sorted(before.keys() | after.keys(), key=lambda k: _sort(before.get(k) or after[k])):
        old_obj, new_obj = before.get(key), after.get(key)
        shown = new_obj or old_obj
        assert shown is not None
        change = _compare(
            _Subject(env, shown.cluster, shown.kind, shown.ref, shown.source),
            old_obj.body if old_obj else None,
            new_obj.body if new_obj else None,
        )
        if change is not None:
            changes.append(change)
    docs_before: dict[str, ConfigDocument] = {d.key: d for d in (base.documents if base else ())}
    docs_after: dict[str, ConfigDocument] = {d.key: d for d in (head.documents if head else ())}
    for doc_key in sorted(docs_before.keys() | docs_after.keys()):
        old_doc, new_doc = docs_before.get(doc_key), docs_after.get(doc_key)
        shown_doc = new_doc or old_doc
        assert shown_doc is not None
        kind = str(shown_doc.value.get("kind", "Document"))
        change = _compare(
            _Subject(env, CONFIG_SERVICE, kind, doc_key, shown_doc.source),
            old_doc.value if old_doc else None,
            new_doc.value if new_doc else None,
            _row_locator(old_doc, new_doc),
        )
        if change is not None:
            changes.append(change)
    return changes


def _sort(obj: KubeObject) -> tuple[str, int, str, str, str]:
    return obj.sort_key()


def change_items(changes: Sequence[ObjectChange], flags: Sequence[RiskFlag]) -> list[ChangeItem]:
    """What a change does, one item per changed object (with the risk flags raised on it) and
    one per flag raised on an environment as a whole (its release), for approvals.yaml's
    content rules. The production flag is not an item's flag: the environment says it."""
    on_object: dict[tuple[str, str], set[str]] = {}
    for flag in flags:
        on_object.setdefault((flag.environment, flag.ref), set()).add(flag.code)
    items = []
    placed: set[tuple[str, str]] = set()
    for change in changes:
        where = (change.environment, where_changed(change))
        placed.add(where)
        items.append(
            ChangeItem(
                change.environment,
                change.target,
                f"{change.environment} {where_changed(change)}",
                tuple(sorted(on_object.get(where, set()) - {PRODUCTION})),
            )
        )
    for flag in flags:
        if flag.code != PRODUCTION and (flag.environment, flag.ref) not in placed:
            items.append(
                ChangeItem(flag.environment, "", f"{flag.environment} {flag.detail}", (flag.code,))
            )
    return items


def approvals_needed(
    base: Repo, changed_paths: Sequence[str], items: Sequence[ChangeItem] = ()
) -> tuple[tuple[Need, ...], tuple[str, ...]]:
    """Who must approve a change of ``changed_paths`` that does ``items``, by the base
    revision's approvals.yaml (path rules for the files, content rules for the items)."""
    policies = base.of(ApprovalPolicy)
    if not policies or not (changed_paths or items):
        return (), ()
    needs, uncovered = policies[0].needs_for(changed_paths, items)
    return tuple(needs), tuple(uncovered)


def review(
    base: Repo,
    head: Repo,
    base_name: str,
    head_name: str,
    only_env: str | None = None,
    changed_paths: Sequence[str] = (),
) -> Review:
    """Render both revisions and compare them, environment by environment.

    ``changed_paths`` (every file the change touches, code included) are judged against the
    base revision's approvals.yaml to list the approvals the change needs.
    """
    names = sorted(set(environment_names(base)) | set(environment_names(head)))
    if only_env is not None:
        names = [n for n in names if n == only_env]
    changes: list[ObjectChange] = []
    for env in names:
        before = render(base, env) if env in environment_names(base) else None
        after = render(head, env) if env in environment_names(head) else None
        changes.extend(diff_states(env, before, after))
    flags = risk_flags(base, head, changes, names)
    approvals, uncovered = approvals_needed(base, changed_paths, change_items(changes, flags))
    return Review(
        base_name, head_name, tuple(names), tuple(changes), tuple(flags), approvals, uncovered
    )
