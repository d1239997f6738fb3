"""Evidence: one record per applied revision, kept in the environment's clusters and a local log.

A record says which commit was applied, from which one, who approved each commit in between
(and which were break-glass changes to review afterwards), what validation found, the plan's
digest and size, the result and when. In a cluster it is a ConfigMap in ``dfctl-system`` named
after the environment, time and commit, labelled ``app.kubernetes.io/part-of: dfctl`` but never
``managed-by`` (so the reconciler never plans or prunes it). Locally it is one JSON line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dfctl.adapters.kube import PART_OF, KubeClient
from dfctl.errors import EvidenceUnreadable, NotFound
from dfctl.gitops.gate import Decision
from dfctl.gitops.promotion import AppliedRelease

NAMESPACE = "dfctl-system"
ENV_LABEL = "dfp.config/evidence-environment"
RESULT_LABEL = "dfp.config/evidence-result"
BREAK_GLASS_LABEL = "dfp.config/break-glass"
DATA_KEY = "evidence.json"
APPLIED = "applied"
FAILED = "failed"


@dataclass(frozen=True)
class CommitRecord:
    sha: str
    title: str
    authors: tuple[str, ...]  # who wrote the change: its commits, and what its merge changed
    merged_by: str
    approvers: tuple[str, ...]
    break_glass: str | None = None  # the emergency's reason
    verdict: str = "approved"  # the gate's decision: approved, or refused (and superseded)
    merge_changes: tuple[str, ...] = ()  # files the merge commit changed itself (its merger's)
    supersedes: tuple[str, ...] = ()  # refused commits this merge replaces
    superseded_by: str | None = None  # the merge that replaced this refused commit
    reasons: tuple[str, ...] = ()  # why it was refused, for a superseded commit


def commit_record(decision: Decision) -> CommitRecord:
    """What the evidence keeps of one commit the applied revision includes."""
    verdict = decision.verdict
    return CommitRecord(
        verdict.commit.sha,
        verdict.commit.title,
        tuple(str(p) for p in verdict.authors),
        str(verdict.commit.author),
        tuple(str(p) for p in verdict.approvers),
        verdict.break_glass,
        decision.outcome,
        verdict.merge_changes,
        verdict.supersedes,
        decision.superseded_by,
        verdict.problems if decision.superseded_by else (),
    )


@dataclass(frozen=True)
class Evidence:
    environment: str
    revision: str
    previous: str | None  # the revision applied before
    release: str  # the environment's release version at ``revision``
    commits: tuple[CommitRecord, ...]
    validation: dict[str, int]  # files, errors, warnings
    plan: dict[str, Any]  # digest, actions, and per target: create, update, delete
    result: str  # "applied" or "failed"
    started_at: str
    finished_at: str
    reconciler: str  # the identity that held the lease
    window: str  # why the change could go now
    error: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def break_glass(self) -> tuple[CommitRecord, ...]:
        return tuple(c for c in self.commits if c.break_glass)

    def as_data(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_data(data: dict[str, Any]) -> Evidence:
        commits = tuple(
            CommitRecord(
                c["sha"],
                c["title"],
                tuple(c["authors"]),
                c["merged_by"],
                tuple(c["approvers"]),
                c.get("break_glass"),
                c.get("verdict", "approved"),
                tuple(c.get("merge_changes", ())),
                tuple(c.get("supersedes", ())),
                c.get("superseded_by"),
                tuple(c.get("reasons", ())),
            )
            for c in data["commits"]
        )
        return Evidence(
            environment=data["environment"],
            revision=data["revision"],
            previous=data.get("previous"),
            release=data["release"],
            commits=commits,
            validation=dict(data["validation"]),
            plan=dict(data["plan"]),
            result=data["result"],
            started_at=data["started_at"],
            finished_at=data["finished_at"],
            reconciler=data["reconciler"],
            window=data["window"],
            error=data.get("error"),
            notes=tuple(data.get("notes", ())),
        )

    def as_release(self) -> AppliedRelease | None:
        if self.result != APPLIED:
            return None
        return AppliedRelease(
            self.environment,
            self.release,
            self.revision,
            dt.datetime.fromisoformat(self.finished_at),
        )

    @property
    def name(self) -> str:
        """The ConfigMap's name: environment, finish time, commit, and a digest of the record,
        so that two records never share a name (the same revision applied twice within a
        second) and writing one record again writes the same ConfigMap."""
        stamp = dt.datetime.fromisoformat(self.finished_at).astimezone(dt.UTC)
        digest = hashlib.sha256(self.serialised().encode()).hexdigest()[:8]
        return f"dfctl-evidence-{self.environment}-{stamp:%Y%m%dt%H%M%Sz}-{self.revision[:12]}-{digest}"

    def serialised(self) -> str:
        """One line of JSON, keys sorted: the local log's line."""
        return json.dumps(self.as_data(), ensure_ascii=False, sort_keys=True)


def sort_key(evidence: Evidence) -> tuple[str, str, str]:
    return (evidence.finished_at, evidence.environment, evidence.revision)


class ClusterEvidence:
    """Evidence ConfigMaps in one cluster."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client

    def write(self, evidence: Evidence) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": evidence.name,
                "namespace": NAMESPACE,
                "labels": {
                    **PART_OF,
                    ENV_LABEL: evidence.environment,
                    RESULT_LABEL: evidence.result,
                    BREAK_GLASS_LABEL: "true" if evidence.break_glass else "false",
                },
            },
            "data": {DATA_KEY: json.dumps(evidence.as_data(), ensure_ascii=False, indent=1)},
        }
        try:
            self.client.apply(body, force=True)
        except NotFound:  # the first record in this cluster: make the namespace, then write
            self.client.apply(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": NAMESPACE, "labels": PART_OF},
                }
            )
            self.client.apply(body, force=True)

    def list(self, environment: str | None = None) -> list[Evidence]:
        selector = f"{ENV_LABEL}={environment}" if environment else ENV_LABEL
        found = []
        with contextlib.suppress(NotFound):
            for item in self.client.list("ConfigMap", selector, namespace=NAMESPACE):
                where = f"evidence ConfigMap {NAMESPACE}/{item['metadata']['name']}"
                found.append(parsed((item.get("data") or {}).get(DATA_KEY), where))
        return sorted(found, key=sort_key)


class LocalLog:
    """The reconciler's own copy: one JSON object per line, appended."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, evidence: Evidence) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(evidence.serialised() + "\n")

    def read(self) -> list[Evidence]:
        """Every record of the log; EvidenceUnreadable naming the line of one that is not."""
        if not self.path.exists():
            return []
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise EvidenceUnreadable(f"evidence log {self.path}: {exc}") from exc
        records = [
            parsed(line, f"evidence log {self.path} line {number}")
            for number, line in enumerate(text.splitlines(), 1)
            if line.strip()
        ]
        return sorted(records, key=sort_key)


def merged(*sources: Iterable[Evidence]) -> list[Evidence]:
    """Records from several clusters or logs, each applied revision once."""
    seen: dict[tuple[str, str, str], Evidence] = {}
    for source in sources:
        for record in source:
            seen.setdefault((record.environment, record.revision, record.finished_at), record)
    return sorted(seen.values(), key=sort_key)


def releases(records: Sequence[Evidence]) -> list[AppliedRelease]:
    return [r for r in (e.as_release() for e in records) if r is not None]


def read_records(text: str) -> list[Evidence]:
    """Records as ``dfctl audit --format json`` prints them (a list, or an object with the
    list under ``records``); EvidenceUnreadable saying which record is unreadable and why."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise EvidenceUnreadable(f"not JSON ({exc})") from exc
    if isinstance(data, dict):
        data = data.get("records")
    if not isinstance(data, list):
        raise EvidenceUnreadable("expected a list of evidence records (dfctl audit --format json)")
    records = [_record(item, f"record {index}") for index, item in enumerate(data, 1)]
    return sorted(records, key=sort_key)


def parsed(raw: object, where: str) -> Evidence:
    """The record ``raw`` holds as JSON text; EvidenceUnreadable, naming ``where``, when the
    text is no evidence record."""
    if not isinstance(raw, str) or not raw.strip():
        raise EvidenceUnreadable(f"{where} holds no record")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise EvidenceUnreadable(f"{where} is not JSON ({exc})") from exc
    return _record(data, where)


def _record(data: object, where: str) -> Evidence:
    try:
        if not isinstance(data, dict):
            raise TypeError("not an object")
        record = Evidence.from_data(data)
        record.as_release()  # its times must read
    except KeyError as exc:
        raise EvidenceUnreadable(f"{where} has no {exc.args[0]!r}") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise EvidenceUnreadable(f"{where} is not an evidence record ({exc})") from exc
    return record
