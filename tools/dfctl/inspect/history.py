"""The inspection history: earlier reports of an environment, what changed since the last one and
the points of the trend chart.

:class:`HistoryStore` is what ``dfctl inspect`` needs of a store. :class:`DirectoryStore` keeps
each report as ``DIR/<environment>/<UTC timestamp>.json``, the JSON report itself
(:mod:`dfctl.inspect.report_json`); a store in the clusters (a ConfigMap next to the evidence
records) can implement the same protocol.

Reading never fails on what it finds: no directory is a first inspection, a corrupt file is
skipped and named in a :class:`SourceStatus`, and so is a directory that cannot be listed. Read
before saving the new report, or the previous inspection is the current one. Saving raises
:class:`HistoryError`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Protocol

from dfctl.inspect import wording
from dfctl.inspect.amounts import moment
from dfctl.inspect.findings import Changes, HistoryPoint, Inspection, SourceStatus
from dfctl.inspect.report_json import ReportFormatError, inspection_from_json

MAX_POINTS = 30  # about a month of daily inspections in the trend chart
SOURCE = "history"

_FILE = re.compile(r"^\d{8}T\d{6}Z\.json$")
# an environment names a directory: no separators, dots or anything a shell would mangle
_ENVIRONMENT = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class HistoryError(Exception):
    """A report could not be saved; the message says where and why."""


class HistoryStore(Protocol):
    def previous(self, environment: str) -> Inspection | None:
        """The latest readable inspection of the environment; None when there is none."""

    def points(self, environment: str) -> tuple[HistoryPoint, ...]:
        """The counts of the last :data:`MAX_POINTS` readable inspections, oldest first."""

    def sources(self, environment: str) -> tuple[SourceStatus, ...]:
        """What reading the history found: a first inspection, how many were read, and every
        record that was skipped and why."""

    def save(self, report: str) -> str:
        """Keep a report (the text :func:`~dfctl.inspect.report_json.report_json` wrote) and
        say where it went."""


def changes_since(previous: Inspection | None, current: Inspection) -> Changes | None:
    """Findings new, resolved and persistent by id; None without a previous inspection."""
    if previous is None:
        return None
    before = {f.id for f in previous.findings}
    now = {f.id for f in current.findings}
    return Changes(
        since=previous.generated_at,
        new=tuple(sorted(now - before)),
        resolved=tuple(sorted(before - now)),
        persistent=tuple(sorted(now & before)),
    )


def file_name(inspection: Inspection) -> str:
    """``20251130T013000Z.json``: UTC, so names sort by time whatever offset the report uses."""
    return f"{inspection.generated_at.astimezone(UTC):%Y%m%dT%H%M%SZ}.json"


@dataclass(frozen=True)
class _Read:
    inspections: tuple[Inspection, ...]  # newest first, at most MAX_POINTS
    sources: tuple[SourceStatus, ...]


class DirectoryStore:
    """Reports as files under ``root``; each environment's history is read once and kept."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._read: dict[str, _Read] = {}

    def previous(self, environment: str) -> Inspection | None:
        inspections = self._history(environment).inspections
        return inspections[0] if inspections else None

    def points(self, environment: str) -> tuple[HistoryPoint, ...]:
        return tuple(i.point() for i in reversed(self._history(environment).inspections))

    def sources(self, environment: str) -> tuple[SourceStatus, ...]:
        return self._history(environment).sources

    def save(self, report: str) -> str:
        try:
            inspection = inspection_from_json(report)
        except ReportFormatError as exc:
            raise HistoryError(f"not an inspection report: {exc}") from None
        directory = self._directory(inspection.environment)
        target = directory / file_name(inspection)
        temporary = directory / f".{target.name}.{os.getpid()}.tmp"
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"cannot create {directory}: {exc.strerror or exc}") from None
        try:
            temporary.write_text(report, encoding="utf-8")
            # a hard link appears whole or not at all, and never replaces an earlier report
            os.link(temporary, target)
        except FileExistsError:
            raise HistoryError(
                f"{target} exists: an inspection of {inspection.environment} in that second is"
                " already saved"
            ) from None
        except OSError as exc:
            raise HistoryError(f"cannot save {target}: {exc.strerror or exc}") from None
        finally:
            temporary.unlink(missing_ok=True)
        self._read.pop(inspection.environment, None)
        return str(target)

    def _directory(self, environment: str) -> Path:
        if not _ENVIRONMENT.match(environment):
            raise ValueError(f"{environment!r} is not an environment name")
        return self.root / environment

    def _history(self, environment: str) -> _Read:
        if environment not in self._read:
            self._read[environment] = self._load(environment)
        return self._read[environment]

    def _load(self, environment: str) -> _Read:
        directory = self._directory(environment)
        try:
            names = sorted(
                (p.name for p in directory.iterdir() if _FILE.match(p.name)), reverse=True
            )
        except FileNotFoundError:
            names = []
        except OSError as exc:
            detail = wording.history_unreadable(str(directory), exc.strerror or str(exc))
            return _Read((), (SourceStatus(SOURCE, False, detail),))
        inspections: list[Inspection] = []
        skipped: list[SourceStatus] = []
        for name in names:
            if len(inspections) == MAX_POINTS:
                break
            path = directory / name
            try:
                inspection = inspection_from_json(path.read_text(encoding="utf-8"))
            except OSError as exc:
                reason = exc.strerror or str(exc)
            except UnicodeDecodeError:
                reason = "not UTF-8 text"
            except ReportFormatError as exc:
                reason = str(exc)
            else:
                if inspection.environment == environment:
                    inspections.append(inspection)
                    continue
                reason = f"it is a report of {inspection.environment}"
            skipped.append(SourceStatus(SOURCE, False, wording.history_corrupt(str(path), reason)))
        inspections.sort(key=lambda i: i.generated_at, reverse=True)
        if inspections:
            summary = wording.history_read(len(inspections), moment(inspections[0].generated_at))
            return _Read(tuple(inspections), (SourceStatus(SOURCE, True, summary), *skipped))
        if not names:
            return _Read((), (SourceStatus(SOURCE, True, wording.FIRST_INSPECTION),))
        return _Read((), tuple(skipped))
