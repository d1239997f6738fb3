"""How configuration documents are stored in etcd, and how a reader gets one back whole.

Under the environment's prefix ``/dfp/<env>/`` (docs/configuration-service.md has the full
layout):

* ``<path>`` — the head of one document set, a JSON envelope: the rendered value
  (``apiVersion``, ``kind``, ``source``, ``spec``) plus ``commit`` (the commit at which this
  content was written) and ``hash`` (``sha256:`` of the canonical JSON of the rendered value).
  One key, so one put makes a change visible at once.
* A head too large for one comfortable etcd value (etcd refuses requests over 1.5 MiB by
  default; a province's element sets and configuration items are larger) carries ``parts``
  instead of ``spec``: the canonical JSON of the rendered value is cut into slices stored at
  ``_parts/<path>/<hash16>/<index>``. The slices are written first, where no reader looks, and
  then one transaction switches the head to them and deletes the previous version's slices.
  A reader reads the head, then the slices at the head's revision (etcd keeps old revisions),
  so it sees the old or the new version, never a mix.
* ``_dfctl/applied`` — the applied-revision marker.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dfctl.adapters.etcd import EtcdClient, KeyValue, Put, Snapshot
from dfctl.errors import TargetError

PART_BYTES = 256 * 1024  # slice size, and the largest head stored whole
RESERVED = "_"  # keys under the prefix starting with this are dfctl's own, never documents
PARTS_DIR = "_parts/"
MARKER_PATH = "_dfctl/applied"
ENVELOPE_FIELDS = ("commit", "hash", "parts")  # what the head adds to the rendered value


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def content_hash(value: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical(value)).hexdigest()


def parts_base(prefix: str, key: str) -> str:
    """Where every stored version of ``key``'s slices lives."""
    return f"{prefix}{PARTS_DIR}{key.removeprefix(prefix)}/"


def parts_prefix(prefix: str, key: str, digest: str) -> str:
    return f"{parts_base(prefix, key)}{digest.removeprefix('sha256:')[:16]}/"


@dataclass(frozen=True)
class Encoded:
    """The keys one document is stored as: the head, and its slices when it is large."""

    head: bytes
    parts: tuple[Put, ...] = ()

    @property
    def parts_prefix(self) -> str | None:
        return self.parts[0].key.rsplit("/", 1)[0] + "/" if self.parts else None


def envelope(value: Mapping[str, Any], commit: str) -> dict[str, Any]:
    """The desired head: the rendered value with the commit and its content hash."""
    return {**value, "commit": commit, "hash": content_hash(value)}


def rendered(head: Mapping[str, Any]) -> dict[str, Any]:
    """The rendered value inside a stored (or desired) envelope."""
    return {k: v for k, v in head.items() if k not in ENVELOPE_FIELDS}


def is_large(desired: Mapping[str, Any], part_bytes: int = PART_BYTES) -> bool:
    return len(canonical(desired)) > part_bytes


def encode(
    prefix: str, key: str, desired: Mapping[str, Any], part_bytes: int = PART_BYTES
) -> Encoded:
    """Store ``desired`` (an envelope) whole, or as a head and slices when it is large."""
    whole = canonical(desired)
    if len(whole) <= part_bytes:
        return Encoded(whole)
    value = rendered(desired)
    body = canonical(value)
    where = parts_prefix(prefix, key, str(desired["hash"]))
    slices = [body[i : i + part_bytes] for i in range(0, len(body), part_bytes)]
    head = {
        **{k: v for k, v in value.items() if k != "spec"},
        "commit": desired["commit"],
        "hash": desired["hash"],
        "parts": {"prefix": where, "count": len(slices), "bytes": len(body)},
    }
    return Encoded(
        canonical(head),
        tuple(Put(f"{where}{index:05d}", data) for index, data in enumerate(slices)),
    )


@dataclass(frozen=True)
class LiveDocument:
    """One head found under the prefix, with its content put back together when possible."""

    key: str
    mod_revision: int
    raw: bytes
    head: dict[str, Any] | None  # None when the value is not a JSON object
    content: dict[str, Any] | None  # the rendered value, None when it cannot be read whole
    problem: str | None = None  # why the content cannot be read whole

    @property
    def stored_hash(self) -> str | None:
        value = self.head.get("hash") if self.head else None
        return value if isinstance(value, str) else None

    @property
    def intact(self) -> bool:
        """The content is whole and matches the hash the head claims (nobody edited it)."""
        return self.content is not None and content_hash(self.content) == self.stored_hash

    @property
    def parts_prefix(self) -> str | None:
        parts = self.head.get("parts") if self.head else None
        where = parts.get("prefix") if isinstance(parts, dict) else None
        return where if isinstance(where, str) else None

    @property
    def kind(self) -> str:
        value = self.head.get("kind") if self.head else None
        return value if isinstance(value, str) else "Document"

    def shown(self) -> Any:
        """What a person is shown as the live value."""
        if self.content is not None:
            return self.content
        return self.raw.decode("utf-8", "replace")[:500]


@dataclass(frozen=True)
class Live:
    """Everything under one environment's prefix, from one range request."""

    prefix: str
    revision: int
    documents: dict[str, LiveDocument]
    parts: dict[str, list[KeyValue]]  # parts prefix (…/<hash16>/) → its slices, in key order
    marker: KeyValue | None
    foreign: list[KeyValue] = field(default_factory=list)  # other keys starting with RESERVED

    owners: dict[str, list[str]] = field(default_factory=dict)  # document key → parts prefixes

    def parts_of(self, key: str) -> list[str]:
        """The parts prefixes (one per stored version) of ``key``'s slices."""
        return self.owners.get(key, [])


def read_live(prefix: str, snapshot: Snapshot) -> Live:
    documents: dict[str, LiveDocument] = {}
    parts: dict[str, list[KeyValue]] = {}
    marker: KeyValue | None = None
    foreign: list[KeyValue] = []
    heads: list[KeyValue] = []
    for kv in snapshot.items:
        path = kv.key.removeprefix(prefix)
        if path == MARKER_PATH:
            marker = kv
        elif path.startswith(PARTS_DIR) and path.count("/") >= 3:
            parts.setdefault(kv.key.rsplit("/", 1)[0] + "/", []).append(kv)
        elif path.startswith(RESERVED):
            foreign.append(kv)
        else:
            heads.append(kv)
    for kv in heads:
        documents[kv.key] = parse_head(kv, lambda where: parts.get(where, []))
    owners: dict[str, list[str]] = {}
    for where in parts:
        owners.setdefault(owner_of(prefix, where), []).append(where)
    return Live(prefix, snapshot.revision, documents, parts, marker, foreign, owners)


def owner_of(prefix: str, parts_prefix: str) -> str:
    """The document key whose slices live under ``<prefix>_parts/<path>/<hash16>/``."""
    return prefix + parts_prefix.removeprefix(prefix + PARTS_DIR).rsplit("/", 2)[0]


def parse_head(kv: KeyValue, slices_at: Callable[[str], list[KeyValue]]) -> LiveDocument:
    """Read one head; ``slices_at(prefix)`` gives the slices stored under a parts prefix."""
    try:
        head = json.loads(kv.value)
    except ValueError:
        return LiveDocument(kv.key, kv.mod_revision, kv.value, None, None, "not JSON")
    if not isinstance(head, dict):
        return LiveDocument(kv.key, kv.mod_revision, kv.value, None, None, "not a JSON object")
    parts = head.get("parts")
    if parts is None:
        return LiveDocument(kv.key, kv.mod_revision, kv.value, head, rendered(head))
    try:
        content = join_parts(parts, slices_at(parts["prefix"]))
    except (TypeError, KeyError, ValueError) as exc:
        return LiveDocument(kv.key, kv.mod_revision, kv.value, head, None, f"parts: {exc}")
    return LiveDocument(kv.key, kv.mod_revision, kv.value, head, content)


def join_parts(parts: Mapping[str, Any], slices: list[KeyValue]) -> dict[str, Any]:
    count = int(parts["count"])
    if len(slices) != count:
        raise ValueError(f"{len(slices)} of {count} slices under {parts['prefix']}")
    body = b"".join(kv.value for kv in slices)
    if len(body) != int(parts["bytes"]):
        raise ValueError(f"{len(body)} bytes, the head says {parts['bytes']}")
    value = json.loads(body)
    if not isinstance(value, dict):
        raise ValueError("the slices do not hold a JSON object")
    return value


@dataclass(frozen=True)
class Document:
    """A document as a reader gets it: whole, checked against its hash."""

    key: str
    value: dict[str, Any]  # the rendered value: apiVersion, kind, source, spec
    commit: str
    hash: str
    revision: int  # the store revision it was read at


def read_document(client: EtcdClient, key: str) -> Document | None:
    """The reader's side of the layout: one document, never half of a change.

    The head is read first; its slices, when it has any, are read at the head's revision, so a
    concurrent switch to a new version (which deletes the old slices) cannot tear the read.
    """
    head = client.range(key)
    if not head.items:
        return None
    live = parse_head(
        head.items[0], lambda where: list(client.range_prefix(where, head.revision).items)
    )
    if live.content is None or live.head is None or not live.intact:
        raise TargetError(f"{key}: stored document is damaged ({live.problem or 'hash mismatch'})")
    return Document(
        key, live.content, str(live.head.get("commit", "")), str(live.stored_hash), head.revision
    )
