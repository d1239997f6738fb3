"""The inspection history kept in a cluster: one ConfigMap per environment in ``dfctl-system``,
next to the evidence records, named ``dfctl-inspections-<environment>``.

A ConfigMap holds at most 1 MiB, and a production report can be a good part of that, so it does
not keep every report: ``latest.json`` is the last report whole (what the next inspection
compares its findings with) and ``points.json`` the counts of the last 30 inspections (the
trend chart). That is all :class:`~dfctl.inspect.history.HistoryStore` asks of a store; keep
every report with ``--history DIR`` as well when they are wanted.

Writes are a read and a replace guarded by the ConfigMap's resourceVersion, so two inspections
saving at once cannot lose one another's point silently: the second is refused. The CronJob's
ServiceAccount may only get and update this one ConfigMap (deploy/inspection/), which the
manifests create; whoever runs ``dfctl inspect`` with more rights creates it on the first save.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from dfctl.adapters.kube import PART_OF, KubeClient
from dfctl.errors import TargetError, VersionConflict
from dfctl.gitops.evidence import NAMESPACE
from dfctl.inspect import wording
from dfctl.inspect.amounts import moment
from dfctl.inspect.findings import HistoryPoint, Inspection, LocalText, SourceStatus
from dfctl.inspect.history import MAX_POINTS, SOURCE, HistoryError
from dfctl.inspect.report_json import ReportFormatError, inspection_from_json

PREFIX = "dfctl-inspections-"
ENV_LABEL = "dfp.config/inspection-environment"
LATEST = "latest.json"
POINTS = "points.json"
MAX_BYTES = 900 * 1024  # under the API's 1 MiB per object, with room for the metadata


_Read = tuple[Inspection | None, tuple[HistoryPoint, ...], tuple[SourceStatus, ...]]


def configmap_name(environment: str) -> str:
    return f"{PREFIX}{environment}"


class ConfigMapStore:
    """The history of each environment in a ConfigMap of one cluster, read once per run."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self._read: dict[str, _Read] = {}

    def where(self, environment: str) -> str:
        return (
            f"ConfigMap {NAMESPACE}/{configmap_name(environment)} in cluster {self.client.cluster}"
        )

    def previous(self, environment: str) -> Inspection | None:
        return self._history(environment)[0]

    def points(self, environment: str) -> tuple[HistoryPoint, ...]:
        return self._history(environment)[1]

    def sources(self, environment: str) -> tuple[SourceStatus, ...]:
        return self._history(environment)[2]

    def save(self, report: str) -> str:
        try:
            inspection = inspection_from_json(report)
        except ReportFormatError as exc:
            raise HistoryError(f"not an inspection report: {exc}") from None
        environment = inspection.environment
        where = self.where(environment)
        try:
            current = self.client.get("ConfigMap", NAMESPACE, configmap_name(environment))
        except TargetError as exc:
            raise HistoryError(f"cannot read {where}: {exc}") from None
        data = (current or {}).get("data") or {}
        try:
            latest = _latest(data.get(LATEST), environment)
        except HistoryError:
            latest = None  # unreadable: replaced by this report
        if latest is not None and latest.generated_at == inspection.generated_at:
            raise HistoryError(
                f"{where} already holds an inspection of {environment} made at"
                f" {inspection.generated_at.isoformat()}"
            )
        points, _problem = _points(data.get(POINTS))
        points = (*points, inspection.point())[-MAX_POINTS:]
        body = _body(environment, report, points, current)
        size = sum(len(v.encode("utf-8")) for v in body["data"].values())
        if size > MAX_BYTES:
            raise HistoryError(
                f"the report is {size} bytes, more than {where} can hold ({MAX_BYTES});"
                " keep the history in a folder with --history DIR"
            )
        try:
            if current is None:
                self.client.create(body)
            else:
                self.client.replace(body)
        except VersionConflict:
            raise HistoryError(
                f"{where} changed while this inspection saved its report (another inspection"
                " ran at the same time); this report was not kept"
            ) from None
        except TargetError as exc:
            raise HistoryError(f"cannot write {where}: {exc}") from None
        self._read.pop(environment, None)
        return where

    def _history(self, environment: str) -> _Read:
        if environment not in self._read:
            self._read[environment] = self._load(environment)
        return self._read[environment]

    def _load(self, environment: str) -> _Read:
        where = self.where(environment)
        try:
            found = self.client.get("ConfigMap", NAMESPACE, configmap_name(environment))
        except TargetError as exc:
            detail = LocalText(
                f"无法读取历史记录 {where}：{exc}", f"Cannot read the history {where}: {exc}"
            )
            return None, (), (SourceStatus(SOURCE, False, detail),)
        data = (found or {}).get("data") or {}
        skipped: list[SourceStatus] = []
        latest: Inspection | None = None
        raw = data.get(LATEST)
        if raw is not None:
            try:
                latest = _latest(raw, environment)
            except HistoryError as exc:
                skipped.append(
                    SourceStatus(
                        SOURCE, False, wording.history_corrupt(f"{where} {LATEST}", str(exc))
                    )
                )
        points, problem = _points(data.get(POINTS))
        if problem is not None:
            skipped.append(
                SourceStatus(SOURCE, False, wording.history_corrupt(f"{where} {POINTS}", problem))
            )
        if latest is None and not points:
            if skipped:
                return None, (), tuple(skipped)
            return None, (), (SourceStatus(SOURCE, True, wording.FIRST_INSPECTION),)
        last = latest.generated_at if latest is not None else points[-1].generated_at
        summary = wording.history_read(len(points) or 1, moment(last))
        return latest, points, (SourceStatus(SOURCE, True, summary), *skipped)


def _latest(raw: object, environment: str) -> Inspection | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise HistoryError("not text")
    try:
        inspection = inspection_from_json(raw)
    except ReportFormatError as exc:
        raise HistoryError(str(exc)) from None
    if inspection.environment != environment:
        raise HistoryError(f"it is a report of {inspection.environment}")
    return inspection


def _points(raw: object) -> tuple[tuple[HistoryPoint, ...], str | None]:
    """The stored trend, oldest first; what cannot be read is dropped and said."""
    if raw is None:
        return (), None
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except ValueError as exc:
        return (), f"not JSON: {exc}"
    if not isinstance(data, list):
        return (), "expected a list of points"
    points: list[HistoryPoint] = []
    try:
        for item in data:
            points.append(_point(item))
    except (TypeError, ValueError, KeyError) as exc:
        return (), f"a point is not readable: {exc}"
    points.sort(key=lambda p: p.generated_at)
    return tuple(points[-MAX_POINTS:]), None


def _point(item: Any) -> HistoryPoint:
    counts = [item[key] for key in ("critical", "warning", "info")]
    if not all(type(n) is int and n >= 0 for n in counts):
        raise ValueError(f"counts must be whole numbers: {counts}")
    return HistoryPoint(datetime.fromisoformat(item["generated_at"]), *counts)


def _body(
    environment: str, report: str, points: tuple[HistoryPoint, ...], current: dict[str, Any] | None
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": configmap_name(environment),
        "namespace": NAMESPACE,
        "labels": {
            **((current or {}).get("metadata", {}).get("labels") or {}),
            **PART_OF,
            ENV_LABEL: environment,
        },
    }
    if current is not None:
        metadata["resourceVersion"] = current["metadata"]["resourceVersion"]
    trend = [
        {
            "generated_at": p.generated_at.isoformat(),
            "critical": p.critical,
            "warning": p.warning,
            "info": p.info,
        }
        for p in points
    ]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {LATEST: report, POINTS: json.dumps(trend, indent=1) + "\n"},
    }
